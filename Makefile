# plansignal: `make run` then `make test`. Every target installs what it needs first.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
SCALE ?= 1
SEED ?= 42
LANDING := data/landing
MANIFEST := dbt/target/manifest.json
DBT_SOURCES := $(shell find dbt/models dbt/macros dbt/seeds dbt/tests -type f 2>/dev/null) dbt/dbt_project.yml dbt/profiles.yml

# One place decides paths (dagster_project/settings.py); these only give make's own commands
# the same defaults.
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home
export PLANSIGNAL_PIPELINE_DB ?= $(CURDIR)/data/warehouse/pipeline.duckdb

.PHONY: run test install demo-data ui site bench lint test-all clean

run: $(STAMP) $(MANIFEST)
	@if [ -z "$$(find $(LANDING) -mindepth 1 -maxdepth 1 -type d 2>/dev/null)" ]; then \
		echo "data/landing is empty: generating the demo extract (scale $(SCALE))"; \
		$(PY) -m dagster_project.lib.demo_data --scale $(SCALE) --seed $(SEED); \
	fi
	$(PY) -m dagster_project.cli run

test: $(STAMP) $(MANIFEST)
	$(PY) -m pytest

install: $(STAMP)

# Reinstall only when the dependency list changed.
$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

$(MANIFEST): $(STAMP) $(DBT_SOURCES)
	cd dbt && ../$(VENV)/bin/dbt parse --quiet --profiles-dir . --project-dir .

demo-data: $(STAMP)
	$(PY) -m dagster_project.lib.demo_data --scale $(SCALE) --seed $(SEED) --force

ui: $(STAMP) $(MANIFEST)
	mkdir -p $(DAGSTER_HOME)
	$(VENV)/bin/dagster dev -m dagster_project.definitions

site: $(STAMP)
	@test -f data/site/index.html || $(PY) -m dagster_project.cli site
	@echo "serving data/site on http://127.0.0.1:8000/ (Ctrl-C to stop)"
	$(PY) -m http.server --bind 127.0.0.1 --directory data/site 8000

bench: $(STAMP) $(MANIFEST)
	$(PY) -m dagster_project.bench --scale $(or $(BENCH_SCALE),100)

lint: $(STAMP)
	$(VENV)/bin/ruff check dagster_project tests
	$(VENV)/bin/sqlfluff lint dbt/models --config dbt/.sqlfluff

clean:
	rm -rf data/warehouse data/site dbt/target .dagster_home
