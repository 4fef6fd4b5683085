"""dbt's YAML unit tests (metric edge cases) against an empty warehouse of the real schema."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import dbt_unit_test_project

DBT = str(Path(sys.executable).with_name("dbt"))


def test_dbt_unit_tests_pass(tmp_path):
    env, common = dbt_unit_test_project(tmp_path)
    empty = subprocess.run([DBT, "run", "--empty", *common], env=env, capture_output=True, text=True)
    assert empty.returncode == 0, empty.stdout[-3000:]
    unit = subprocess.run([DBT, "test", "--select", "test_type:unit", *common], env=env, capture_output=True, text=True)
    assert unit.returncode == 0, unit.stdout[-5000:]
    summary = [line for line in unit.stdout.splitlines() if "Done. PASS=" in line]
    assert summary, unit.stdout[-2000:]
    passed = int(summary[-1].split("PASS=")[1].split()[0])
    assert passed >= 3 and "ERROR=0" in summary[-1] and "FAIL=0" not in summary[-1].replace("FAIL=0", "")
