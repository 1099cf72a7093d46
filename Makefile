# Two commands on a fresh machine:
#   make run    install the service, initialise the embedded store, run the demo job
#   make test   install the dev and train extras, run ruff, mypy and the whole test suite
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export VISITPROOF_DATA_DIR ?= ./var
export YOLO_OFFLINE := 1

.PHONY: run test lint typecheck pytest clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[dev,train]'
	touch $@ $(VENV)/.installed-run

# The main job on the embedded default (SQLite + ./var): the bundled example distributor is
# imported into tenant "default"; a simulated 40-rep company (tenant "demo") is verified,
# scored and mapped. Re-running keeps the store and skips the simulation.
DEMO := VISITPROOF_TENANT=demo
run: $(VENV)/.installed-run
	$(BIN)/visitproof init --name "Example Distributor (Hangzhou)"
	$(BIN)/visitproof import reps examples/company/reps.geojson
	$(BIN)/visitproof import customers examples/company/customers.csv
	$(BIN)/visitproof import contacts examples/company/contacts.csv
	$(BIN)/visitproof import leads examples/company/leads.csv
	$(DEMO) $(BIN)/visitproof init --name "Simulated distributor (demo)"
	test -e $(VISITPROOF_DATA_DIR)/simulation/meta.json || $(DEMO) $(BIN)/visitproof simulate \
		--reps 40 --customers 800 --days 30 --seed 7 --fraud-rate 0.05
	$(DEMO) $(BIN)/visitproof eval fraud
	$(DEMO) $(BIN)/visitproof phi --period 2026-10 --format html --out $(VISITPROOF_DATA_DIR)/phi-2026-10.html
	$(DEMO) $(BIN)/visitproof phi --period 2026-10 --format csv | cut -d, -f1-6 | head -n 6
	$(DEMO) $(BIN)/visitproof overlap --from 2026-10-05 --to 2026-11-03 --top 3 \
		--out $(VISITPROOF_DATA_DIR)/overlap.html
	@echo "open $(VISITPROOF_DATA_DIR)/phi-2026-10.html and $(VISITPROOF_DATA_DIR)/overlap.html in a browser"

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy visitproof vision geo phi serving simulation

pytest: $(VENV)/.installed-test
	$(BIN)/pytest -q

test: lint typecheck pytest

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache .hypothesis
