"""The one Logger and Metrics of every function (structured JSON logs with ids; never
emails or evaluation answers). Tracing comes from Lambda's active tracing: the X-Ray SDK
costs more cold-start time than boto3 itself, so it is not imported."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics

logger = Logger(service="cme-credits")
metrics = Metrics(namespace="CmeCredits", service="cme-credits")
