# One entry point for every task; `make help` lists them. CI runs `make test` (see .ci/run).
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
SERVER_STAMP := $(VENV)/.server-installed
DEV_STAMP := $(VENV)/.dev-installed
PYTEST_ARGS ?=

.DEFAULT_GOAL := help

.PHONY: help
help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(SERVER_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[server]'
	touch $@

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(SERVER_STAMP)

.PHONY: install
install: $(SERVER_STAMP) ## Create the virtualenv and install the server

.PHONY: run
run: $(SERVER_STAMP) ## Seed the embedded store with the 2025 demo (first run only) and serve the API on 127.0.0.1:8000
	$(BIN)/ledger demo
	$(BIN)/ledger serve

.PHONY: postgres
postgres: ## Make sure the local PostgreSQL is running (where one is installed)
	@bash scripts/ensure-postgres

.PHONY: lint
lint: $(DEV_STAMP) ## Ruff (lint and format check) and mypy --strict on src/ and bench/
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/mypy bench

.PHONY: test
test: $(DEV_STAMP) postgres lint ## Lint, then the whole suite on memory, SQLite and PostgreSQL
	$(BIN)/pytest $(PYTEST_ARGS)

.PHONY: bench
bench: $(DEV_STAMP) postgres ## Append benchmark: ours vs the bare library vs raw inserts, SQLite and PostgreSQL
	$(BIN)/python bench/append.py

.PHONY: bench-projections
bench-projections: $(DEV_STAMP) postgres ## Projection benchmark on a cached 1M-event PostgreSQL ledger: rebuild, lag, as-of vs raw read
	$(BIN)/python bench/projections.py

.PHONY: bench-api
bench-api: $(DEV_STAMP) postgres ## API benchmark: commands and reads over HTTP against the direct application, PostgreSQL
	$(BIN)/python bench/api.py

.PHONY: format
format: $(DEV_STAMP) ## Reformat and autofix
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench
