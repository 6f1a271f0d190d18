# 网格通 (Grid Link) backend. `make run` and `make test` are all a newcomer needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000

.PHONY: install run test test-shifted smoke services services-stop bench clean static

install: $(VENV)/.installed static

# The console's browser libraries (Leaflet), pinned in package-lock.json, copied into
# console/static/console/vendor/ (git-ignored) by scripts/build_static.sh.
VENDOR_STAMP := console/static/console/vendor/leaflet/leaflet.js
static: $(VENDOR_STAMP)

$(VENDOR_STAMP): package.json package-lock.json scripts/build_static.sh
	scripts/build_static.sh

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c constraints.txt -e ".[test]"
	touch $@

run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

test: install
	ERROR_CODES_COMPLETE=1 $(BIN)/python -m pytest

# The suite 400 days ahead of today (libfaketime: `apt-get install faketime`) and in a
# random order whose seed it prints, so that no test depends on the day it was written or
# on another test's leftovers. Tests marked real_clock need the machine's real timers
# (libfaketime hangs timed waits) and sit this pass out, as do the browser tests (a
# Chromium under libfaketime, against a live server: the same timed waits). Re-run an order with
# `make test-shifted ORDER=--random-order-seed=N`.
SHIFT ?= +400d
ORDER ?= --random-order-bucket=global
test-shifted: install
	@command -v faketime >/dev/null || { echo "needs faketime: apt-get install faketime"; exit 1; }
	faketime -f $(SHIFT) $(BIN)/python -m pytest -m "not e2e and not real_clock and not browser and not fuzz" --timeout 300 $(ORDER)

# The production shape for real: gunicorn, Celery worker and beat, PostgreSQL, Redis,
# S3 and the WeChat stub (needs `eval "$$(scripts/services.sh start)"` first).
smoke: install
	$(BIN)/python -m pytest tests/e2e -m e2e

services:
	@scripts/services.sh start

services-stop:
	@scripts/services.sh stop

# Every benchmarks/*.py (not _helpers), each on its own throwaway database; set
# DATABASE_URL=postgres://... to measure on PostgreSQL. load.py needs the services
# (eval "$$(scripts/services.sh start)") and says so otherwise. See docs/performance.md.
bench: install $(VENV)/.installed-bench
	@for script in benchmarks/[!_]*.py; do \
		echo "== $$script"; $(BIN)/python $$script || exit 1; \
	done

# The load generator (locust), psutil and py-spy: only the benchmarks need them.
$(VENV)/.installed-bench: $(VENV)/.installed
	$(BIN)/pip install -q -c constraints.txt -e ".[test,bench]"
	touch $@

clean:
	rm -rf $(VENV) node_modules console/static/console/vendor tests/artifacts db.sqlite3* test_db.*sqlite3* media .pytest_cache .services
