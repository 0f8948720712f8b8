# Return to Work platform. The two commands a newcomer needs: `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
RTW := $(VENV)/bin/rtw
PYTEST := $(VENV)/bin/pytest
export UV_PYTHON_DOWNLOADS := never
export UV_LINK_MODE := copy

RTW_DATABASE_URL ?= postgresql+asyncpg://postgres@127.0.0.1:5432/rtw
export RTW_DATABASE_URL
# Local runs, the demo, the tests and the benchmarks accept the public default secrets; without it
# the services refuse to start on them. Never set it in deployment (docs/operations.md).
RTW_DEVELOPMENT_MODE ?= true
export RTW_DEVELOPMENT_MODE

.PHONY: help install services database migrate run demo test test-unit test-component test-integration \
	test-e2e test-contracts test-reliability test-browser browser translations assets lint typecheck format schemas docs bench-messaging bench-matching bench-backlog bench-pipeline clean \
	mutation mutation-changed mutation-selftest

help: ## List the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-20s %s\n", $$1, $$2}'

$(UV):
	python3 -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet uv==$(UV_VERSION)

$(VENV)/.installed: $(UV) uv.lock pyproject.toml $(wildcard services/*/pyproject.toml shared/*/pyproject.toml)
	$(UV) sync --all-packages --frozen --python python3.11
	@touch $@

install: $(VENV)/.installed ## Install Python and every package into .venv

services: ## Make sure PostgreSQL and RabbitMQ are running (starts them if not)
	@bash deploy/local/ensure-services.sh

database: install services ## Create the platform's database if it is missing
	@$(VENV)/bin/python deploy/local/create_database.py "$(RTW_DATABASE_URL)"

migrate: database ## Migrate every service's schema
	$(RTW) migrate

run: migrate ## Run the whole platform locally (Ctrl-C stops it)
	$(RTW) up

demo: install services ## A cohort played through a platform of its own (rtw_demo database, rtw-demo vhost), then its reports
	@$(VENV)/bin/python deploy/local/demo_platform.py

browser: ## Make sure Debian's Chromium is installed (for the browser tests; never a downloaded one)
	@bash deploy/local/ensure-chromium.sh

test: install services browser ## Run every test layer
	$(PYTEST) -q

test-unit: install ## Unit tests only
	$(PYTEST) -q -m unit

test-component: install services ## Component tests only
	$(PYTEST) -q -m component

test-integration: install services ## Integration tests only
	$(PYTEST) -q -m integration

test-e2e: install services ## End-to-end tests only
	$(PYTEST) -q -m e2e

test-contracts: install ## Contract tests only
	$(PYTEST) -q -m contracts

test-reliability: install services ## Reliability tests only
	$(PYTEST) -q -m reliability

test-browser: install services browser ## Browser tests only (Playwright + Debian's Chromium, axe)
	$(PYTEST) -q -m browser

MUTATION := nice -n 10 $(VENV)/bin/python -m rtw_platform.testing.mutation

mutation-selftest: install services ## A seeded mutant must be killed (the tests import what is mutated)
	$(MUTATION) selftest

mutation: mutation-selftest ## Mutation testing of the guarded set (mutation.toml; MODULE=name for one; WORKERS=2 shares it out) -> var/mutation/report.md
	$(MUTATION) run $(if $(MODULE),--module $(MODULE)) $(if $(WORKERS),--workers $(WORKERS))

mutation-changed: install services ## Mutants on guarded lines changed since BASE=<revision>; fails on a survivor
	@test -n "$(BASE)" || { echo "make mutation-changed BASE=<revision>"; exit 2; }
	$(MUTATION) run --base $(BASE) $(if $(MODULE),--module $(MODULE)) $(if $(WORKERS),--workers $(WORKERS))

LOCALE := shared/platform/src/rtw_platform/locale
translations: install ## Pages in Welsh: extract the marked words, update the Welsh catalogue, compile it (docs/welsh.md)
	@mkdir -p var
	$(VENV)/bin/pybabel -q extract -F babel.cfg -k N_ --no-location --sort-output --project "Return to Work" -o var/messages.pot .
	$(VENV)/bin/pybabel -q update -i var/messages.pot -d $(LOCALE) -l cy -w 100 --no-fuzzy-matching --ignore-obsolete
	$(VENV)/bin/pybabel compile -d $(LOCALE) -l cy --statistics

lint: install ## ruff (style, complexity), formatting, and the import rules between layers
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

typecheck: install ## mypy, strict, over the code, the tests and the tools
	$(VENV)/bin/mypy

format: install ## Format the code
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

schemas: install ## Regenerate the committed event JSON Schemas
	$(VENV)/bin/python -m rtw_contracts.schemas write

docs: install ## Regenerate docs/events.md (and the table in docs/subscribers.md) from the contracts
	$(VENV)/bin/python -m rtw_contracts.docs --subscribers docs/subscribers.md > docs/events.md

bench-messaging: install services ## Messaging benchmark: raw broker limit vs the platform hop
	$(VENV)/bin/python bench/messaging.py

bench-matching: install services ## Matching benchmark: search, scoring and re-matching at scale
	$(VENV)/bin/python bench/matching.py

bench-pipeline: install services ## Whole-pipeline benchmark: applications through every service to the e-mails
	$(VENV)/bin/python bench/pipeline.py

bench-backlog: install services ## Backlog benchmark: 100,000 queued events drained, 100,000-row CSV imported
	$(VENV)/bin/python bench/backlog.py

assets: ## Rebuild the pages' CSS and JavaScript from govuk-frontend (needs Node.js and npm)
	cd shared/platform/assets && npm ci --no-audit --no-fund && npm run build

clean: ## Remove the environment
	rm -rf $(VENV) $(TOOLS)
