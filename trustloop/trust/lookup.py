"""Trust lookup: an agent's Score, tier, components, evidence and current autonomy.

``lookup("agent_support_beta")`` answers what an agent platform asks before
granting autonomy. It reads the published trust snapshot (see snapshot.py),
so the CLI, Python and the HTTP service give the same answer, also while a
run is writing the warehouse.
"""

from __future__ import annotations

from typing import Any

import duckdb

from trustloop.formats import percent
from trustloop.trust.canonical import rows_as_dicts
from trustloop.trust.snapshot import Source, current_source, has_table, open_source, snapshot_meta

# Mirrors the weights and cut-offs in dbt_project/models/marts/trust_lookup/rpt_agent_scores.sql
# (tests/trust/test_score.py checks the two agree).
WEIGHTS = {"pact": 0.35, "escalation": 0.20, "dispute": 0.15, "incident": 0.15, "evidence": 0.15}
TIER_CUTOFFS = {"trusted": 800, "established": 650, "developing": 500, "watch": 350, "restricted": 0}
HISTORY_WEEKS = 12


class UnknownAgent(LookupError):
    """No score for this agent id."""


def _components(row: dict[str, Any]) -> dict[str, dict[str, Any]]:
    def part(name: str, basis: str, **evidence: Any) -> dict[str, Any]:
        value = row[f"{name}_component"]
        return {
            "value": value,
            "weight": WEIGHTS[name],
            "points": round(1000 * WEIGHTS[name] * value, 1) if value is not None else None,
            "basis": basis,
            **evidence,
        }

    return {
        "pact": part(
            "pact", "Wilson 95% lower bound of the pact pass rate (all dimensions)",
            evaluations=row["evaluations"], passed=row["evaluations_passed"],
            rate=row["pact_pass_rate"], lower_bound=row["pact_pass_lower"],
        ),
        "escalation": part(
            "escalation", "Wilson 95% lower bound of the escalation compliance rate",
            required=row["escalations_required"], compliant=row["escalations_compliant"],
            rate=row["escalation_compliance_rate"], lower_bound=row["escalation_compliance_lower"],
            upper_bound=row["escalation_compliance_upper"],
        ),
        "dispute": part(
            "dispute", "1 - Wilson 95% upper bound of the dispute rate of autonomous resolutions",
            autonomous_resolutions=row["autonomous_resolutions"], disputes=row["disputes"],
            disputes_upheld=row["disputes_upheld"], rate=row["dispute_rate"], lower_bound=row["dispute_rate_lower"],
            upper_bound=row["dispute_rate_upper"],
        ),
        "incident": part(
            "incident", "max(0, 1 - 10 x (severity points + 3) / AI-handled cases)",
            incidents=row["incidents"], incidents_sev1_sev2=row["incidents_sev1_sev2"],
            severity_points=row["incident_points"], handled_cases=row["handled_cases"],
        ),
        "evidence": part(
            "evidence", "evaluated cases / (evaluated cases + policy min_evidence)",
            evaluated_cases=row["evaluated_cases"], min_evidence=row["min_evidence"],
        ),
    }


def breaches(row: dict[str, Any]) -> list[str]:
    """The policy limits the agent breaches in the window, each judged on the bound fair to the agent.

    While any is listed the published tier is at most ``watch`` (rpt_agent_scores).
    """
    out = []
    if row["is_escalation_breach"]:
        out.append(
            f"escalation compliance {percent(row['escalation_compliance_rate'])} (upper bound "
            f"{percent(row['escalation_compliance_upper'])}, {row['escalations_required']} escalations) is below "
            f"the {percent(row['min_escalation_compliance'])} minimum")
    if row["is_dispute_breach"]:
        out.append(
            f"dispute rate {percent(row['dispute_rate'])} (lower bound {percent(row['dispute_rate_lower'])}, "
            f"{row['autonomous_resolutions']} autonomous resolutions) is above the "
            f"{percent(row['max_dispute_rate'])} limit")
    return out


