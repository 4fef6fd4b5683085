"""A synthetic feature frame (the columns of marts.fct_case_features) with planted risk per case type."""

from __future__ import annotations

import numpy as np
import pandas as pd

PLANTED = {"low": 0.02, "mid": 0.08, "high": 0.25}


def feature_frame(rows: int = 3000, seed: int = 3, mature_share: float = 0.9) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    names = np.array(list(PLANTED))
    case_type = names[rng.integers(0, len(names), rows)]
    base = np.array([PLANTED[c] for c in case_type])
    confidence = np.clip(rng.normal(0.8 - base, 0.08), 0.05, 0.99)
    logit = np.log(base / (1 - base)) - 3.0 * (confidence - (0.8 - base))
    wrong = rng.random(rows) < 1 / (1 + np.exp(-logit))
    start = pd.Timestamp("2026-05-04 00:00:00")
    handled_at = start + pd.to_timedelta(np.sort(rng.integers(0, 180 * 86400, rows)), unit="s")
    amount = np.where(rng.random(rows) < 0.5, np.round(rng.lognormal(4, 0.8, rows), 2), np.nan)
    mature = np.arange(rows) < int(rows * mature_share)
    return pd.DataFrame(
        {
            "ticket_id": [f"T{i:06d}" for i in range(rows)],
            "case_type": case_type,
            "handled_at": handled_at,
            "channel": np.array(["chat", "email", "voice"])[rng.integers(0, 3, rows)],
            "priority": np.array(["low", "normal", "high", None], dtype=object)[rng.integers(0, 4, rows)],
            "agent_id": np.array(["agent_a", "agent_b"])[rng.integers(0, 2, rows)],
            "agent_release": np.array(["agent_a@1", "agent_b@1", "agent_b@2"])[rng.integers(0, 3, rows)],
            "autonomy_mode": np.array(["suggest", "resolve"])[rng.integers(0, 2, rows)],
            "confidence": np.round(confidence, 3),
            "amount_at_stake": amount,
            "customer_sentiment": np.round(rng.uniform(-1, 1, rows), 2),
            "customer_requested_human": pd.array(rng.random(rows) < 0.1, dtype="boolean"),
            "customer_prior_cases": rng.integers(0, 5, rows),
            "handled_hour": handled_at.hour.to_numpy(),
            "handled_weekday": handled_at.weekday.to_numpy() + 1,
            "is_handling_wrong": wrong,
            "is_label_mature": mature,
        }
    )
