# Two commands on a fresh machine:
#   make run    install the service, run the demo job, then serve the API on a local Ray
#   make test   install the dev and train extras, run ruff, the layer contracts, mypy and the
#               whole test suite
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export VISITPROOF_DATA_DIR ?= ./var
export YOLO_OFFLINE := 1

.PHONY: run demo test lint layers typecheck pytest test-tools clean verify-reliability

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[dev,train]'
	touch $@ $(VENV)/.installed-run

# The whole system on the embedded default (SQLite + ./var + a local Ray): `demo` imports
# the bundled example distributor into tenant "default" and simulates, verifies, scores and
# maps a 40-rep company (tenant "demo"), with shelf photos for its last 7 days, whose last day
# the shelf detector judges again (so drill-downs show annotated photos); `run` then prints
# demo tokens and URLs and serves the API and manager pages on Ray Serve until Ctrl-C.
# Re-running keeps the store and skips the simulation (and reverify resumes: nothing to do).
DEMO := VISITPROOF_TENANT=demo
HOST ?= 127.0.0.1
PORT ?= 8000
run: demo
	$(DEMO) $(BIN)/visitproof demo photo $(VISITPROOF_DATA_DIR)/demo/shelf.jpg --feature 2
	$(DEMO) $(BIN)/visitproof demo banner --host $(HOST) --port $(PORT)
	$(DEMO) exec $(BIN)/visitproof serve --host $(HOST) --port $(PORT)

demo: $(VENV)/.installed-run
	$(BIN)/visitproof init --name "Example Distributor (Hangzhou)"
	$(BIN)/visitproof import reps examples/company/reps.geojson
	$(BIN)/visitproof import customers examples/company/customers.csv
	$(BIN)/visitproof import contacts examples/company/contacts.csv
	$(BIN)/visitproof import leads examples/company/leads.csv
	$(BIN)/visitproof import teams examples/company/teams.csv
	$(BIN)/visitproof import orders examples/company/orders.csv
	$(BIN)/visitproof import stock examples/company/stock.csv
	$(BIN)/visitproof import promotions examples/company/promotions.csv
	$(DEMO) $(BIN)/visitproof init --name "Simulated distributor (demo)"
	test -e $(VISITPROOF_DATA_DIR)/simulation/meta.json || $(DEMO) $(BIN)/visitproof simulate \
		--reps 40 --customers 800 --days 30 --seed 7 --fraud-rate 0.05
	$(DEMO) $(BIN)/visitproof eval fraud
	$(DEMO) $(BIN)/visitproof reverify --since 2026-11-03 --until 2026-11-03 --workers 2
	$(DEMO) $(BIN)/visitproof archive backfill
	$(DEMO) $(BIN)/visitproof phi --period 2026-10 --format html --out $(VISITPROOF_DATA_DIR)/phi-2026-10.html
	$(DEMO) $(BIN)/visitproof phi --period 2026-10 --format csv | cut -d, -f1-6 | head -n 6
	$(DEMO) $(BIN)/visitproof overlap --from 2026-10-05 --to 2026-11-03 --top 3 \
		--out $(VISITPROOF_DATA_DIR)/overlap.html
	@echo "written: $(VISITPROOF_DATA_DIR)/phi-2026-10.html and $(VISITPROOF_DATA_DIR)/overlap.html"

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy visitproof vision geo phi application simulation serving cli

pytest: $(VENV)/.installed-test test-tools
	$(BIN)/pytest -q

# Debian packages the tests use, installed where missing (as root, or through sudo):
# Chromium and its driver for the browser tests, espeak-ng for the visit notes' speech round
# trip. Where neither works, the tests that need them say so and skip.
test-tools:
	@missing=""; \
	{ command -v chromium && command -v chromedriver; } >/dev/null || \
		missing=" chromium chromium-driver fonts-dejavu-core"; \
	command -v espeak-ng >/dev/null || missing="$$missing espeak-ng"; \
	if [ -n "$$missing" ]; then \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		echo "installing Debian's$$missing for the browser and speech tests"; \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null || \
		echo "could not install$$missing: the tests that need them will skip"; \
	fi

# The import contracts in .importlinter: edges -> application -> domain -> kernel, no cycles.
layers: $(VENV)/.installed-test
	$(BIN)/lint-imports --no-logo --no-cache

test: lint layers typecheck pytest

# Reliability proofs against a real server process on loopback (issue 9; the figures go to
# benchmarks/RESULTS.md): schemathesis over every OpenAPI operation, SIGKILLs during 500
# uploads, and a soak at twice the expected peak. CI: make verify-reliability SOAK_MINUTES=1
FUZZ_CASES ?= 1200
SOAK_MINUTES ?= 10
verify-reliability: $(VENV)/.installed-test
	$(BIN)/python -m benchmarks.reliability.fuzz_api --cases $(FUZZ_CASES)
	$(BIN)/python -m benchmarks.reliability.crash_durability --uploads 500 --kills 10
	$(BIN)/python -m benchmarks.reliability.soak --minutes $(SOAK_MINUTES)

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache .hypothesis
