# Two commands set everything up: `make run` and `make test`. See README.md.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint format check bench install demo clean topology loadtest

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	DEBUG=1 $(PY) manage.py migrate --no-input
	DEBUG=1 LANXIAN_DEVTOOLS=1 $(PY) manage.py seed_demo --if-empty
	@echo ""
	@echo "  岚县党员积分管理 (demo)  →  http://$(HOST):$(PORT)/"
	@echo "  Demo logins (demo only, password lanxian2026):"
	@echo "    city       吕梁市委组织部（各县对比，只读）"
	@echo "    county     县委组织部管理员"
	@echo "    township   东村镇组织委员"
	@echo "    secretary  东阳涧村党支部书记"
	@echo "    member PIN 246810 (demo only): 东阳涧村's first post holder (seed_demo names them);"
	@echo "               open the card link on that member's page, then 本人申报"
	@echo ""
	DEBUG=1 $(PY) manage.py runserver $(HOST):$(PORT)

# Both cores by default (pytest-xdist); PYTEST_ARGS= runs serially.
PYTEST_ARGS ?= -n auto
test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache
	SECRET_KEY=lint-only LEDGER_HMAC_KEY=lint-only-ledger $(PY) manage.py makemigrations --check --dry-run

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

check: lint test

# County scale on SQLite and PostgreSQL (about 10 minutes); `make bench BENCH_ARGS="--scale all"`
# adds the province (100 counties on PostgreSQL: about an hour). Writes docs/benchmarks.md.
# LANXIAN_DEVTOOLS=1 installs the demo and devtools apps although DEBUG is off.
BENCH_ARGS ?=
bench: $(STAMP)
	DEBUG=0 LANXIAN_DEVTOOLS=1 SECRET_KEY=bench-only LEDGER_HMAC_KEY=bench-only-ledger \
		$(PY) manage.py bench $(BENCH_ARGS)

# Two gunicorn servers behind nginx (installed with apt if missing) against a fresh PostgreSQL
# database and Redis on loopback: a login, a photo and a month's entries cross servers (< 3 min).
topology: $(STAMP)
	$(PY) -m devtools.topology

# The month-end rush with Locust on 127.0.0.1 (devtools/loadtest.py): the code before the scale
# work on one server, this code on one and on two servers behind nginx; 20 users, 60 s each by
# default. Writes docs/benchmarks.md. LOADTEST_ARGS="--configs one --seconds 15 --no-write" tries.
LOADTEST_ARGS ?=
loadtest: $(STAMP)
	$(PY) -m devtools.loadtest $(LOADTEST_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis staticfiles
