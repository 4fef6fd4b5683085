"""The dbt unit tests of the risk and autonomy marts (label, as-of date, freeze, every rule at its boundary)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import duckdb

from trustloop.ingest.loader import ensure_raw_schema, install_macros
from trustloop.policy import load_policy, write_policy_tables
from trustloop.settings import DBT_PROJECT_DIR, PROJECT_DIR

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
    warehouse = tmp_path / "unit.duckdb"
    con = duckdb.connect(str(warehouse))
    install_macros(con)
    ensure_raw_schema(con)
    write_policy_tables(con, load_policy(PROJECT_DIR / "policy" / "policy.yml"))
    con.close()
    env = dict(os.environ, TRUSTLOOP_WAREHOUSE=str(warehouse), DBT_PROFILES_DIR=str(DBT_PROJECT_DIR),
               DBT_SEND_ANONYMOUS_USAGE_STATS="false")
    common = ["--project-dir", str(DBT_PROJECT_DIR), "--target-path", str(tmp_path / "target"),
              "--log-path", str(tmp_path / "logs")]
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
