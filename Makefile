# cme-credits: every command works on a fresh machine; each sets up what it needs.

SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 3000

# Python 3.13 (the Lambda runtime we target): on PATH, else a pyenv-installed one.
PY313_CANDIDATES := python3.13 $(wildcard $(HOME)/.pyenv/versions/3.13*/bin/python3.13) \
	$(wildcard /root/.pyenv/versions/3.13*/bin/python3.13) /usr/local/bin/python3.13 /usr/bin/python3.13
PYTHON313 := $(shell for p in $(PY313_CANDIDATES); do \
	if "$$p" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))' 2>/dev/null; then \
	"$$p" -c 'import sys; print(sys.executable)'; break; fi; done)

include mk/infra.mk

.PHONY: help
help:
	@echo "make demo    set up, run the local stack, replay ESHG 2025, certificates into out/"
	@echo "make test    set up and run every check (lint, unit, integration, e2e)"
	@echo "make serve   the local API on http://127.0.0.1:$(PORT)"
	@echo "make lint    ruff, format check, mypy"
	@echo "make bench   benchmarks, printed as a table"
	@echo "make deploy  sam build + sam deploy --guided (organisers)"

$(STAMP): pyproject.toml layers/common/requirements.txt
	@if [ -z "$(PYTHON313)" ]; then \
		echo "error: Python 3.13 is needed (the Lambda runtime cme-credits targets)."; \
		echo "       Looked for: python3.13 on PATH, ~/.pyenv/versions/3.13*/bin/python3.13,"; \
		echo "       /usr/local/bin and /usr/bin. Install it (e.g. 'pyenv install 3.13')."; \
		exit 1; fi
	@if [ ! -x $(BIN)/python ] || ! $(BIN)/python -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))'; then \
		rm -rf $(VENV) && "$(PYTHON313)" -m venv $(VENV); fi
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,cli]'
	@touch $(STAMP)

.PHONY: venv
venv: $(STAMP)

.PHONY: lint
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

.PHONY: browser
browser:
	@.ci/ensure-chromium

.PHONY: test
test: lint infra-tools browser
	$(BIN)/python -m pytest -n 2 --dist loadfile

.PHONY: bench
bench: $(STAMP)
	$(BIN)/python -m bench

.PHONY: demo
demo: $(STAMP)
	$(BIN)/python -m cme.local.demo

.PHONY: serve
serve: $(STAMP)
	$(BIN)/cme serve --port $(PORT)

.PHONY: fuzz
fuzz: $(STAMP)
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-20000} $(BIN)/python -m pytest tests/e2e/test_fuzz.py \
		-p no:cacheprovider -o log_cli=true --log-cli-level=INFO

.PHONY: openapi
openapi: $(STAMP)
	$(BIN)/python -m cme.openapi --write

# After a font package changes: the coverage tables the name check reads.
.PHONY: font-coverage
font-coverage: $(STAMP)
	$(BIN)/python -m cme.certificate.coverage_table --write

.PHONY: clean
clean:
	rm -rf $(VENV) out .aws-sam .pytest_cache .mypy_cache .ruff_cache .hypothesis
