"""Approval memos: one per recommended promotion or demotion, for a support leader to sign.

Pure functions from one row of marts.rpt_autonomy_recommendations (a dict)
and the case type's incidents to markdown or offline HTML. A memo says what
changes, why (the rule that decided it), the evidence of every rule with its
numbers, the risk, the open and recent severe incidents, and leaves room for
the decision and a signature.
"""

from __future__ import annotations

import html
import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

from trustloop.formats import percent

TIER_MEANING = {
    "shadow": "sandbox: drafts nothing the customer sees",
    "triage": "classifies and routes cases",
    "suggest": "drafts replies, a person sends them",
    "resolve": "acts alone",
}
DIMENSIONS = ("accuracy", "escalation", "tone", "policy_adherence")
MEMO_FILE = re.compile(r"^[a-z0-9_]+_(promote|demote)\.(md|html)$")
OUTCOME_WORDS = {
    "clear": "clears",
    "breach": "BREACH",
    "short": "not cleared yet",
    "no_evidence": "no evidence",
    "frozen": "frozen",
}


def _day(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def memo_filename(rec: dict[str, Any]) -> str:
    """<case_type>_<action> (no extension); safe as a file name."""
    name = re.sub(r"[^a-z0-9_]+", "_", str(rec["case_type"]).lower()).strip("_") or "case_type"
    return f"{name}_{rec['action']}"


def evidence_rows(rec: dict[str, Any]) -> list[list[str]]:
    """(rule, outcome, evidence, requirement) for every rule of the recommendation."""
    rows = []
    for d in DIMENSIONS:
        label = d.replace("_", " ")
        pact = rec.get(f"pact_{d}_id") or "policy threshold"
        n = rec.get(f"pact_{d}_evaluations") or 0
        evidence = (
            f"{percent(rec.get(f'pact_{d}_rate'))} passed of {n} evaluations "
            f"(95% bounds {percent(rec.get(f'pact_{d}_lower'))} to {percent(rec.get(f'pact_{d}_upper'))})"
            if n
            else "no evaluations in the window"
        )
        rows.append([
            f"pact: {label} ({pact})",
            OUTCOME_WORDS.get(rec.get(f"rule_pact_{d}"), str(rec.get(f"rule_pact_{d}"))),
            evidence,
            f"lower bound >= {percent(rec.get(f'pact_{d}_threshold'))} to promote; upper bound below it demotes",
        ])
    n = rec.get("escalations_required") or 0
    rows.append([
        "escalation compliance",
        OUTCOME_WORDS.get(rec.get("rule_escalation"), str(rec.get("rule_escalation"))),
        f"{percent(rec.get('escalation_compliance_rate'))} of {n} required escalations handed off in time "
        f"(95% bounds {percent(rec.get('escalation_compliance_lower'))} to {percent(rec.get('escalation_compliance_upper'))})"
        if n else "no escalation required in the window",
        f"lower bound >= {percent(rec.get('min_escalation_compliance'))} to promote; upper bound below it demotes",
    ])
    n = rec.get("autonomous_resolutions") or 0
    rows.append([
        "customer disputes",
        OUTCOME_WORDS.get(rec.get("rule_dispute"), str(rec.get("rule_dispute"))),
        f"{percent(rec.get('dispute_rate'))} of {n} autonomous resolutions disputed "
        f"(95% bounds {percent(rec.get('dispute_rate_lower'))} to {percent(rec.get('dispute_rate_upper'))})"
        if n else "no autonomous resolution in the window",
        f"upper bound < {percent(rec.get('max_dispute_rate'))} to promote; lower bound above it demotes",
    ])
    rows.append([
        "model risk",
        OUTCOME_WORDS.get(rec.get("rule_model_risk"), str(rec.get("rule_model_risk"))),
        f"predicted {percent(rec.get('predicted_risk'))} over {rec.get('predicted_cases') or 0} cases "
        f"(95% interval {percent(rec.get('predicted_risk_lower'))} to {percent(rec.get('predicted_risk_upper'))})"
        if rec.get("predicted_risk") is not None else "no prediction",
        f"upper bound < {percent(rec.get('risk_appetite'))} (risk appetite) to promote; lower bound above it demotes",
    ])
    rows.append([
        "evidence volume",
        OUTCOME_WORDS.get(rec.get("rule_evidence"), str(rec.get("rule_evidence"))),
        f"{rec.get('evidence_volume') or 0} evaluated cases",
        f"at least {rec.get('min_evidence')} to promote",
    ])
    rows.append([
        "incident freeze",
        OUTCOME_WORDS.get(rec.get("rule_freeze"), str(rec.get("rule_freeze"))),
        f"{rec.get('severe_incidents_in_freeze') or 0} sev1/sev2 incident(s) detected since {_day(rec.get('freeze_start_at'))}",
        f"none in the last {rec.get('freeze_days')} days to promote",
    ])
    return rows


def _sections(rec: dict[str, Any], incidents: list[dict[str, Any]], context: dict[str, Any]) -> list[tuple]:
    action, case_type = rec["action"], rec["case_type"]
    current, recommended = rec["current_tier"], rec["recommended_tier"]
    verb = {"promote": "Promote", "demote": "Demote"}.get(action, "Hold")
    change = (
        f"{verb} the AI agent on **{case_type}** cases from **{current}** ({TIER_MEANING.get(current, '')}) "
        f"to **{recommended}** ({TIER_MEANING.get(recommended, '')})."
    )
    if not rec.get("is_catalogued"):
        change += (
            " The policy catalog does not list this case type: its defaults apply, and its current tier is the "
            "mode observed in the logs. Consider adding it to the catalog with this decision."
        )
    facts = [
        ["as-of date (end of the latest complete ISO week)", _day(rec.get("as_of_date"))],
        ["evidence window", f"{_day(rec.get('window_start_at'))} to {_day(rec.get('window_end_at'))} "
                            f"({rec.get('window_weeks')} weeks)"],
        ["policy version", str(rec.get("policy_version"))],
        ["risk model version", str(rec.get("model_version"))
         + (" (empirical-rate fallback)" if rec.get("is_model_fallback") else "")],
    ] + [[k, str(v)] for k, v in context.items()]
    risk = (
        f"Predicted probability that the AI's handling of a {case_type} case goes wrong: "
        f"{percent(rec.get('predicted_risk'))} (95% interval {percent(rec.get('predicted_risk_lower'))} to "
        f"{percent(rec.get('predicted_risk_upper'))}) against a risk appetite of {percent(rec.get('risk_appetite'))}. "
        f"Empirical rate among the window's cases with a final label: {percent(rec.get('empirical_rate'))} "
        f"({rec.get('labelled_cases') or 0} cases)."
    )
    incident_rows = [
        [
            str(i.get("incident_id")), str(i.get("severity")), str(i.get("category")), _day(i.get("detected_at")),
            "open" if i.get("resolved_at") is None else f"resolved {_day(i.get('resolved_at'))}",
        ]
        for i in incidents
    ]
    return [
        ("h1", f"Approval memo: {verb.lower()} {case_type} from {current} to {recommended}"),
        ("table", (["", ""], facts)),
        ("h2", "The change"),
        ("p", change),
        ("h2", "Why"),
        ("p", str(rec.get("reasons") or "")),
        ("h2", "The evidence, rule by rule"),
        ("table", (["rule", "outcome", "evidence", "requirement"], evidence_rows(rec))),
        ("h2", "The risk"),
        ("p", risk),
        ("h2", "Open and recent severe incidents"),
        ("table", (["incident", "severity", "category", "detected", "status"], incident_rows))
        if incident_rows else ("p", "None."),
        ("h2", "Decision"),
        ("p", "[ ] approve    [ ] reject    [ ] defer"),
        ("p", "Name: ______________________    Role: ______________________    Date: __________"),
        ("p", "Signature: ______________________"),
    ]


def render_memo_markdown(
    rec: dict[str, Any], incidents: list[dict[str, Any]] | None = None, context: dict[str, Any] | None = None
) -> str:
    lines: list[str] = []
    for kind, content in _sections(rec, incidents or [], context or {}):
        if kind == "h1":
            lines += [f"# {content}", ""]
        elif kind == "h2":
            lines += [f"## {content}", ""]
        elif kind == "p":
            lines += [content, ""]
        else:
            headers, rows = content
            lines.append("| " + " | ".join(headers) + " |")
            lines.append("|" + "|".join("---" for _ in headers) + "|")
            lines += ["| " + " | ".join(c.replace("|", "/") for c in row) + " |" for row in rows]
            lines.append("")
    return "\n".join(lines)


def render_memo_html(
    rec: dict[str, Any], incidents: list[dict[str, Any]] | None = None, context: dict[str, Any] | None = None
) -> str:
    e = html.escape

    def inline(text: str) -> str:
        return re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", e(text))

    body: list[str] = []
    title = ""
    for kind, content in _sections(rec, incidents or [], context or {}):
        if kind == "h1":
            title = content
            body.append(f"<h1>{e(content)}</h1>")
        elif kind == "h2":
            body.append(f"<h2>{e(content)}</h2>")
        elif kind == "p":
            body.append(f"<p>{inline(content)}</p>")
        else:
            headers, rows = content
            head = "" if not any(headers) else "<thead><tr>" + "".join(f"<th>{e(h)}</th>" for h in headers) + "</tr></thead>"
            body.append(
                f"<table>{head}<tbody>"
                + "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>" for row in rows)
                + "</tbody></table>"
            )
    style = (
        "body{font-family:system-ui,sans-serif;max-width:960px;margin:2em auto;color:#111;padding:0 1em}"
        "table{border-collapse:collapse;margin:.5em 0 1em}td,th{border:1px solid #ddd;padding:4px 8px;"
        "text-align:left;vertical-align:top}th{background:#f5f5f5}"
    )
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{e(title)}</title>'
        f"<style>{style}</style></head><body>" + "\n".join(body) + "</body></html>\n"
    )


def write_memos(recommendations: list[dict], incidents: dict[str, list[dict]], directory: Path,
                context: dict) -> list[Path]:
    """Write a memo per promote/demote; drop stale memos of the same as-of date. Returns the files written."""
    written: list[Path] = []
    by_day: dict[str, list[dict]] = {}
    for rec in recommendations:
        by_day.setdefault(str(rec["as_of_date"] or "undated"), []).append(rec)
    for day, recs in by_day.items():
        folder = directory / day
        keep: set[str] = set()
        for rec in recs:
            if rec["action"] not in ("promote", "demote"):
                continue
            folder.mkdir(parents=True, exist_ok=True)
            stem = memo_filename(rec)
            found = incidents.get(rec["case_type"], [])
            for suffix, text in ((".md", render_memo_markdown(rec, found, context)),
                                 (".html", render_memo_html(rec, found, context))):
                path = folder / f"{stem}{suffix}"
                path.write_text(text)
                written.append(path)
                keep.add(path.name)
        if folder.is_dir():
            for path in folder.iterdir():
                if MEMO_FILE.match(path.name) and path.name not in keep:
                    path.unlink()
    return written
