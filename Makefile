# Lydian: `make run` opens the dashboard, `make test` runs the whole suite.
# Both create .venv on first use and reinstall only when requirements.txt or pyproject.toml change.

PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PORT   ?= 8501
PYTEST_ARGS ?=

.PHONY: run test api bench browser postgres redis screenshots clean help

help:  ## list the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(STAMP): requirements.txt requirements-lock.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt -c requirements-lock.txt 2>&1 \
		| grep -v "^WARNING: Location" || true
	@$(BIN)/python -c "import torch, talib, streamlit" # fail here if the install did not take
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	@touch $@

run: $(STAMP)  ## install if needed, then serve the dashboard on http://localhost:8501
	$(BIN)/streamlit run app/Home.py --server.port $(PORT)

test: $(STAMP) browser postgres redis  ## install if needed, then run every test
	$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

API_WORKERS ?= 2
api: $(STAMP)  ## install if needed, train the default models once (minutes), then serve the REST API on http://localhost:5003 (API_WORKERS processes sharing a private loopback Redis when redis-server is installed)
	$(BIN)/lydian serve --port 5003 --bootstrap --workers $(API_WORKERS) --redis local

browser:  ## install Debian's chromium for the browser tests when missing (needs root)
	@bash scripts/ensure-chromium

postgres:  ## install Debian's PostgreSQL for the API's database tests when missing (needs root)
	@bash scripts/ensure-postgres

redis:  ## install Debian's redis-server for the shared prediction cache when missing (needs root)
	@bash scripts/ensure-redis

bench: $(STAMP)  ## run the benchmarks (one JSON line each)
	@for b in benchmarks/*.py; do echo "== $$b" >&2; $(BIN)/python $$b | tail -n 1; done

clean:  ## remove the virtual environment and caches
	rm -rf $(VENV) .pytest_cache .lydian

screenshots: $(STAMP) browser  ## refresh the README screenshots in docs/screenshots/
	LYDIAN_SCREENSHOT_DIR=docs/screenshots $(BIN)/python -m pytest tests/test_browser.py -q
