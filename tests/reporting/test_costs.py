"""Finance's cost assumptions: parsing, validation (errors name the key) and raw.policy_costs."""

from __future__ import annotations

import duckdb
import pytest
import yaml

from trustloop.finance.costs import CostsError, load_costs, parse_costs, write_cost_table
from trustloop.settings import PROJECT_DIR

GOOD = {
    "currency": "USD",
    "ai_cost_per_case": {"value": 0.4, "unit": "USD per AI-handled case"},
    "human_cost_per_case": {
        "default": {"value": 8, "unit": "USD per human-handled case"},
        "by_case_type": {"Billing Refund": {"value": 9.5, "unit": "USD per human-handled case"}},
    },
    "review_cost_per_suggestion": {"value": 1.6, "unit": "USD per suggestion reviewed"},
    "dispute_cost": {"value": 45, "unit": "USD per disputed case"},
}


def _with(**changes):
    doc = yaml.safe_load(yaml.safe_dump(GOOD))
    for key, value in changes.items():
        if value is None:
            doc.pop(key)
        else:
            doc[key] = value
    return doc


def test_project_policy_has_every_assumption_with_a_unit():
    costs = load_costs(PROJECT_DIR / "policy" / "policy.yml")
    assert costs is not None and costs.currency == "USD"
    names = {a.name for a in costs.assumptions}
    assert names == {"ai_cost_per_case", "human_cost_per_case", "review_cost_per_suggestion", "dispute_cost"}
    assert all(a.unit.startswith("USD ") and a.value >= 0 for a in costs.assumptions)
    # a human cost by case type, and a default for the others
    human = [a for a in costs.assumptions if a.name == "human_cost_per_case"]
    assert any(a.case_type is None for a in human) and any(a.case_type for a in human)


def test_values_by_case_type_fall_back_to_the_default():
    costs = parse_costs(GOOD)
    assert costs.value("human_cost_per_case", "billing_refund") == 9.5  # normalised from "Billing Refund"
    assert costs.value("human_cost_per_case", "password_reset") == 8.0
    assert costs.value("ai_cost_per_case", "billing_refund") == 0.4


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        (_with(currency="usd"), "costs.currency"),
        (_with(dispute_cost=None), "missing assumption(s): dispute_cost"),
        (_with(ai_cost_per_case={"value": 0.4}), "costs.ai_cost_per_case.unit"),
        (_with(ai_cost_per_case={"value": -1, "unit": "USD per case"}), "costs.ai_cost_per_case.value"),
        (_with(ai_cost_per_case={"value": "cheap", "unit": "USD per case"}), "costs.ai_cost_per_case.value"),
        (_with(ai_cost_per_case={"value": 1, "unit": "EUR per case"}), "must start with the currency 'USD'"),
        (_with(ai_cost_per_case={"value": 1, "unit": "USD", "per": "case"}), "costs.ai_cost_per_case: unknown key"),
        (_with(human_cost_per_case={"by_case_type": {}}), "costs.human_cost_per_case.default"),
        (_with(human_cost_per_case={"default": {"value": 1, "unit": "USD per case"},
                                    "by_case_type": {"a-b": {"value": 1, "unit": "USD per case"},
                                                     "A B": {"value": 2, "unit": "USD per case"}}}),
         "costs.human_cost_per_case.by_case_type.A B: listed twice"),
        (_with(coffee_cost={"value": 1, "unit": "USD per cup"}), "unknown assumption(s): coffee_cost"),
        ("not a mapping", "costs: must be a mapping"),
    ],
)
def test_invalid_costs_name_the_key(doc, message):
    with pytest.raises(CostsError) as caught:
        parse_costs(doc, "policy.yml")
    assert message in str(caught.value)
    assert str(caught.value).startswith("policy.yml: costs")


def test_cost_table_has_one_row_per_assumption(tmp_path):
    con = duckdb.connect()
    costs = parse_costs(GOOD, policy_version="v1")
    assert write_cost_table(con, costs) == 5
    rows = con.execute("select name, case_type, value, unit, currency from raw.policy_costs order by 1, 2").fetchall()
    assert rows == [
        ("ai_cost_per_case", None, 0.4, "USD per AI-handled case", "USD"),
        ("dispute_cost", None, 45.0, "USD per disputed case", "USD"),
        ("human_cost_per_case", "billing_refund", 9.5, "USD per human-handled case", "USD"),
        ("human_cost_per_case", None, 8.0, "USD per human-handled case", "USD"),
        ("review_cost_per_suggestion", None, 1.6, "USD per suggestion reviewed", "USD"),
    ]
    # without a costs section the table exists and is empty: no invented costs
    assert write_cost_table(con, None) == 0
    assert con.execute("select count(*) from raw.policy_costs").fetchone()[0] == 0


def test_policy_without_costs_section(tmp_path):
    policy = tmp_path / "policy.yml"
    policy.write_text('version: "1"\ndefaults: {}\ncase_types: {}\n')
    assert load_costs(policy) is None
    policy.write_text('version: "1"\ncosts:\n  currency: USD\n')
    with pytest.raises(CostsError, match="missing assumption"):
        load_costs(policy)
