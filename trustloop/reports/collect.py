"""Collect the weekly scorecard's data from the warehouse into a plain dict.

``collect_scorecard(con, week_start)`` only reads: marts (fct_trust_metrics, fct_incidents,
fct_cases, rpt_judge_agreement, rpt_roi_*), the policy's case-type table, the file ledger and,
when they exist, ``marts.rpt_autonomy_recommendations`` and ``quality.validation_results``.
Every number that comes straight from a mart row keeps a ``_src`` (table, key, columns), so the
page can say where it came from and tests can check it against the warehouse. Numbers the
report derives (rates pooled over weeks) say so, with the rows they pool.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from trustloop.reports.stats import pooled_rate
from trustloop.reports.weeks import iso_label, latest_complete_week, previous_weeks
from trustloop.warehouse import fetch_dicts

DIMENSIONS = ("accuracy", "escalation", "tone", "policy_adherence")
WEEKLY_RATES = ("escalation_compliance_rate", "dispute_rate", "upheld_dispute_rate")
TREND_WEEKS = 9  # the report week and the eight before it
RECOVERY_MONTHS = 6
RECENT_INCIDENT_DAYS = 28
TRUST_METRICS = "marts.fct_trust_metrics"
HANDLING_MODES = ("autonomous", "suggested", "escalated", "ai_assisted", "human_only")


# ------------------------------------------------------------------ warehouse helpers


def _exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    row = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?", [schema, table]
    ).fetchone()
    return bool(row and row[0])


def _columns(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> list[str]:
    return [
        r[0]
        for r in con.execute(
            """select column_name from information_schema.columns
               where table_schema = ? and table_name = ? order by ordinal_position""",
            [schema, table],
        ).fetchall()
    ]


def _num(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, Decimal):
        return float(value)
    return float(value)


def _src(table: str, key: dict[str, Any], columns: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"table": table, "key": key, "columns": columns or {}}


# ------------------------------------------------------------------ sections


def _meta(con, week_start: dt.date, today: dt.date, generated_at: dt.datetime) -> dict[str, Any]:
    data_from, data_as_of = con.execute("select min(created_at), max(updated_at) from marts.fct_cases").fetchone()
    policy_version = None
    window_weeks = 8
    if _exists(con, "raw", "policy_defaults"):
        row = fetch_dicts(con, "select * from raw.policy_defaults limit 1")
        if row:
            policy_version = row[0].get("policy_version")
            window_weeks = int(row[0].get("evidence_window_weeks") or window_weeks)
    week_end = week_start + dt.timedelta(days=6)
    return {
        "week_start": week_start,
        "week_end": week_end,
        "week_label": iso_label(week_start),
        "trend_weeks": previous_weeks(week_start, TREND_WEEKS),
        "window_weeks": window_weeks,
        "window_start": week_start - dt.timedelta(days=7 * (window_weeks - 1)),
        "data_as_of": data_as_of,
        "policy_version": policy_version,
        "generated_at": generated_at,
        "today": today,
        "is_complete_week": data_as_of is not None and data_as_of.date() >= week_end,
        # a week before the latest complete one: its metrics are its own, but the recommendations and the ROI
        # totals are the warehouse's latest (they are not kept per week), and the scorecard says so
        "is_past_week": data_as_of is not None and week_start < latest_complete_week(today, data_as_of.date()),
        "data_from": data_from,
        "is_before_data": data_from is None or week_end < data_from.date(),
        "is_after_data": data_as_of is not None and week_start > data_as_of.date(),
    }


def _dispute_lag(con, meta: dict[str, Any]) -> dict[str, Any]:
    """How long disputes take to arrive after an autonomous resolution, and whether the scorecard's week is
    still inside that time: its dispute rate then counts only the disputes filed so far."""
    if not _exists(con, "marts", "fct_autonomous_resolutions"):
        return {"p90_days": None, "disputes": 0, "still_arriving": False}
    p90, disputes = con.execute(
        """select quantile_cont(epoch(disputed_at - resolved_at) / 86400.0, 0.9), count(*)
           from marts.fct_autonomous_resolutions where disputed_at >= resolved_at"""
    ).fetchone()
    data_as_of = meta["data_as_of"]
    still = (p90 is not None and data_as_of is not None
             and dt.datetime.combine(meta["week_end"] + dt.timedelta(days=1), dt.time()) + dt.timedelta(days=p90)
             > data_as_of)
    return {"p90_days": p90, "disputes": disputes, "still_arriving": bool(still)}


def _case_types(con) -> dict[str, dict[str, Any]]:
    """Each case type with its current tier and pact thresholds (policy catalog, defaults applied)."""
    if not _exists(con, "intermediate", "int_case_types__policy"):
        return {}
    cols = set(_columns(con, "intermediate", "int_case_types__policy"))
    out: dict[str, dict[str, Any]] = {}
    for row in fetch_dicts(con, "select * from intermediate.int_case_types__policy order by case_type"):
        out[row["case_type"]] = {
            "tier": row.get("catalog_tier") if "catalog_tier" in cols else row.get("tier"),
            "is_catalogued": row.get("is_catalogued", True),
            "thresholds": {d: _num(row.get(f"pact_threshold_{d}")) for d in DIMENSIONS},
            "max_dispute_rate": _num(row.get("max_dispute_rate")),
            "min_escalation_compliance": _num(row.get("min_escalation_compliance")),
        }
    return out


def _metric_rows(con, meta) -> list[dict[str, Any]]:
    return fetch_dicts(
        con,
        f"""select metric, grain, grain_value, dimension, period, period_start, numerator, denominator, value,
                   value_lower, value_upper, incident_count, open_count
            from {TRUST_METRICS}
            where period = 'week' and period_start <= ?""",
        [meta["week_start"]],
    )


def _metric_src(row: dict[str, Any]) -> dict[str, Any]:
    key = {k: row[k] for k in ("metric", "grain", "grain_value", "dimension", "period", "period_start")}
    return _src(
        TRUST_METRICS,
        key,
        {c: row[c] for c in ("value", "value_lower", "value_upper", "numerator", "denominator") if c in row},
    )


def _rate_cell(row: dict[str, Any] | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {
        "value": _num(row["value"]),
        "lower": _num(row.get("value_lower")),
        "upper": _num(row.get("value_upper")),
        "numerator": row.get("numerator"),
        "denominator": row.get("denominator"),
        "period_start": row["period_start"],
        "_src": _metric_src(row),
    }


def _pool_spec(where: dict[str, Any], first: dt.date, last: dt.date) -> dict[str, Any]:
    """Which rows of fct_trust_metrics a pooled number sums (machine-readable, for the page)."""
    return {"table": TRUST_METRICS, "where": dict(where, period="week"), "from": first, "to": last}


def _pooled(rows: list[dict[str, Any]], meta, what: str, where: dict[str, Any]) -> dict[str, Any] | None:
    window = [r for r in rows if meta["window_start"] <= r["period_start"] <= meta["week_start"]]
    pooled = pooled_rate(window)
    if pooled is None:
        return None
    pooled["derived"] = (
        f"{what}: {pooled['numerator']} / {pooled['denominator']} pooled over {len(window)} weekly row(s) of "
        f"{TRUST_METRICS}, {meta['window_start']} to {meta['week_start']}"
    )
    pooled["pool"] = _pool_spec(where, meta["window_start"], meta["week_start"])
    return pooled


def _headline(metric_rows, meta, case_types) -> dict[str, list[dict[str, Any]]]:
    """Per case type and per agent: the week's value, the trend and the trailing-window pool."""
    by_key: dict[tuple, list[dict]] = defaultdict(list)
    for row in metric_rows:
        by_key[(row["grain"], row["grain_value"], row["metric"], row["dimension"])].append(row)
    out: dict[str, list[dict[str, Any]]] = {}
    trend_weeks = meta["trend_weeks"]
    for grain in ("case_type", "agent"):
        values = {r["grain_value"] for r in metric_rows if r["grain"] == grain and r["period_start"] >= trend_weeks[0]}
        if grain == "case_type":
            values |= set(case_types)
        entries = []
        for value in sorted(v for v in values if v is not None):
            metrics: dict[str, Any] = {}
            for metric in WEEKLY_RATES:
                rows = by_key.get((grain, value, metric, None), [])
                by_week = {r["period_start"]: r for r in rows}
                metrics[metric] = {
                    "week": _rate_cell(by_week.get(meta["week_start"])),
                    "trend": [_rate_cell(by_week.get(w)) for w in trend_weeks],
                    "window": _pooled(rows, meta, metric,
                                      {"metric": metric, "grain": grain, "grain_value": value, "dimension": None}),
                }
            # evidence quality: the pact dimension with the lowest pooled lower bound in the window
            weakest = None
            for dim in DIMENSIONS:
                pooled = _pooled(
                    by_key.get((grain, value, "pact_pass_rate", dim), []), meta, f"pact_pass_rate {dim}",
                    {"metric": "pact_pass_rate", "grain": grain, "grain_value": value, "dimension": dim},
                )
                if pooled and (weakest is None or pooled["lower"] < weakest["lower"]):
                    weakest = dict(pooled, dimension=dim)
            metrics["weakest_pact"] = weakest
            entry = {"grain": grain, "grain_value": value, "metrics": metrics}
            if grain == "case_type":
                entry["policy"] = case_types.get(value, {})
            entries.append(entry)
        out[grain] = entries
    return out


