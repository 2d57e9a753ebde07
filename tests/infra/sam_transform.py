"""Print the CloudFormation that the SAM transform makes of a template, as JSON.

Run by the SAM CLI's own interpreter (.venv/tools/sam/bin/python), which has
samtranslator; the project's venv does not. Offline: no managed policies are looked up
(the template names none) and local code paths are replaced by placeholder S3 URIs, as
`sam validate` does.

    python sam_transform.py TEMPLATE [NAME=VALUE ...]
"""

import json
import sys

from samcli.yamlhelper import yaml_parse
from samtranslator.parser.parser import Parser
from samtranslator.translator.translator import Translator

PLACEHOLDER_S3 = "s3://cme-credits-placeholder/code.zip"
PSEUDO_PARAMETERS = {
    "AWS::Region": "eu-west-1",
    "AWS::AccountId": "123456789012",
    "AWS::Partition": "aws",
    "AWS::StackName": "cme-credits",
    "AWS::URLSuffix": "amazonaws.com",
}


def main(argv: list[str]) -> int:
    path, *assignments = argv
    with open(path, encoding="utf-8") as stream:
        template = yaml_parse(stream.read())
    for resource in template.get("Resources", {}).values():
        properties = resource.get("Properties", {})
        if resource.get("Type") == "AWS::Serverless::Function":
            properties["CodeUri"] = PLACEHOLDER_S3
        elif resource.get("Type") == "AWS::Serverless::LayerVersion":
            properties["ContentUri"] = PLACEHOLDER_S3
    parameters = dict(PSEUDO_PARAMETERS)
    for assignment in assignments:
        name, value = assignment.split("=", 1)
        parameters[name] = value
    translated = Translator(managed_policy_map={}, sam_parser=Parser(), plugins=[]).translate(
        sam_template=template,
        parameter_values=parameters,
        get_managed_policy_map=dict,
    )
    json.dump(translated, sys.stdout, indent=1, sort_keys=True, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
