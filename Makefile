# The README names two targets: `make run` and `make test`. Everything else serves them.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 5000

.PHONY: run test setup setup-test catalogs messages chromium postgres lint bench clean constraints

## make run: set up (venv, dependencies, catalogues, keys, migrations) and serve on :5000
run: setup
	$(BIN)/flask --app pgd db-upgrade
	@echo "PGD is running at http://$(HOST):$(PORT)/  (Ctrl+C stops it)"
	$(BIN)/gunicorn --workers 1 --threads 8 --bind $(HOST):$(PORT) --access-logfile - 'pgd:create_app()'

## make test: set up everything the tests need, then lint, type-check and run every test
test: setup-test chromium postgres
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python -m pytest

# constraints.txt pins every Python package (runtime and test, pip too) to the versions the
# suite last passed with, so a new release cannot turn CI red overnight. To move to newer
# releases (within pyproject.toml's ranges): `make constraints`, then `make test`, and
# commit constraints.txt with whatever the new versions needed.
PIN := -c constraints.txt

$(VENV)/.base: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet $(PIN) --upgrade pip
	$(BIN)/pip install --quiet $(PIN) -e .
	touch $@

$(VENV)/.test: $(VENV)/.base pyproject.toml constraints.txt
	$(BIN)/pip install --quiet $(PIN) -e '.[test,redis]'
	touch $@

# axe-core for the accessibility test, at the exact version tests/browser/package-lock.json
# names (npm ci installs nothing else). Without npm the test skips, except under CI=true.
AXE := tests/browser/node_modules/.installed
$(AXE): tests/browser/package.json tests/browser/package-lock.json
	@command -v npm >/dev/null 2>&1 || { \
	  echo "Installing Debian's npm for the accessibility test"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq npm >/dev/null || true; }
	@if command -v npm >/dev/null 2>&1; then \
	  npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error && touch $@; \
	else echo "npm is missing: the accessibility test will not run (apt-get install npm)"; fi

setup: $(VENV)/.base catalogs
setup-test: $(VENV)/.test catalogs $(AXE)

## make constraints: re-pin constraints.txt to the newest releases pyproject.toml allows
constraints:
	rm -rf .venv-pin
	$(PYTHON) -m venv .venv-pin
	.venv-pin/bin/pip install --quiet --upgrade pip
	.venv-pin/bin/pip install --quiet -e '.[test,redis]'
	{ echo "# Exact versions for .venv (runtime and test); refresh with make constraints."; \
	  .venv-pin/bin/pip freeze --all --exclude-editable | grep -v -E '^(setuptools|wheel)=='; \
	} > constraints.txt
	rm -rf .venv-pin

catalogs: $(VENV)/.base
	$(BIN)/pybabel compile --statistics -d pgd/translations

# Browser tests drive Debian's chromium (never `playwright install`: it downloads); the
# report tests render the PDF with poppler-utils' pdftoppm. Both from Debian's packages.
chromium:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v pdftoppm >/dev/null 2>&1 || missing="$$missing poppler-utils"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian's$$missing for the tests"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

# The suite also runs on PostgreSQL; start the local cluster if it is installed but down.
postgres:
	@if command -v pg_isready >/dev/null 2>&1 && ! pg_isready -q -h 127.0.0.1; then \
	  command -v pg_ctlcluster >/dev/null 2>&1 && \
	  pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start || true; \
	fi

## make messages: after changing user-facing text, refresh the catalogues, then translate nl
messages: $(VENV)/.base
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o pgd/translations/messages.pot .
	$(BIN)/pybabel update -i pgd/translations/messages.pot -d pgd/translations --no-fuzzy-matching --ignore-obsolete

lint: setup-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: setup-test
	$(BIN)/python benchmarks/crypto_bench.py
	$(BIN)/python benchmarks/login_bench.py
	$(BIN)/python benchmarks/chart_json_bench.py
	$(BIN)/python benchmarks/pages_bench.py
	$(BIN)/python benchmarks/csv_import_bench.py
	$(BIN)/python benchmarks/api_bench.py
	$(BIN)/python benchmarks/sharing_bench.py
	$(BIN)/python benchmarks/goals_bench.py
	$(BIN)/python benchmarks/transfer_bench.py
	$(BIN)/python benchmarks/fhir_bench.py
	$(BIN)/python benchmarks/report_bench.py
	$(BIN)/python benchmarks/load_bench.py
	$(BIN)/python benchmarks/cold_bench.py

# The partial plotly.js (scatter, bar, pie) the chart pages load, at the plotly.js version
# the installed python plotly ships (override: make vendor-plotly PLOTLY_JS=4.1.1).
# Needs npm only here: the app serves the committed file (static/vendor/README.md).
.PHONY: vendor-plotly
vendor-plotly: $(VENV)/.base
	@set -e; \
	version="$${PLOTLY_JS:-$$($(BIN)/python -c 'import plotly.offline as o; print(o.get_plotlyjs_version())')}"; \
	tmp="$$(mktemp -d)"; trap 'rm -rf "$$tmp"' EXIT; \
	(cd "$$tmp" && npm pack --silent "plotly.js-basic-dist-min@$$version" >/dev/null \
	  && tar -xzf plotly.js-basic-dist-min-*.tgz); \
	cp "$$tmp/package/plotly-basic.min.js" static/vendor/plotly-basic.min.js; \
	cp "$$tmp/package/LICENSE" static/vendor/plotly-basic.LICENSE; \
	echo "static/vendor/plotly-basic.min.js is now plotly.js-basic-dist-min $$version:" \
	  "update the version in static/vendor/README.md"

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache tests/browser/node_modules
