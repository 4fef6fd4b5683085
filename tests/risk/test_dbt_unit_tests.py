"""The dbt unit tests of the risk and autonomy marts (label, as-of date, freeze, every rule at its boundary)."""

from __future__ import annotations

EXPECTED = {
    "dim_autonomy_windows::as_of_date_is_the_sunday_of_a_complete_week",
    "dim_autonomy_windows::as_of_date_skips_an_incomplete_week",
    "fct_autonomy_evidence::evidence_freeze_window_pact_window_and_observed_tier",
    "rpt_autonomy_recommendations::autonomy_rules_actions_at_boundaries",
    "rpt_autonomy_recommendations::autonomy_rules_outcomes_at_boundaries",
    "fct_case_features::case_label_strong_or_two_weak",
}


def test_risk_and_autonomy_unit_tests_pass(dbt_unit_tests):
    # the decision models run even though the risk model never ran (the pre-hook creates its empty table)
    dbt_unit_tests.assert_ran()
    ours = {name for name, (_, path) in dbt_unit_tests.defined.items()
            if path.startswith(("models/marts/risk/", "models/marts/autonomy/"))}
    assert ours == {name.split("::")[1] for name in EXPECTED}
    assert EXPECTED <= dbt_unit_tests.passed(), dbt_unit_tests.unit.stdout[-3000:]
