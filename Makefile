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

run: $(VENV)/.installed-run
	$(BIN)/visitproof init --name "Example Distributor (Hangzhou)"
	$(BIN)/visitproof import reps examples/company/reps.geojson
	$(BIN)/visitproof import customers examples/company/customers.csv
	$(BIN)/visitproof import contacts examples/company/contacts.csv
	$(BIN)/visitproof import leads examples/company/leads.csv
	@echo "--- customers in the store ($(VISITPROOF_DATA_DIR)/visitproof.sqlite3) ---"
	$(BIN)/visitproof export customers | head -n 8

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy visitproof vision geo phi serving simulation

pytest: $(VENV)/.installed-test
	$(BIN)/pytest -q

test: lint typecheck pytest

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache .hypothesis
