# The two commands a newcomer needs: `make run` and `make test`.
# Everything else here supports them or the slower, separate suites.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 5000
FLASK  := $(BIN)/flask --app wsgi

export LMS_BASE_URL ?= http://$(HOST):$(PORT)

.PHONY: run test test-e2e test-postgres setup bench bench-load clean help

help:
	@echo "make run    - install, set up the database and content, serve on http://$(HOST):$(PORT)"
	@echo "make test   - run the test suite"
	@echo "make bench  - run the benchmarks in benchmarks/"
	@echo "make bench-load    - gunicorn under wrk, and 250 simultaneous quiz attempts"
	@echo "make test-e2e      - browser tests (Playwright, Chromium, axe-core); screenshots and PDF pages in tests_e2e/artifacts/"
	@echo "make test-postgres - the test suite against a throwaway local PostgreSQL"

# The venv is rebuilt when pyproject.toml changes; the stamp files record
# which set of dependencies was installed.
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed-run

setup: $(VENV)/.installed-run
	$(FLASK) lms setup

run: setup
	$(FLASK) run --host $(HOST) --port $(PORT)

test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Browser tests (headless Debian Chromium via Playwright, axe-core): slow and
# separate from `make test`. setup_browser.sh installs what is missing and
# exits 3 with a message when it cannot.
test-e2e: $(VENV)/.installed-dev
	VENV=$(VENV) sh tests_e2e/setup_browser.sh
	$(BIN)/python -m pytest tests_e2e $(PYTEST_ARGS)

# The whole suite on PostgreSQL: a throwaway local server on loopback
# (installed with apt-get if missing), or LMS_TEST_POSTGRES_URL when given.
test-postgres: $(VENV)/.installed-dev
	bash scripts/test-postgres.sh $(PYTEST_ARGS)

bench: $(VENV)/.installed-dev
	$(BIN)/python benchmarks/run_all.py

# Load against gunicorn on loopback: wrk (installed from Debian if missing)
# and 250 simultaneous quiz attempts.
bench-load: $(VENV)/.installed-dev
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(BIN)/python benchmarks/load_wrk.py
	$(BIN)/python benchmarks/quiz_crowd.py

clean:
	rm -rf $(VENV) instance .pytest_cache
