# The project's commands. `make run` and `make test` are the two a new user needs.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
STAMP := $(VENV)/.installed-stamp

export PATH := $(BIN):$(PATH)
export DAGSTER_HOME := $(CURDIR)
export VSM_DAGSTER_STORAGE ?= $(CURDIR)/.dagster
export VSM_DAGSTER_COMPUTE_LOGS ?= $(CURDIR)/.dagster/compute_logs
export VSM_WAREHOUSE ?= $(CURDIR)/warehouse/vsm.duckdb
export DAGSTER_TELEMETRY_DISABLED := 1
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export DO_NOT_TRACK := 1
export RUNTIME__DLTHUB_TELEMETRY := false

.PHONY: install run test lint fmt ui docs bench clean browser

# The flow report's test opens the report in a real headless browser: Debian's chromium.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --constraint constraints.txt --editable '.[dev]'
	cd dbt_project && $(BIN)/dbt parse --profiles-dir . --quiet
	@touch $@

install: $(STAMP)

## make run: serve the demo tracker on 127.0.0.1, refresh the warehouse from it, print the metrics.
run: $(STAMP)
	$(BIN)/vsm refresh
	$(BIN)/vsm summary
	@echo ""
	@echo "Warehouse: $(VSM_WAREHOUSE) (BI tools: open it read-only; schema marts)"
	@echo "Flow report: $(dir $(VSM_WAREHOUSE))flow-report.html"
	@echo "UI: make ui, then http://127.0.0.1:3000"

## make test: lint, then every test.
test: $(STAMP) lint browser
	$(BIN)/pytest

browser:
	@command -v chromium >/dev/null || { echo "installing Debian's chromium for the report test"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; }

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	VSM_WAREHOUSE=:memory: $(BIN)/sqlfluff lint dbt_project/models dbt_project/tests --processes 2

fmt: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .
	VSM_WAREHOUSE=:memory: $(BIN)/sqlfluff fix dbt_project/models dbt_project/tests --processes 2

## make ui: the Dagster UI and daemon on 127.0.0.1 over the same definitions.
ui: $(STAMP)
	@mkdir -p $(VSM_DAGSTER_STORAGE)
	$(BIN)/dagster dev -m orchestration.definitions -h 127.0.0.1 -p 3000

## make docs: build the dbt docs from a copy of the published warehouse (BI readers are never blocked) and
## serve them on 127.0.0.1.
DOCS_DIR := $(dir $(VSM_WAREHOUSE)).docs
docs: $(STAMP)
	@test -f "$(VSM_WAREHOUSE)" || { echo "no warehouse at $(VSM_WAREHOUSE): run make run first"; exit 1; }
	@mkdir -p "$(DOCS_DIR)" && cp "$(VSM_WAREHOUSE)" "$(DOCS_DIR)/vsm.duckdb"
	cd dbt_project && VSM_WAREHOUSE="$(DOCS_DIR)/vsm.duckdb" $(BIN)/dbt docs generate --profiles-dir . \
		--target-path "$(DOCS_DIR)/target" --quiet
	cd dbt_project && $(BIN)/dbt docs serve --profiles-dir . --target-path "$(DOCS_DIR)/target" \
		--host 127.0.0.1 --port 8080 --no-browser

## make bench: the benchmarks under bench/ (not part of make test); writes bench/RESULTS.md.
bench: $(STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf warehouse .dagster dbt_project/target dbt_project/logs bench/work