def _recovery(con, meta) -> dict[str, Any]:
    """Monthly recovery/detection statistics (fct_trust_metrics, period month) for the recent months."""
    month = meta["week_start"].replace(day=1)
    first = month
    for _ in range(RECOVERY_MONTHS - 1):
        first = (first - dt.timedelta(days=1)).replace(day=1)
    rows = fetch_dicts(
        con,
        f"""select metric, grain, grain_value, dimension, period, period_start, numerator, denominator, value,
                   incident_count, open_count
            from {TRUST_METRICS}
            where period = 'month' and period_start between ? and ?""",
        [first, month],
    )
    months = []
    m = first
    while m <= month:
        months.append(m)
        m = (m + dt.timedelta(days=32)).replace(day=1)
    cells: dict[tuple, dict] = {}
    for row in rows:
        cells[(row["grain"], row["grain_value"], row["metric"], row["period_start"])] = {
            "value": _num(row["value"]),
            "denominator": row["denominator"],
            "incident_count": row["incident_count"],
            "open_count": row["open_count"],
            "_src": _src(
                TRUST_METRICS,
                {k: row[k] for k in ("metric", "grain", "grain_value", "dimension", "period", "period_start")},
                {"value": row["value"], "denominator": row["denominator"]},
            ),
        }
    return {"month": month, "months": months, "cells": cells}


