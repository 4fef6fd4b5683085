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

.PHONY: setup run test test-fast lint ui docs bench clean

$(STAMP): pyproject.toml requirements.lock
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip>=24"
	$(PY) -m pip install --quiet -c requirements.lock -e ".[dev]"
	@touch $(STAMP)

setup: $(STAMP)

## make run: build the warehouse from the demo data (generated on first use) and print the summary
run: setup
	$(VENV)/bin/trustloop run

## make test: lint, then every test (unit, dbt unit tests, end-to-end)
test: setup
	$(VENV)/bin/python -m pytest -q

test-fast: setup
	$(VENV)/bin/python -m pytest -q -m "not slow"

## make bench: the benchmark harness (10k and 100k tickets; SIZES=10000,100000,1000000 for more)
SIZES ?= 10000,100000
bench: setup
	$(VENV)/bin/python -m bench --sizes $(SIZES)

clean:
	rm -rf output dbt_project/target dbt_project/logs .pytest_cache
