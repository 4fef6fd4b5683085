"""The dbt unit tests of the risk and autonomy marts (label, as-of date, freeze, every rule at its boundary)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import dbt_unit_test_project

DBT = str(Path(sys.executable).with_name("dbt"))
EXPECTED = {
    "dim_autonomy_windows::as_of_date_is_the_sunday_of_a_complete_week",
    "dim_autonomy_windows::as_of_date_skips_an_incomplete_week",
    "fct_autonomy_evidence::evidence_freeze_window_pact_window_and_observed_tier",
    "rpt_autonomy_recommendations::autonomy_rules_actions_at_boundaries",
    "rpt_autonomy_recommendations::autonomy_rules_outcomes_at_boundaries",
    "fct_case_features::case_label_strong_or_two_weak",
}


def test_risk_and_autonomy_unit_tests_pass(tmp_path):
    env, common = dbt_unit_test_project(tmp_path)
    # the decision models run even though the risk model never ran (the pre-hook creates its empty table)
    empty = subprocess.run([DBT, "run", "--empty", *common], env=env, capture_output=True, text=True)
    assert empty.returncode == 0, empty.stdout[-3000:]
    unit = subprocess.run(
        [DBT, "test", "--select", "test_type:unit,path:models/marts/risk test_type:unit,path:models/marts/autonomy",
         *common],
        env=env, capture_output=True, text=True,
    )
    assert unit.returncode == 0, unit.stdout[-5000:]
    passed = set(re.findall(r"PASS ([a-z_]+::[a-z_]+) ", unit.stdout))
    assert passed == EXPECTED, unit.stdout[-3000:]
