# trustloop — two commands: `make run` and `make test`.
# Both create .venv/ when missing and install the pinned dependencies into it.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export DO_NOT_TRACK := 1
export GX_ANALYTICS_ENABLED := false
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: help setup run test test-fast test-spark java lint ui docs bench clean

$(STAMP): pyproject.toml requirements.lock
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet "pip==26.3"
	$(PY) -m pip install --quiet -c requirements.lock -e ".[dev]"
	@touch $(STAMP)

setup: $(STAMP)

## make help: these lines (each target's `##` comment)
help:
	@grep -h '^## make ' $(MAKEFILE_LIST) | sed 's/^## //'

## make run: build the warehouse from the demo data (generated on first use) and print the summary
run: setup
	$(VENV)/bin/trustloop run

## make test: lint, then every test (unit, dbt unit tests, end-to-end), on TEST_WORKERS processes
## (pytest-xdist; each test file stays on one worker, so its module fixtures are built once)
TEST_WORKERS ?= 2
# --no-loadscope-reorder: hand the files out in the order below (xdist's default sorts them by their
# number of tests, which puts the long one-test files last)
PYTEST := $(VENV)/bin/python -m pytest -q -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder
# the longest test files first (1.5-4.5 minutes each), then the folders holding most of the rest: a file
# stays on one worker, so a long one handed out last keeps one worker busy while the other has nothing
# left to do (a file named twice is collected once)
TEST_LONGEST := tests/risk/test_pipeline.py tests/quality/test_set_aside.py tests/reliability/test_crash.py \
	tests/risk/test_acceptance.py tests/integration/test_bench_harness.py tests/risk/test_acceptance_independent.py \
	tests/reliability/test_order.py tests/quality/test_ticket_time_order.py
TEST_FIRST := tests/risk tests/reliability
TEST_DIRS := $(TEST_LONGEST) $(TEST_FIRST) \
	$(filter-out $(TEST_FIRST) tests/fixtures tests/artifacts,$(patsubst %/,%,$(sort $(wildcard tests/*/))))

test: setup
	$(PYTEST) $(TEST_DIRS)

test-fast: setup
	$(PYTEST) -m "not slow and not spark" $(TEST_DIRS)

## make test-spark: the same dbt project built on Apache Spark (local mode) and compared with DuckDB.
## Adds the spark extra to .venv (pyspark, dbt-spark) and Debian's Java 17 when java is missing.
SPARK_STAMP := $(VENV)/.installed-spark
$(SPARK_STAMP): $(STAMP) requirements-spark.lock
	$(PY) -m pip install --quiet -c requirements.lock -c requirements-spark.lock -e ".[dev,spark]"
	@touch $(SPARK_STAMP)

java:
	@command -v java >/dev/null 2>&1 || [ -n "$$JAVA_HOME" ] || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    export DEBIAN_FRONTEND=noninteractive; apt-get update -qq && \
	    apt-get install -y -qq --no-install-recommends openjdk-17-jre-headless >/dev/null; \
	  else echo "Spark needs Java 17: sudo apt-get install openjdk-17-jre-headless" >&2; exit 1; fi; }

test-spark: $(SPARK_STAMP) java
	$(VENV)/bin/python -m pytest -q -m spark tests/spark

## make lint: ruff (Python, notebooks included) and sqlfluff (dbt models: duckdb dialect, dbt templater).
## dbt's templater needs a profile, not a warehouse: an in-memory DuckDB keeps it off every real file.
lint: setup
	$(VENV)/bin/ruff check .
	TRUSTLOOP_WAREHOUSE=:memory: $(VENV)/bin/sqlfluff lint dbt_project/models --processes 2

## make ui: the Dagster UI (dagster dev: webserver + daemon) on http://127.0.0.1:$(PORT)
PORT ?= 3000
ui: setup
	$(VENV)/bin/trustloop ui --port $(PORT)

## make docs: the dbt docs site (offline) in output/dbt_docs (open static_index.html)
docs: setup
	$(VENV)/bin/trustloop docs

## make bench: the benchmark harness (10k and 100k tickets; SIZES=10000,100000,1000000 for more)
SIZES ?= 10000,100000
bench: setup
	$(VENV)/bin/python -m bench --sizes $(SIZES)

clean:
	rm -rf output dbt_project/target dbt_project/logs .pytest_cache
