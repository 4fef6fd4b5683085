"""dbt's YAML unit tests (metric edge cases) against an empty warehouse of the real schema."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb

from trustloop.ingest.loader import ensure_raw_schema, install_macros
from trustloop.policy import load_policy, write_policy_tables
from trustloop.settings import DBT_PROJECT_DIR, PROJECT_DIR

DBT = str(Path(sys.executable).with_name("dbt"))


def test_dbt_unit_tests_pass(tmp_path):
    warehouse = tmp_path / "unit.duckdb"
    con = duckdb.connect(str(warehouse))
    install_macros(con)
    ensure_raw_schema(con)
    write_policy_tables(con, load_policy(PROJECT_DIR / "policy" / "policy.yml"))
    con.close()
    env = dict(os.environ, TRUSTLOOP_WAREHOUSE=str(warehouse), DBT_PROFILES_DIR=str(DBT_PROJECT_DIR),
               DBT_SEND_ANONYMOUS_USAGE_STATS="false")
    common = ["--project-dir", str(DBT_PROJECT_DIR), "--target-path", str(tmp_path / "target")]
    empty = subprocess.run([DBT, "run", "--empty", *common], env=env, capture_output=True, text=True)
    assert empty.returncode == 0, empty.stdout[-3000:]
    unit = subprocess.run([DBT, "test", "--select", "test_type:unit", *common], env=env, capture_output=True, text=True)
    assert unit.returncode == 0, unit.stdout[-5000:]
    summary = [line for line in unit.stdout.splitlines() if "Done. PASS=" in line]
    assert summary, unit.stdout[-2000:]
    passed = int(summary[-1].split("PASS=")[1].split()[0])
    assert passed >= 3 and "ERROR=0" in summary[-1] and "FAIL=0" not in summary[-1].replace("FAIL=0", "")
