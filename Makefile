# Two commands for a fresh Debian machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: run test check system-deps bench clean

run: system-deps $(VENV)/.installed
	$(BIN)/casevault run

test: check
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The checks that keep the house: lint, formatting, types (docs/architecture.md).
check: system-deps $(VENV)/.installed-test
	$(BIN)/ruff check casevault tests benchmarks
	$(BIN)/ruff format --check casevault tests benchmarks
	$(BIN)/mypy

bench: system-deps $(VENV)/.installed-bench
	$(BIN)/python benchmarks/storage.py
	$(BIN)/python benchmarks/ingest.py
	$(BIN)/python benchmarks/retention.py
	$(BIN)/python benchmarks/load.py

system-deps:
	@scripts/system-deps.sh

$(VENV)/.created:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "casevault needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	@touch $@

$(VENV)/.installed: pyproject.toml $(VENV)/.created
	$(BIN)/pip install --quiet -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.created
	$(BIN)/pip install --quiet -e '.[test]'
	@touch $@ $(VENV)/.installed

$(VENV)/.installed-bench: pyproject.toml $(VENV)/.created
	$(BIN)/pip install --quiet -e '.[test,bench]'
	@touch $@ $(VENV)/.installed $(VENV)/.installed-test

clean:
	rm -rf $(VENV) .pytest_cache