def _pacts(metric_rows, meta, case_types) -> list[dict[str, Any]]:
    rows_by: dict[tuple, list[dict]] = defaultdict(list)
    for row in metric_rows:
        if row["metric"] == "pact_pass_rate" and row["grain"] == "case_type":
            rows_by[(row["grain_value"], row["dimension"])].append(row)
    names = sorted({k[0] for k in rows_by} | set(case_types))
    out = []
    for case_type in names:
        dims = {}
        for dim in DIMENSIONS:
            rows = rows_by.get((case_type, dim), [])
            by_week = {r["period_start"]: r for r in rows}
            dims[dim] = {
                "week": _rate_cell(by_week.get(meta["week_start"])),
                "trend": [_rate_cell(by_week.get(w)) for w in meta["trend_weeks"]],
                "window": _pooled(rows, meta, f"pact_pass_rate {dim}", {
                    "metric": "pact_pass_rate", "grain": "case_type", "grain_value": case_type, "dimension": dim}),
                "threshold": case_types.get(case_type, {}).get("thresholds", {}).get(dim),
            }
        out.append({"case_type": case_type, "dimensions": dims})
    return out


def _judge(con, meta) -> dict[str, Any]:
    table = "marts.rpt_judge_agreement"
    if not _exists(con, "marts", "rpt_judge_agreement"):
        return {"available": False, "note": f"{table} is not in the warehouse (run `trustloop run`)."}
    rows = fetch_dicts(
        con,
        f"""select * from {table}
            where period = 'trailing_window' and period_start = ? and grain in ('all', 'case_type')
            order by grain, grain_value, dimension""",
        [meta["week_start"]],
    )
    weekly = fetch_dicts(
        con,
        f"""select * from {table}
            where period = 'week' and grain = 'all' and dimension = 'all' and period_start between ? and ?
            order by period_start""",
        [meta["trend_weeks"][0], meta["week_start"]],
    )

    def cell(row):
        key = {k: row[k] for k in ("grain", "grain_value", "dimension", "period", "period_start")}
        cols = ("pairs", "agreements", "agreement_rate", "agreement_lower", "agreement_upper", "cohens_kappa")
        return dict(row, _src=_src(table, key, {c: row[c] for c in cols}))

    return {
        "available": True,
        "by_dimension": [cell(r) for r in rows if r["grain"] == "all"],
        "by_case_type": [cell(r) for r in rows if r["grain"] == "case_type" and r["dimension"] == "all"],
        "weekly": {r["period_start"]: cell(r) for r in weekly},
    }


