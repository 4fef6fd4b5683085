"""The policy file is validated, and a bad one fails with a clear message."""

from __future__ import annotations

import pytest

from trustloop.policy import PolicyError, load_policy, parse_policy
from trustloop.settings import PROJECT_DIR


def test_shipped_policy_is_valid():
    policy = load_policy(PROJECT_DIR / "policy" / "policy.yml")
    assert policy.version
    assert policy.defaults["max_handoff_delay_seconds"] == 300
    assert all(entry["tier"] in ("shadow", "triage", "suggest", "resolve") for entry in policy.case_types.values())


def test_defaults_apply_when_not_given():
    policy = parse_policy("version: '1'\ncase_types:\n  Billing Refund:\n    tier: Suggest\n")
    assert policy.case_types == {"billing_refund": {"tier": "suggest"}}
    assert policy.setting("billing_refund", "max_handoff_delay_seconds") == 300
    assert policy.setting("unknown_type", "risk_appetite") == 0.05


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("version: '1'\ncase_types:\n  a:\n    tier: autopilot\n", "case_types.a.tier: 'autopilot' is not one of"),
        ("version: '1'\ncase_types:\n  a: {}\n", "case_types.a.tier: required"),
        ("version: '1'\ndefaults:\n  risk_appetite: 1.5\n", "defaults.risk_appetite: must be <= 1"),
        ("version: '1'\ndefaults:\n  max_handoff_delay_seconds: soon\n", "expected a number"),
        ("version: '1'\nmystery: 1\n", "unknown top-level key(s): mystery"),
        ("case_types: {}\n", "'version' is required"),
        ("version: '1'\ncase_types:\n  a:\n    tier: resolve\n    max_handoff_delay: 3\n", "unknown key(s): max_handoff_delay"),
        ("version: [\n", "not valid YAML"),
    ],
)
def test_bad_policies_fail_clearly(text, message):
    with pytest.raises(PolicyError) as info:
        parse_policy(text, "policy.yml")
    assert message in str(info.value)
    assert str(info.value).startswith("policy.yml")
