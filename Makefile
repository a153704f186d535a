# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
DATA := data
export GX_ANALYTICS_ENABLED := false

.PHONY: run test lint typecheck bench clean vendor screenshots

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	touch $@ $(STAMP)

run: $(STAMP)
	@mkdir -p $(DATA)
	GOVERNANCE_DATABASE_URL=$${GOVERNANCE_DATABASE_URL:-sqlite:///$(DATA)/governance.db} \
	  $(BIN)/governance serve --demo --plans-dir plans

test: $(TEST_STAMP)
	$(BIN)/python -m pytest -q

lint: $(TEST_STAMP)
	$(BIN)/ruff check governance tests
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/governance bench registry --json

clean:
	rm -rf $(VENV) $(DATA) .pytest_cache .mypy_cache .ruff_cache

vendor:
	bash scripts/vendor.sh

screenshots: $(TEST_STAMP)
	GOVERNANCE_SCREENSHOTS=1 $(BIN)/python -m pytest -q tests/e2e/console