def _incidents(con, meta) -> dict[str, Any]:
    end = dt.datetime.combine(meta["week_end"] + dt.timedelta(days=1), dt.time())
    recent_from = end - dt.timedelta(days=RECENT_INCIDENT_DAYS)
    rows = fetch_dicts(
        con,
        """select incident_id, severity, category, agent_id, case_type, started_at, detected_at, resolved_at,
                  detection_hours, recovery_hours, customers_affected, remediation_cost, is_in_recovery_scope
           from marts.fct_incidents
           where detected_at < ? and (resolved_at is null or resolved_at >= ? or detected_at >= ?)
           order by detected_at desc, incident_id""",
        [end, end, recent_from],
    )
    open_rows, recent_rows = [], []
    for row in rows:
        row["_src"] = _src(
            "marts.fct_incidents",
            {"incident_id": row["incident_id"]},
            {"recovery_hours": row["recovery_hours"], "detection_hours": row["detection_hours"],
             "remediation_cost": row["remediation_cost"]},
        )
        open_at_end = row["resolved_at"] is None or row["resolved_at"] >= end
        row["open_at_week_end"] = open_at_end
        row["hours_open_at_week_end"] = (end - row["detected_at"]).total_seconds() / 3600.0 if open_at_end else None
        (open_rows if open_at_end else recent_rows).append(row)
    return {"open": open_rows, "recent": recent_rows, "recent_days": RECENT_INCIDENT_DAYS, "end": end}


def _memo_stem(row: dict[str, Any]) -> str | None:
    """The memo file name (no extension) of a promote/demote recommendation, as trustloop.autonomy names it."""
    if str(row.get("action") or "").lower() not in ("promote", "demote") or not row.get("case_type"):
        return None
    try:
        from trustloop.autonomy.memo import memo_filename
    except ImportError:  # pragma: no cover - the memo writer is part of the product
        return f"{row['case_type']}_{row['action']}"
    return memo_filename(row)


def _find_memo(memo_dir: Path | None, row: dict[str, Any]) -> str | None:
    """The approval memo of a recommendation, as a path relative to the memo folder (None when absent).

    Memos live in <memos>/<as_of_date>/<case_type>_<action>.html (and .md); the HTML one is linked.
    """
    if memo_dir is None or not memo_dir.is_dir():
        return None
    for column in ("memo_path", "memo_file", "memo"):
        value = row.get(column)
        if value and (memo_dir / str(value)).is_file():
            return Path(str(value)).as_posix()
    stem = _memo_stem(row)
    if stem is None:
        return None
    as_of = row.get("as_of_date") or row.get("as_of")
    if isinstance(as_of, dt.datetime):
        as_of = as_of.date()
    for suffix in (".html", ".md"):
        if as_of is not None and (memo_dir / str(as_of) / f"{stem}{suffix}").is_file():
            return f"{as_of}/{stem}{suffix}"
    for suffix in (".html", ".md"):
        found = sorted(memo_dir.rglob(f"{stem}{suffix}"))
        if found:
            return found[-1].relative_to(memo_dir).as_posix()
    return None


