# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
DATA := data
export GX_ANALYTICS_ENABLED := false

.PHONY: run test lint typecheck bench clean lock vendor screenshots native

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

# The compiled hot path (governance/native.py): the proxy's per-event modules built with mypyc into
# governance/proxy/_native/ when a C compiler is present; without one (or with a source edited since
# the build) the pure-Python modules run. GOVERNANCE_REQUIRE_NATIVE=1 (CI) makes a failed build an error.
NATIVE_MODULES := spec limits violations pii_guard pipeline timestamps rows tally
NATIVE := governance/proxy/_native/manifest.json

native: $(NATIVE)

$(NATIVE): $(NATIVE_MODULES:%=governance/proxy/%.py) governance/native.py constraints.txt | $(STAMP)
	@$(BIN)/python -c 'import mypyc' 2>/dev/null || $(BIN)/pip install -q -c constraints.txt mypy
	$(BIN)/python -m governance.native build

run: $(STAMP) native
	@mkdir -p $(DATA)
	GOVERNANCE_DATABASE_URL=$${GOVERNANCE_DATABASE_URL:-sqlite:///$(DATA)/governance.db} \
	  $(BIN)/governance db upgrade
	GOVERNANCE_DATABASE_URL=$${GOVERNANCE_DATABASE_URL:-sqlite:///$(DATA)/governance.db} \
	  $(BIN)/governance serve --demo --plans-dir plans

test: $(TEST_STAMP) native
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
	rm -rf $(VENV) $(DATA) governance/proxy/_native build/native .pytest_cache .mypy_cache .ruff_cache .import_linter_cache .grimp_cache

vendor:
	bash scripts/vendor.sh

screenshots: $(TEST_STAMP)
	GOVERNANCE_SCREENSHOTS=1 $(BIN)/python -m pytest -q tests/e2e/console
