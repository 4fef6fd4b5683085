"""dbt's YAML unit tests (metric edge cases and every other) against an empty warehouse of the real schema."""

from __future__ import annotations


def test_dbt_unit_tests_pass(dbt_unit_tests):
    dbt_unit_tests.assert_ran()
    unit = dbt_unit_tests.unit
    summary = [line for line in unit.stdout.splitlines() if "Done. PASS=" in line]
    assert summary, unit.stdout[-2000:]
    assert "WARN=0 ERROR=0 SKIP=0" in summary[-1] and "FAIL=0" not in summary[-1].replace("FAIL=0", ""), summary
    # every unit test the project defines ran and passed
    defined = dbt_unit_tests.defined
    assert len(defined) >= 10
    assert dbt_unit_tests.passed_names() == set(defined), unit.stdout[-3000:]