def _recommendations(con, memo_dir: Path | None) -> dict[str, Any]:
    table = "marts.rpt_autonomy_recommendations"
    if not _exists(con, "marts", "rpt_autonomy_recommendations"):
        return {"available": False, "note": f"Recommendations are not available: {table} is not in the warehouse."}
    cols = _columns(con, "marts", "rpt_autonomy_recommendations")
    where, params = "", []
    as_of_col = next((c for c in ("as_of", "as_of_date", "recommended_at", "evaluated_at", "created_at") if c in cols), None)
    if as_of_col:
        where = f' where "{as_of_col}" = (select max("{as_of_col}") from {table})'
    order = ", ".join(c for c in ("case_type",) if c in cols) or "1"
    rows = fetch_dicts(con, f"select * from {table}{where} order by {order}", params)
    for row in rows:
        row["_memo"] = _find_memo(memo_dir, row)
    return {"available": True, "columns": cols, "as_of_column": as_of_col, "rows": rows, "memo_dir": memo_dir}


def _quality(con) -> dict[str, Any]:
    out: dict[str, Any] = {}
    table = "quality.validation_results"
    if _exists(con, "quality", "validation_results"):
        cols = _columns(con, "quality", "validation_results")
        ts = next((c for c in ("validated_at", "run_at", "run_time", "checked_at", "created_at", "evaluated_at") if c in cols), None)
        suite = next((c for c in ("suite", "suite_name", "expectation_suite") if c in cols), None)
        rows = fetch_dicts(con, f"select * from {table}")
        if ts and suite and "run_id" in cols:
            latest: dict[Any, tuple] = {}
            for r in rows:
                if r[ts] is not None and (r[suite] not in latest or r[ts] > latest[r[suite]][0]):
                    latest[r[suite]] = (r[ts], r["run_id"])
            rows = [r for r in rows if r[suite] in latest and r["run_id"] == latest[r[suite]][1]]
        elif ts:
            newest = max((r[ts] for r in rows if r[ts] is not None), default=None)
            rows = [r for r in rows if r[ts] == newest]
        success_col = next((c for c in ("success", "passed") if c in cols), None)
        # the expectations, as `trustloop quality` counts them: a rule's per-file results (rows with a
        # subject) detail one expectation and are listed when they fail, not counted as checks of their own
        expectations = [r for r in rows if r.get("subject") is None]
        out["validation"] = {
            "available": True,
            "columns": cols,
            "suite_column": suite,
            "time_column": ts,
            "success_column": success_col,
            "rows": rows,
            "expectations": expectations,
            "checked": len(expectations),
            # every failed row, the per-file details included: the scorecard lists them all
            "failed": [r for r in rows if success_col and r[success_col] is False],
        }
        # a failed check of a non-blocking suite (drift, coverage of optional fields) is a warning: the
        # evidence stands; older results without the column count as blocking
        failed = [r for r in expectations if success_col and r[success_col] is False]
        out["validation"]["blocking_failed"] = [r for r in failed if r.get("blocking", True) is not False]
        out["validation"]["warnings"] = [r for r in failed if r.get("blocking", True) is False]
    else:
        out["validation"] = {
            "available": False,
            "note": f"Data-quality results are not available: {table} is not in the warehouse.",
        }
    ledger = []
    if _exists(con, "raw", "file_ledger"):
        per_source: dict[str, dict[str, int]] = {}
        for r in fetch_dicts(con, """select source, status, rows_read, rows_loaded, rows_new, rows_duplicate,
                                            rows_quarantined from raw.file_ledger"""):
            s = per_source.setdefault(
                r["source"], {"files": 0, "rejected": 0, "skipped": 0, "rows_read": 0, "rows_loaded": 0,
                              "rows_new": 0, "rows_duplicate": 0, "rows_quarantined": 0, "unreconciled_files": 0}
            )
            if r["status"] == "skipped_duplicate_file":
                s["skipped"] += 1
                continue
            s["files"] += 1
            s["rejected"] += r["status"] == "rejected"
            s["rows_read"] += r["rows_read"]
            s["rows_loaded"] += r["rows_loaded"]
            s["rows_new"] += r["rows_new"] or 0
            s["rows_duplicate"] += r["rows_duplicate"] or 0
            s["rows_quarantined"] += r["rows_quarantined"]
            s["unreconciled_files"] += r["rows_read"] != r["rows_loaded"] + r["rows_quarantined"]
        ledger = [dict(source=k, **v) for k, v in sorted(per_source.items())]
    out["ledger"] = ledger
    return out


