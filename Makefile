# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
DATA := data
export GX_ANALYTICS_ENABLED := false

.PHONY: run test lint typecheck bench clean lock vendor screenshots

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# constraints.txt pins every package CI and `make run` install (refresh it with `make lock`)
$(STAMP): pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/pip install -q -c constraints.txt -e .
	touch $@

$(TEST_STAMP): pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/pip install -q -c constraints.txt -e '.[test]'
	touch $@ $(STAMP)

run: $(STAMP)
	@mkdir -p $(DATA)
	GOVERNANCE_DATABASE_URL=$${GOVERNANCE_DATABASE_URL:-sqlite:///$(DATA)/governance.db} \
	  $(BIN)/governance db upgrade
	GOVERNANCE_DATABASE_URL=$${GOVERNANCE_DATABASE_URL:-sqlite:///$(DATA)/governance.db} \
	  $(BIN)/governance serve --demo --plans-dir plans

test: $(TEST_STAMP)
	$(BIN)/python -m pytest -q

lint: $(TEST_STAMP)
	$(BIN)/ruff check governance tests
	@if grep -rn --include='*.py' '# fmt: skip' governance tests scripts; then \
	  echo 'there is no formatter here: drop the "# fmt: skip" markers above'; exit 1; fi
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: $(STAMP)
	$(BIN)/governance bench registry --json

lock:  # re-resolve every dependency from pyproject.toml, newest allowed, into constraints.txt
	rm -rf .lock-venv
	$(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install -q --upgrade pip
	.lock-venv/bin/pip install -q -e '.[test]'
	.lock-venv/bin/pip freeze --exclude-editable | grep -v '^governance' > constraints.txt
	rm -rf .lock-venv

clean:
	rm -rf $(VENV) $(DATA) .pytest_cache .mypy_cache .ruff_cache .import_linter_cache .grimp_cache

vendor:
	bash scripts/vendor.sh

screenshots: $(TEST_STAMP)
	GOVERNANCE_SCREENSHOTS=1 $(BIN)/python -m pytest -q tests/e2e/console
