# plansignal: `make run` then `make test`. Every target installs what it needs first.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
SCALE ?= 1
SEED ?= 42

# Paths are decided by dagster_project/runtime/settings.py (environment variables with defaults);
# `dagster dev` reads DAGSTER_HOME itself, so make gives it the same default.
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home

.PHONY: run test test-e2e test-spark install map demo-data demo-clean retract export ui site bench \
	lint clean

run: $(STAMP)
	$(PY) -m tooling.demo_data --if-empty --scale $(SCALE) --seed $(SEED)
	$(PY) -m dagster_project.cli run

# Everything but the tests marked slow or e2e (pyproject.toml addopts).
test: $(STAMP)
	$(PY) -m pytest

# The whole-job tests (marker e2e): crash recovery, reruns, the publish invariant, real data.
# CI runs them after `make test` (.ci/run). No e2e test collected (pytest exit 5) fails too.
test-e2e: $(STAMP)
	$(PY) -m pytest -m e2e

# The dbt project on a local Apache Spark, every mart compared with the DuckDB build (README
# "Scaling out"). Installs the optional extra `spark` (dbt-spark, pyspark) on first use;
# needs Java 17.
test-spark: $(STAMP)
	@$(PY) -c "import pyspark, dbt.adapters.spark" 2>/dev/null \
		|| $(PY) -m pip install --quiet -e ".[spark]"
	$(PY) -m pytest -m slow tests/test_spark.py

install: $(STAMP)

# Reinstall only when the dependency list changed.
$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

# Map your own ERP's files onto the landing contract (data/mappings/README.md):
#   make map MAPPING=sap_ecc INPUT=data/samples/sap [ARGS="--extract-date 2026-10-31 --check"]
map: $(STAMP)
	$(PY) -m dagster_project.mapping --mapping $(MAPPING) --input $(INPUT) $(ARGS)

demo-data: $(STAMP)
	$(PY) -m tooling.demo_data --scale $(SCALE) --seed $(SEED) --force

# Demo files carry `__demo__` in their names; own extracts beside them retire the demo rows.
demo-clean: $(STAMP)
	$(PY) -m dagster_project.cli demo-clean

# Take a loaded extract out of raw and republish: make retract EXTRACT=<file name or sha256>
retract: $(STAMP)
	$(PY) -m dagster_project.cli retract "$(EXTRACT)" $(ARGS)

# The worklist and the change sets as Excel, every mart as Parquet (docs/exports.md):
#   make export [ARGS="--only worklist"]
export: $(STAMP)
	$(PY) -m dagster_project.cli export $(ARGS)

ui: $(STAMP)
	$(PY) -m dagster_project.cli init-home
	$(VENV)/bin/dagster dev -m dagster_project.definitions

site: $(STAMP)
	@test -f data/site/index.html || $(PY) -m dagster_project.cli site
	@echo "serving data/site on http://127.0.0.1:8000/ (Ctrl-C to stop)"
	$(PY) -m http.server --bind 127.0.0.1 --directory data/site 8000

# `make bench SCALE=N`: SCALE given on the command line (or in the environment) counts; the
# SCALE ?= 1 default of `make run` does not, so a bare `make bench` is scale 100.
bench: $(STAMP)
	$(PY) -m tooling.bench --scale $(if $(filter command line environment,$(origin SCALE)),$(SCALE),100)

lint: $(STAMP)
	$(VENV)/bin/ruff check dagster_project tooling tests
	$(VENV)/bin/sqlfluff lint dbt/models --config dbt/.sqlfluff

clean:
	rm -rf data/warehouse data/site data/exports dbt/target .dagster_home
