# Infrastructure tools and commands, included by the Makefile.
#
# The SAM CLI and checkov each get a venv of their own under .venv/tools/: their
# dependency pins fight the project's (and each other's). tests/infra finds them there.
# `sam build` runs pip with the python3.13 it finds on PATH and cross-installs arm64
# wheels for the layer, so the recipes put the Makefile's Python 3.13 first.

VENV ?= .venv
INFRA_TOOLS := $(VENV)/tools
SAM_CLI_VERSION := 1.170.0
CHECKOV_VERSION := 3.3.30
SAM := $(INFRA_TOOLS)/sam/bin/sam
CHECKOV := $(INFRA_TOOLS)/checkov/bin/checkov
SAM_STAMP := $(INFRA_TOOLS)/sam/.installed-$(SAM_CLI_VERSION)
CHECKOV_STAMP := $(INFRA_TOOLS)/checkov/.installed-$(CHECKOV_VERSION)
INFRA_TEMPLATE := infra/template.yaml

# No SAM telemetry unless the caller sets SAM_CLI_TELEMETRY=1.
SAM_ENV = SAM_CLI_TELEMETRY=$${SAM_CLI_TELEMETRY:-0} PATH="$(dir $(PYTHON313)):$$PATH"

define need-python313
	@if [ -z "$(PYTHON313)" ]; then \
		echo "error: Python 3.13 is needed (sam build installs the layer with it)."; \
		echo "       Install it (e.g. 'pyenv install 3.13') and run make again."; \
		exit 1; fi
endef

# $(1): tool venv name, $(2): requirement. uv (from the project's venv) builds both.
define tool-venv
	$(need-python313)
	rm -rf $(INFRA_TOOLS)/$(1)
	$(UV) venv --quiet --python "$(PYTHON313)" $(INFRA_TOOLS)/$(1)
	$(UV) pip install --quiet --python $(INFRA_TOOLS)/$(1)/bin/python '$(2)'
endef

$(SAM_STAMP): | $(STAMP)
	$(call tool-venv,sam,aws-sam-cli==$(SAM_CLI_VERSION))
	@touch $@

$(CHECKOV_STAMP): | $(STAMP)
	$(call tool-venv,checkov,checkov==$(CHECKOV_VERSION))
	@touch $@

.PHONY: infra-tools
infra-tools: $(SAM_STAMP) $(CHECKOV_STAMP) ## the SAM CLI and checkov, each in a venv of its own under .venv/tools

.PHONY: sam-build
sam-build: $(SAM_STAMP) ## sam build of infra/template.yaml into .aws-sam/
	$(need-python313)
	$(SAM_ENV) $(SAM) build --template-file $(INFRA_TEMPLATE) --parallel

.PHONY: deploy
deploy: sam-build ## sam build + sam deploy --guided (organisers)
	$(SAM_ENV) $(SAM) deploy --guided
