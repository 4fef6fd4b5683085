"""The acceptance rules for risk and autonomy, on a built warehouse and its landing folder's planted truth.

- no case type whose true risk is 0.10 or more is promoted;
- every case type with true risk 0.15 or more that operates at `resolve` is recommended for demotion
  (one step, to `suggest`);
- the predicted case-type risk ranks the case types like the true risk (Spearman >= 0.8).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from tests.conftest import query

COLUMNS = ["case_type", "current_tier", "action", "recommended_tier", "predicted_risk", "reasons"]


def recommendation_frame(warehouse: Path, truth: dict[str, dict]) -> pd.DataFrame:
    """The recommendations, with each planted case type's true risk and tier (NaN for the others)."""
    frame = pd.DataFrame(query(warehouse, f"select {', '.join(COLUMNS)} from marts.rpt_autonomy_recommendations"),
                         columns=COLUMNS)
    frame["true_risk"] = frame["case_type"].map(lambda c: truth.get(c, {}).get("true_risk"))
    frame["true_tier"] = frame["case_type"].map(lambda c: truth.get(c, {}).get("tier"))
    return frame


def check_every_planted_case_type_is_scored(frame: pd.DataFrame, truth: dict) -> None:
    assert set(truth) <= set(frame["case_type"])
    assert frame.loc[frame["true_risk"].notna(), "predicted_risk"].notna().all()


def check_no_risky_case_type_is_promoted(frame: pd.DataFrame) -> None:
    risky = frame[frame["true_risk"] >= 0.10]
    assert len(risky) >= 2
    assert not (risky["action"] == "promote").any(), risky[["case_type", "action", "reasons"]].to_string()


def check_every_very_risky_case_type_at_resolve_is_demoted(frame: pd.DataFrame) -> None:
    target = frame[(frame["true_risk"] >= 0.15) & (frame["true_tier"] == "resolve")]
    assert len(target) >= 1
    assert (target["action"] == "demote").all(), target[["case_type", "action", "reasons"]].to_string()
    assert (target["recommended_tier"] == "suggest").all()


def check_predicted_risk_ranks_like_the_true_risk(frame: pd.DataFrame, minimum: float = 0.8) -> float:
    planted = frame[frame["true_risk"].notna()]
    rho = planted["predicted_risk"].corr(planted["true_risk"], method="spearman")
    ranking = planted.sort_values("true_risk")[["case_type", "true_risk", "predicted_risk"]]
    assert rho >= minimum, ranking.to_string()
    return rho