def _autonomy(con: duckdb.DuckDBPyConnection, agent_id: str) -> list[dict[str, Any]]:
    """Per case type the agent handles: the current tier (recommendations > policy catalog > observed)."""
    handled = rows_as_dicts(
        con.execute(
            """select case_type, is_catalogued_case_type, catalog_tier, observed_mode, handled_cases,
                      handled_cases_window, autonomous_resolutions, escalated_cases
               from marts.rpt_agent_case_types where agent_id = ? order by case_type""",
            [agent_id],
        )
    )
    recommendations: dict[str, dict[str, Any]] = {}
    if has_table(con, "marts", "rpt_autonomy_recommendations"):
        columns = {
            r[0]
            for r in con.execute(
                """select column_name from information_schema.columns
                   where table_schema = 'marts' and table_name = 'rpt_autonomy_recommendations'"""
            ).fetchall()
        }
        wanted = [c for c in ("current_tier", "recommended_tier", "action") if c in columns]
        if "case_type" in columns and "current_tier" in columns:
            order = ""
            for candidate in ("as_of_date", "as_of", "recommended_at", "week_start", "period_start"):
                if candidate in columns:
                    order = f" order by {candidate}"
                    break
            # one row per case type: the latest when the table keeps history
            for row in rows_as_dicts(
                con.execute(f"select case_type, {', '.join(wanted)} from marts.rpt_autonomy_recommendations{order}")
            ):
                recommendations[row["case_type"]] = row
    out = []
    for row in handled:
        rec = recommendations.get(row["case_type"])
        if rec and rec.get("current_tier"):
            current, source = rec["current_tier"], "autonomy_recommendations"
        elif row["catalog_tier"]:
            current, source = row["catalog_tier"], "policy_catalog"
        else:
            current, source = row["observed_mode"], "observed_mode"
        out.append(
            {
                "case_type": row["case_type"],
                "current_tier": current,
                "tier_source": source,
                "recommended_tier": rec.get("recommended_tier") if rec else None,
                "action": rec.get("action") if rec else None,
                "is_catalogued": row["is_catalogued_case_type"],
                "observed_mode": row["observed_mode"],
                "handled_cases": row["handled_cases"],
                "handled_cases_in_window": row["handled_cases_window"],
                "autonomous_resolutions": row["autonomous_resolutions"],
                "escalated_cases": row["escalated_cases"],
            }
        )
    return out


def lookup_in(con: duckdb.DuckDBPyConnection, agent_id: str, source: Source | None = None) -> dict[str, Any]:
    """The trust lookup answer for ``agent_id`` from an open snapshot/warehouse connection."""
    rows = rows_as_dicts(
        con.execute(
            "select * from marts.rpt_agent_scores where agent_id = ? order by week_start desc limit ?",
            [agent_id, HISTORY_WEEKS],
        )
    )
    if not rows:
        raise UnknownAgent(f"no Score for agent {agent_id!r}")
    latest = rows[0]
    meta = snapshot_meta(con)
    return {
        "agent_id": agent_id,
        "score": latest["score"],
        "tier": latest["tier"],
        "score_tier": latest["score_tier"],
        "is_provisional": latest["is_provisional"],
        "is_in_breach": latest["is_in_breach"],
        "breaches": breaches(latest),
        "as_of": latest["as_of_date"],
        "week_start": latest["week_start"],
        "window": {"start": latest["window_start"], "weeks": latest["window_weeks"]},
        "previous_score": latest["previous_score"],
        "score_change": latest["score_change"],
        "components": _components(latest),
        "evidence": {
            "handled_cases": latest["handled_cases"],
            "evaluated_cases": latest["evaluated_cases"],
            "min_evidence": latest["min_evidence"],
            "evaluations": latest["evaluations"],
            "escalations_required": latest["escalations_required"],
            "autonomous_resolutions": latest["autonomous_resolutions"],
            "disputes": latest["disputes"],
            "incidents": latest["incidents"],
        },
        "tier_cutoffs": TIER_CUTOFFS,
        "history": [
            {
                "week_start": r["week_start"],
                "score": r["score"],
                "tier": r["tier"],
                "is_provisional": r["is_provisional"],
                "is_in_breach": r["is_in_breach"],
            }
            for r in reversed(rows)
        ],
        "autonomy": _autonomy(con, agent_id),
        "policy_version": meta.get("policy_version"),
        "published": {
            "source": source.kind if source else "snapshot",
            "published_at": meta.get("published_at"),
            "run_id": meta.get("run_id"),
        },
    }


def lookup(agent_id: str) -> dict[str, Any]:
    """Score, tier, components, evidence counts, as-of date and current autonomy of an AI agent.

    Raises ``UnknownAgent`` for an agent without a Score.
    """
    source = current_source()
    with open_source(source) as con:
        return lookup_in(con, agent_id, source)


def list_agents_in(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    return rows_as_dicts(
        con.execute(
            """select agent_id, score, tier, as_of_date from marts.rpt_agent_scores
               where is_latest order by agent_id"""
        )
    )


def list_agents() -> list[dict[str, Any]]:
    """Every scored agent with its latest score and tier."""
    with open_source() as con:
        return list_agents_in(con)
