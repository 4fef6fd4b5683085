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

import pandas as pd
import pytest
import yaml

from tests.conftest import PROJECT, build_warehouse, query

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
    recs = query(
        warehouse,
        "select case_type, current_tier, action, recommended_tier, predicted_risk, reasons "
        "from marts.rpt_autonomy_recommendations",
    )
    frame = pd.DataFrame(recs, columns=["case_type", "current_tier", "action", "recommended_tier", "predicted_risk",
                                        "reasons"])
    frame["true_risk"] = frame["case_type"].map(lambda c: truth.get(c, {}).get("true_risk"))
    frame["true_tier"] = frame["case_type"].map(lambda c: truth.get(c, {}).get("tier"))
    return frame, truth


def test_every_planted_case_type_gets_a_recommendation(seeded):
    frame, truth = seeded
    assert set(truth) <= set(frame["case_type"])
    assert frame["predicted_risk"].notna().all()


def test_no_risky_case_type_is_promoted(seeded):
    frame, _ = seeded
    risky = frame[frame["true_risk"] >= 0.10]
    assert len(risky) >= 2
    assert not (risky["action"] == "promote").any(), risky[["case_type", "action", "reasons"]].to_string()


def test_every_very_risky_case_type_at_resolve_is_demoted(seeded):
    frame, _ = seeded
    target = frame[(frame["true_risk"] >= 0.15) & (frame["true_tier"] == "resolve")]
    assert len(target) >= 1
    assert (target["action"] == "demote").all(), target[["case_type", "action", "reasons"]].to_string()
    assert (target["recommended_tier"] == "suggest").all()


def test_predicted_risk_ranks_case_types_like_the_true_risk(seeded):
    frame, _ = seeded
    planted = frame[frame["true_risk"].notna()]
    rho = planted["predicted_risk"].corr(planted["true_risk"], method="spearman")
    ranking = planted.sort_values("true_risk")[["case_type", "true_risk", "predicted_risk"]]
    assert rho >= 0.8, ranking.to_string()
