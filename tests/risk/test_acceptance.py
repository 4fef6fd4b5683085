"""Acceptance on seeded demo data with planted risk (`_truth.json`), under the shipped policy.

For several seeds, a fresh landing folder goes through `trustloop run` - under the
shipped policy, and for one seed under the defaults alone (a policy file that lists
no case type, as for someone else's landing folder: every case type is uncatalogued
and its current tier is the mode observed in the logs); then:
- no case type whose true risk is 0.10 or more is promoted;
- every case type with true risk 0.15 or more that operates at `resolve` is recommended for demotion;
- the predicted case-type risk ranks the case types like the true risk (Spearman >= 0.8).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.conftest import PROJECT, build_warehouse
from tests.risk.acceptance_checks import (
    check_every_planted_case_type_is_scored,
    check_every_very_risky_case_type_at_resolve_is_demoted,
    check_no_risky_case_type_is_promoted,
    check_predicted_risk_ranks_like_the_true_risk,
    recommendation_frame,
)

pytestmark = pytest.mark.slow

SEEDS = ((21, "shipped"), (22, "shipped"), (23, "defaults"))
TICKETS = 8000


def defaults_only_policy(path: Path) -> Path:
    """The shipped policy without its case-type catalog: defaults (and cost assumptions) only."""
    policy = yaml.safe_load((PROJECT / "policy" / "policy.yml").read_text())
    policy.pop("case_types")
    path.write_text(yaml.safe_dump(policy, sort_keys=False))
    return path


@pytest.fixture(scope="module", params=SEEDS, ids=[f"seed{s}-{p}" for s, p in SEEDS])
def seeded(request, tmp_path_factory):
    from trustloop.demo.generator import generate

    seed, policy = request.param
    work = tmp_path_factory.mktemp(f"acceptance_{seed}")
    landing = work / "landing"
    generate(landing, tickets=TICKETS, seed=seed, progress=False)
    truth = json.loads((landing / "_truth.json").read_text())["case_types"]
    extra = {"TRUSTLOOP_POLICY": str(defaults_only_policy(work / "policy.yml"))} if policy == "defaults" else {}
    warehouse, _, _ = build_warehouse(work, landing, **extra)
    return recommendation_frame(warehouse, truth), truth


def test_every_planted_case_type_gets_a_recommendation(seeded):
    frame, truth = seeded
    check_every_planted_case_type_is_scored(frame, truth)
    assert frame["predicted_risk"].notna().all()


def test_no_risky_case_type_is_promoted(seeded):
    check_no_risky_case_type_is_promoted(seeded[0])


def test_every_very_risky_case_type_at_resolve_is_demoted(seeded):
    check_every_very_risky_case_type_at_resolve_is_demoted(seeded[0])


def test_predicted_risk_ranks_case_types_like_the_true_risk(seeded):
    check_predicted_risk_ranks_like_the_true_risk(seeded[0])
