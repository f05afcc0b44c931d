# One task runner for people and CI. `make help` lists the targets.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: help setup demo test test-slow test-spark lint typecheck check bench bench-spark bench-ooc clean

help:  ## list targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

setup:  ## create .venv from the lock file (installs uv first if it is missing)
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 \
		|| python3 -m pip install --quiet uv
	@if command -v uv >/dev/null 2>&1; then uv sync --frozen --quiet; \
		else python3 -m uv sync --frozen --quiet; fi

demo: setup  ## the main job: generate a synthetic city, run it, write demo/report.html
	$(VENV)/bin/xinyong demo --no-serve

test: setup  ## the default (fast) test suite, as CI runs it
	./scripts/ensure-postgres.sh
	./scripts/ensure-chromium.sh
	$(PY) -m pytest -m "not slow" -q

test-slow: setup  ## slow and load tests only
	./scripts/ensure-postgres.sh
	$(PY) -m pytest -m slow -q

test-spark: setup  ## Spark tests only (local[2]; the small ones also run in `make test`)
	$(PY) -m pytest -m spark -q

lint: setup  ## ruff
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench

typecheck: setup  ## mypy strict on the package and the benchmarks
	$(VENV)/bin/mypy

check: lint typecheck test  ## everything CI-worthy

bench: setup  ## benchmarks (not tests): figures and ratios against baselines, into bench/results.json
	$(PY) -m bench.batch
	$(PY) -m bench.world
	$(PY) -m bench.service
	$(PY) -m bench.list_load
	$(PY) -m bench.ingest_bulk
	$(PY) -m bench.incremental
	$(PY) -m bench.spark
	$(PY) -m bench.ooc --skip-ooc --data $(or $(OOC_DATA),/work/ooc-data)
	$(PY) -m bench.table

bench-spark: setup  ## Spark local throughput against the embedded scorer, into bench/results.json
	$(PY) -m bench.spark

bench-ooc: setup  ## out-of-core rescoring of 1e9 records (SCALE=0.05 for 5%), vs DuckDB SQL and a Python loop
	$(PY) -m bench.ooc --scale $(or $(SCALE),1) --data $(or $(OOC_DATA),/work/ooc-data)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache demo/xinyong.db
