# Entry points: `make demo` (the main job end to end) and `make test` (the whole suite).
# Every install step lives here; nothing is expected on the machine beyond python3.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV := $(BIN)/uv
MELTANO_VENV := .venv-meltano
MELTANO := $(MELTANO_VENV)/bin/meltano
# Dagster (tenant pipelines) in its own venv, so the taps' .venv is never disturbed.
DAGSTER_VENV := .venv-dagster
PACKAGES := outreach-kit sandbox loader-duckdb $(wildcard tap-salesblink tap-salesflow tap-salesrocks)
PACKAGE_FILES := $(foreach p,$(PACKAGES),$(p)/pyproject.toml)

export UV_CACHE_DIR ?= $(CURDIR)/.venv/.uv-cache
export MELTANO_SEND_ANONYMOUS_USAGE_STATS := false
# Precompile bytecode at install: every tap process then starts without compiling its imports.
export UV_COMPILE_BYTECODE := 1

.PHONY: help install demo test check lint format bench clean orchestrate reliability-report check-a check-b

help:
	@echo "make demo   - all three taps into DuckDB against the sandbox, the dbt models, reports/outreach.html"
	@echo "make test   - install what the tests need and run the whole suite"
	@echo "make check  - lint and the fast suites (kit, sandbox, loader, scripts): the inner loop"
	@echo "make reliability-report - the reliability suite, writing docs/reliability.md"
	@echo "make bench  - benchmark the taps, the DuckDB loader and the Meltano pipelines (docs/benchmarks.md)"
	@echo "make lint   - ruff check and format check"
	@echo "make orchestrate - Dagster UI (127.0.0.1:3000) running tenants.yml against the sandbox"
	@echo "make clean  - remove virtual environments, Meltano state and outputs"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check uv==0.13.9

$(VENV)/.installed: $(BIN)/python $(PACKAGE_FILES) requirements-dev.txt
	$(UV) pip install -q --python $(BIN)/python $(foreach p,$(PACKAGES),-e ./$(p)) -r requirements-dev.txt
	# Editable packages are not compiled by uv, and with PYTHONDONTWRITEBYTECODE (containers,
	# CI) every tap process would compile them again: ~0.15 s CPU of each start.
	$(BIN)/python -m compileall -q $(PACKAGES)
	touch $@

$(MELTANO_VENV)/.installed: $(BIN)/python
	$(UV) venv -q --clear --python $(PYTHON) $(MELTANO_VENV)
	$(UV) pip install -q --python $(MELTANO_VENV)/bin/python meltano==4.4.1 uv==0.13.9
	touch $@

# Meltano's console script imports Meltano with the garbage collector paused: about 0.6 s
# less of every start (scripts/launchers.py).
$(MELTANO_VENV)/.launcher: $(MELTANO_VENV)/.installed scripts/launchers.py
	$(BIN)/python scripts/launchers.py $(MELTANO)
	touch $@

# Meltano's system database on PostgreSQL (MELTANO_DATABASE_URI) needs its driver.
$(MELTANO_VENV)/.postgres: $(MELTANO_VENV)/.installed
	$(UV) pip install -q --python $(MELTANO_VENV)/bin/python 'psycopg[binary]==3.3.9'
	touch $@

$(DAGSTER_VENV)/.installed: $(BIN)/python orchestration/pyproject.toml
	$(UV) venv -q --clear --python $(PYTHON) $(DAGSTER_VENV)
	$(UV) pip install -q --python $(DAGSTER_VENV)/bin/python -e ./orchestration
	touch $@

# The project's Meltano plugins (`meltano install` and their bytecode) are installed here too,
# not by the first test or demo that needs them; skipped while meltano.yml and the local
# packages' metadata are unchanged (scripts/plugin_bytecode.py keeps a fingerprint).
install: $(VENV)/.installed $(MELTANO_VENV)/.launcher $(MELTANO_VENV)/.postgres $(DAGSTER_VENV)/.installed
	$(BIN)/python scripts/plugin_bytecode.py

demo: install
	$(BIN)/python scripts/demo.py

# Three pytest-xdist workers on two cores: many tests wait (on the sandbox, a tap process,
# Meltano), and with two workers the second half of the run kept only about 1.1 cores busy;
# with three both cores stayed busy to the end (7 min 47 s, idle machine, warm checkout).
# Tests sharing a fixture's set-up stay on one worker (tests/parallel.py). TEST_WORKERS=0:
# one process.
TEST_WORKERS ?= 3
test: install
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup

# The reliability suite alone, publishing its summary to docs/reliability.md (a plain test run
# writes it to build/reliability.md, so `make test` never rewrites a tracked file).
reliability-report: install
	RELIABILITY_REPORT=docs/reliability.md $(BIN)/python -m pytest tests/reliability

# The inner loop: lint, then the fast suites as two pytest processes side by side (one per
# core): the kit and scripts; the sandbox, loader and tenants file. No e2e, analytics, tenant
# pipelines, reliability or tap-process suites: `make test` runs everything.
check-a: FAST_TESTS := tests/kit tests/scripts
check-b: FAST_TESTS := tests/docs tests/sandbox tests/loader tests/tenants/test_tenants_file.py

check: lint
	$(MAKE) --no-print-directory -j2 -Otarget check-a check-b

check-a check-b: $(VENV)/.installed
	$(BIN)/python -m pytest -q -p no:cacheprovider $(FAST_TESTS)

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) $(MELTANO_VENV) $(DAGSTER_VENV) .dagster .meltano output warehouse reports .pytest_cache

# BENCH_ARGS, e.g. "--only taps --taps salesflow --report /tmp/bench.md", re-runs one part
# (parts: taps, loader, pipelines, no-change) without overwriting the full report.
bench: $(VENV)/.installed $(MELTANO_VENV)/.launcher
	cd scripts && ../$(BIN)/python -m bench $(BENCH_ARGS)

# Dagster's UI and daemon on 127.0.0.1:3000 with tenants.yml's tenants against the sandbox
# (and a throwaway PostgreSQL for the warehouse and Meltano's system database).
orchestrate: install
	$(BIN)/python scripts/orchestrate.py $(ORCHESTRATE_ARGS)
