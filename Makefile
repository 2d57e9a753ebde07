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
help: ## this list
	@grep -hE '^[a-z][a-z-]*:.*## ' $(MAKEFILE_LIST) | sort \
		| awk 'BEGIN {FS = ":.*## "}; {printf "make %-12s %s\n", $$1, $$2}'

LOCK := requirements/dev.txt
LAYER_LOCK := layers/common/requirements.txt
# pip installs uv alone (hash-checked), uv installs the rest: the same locked wheels, in a
# fraction of pip's time (CI builds every venv from nothing).
UV_LOCK := requirements/uv.txt
UV := UV_PYTHON_DOWNLOADS=never $(BIN)/uv

$(STAMP): pyproject.toml $(LOCK) $(UV_LOCK)
	@if [ -z "$(PYTHON313)" ]; then \
		echo "error: Python 3.13 is needed (the Lambda runtime cme-credits targets)."; \
		echo "       Looked for: python3.13 on PATH, ~/.pyenv/versions/3.13*/bin/python3.13,"; \
		echo "       /usr/local/bin and /usr/bin. Install it (e.g. 'pyenv install 3.13')."; \
		exit 1; fi
	@if [ ! -x $(BIN)/python ] || ! $(BIN)/python -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))'; then \
		rm -rf $(VENV) && "$(PYTHON313)" -m venv $(VENV); fi
	$(BIN)/python -m pip install --quiet --require-hashes -r $(UV_LOCK)
	$(UV) pip install --quiet --python $(BIN)/python --require-hashes -r $(LOCK)
	$(UV) pip install --quiet --python $(BIN)/python --no-deps -e .
	@touch $(STAMP)

.PHONY: venv
venv: $(STAMP) ## .venv with every dependency, exactly as locked

# Both locks come from pyproject.toml's pins: the development environment (every platform)
# and the layer (what `sam build` installs for arm64), the layer's versions held to the
# development lock's so that tests run what ships.
UV_COMPILE := $(UV) pip compile --quiet --generate-hashes --python-version 3.13

.PHONY: lock
lock: $(STAMP) ## re-resolve the lock files after changing a pin in pyproject.toml
	$(UV_COMPILE) pyproject.toml --universal --extra dev -o $(LOCK)
	$(UV_COMPILE) pyproject.toml --python-platform aarch64-manylinux_2_28 --extra service \
		-c $(LOCK) -o $(LAYER_LOCK)
	grep -o '"uv==[^"]*"' pyproject.toml | tr -d '"' \
		| $(UV_COMPILE) - --universal -c $(LOCK) -o $(UV_LOCK)

# mypy: strict on the layer and the tools, strict on each function (one run per function:
# each is a module named `app`), and at mypy's defaults on the tests and the bench.
# Four parts that need nothing of each other, so that `make -j` runs them side by side;
# the tests' run has a cache of its own (its options differ, so it could not share the
# strict runs' cache, and two mypy runs must not write one cache at once).
.PHONY: lint lint-ruff lint-mypy lint-mypy-tests lint-cfn
lint: lint-ruff lint-mypy lint-mypy-tests lint-cfn ## ruff (lint + format check), mypy, cfn-lint on the template

lint-ruff: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

lint-mypy: $(STAMP)
	$(BIN)/mypy
	@for f in functions/*/app.py; do echo "mypy --strict $$f"; \
		$(BIN)/mypy --strict $$f || exit 1; done

lint-mypy-tests: $(STAMP)
	$(BIN)/mypy --config-file mk/mypy-tests.ini --cache-dir .mypy_cache/tests tests bench

lint-cfn: $(STAMP)
	$(BIN)/cfn-lint $(INFRA_TEMPLATE)

.PHONY: browser
browser: ## headless Chromium for the browser tests (Debian's package, when missing)
	@.ci/ensure-chromium

# The checks before the tests run side by side: lint is CPU (its parts on the two cores),
# the tool venvs are downloads. cfn-lint is left to the suite, which runs the same command
# on the same template (tests/infra/test_tools.py): once is enough.
# Bytecode is cached (in .venv and __pycache__/, both ignored by git) even when the caller
# sets PYTHONDONTWRITEBYTECODE: the suite starts some thirty Python processes (cme serve
# and its workers, the CLI, sam, cfn-lint) that import the same modules, and without the
# cache each compiles them all again from source.
NO_BYTECODE_OPT_OUT := env -u PYTHONDONTWRITEBYTECODE

.PHONY: test
test: $(STAMP) ## set up and run every check: lint, unit, integration, e2e, template
	$(NO_BYTECODE_OPT_OUT) $(MAKE) --no-print-directory -j6 --output-sync=target \
		lint-ruff lint-mypy lint-mypy-tests infra-tools browser
	$(NO_BYTECODE_OPT_OUT) $(BIN)/python -m pytest -n 2 --dist loadfile --no-loadscope-reorder

.PHONY: bench
bench: $(STAMP) ## the benchmarks, printed as a table
	$(BIN)/python -m bench

.PHONY: demo
demo: $(STAMP) ## set up, run the local stack, replay ESHG 2025 and ACPM 2025, certificates into out/
	$(BIN)/python -m cme_tools.local.demo

.PHONY: serve
serve: $(STAMP) ## the local API on http://127.0.0.1:$$PORT (3000), embedded moto
	$(BIN)/cme serve --port $(PORT)

.PHONY: fuzz
fuzz: $(STAMP) ## schemathesis against cme serve, 20,000 generated requests
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-20000} $(BIN)/python -m pytest tests/e2e/test_fuzz.py \
		-p no:cacheprovider -o log_cli=true --log-cli-level=INFO

.PHONY: openapi
openapi: $(STAMP) ## regenerate the OpenAPI document the API serves
	$(BIN)/python -m cme_tools.openapi --write

# After a font package changes: the coverage tables the name check reads.
.PHONY: font-coverage
font-coverage: $(STAMP) ## regenerate the fonts' coverage tables after a font package changes
	$(BIN)/python -m cme_tools.font_coverage --write

.PHONY: clean
clean: ## remove .venv, out/ and every cache
	rm -rf $(VENV) out .aws-sam .pytest_cache .mypy_cache .ruff_cache .hypothesis
