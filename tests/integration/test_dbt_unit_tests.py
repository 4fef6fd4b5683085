"""dbt's YAML unit tests (metric edge cases and every other) against an empty warehouse of the real schema."""

from __future__ import annotations


def test_dbt_unit_tests_pass(dbt_unit_tests):
    empty, unit = dbt_unit_tests.empty, dbt_unit_tests.unit
    assert empty.returncode == 0, empty.stdout[-3000:]
    assert unit.returncode == 0, unit.stdout[-5000:]
    summary = [line for line in unit.stdout.splitlines() if "Done. PASS=" in line]
    assert summary, unit.stdout[-2000:]
    assert "WARN=0 ERROR=0 SKIP=0" in summary[-1] and "FAIL=0" not in summary[-1].replace("FAIL=0", ""), summary
    # every unit test the project defines ran and passed
    defined = dbt_unit_tests.defined
    assert len(defined) >= 10
    assert {name.split("::")[1] for name in dbt_unit_tests.passed()} == set(defined), unit.stdout[-3000:]
