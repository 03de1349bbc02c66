# Two commands for a fresh Debian machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: run test check system-deps test-system-deps bench assets clean

STATIC := casevault/web/static

run: system-deps $(VENV)/.installed $(STATIC)/.built
	$(BIN)/casevault run

test: check $(STATIC)/.built
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The checks that keep the house: lint, formatting, types (docs/architecture.md).
check: test-system-deps $(VENV)/.installed-test
	$(BIN)/ruff check casevault tests benchmarks
	$(BIN)/ruff format --check casevault tests benchmarks
	$(BIN)/mypy

bench: test-system-deps $(VENV)/.installed-bench
	$(BIN)/python benchmarks/storage.py
	$(BIN)/python benchmarks/ingest.py
	$(BIN)/python benchmarks/retention.py
	$(BIN)/python benchmarks/load.py

system-deps:
	@scripts/system-deps.sh

test-system-deps:
	@scripts/system-deps.sh test

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

# The web pages' assets, from the pinned npm packages (package-lock.json): govuk-frontend's
# styles compiled without the GOV.UK typeface, its script, and ours; served at /assets/.
# npm runs again only when the lock file changes, so later builds need no network.
assets: system-deps $(STATIC)/.built

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts
	@touch $@

$(STATIC)/.built: node_modules/.installed $(wildcard casevault/web/assets/*)
	rm -rf $(STATIC) && mkdir -p $(STATIC)
	node_modules/.bin/sass --pkg-importer=node --style=compressed --no-source-map --quiet-deps \
		casevault/web/assets/casevault.scss $(STATIC)/casevault.css
	cp node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js casevault/web/assets/*.js $(STATIC)/
	@touch $@

clean:
	rm -rf $(VENV) .pytest_cache node_modules $(STATIC)
