# The README names two targets: `make run` and `make test`. Everything else serves them.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 5000

.PHONY: run test setup setup-test catalogs messages chromium postgres lint bench clean

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

$(VENV)/.base: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.test: $(VENV)/.base pyproject.toml
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

setup: $(VENV)/.base catalogs
setup-test: $(VENV)/.test catalogs

catalogs: $(VENV)/.base
	$(BIN)/pybabel compile --statistics -d pgd/translations

# Browser tests drive Debian's chromium (never `playwright install`: it downloads).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for the browser tests"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

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

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