def _roi(con, meta) -> dict[str, Any]:
    if not _exists(con, "marts", "rpt_roi_total"):
        return {"available": False, "note": "ROI tables are not in the warehouse (run `trustloop run`)."}
    total = fetch_dicts(con, "select * from marts.rpt_roi_total order by is_total desc, case_type")
    monthly = fetch_dicts(con, "select * from marts.rpt_roi_monthly where month_start <= ? order by month_start, case_type",
                    [meta["week_end"]])
    for r in total:
        r["_src"] = _src("marts.rpt_roi_total", {"case_type": r["case_type"]})
    for r in monthly:
        r["_src"] = _src("marts.rpt_roi_monthly", {"case_type": r["case_type"], "month_start": r["month_start"]})
    months = sorted({r["month_start"] for r in monthly})[-RECOVERY_MONTHS:]
    by_month = []
    for m in months:
        rows = [r for r in monthly if r["month_start"] == m]
        by_month.append({
            "month_start": m,
            "total_cost": sum(_num(r["total_cost"]) or 0 for r in rows),
            "baseline_cost": sum(_num(r["baseline_cost"]) or 0 for r in rows),
            "savings": sum(_num(r["savings"]) or 0 for r in rows),
            "rows": len(rows),
        })
    currency = next((r["currency"] for r in total if r.get("currency")), None)
    return {"available": True, "total": total, "by_month": by_month, "currency": currency,
            "has_costs": currency is not None}


def _assumptions(con) -> list[dict[str, Any]]:
    if not _exists(con, "marts", "rpt_roi_assumptions"):
        return []
    rows = fetch_dicts(
        con,
        """select * from marts.rpt_roi_assumptions
           order by case name when 'ai_cost_per_case' then 1 when 'human_cost_per_case' then 2
                              when 'review_cost_per_suggestion' then 3 when 'dispute_cost' then 4 else 5 end,
                    case_type nulls first""",
    )
    for r in rows:
        r["_src"] = _src("marts.rpt_roi_assumptions", {"assumption_key": r["assumption_key"]}, {"value": r["value"]})
    return rows


def _versions(con, meta) -> dict[str, list[dict[str, Any]]]:
    rows = fetch_dicts(
        con,
        f"""select metric, grain, grain_value, dimension, period, period_start, numerator, denominator, value,
                   value_lower, value_upper
            from {TRUST_METRICS}
            where grain = 'agent_version' and period = 'week' and period_start <= ?""",
        [meta["week_start"]],
    )
    by_version: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        by_version[r["grain_value"]].append(r)
    agents: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for grain_value, vrows in by_version.items():
        agent, _, version = grain_value.partition("@")
        weeks = sorted({r["period_start"] for r in vrows})
        metrics = {}
        for metric in ("escalation_compliance_rate", "dispute_rate", "pact_pass_rate"):
            mrows = [r for r in vrows if r["metric"] == metric]
            pooled = pooled_rate(mrows)
            if pooled:
                pooled["derived"] = (
                    f"{metric}{' (all dimensions)' if metric == 'pact_pass_rate' else ''}: "
                    f"{pooled['numerator']} / {pooled['denominator']} pooled over {len(mrows)} weekly row(s) of "
                    f"{TRUST_METRICS} for {grain_value}, {weeks[0]} to {weeks[-1]}"
                )
                where = {"metric": metric, "grain": "agent_version", "grain_value": grain_value}
                if metric != "pact_pass_rate":
                    where["dimension"] = None
                pooled["pool"] = _pool_spec(where, weeks[0], weeks[-1])
            metrics[metric] = pooled
        agents[agent].append({
            "grain_value": grain_value,
            "version": version,
            "first_week": weeks[0],
            "last_week": weeks[-1],
            "active_in_week": weeks[-1] == meta["week_start"],
            "metrics": metrics,
        })
    for versions in agents.values():
        versions.sort(key=lambda v: (v["first_week"], v["version"]))
    return dict(sorted(agents.items()))


def _glance(con, meta) -> dict[str, Any]:
    start = dt.datetime.combine(meta["week_start"], dt.time())
    end = start + dt.timedelta(days=7)
    counts = dict(
        con.execute(
            """select handling_mode, count(*) from marts.fct_cases
               where created_at >= ? and created_at < ? group by handling_mode""",
            [start, end],
        ).fetchall()
    )
    return {
        "cases_by_mode": {m: int(counts.get(m, 0)) for m in HANDLING_MODES},
        "cases_total": int(sum(counts.values())),
        "_src_note": "marts.fct_cases, cases created in the week, by handling_mode",
    }


# ------------------------------------------------------------------ entry point


def choose_week(con: duckdb.DuckDBPyConnection, today: dt.date) -> dt.date:
    """The latest complete ISO week, by the calendar and by the data (see weeks.latest_complete_week)."""
    row = con.execute("select max(updated_at) from marts.fct_cases").fetchone()
    data_end = row[0].date() if row and row[0] is not None else None
    return latest_complete_week(today, data_end)


def _agent_scores(con, meta) -> dict[str, dict[str, Any]]:
    """Each agent's Score and published tier for the scorecard's week (marts.rpt_agent_scores), by agent."""
    if not _exists(con, "marts", "rpt_agent_scores"):
        return {}
    from trustloop.trust.lookup import breaches

    rows = fetch_dicts(con, "select * from marts.rpt_agent_scores where week_start = ?", [meta["week_start"]])
    return {r["agent_id"]: {"score": r["score"], "tier": r["tier"], "score_tier": r["score_tier"],
                            "is_provisional": r["is_provisional"], "breaches": breaches(r)} for r in rows}


def collect_scorecard(
    con: duckdb.DuckDBPyConnection,
    week_start: dt.date | None = None,
    *,
    today: dt.date | None = None,
    memo_dir: Path | None = None,
    generated_at: dt.datetime | None = None,
) -> dict[str, Any]:
    """Everything the weekly scorecard shows, for the ISO week starting ``week_start`` (a Monday)."""
    generated_at = generated_at or dt.datetime.now(dt.UTC).replace(microsecond=0)
    today = today or generated_at.date()
    if not _exists(con, "marts", "fct_trust_metrics") or not _exists(con, "marts", "fct_cases"):
        raise LookupError("the warehouse has no trust marts yet: run `trustloop run` first")
    if week_start is None:
        week_start = choose_week(con, today)
    if week_start.weekday() != 0:
        raise ValueError(f"a week starts on a Monday, got {week_start}")
    meta = _meta(con, week_start, today, generated_at)
    meta["dispute_lag"] = _dispute_lag(con, meta)
    case_types = _case_types(con)
    metric_rows = _metric_rows(con, meta)
    return {
        "meta": meta,
        "case_types": case_types,
        "glance": _glance(con, meta),
        "headline": _headline(metric_rows, meta, case_types),
        "agent_scores": _agent_scores(con, meta),
        "recovery": _recovery(con, meta),
        "pacts": _pacts(metric_rows, meta, case_types),
        "judge": _judge(con, meta),
        "incidents": _incidents(con, meta),
        "recommendations": _recommendations(con, memo_dir),
        "quality": _quality(con),
        "roi": _roi(con, meta),
        "assumptions": _assumptions(con),
        "versions": _versions(con, meta),
    }
