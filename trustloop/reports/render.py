"""Render the weekly scorecard as ONE self-contained HTML page.

No external anything: the CSS is inline, the charts are inline SVG made in Python
(trustloop.reports.charts), there is no script, no web font and no link off the page
except relative links to the approval memos written beside it. ``@media print``
lays it out for paper.

Every number taken from a mart row carries ``data-table``, ``data-key`` (JSON),
``data-column`` and ``data-value`` attributes: a reader (or a test) can find the row it
came from. Numbers the report pools over weeks carry ``data-derived`` with the rows
they pool.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from html import escape
from typing import Any
from urllib.parse import quote

from trustloop.reports.charts import (
    Point,
    grouped_bars,
    high_rate_domain,
    high_rate_spark_domain,
    interval_plot,
    sparkline,
)
from trustloop.reports.collect import DIMENSIONS, HANDLING_MODES

METRIC_LABELS = {
    "escalation_compliance_rate": "Escalation compliance",
    "dispute_rate": "Dispute rate",
    "upheld_dispute_rate": "Upheld dispute rate",
    "pact_pass_rate": "Pact pass rate",
}
# for which metrics a higher value is better (colours the week's value against its bounds)
HIGHER_IS_BETTER = {"escalation_compliance_rate": True, "dispute_rate": False, "upheld_dispute_rate": False}
DIMENSION_LABELS = {
    "accuracy": "Accuracy",
    "escalation": "Escalation",
    "tone": "Tone",
    "policy_adherence": "Policy adherence",
    "all": "All dimensions",
}
ASSUMPTION_LABELS = {
    "ai_cost_per_case": "AI cost per case",
    "human_cost_per_case": "Human cost per case",
    "review_cost_per_suggestion": "Review cost per suggestion",
    "dispute_cost": "Cost of a dispute",
    "durable_window_days": "Durable-resolution window",
}

CSS = """
:root { --ink:#1b1f24; --muted:#5b6470; --line:#d5dae0; --bg:#ffffff; --panel:#f6f8fa; --accent:#1f5fbf;
        --good:#1a7f37; --bad:#c62828; --warn:#9a6700; --band:#1f5fbf26; --s0:#1f5fbf; --s1:#9aa4b1; --s2:#e07b00; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: var(--bg);
       font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
header.top { padding: 20px 28px 12px; border-bottom: 3px solid var(--accent); }
header.top h1 { margin: 0 0 4px; font-size: 24px; }
header.top .sub { color: var(--muted); }
nav.toc { padding: 8px 28px; background: var(--panel); border-bottom: 1px solid var(--line); font-size: 13px; }
nav.toc a { color: var(--accent); margin-right: 14px; text-decoration: none; white-space: nowrap; }
main { padding: 8px 28px 28px; max-width: 1400px; }
section { margin: 22px 0 8px; }
section > h2 { font-size: 18px; margin: 0 0 4px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
p.note, .note { color: var(--muted); font-size: 12.5px; margin: 4px 0 10px; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 10px 0; }
.card { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 10px 14px; min-width: 170px; }
.card .big { font-size: 22px; font-weight: 600; }
.card .lbl { color: var(--muted); font-size: 12px; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; margin: 6px 0 10px; font-size: 13px; }
th, td { border-bottom: 1px solid var(--line); padding: 5px 9px; text-align: left; vertical-align: top; }
th { background: var(--panel); font-weight: 600; white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.metric { min-width: 165px; }
td.key { white-space: nowrap; }
.v { font-weight: 600; font-variant-numeric: tabular-nums; }
.ci, .n { color: var(--muted); font-size: 11.5px; white-space: nowrap; }
.good { color: var(--good); } .bad { color: var(--bad); } .warn { color: var(--warn); }
.none { color: var(--muted); }
.tag { display: inline-block; padding: 0 6px; border-radius: 3px; font-size: 11.5px; border: 1px solid var(--line); }
.tag.promote { color: var(--good); border-color: var(--good); } .tag.demote { color: var(--bad); border-color: var(--bad); }
.tag.hold { color: var(--muted); }
.unavailable { background: var(--panel); border: 1px dashed var(--line); padding: 10px 14px; color: var(--muted); }
svg.chart { display: block; overflow: visible; }
svg.chart text { font: 11px system-ui, Arial, sans-serif; fill: var(--muted); }
svg.chart text.label { fill: var(--ink); }
svg.chart text.value { fill: var(--ink); font-weight: 600; }
svg.chart .line { fill: none; stroke: var(--accent); stroke-width: 1.6; }
svg.chart .band { fill: var(--band); stroke: none; }
svg.chart .whisker, svg.chart .ci { stroke: var(--accent); stroke-width: 2; opacity: .55; }
svg.chart .dot { fill: var(--accent); }
svg.chart .dot.last { fill: var(--ink); }
svg.chart .threshold { stroke: var(--bad); stroke-dasharray: 3 2; stroke-width: 1; }
svg.chart .grid { stroke: var(--line); stroke-width: 1; }
svg.chart .axisline { stroke: var(--muted); stroke-width: 1; }
svg.chart rect.s0 { fill: var(--s0); } svg.chart rect.s1 { fill: var(--s1); } svg.chart rect.s2 { fill: var(--s2); }
ul.reasons { margin: 0; padding-left: 16px; }
footer { color: var(--muted); font-size: 12px; padding: 14px 28px; border-top: 1px solid var(--line); }
@media print {
  @page { size: A4 landscape; margin: 12mm; }
  body { font-size: 10.5px; }
  nav.toc { display: none; }
  main { padding: 0; max-width: none; }
  header.top { padding: 0 0 6px; }
  section { break-inside: avoid-page; page-break-inside: avoid; }
  section.breakable { break-inside: auto; page-break-inside: auto; }
  table { font-size: 10px; }
  tr { break-inside: avoid; page-break-inside: avoid; }
  .scroll { overflow: visible; }
  a { color: var(--ink); text-decoration: none; }
  .card { border-color: #999; }
}
"""


# ------------------------------------------------------------------ formatting


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(type(value))


def _raw(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value)


def pct(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value * 100:.{digits}f}%"


def ci_text(lower: float | None, upper: float | None) -> str:
    if lower is None or upper is None:
        return ""
    # a Wilson bound at 0 or 1 can come out a rounding error beyond it: print it as 0 / 100
    return f"95% CI {min(max(lower, 0.0), 1.0) * 100:.1f}–{min(max(upper, 0.0), 1.0) * 100:.1f}%"


def _signed(v: float, unit_before: str = "", unit_after: str = "") -> str:
    """A number to two decimals with a typographic minus sign (U+2212) before any unit: −EUR 1,200.00, −0.40×."""
    return f"{'−' if v < 0 else ''}{unit_before}{abs(v):,.2f}{unit_after}"


def money(value: Any, currency: str | None) -> str:
    return "—" if value is None else _signed(float(value), currency + " " if currency else "")


def hours(value: Any) -> str:
    return "—" if value is None else f"{float(value):,.1f} h"


def ratio(value: Any) -> str:
    return "—" if value is None else _signed(float(value), unit_after="×")


def count(value: Any) -> str:
    return "—" if value is None else f"{int(value):,}"


def day(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return value.isoformat() if isinstance(value, dt.date) else escape(str(value))


def on_date(value: Any) -> str:
    """The date of a date or timestamp (``day`` shows a timestamp's time too)."""
    return day(value.date() if isinstance(value, dt.datetime) else value)


def attrs(src: dict[str, Any] | None, column: str | None = None, value: Any = None) -> str:
    """data-* attributes tying a rendered number to its mart row."""
    if not src or column is None:
        return ""
    key = json.dumps(src["key"], default=_json_default, sort_keys=True)
    return (
        f' data-table="{escape(src["table"])}" data-key="{escape(key)}" data-column="{escape(column)}"'
        f' data-value="{escape(_raw(value))}"'
    )


def derived(pooled: dict[str, Any] | None) -> str:
    """data-* attributes of a rate the report pools over weekly mart rows (data-pool says which rows)."""
    if not pooled:
        return ""
    pool = json.dumps(pooled.get("pool"), default=_json_default, sort_keys=True)
    return (
        f' data-derived="{escape(pooled["derived"])}" data-pool="{escape(pool)}" data-value="{escape(_raw(pooled["value"]))}"'
        f' data-numerator="{pooled["numerator"]}" data-denominator="{pooled["denominator"]}" title="{escape(pooled["derived"])}"'
    )


def td(content: str, cls: str = "", extra: str = "") -> str:
    class_attr = f' class="{cls}"' if cls else ""
    return f"<td{class_attr}{extra}>{content}</td>"


def unavailable(note: str) -> str:
    return f'<div class="unavailable">{escape(note)}</div>'


# ------------------------------------------------------------------ building blocks


def _points(trend: list[dict | None], weeks: list[dt.date]) -> list[Point]:
    return [
        Point(str(w), None) if c is None else Point(str(w), c["value"], c["lower"], c["upper"])
        for c, w in zip(trend, weeks, strict=True)
    ]


def _rate_td(metric: str, entry: dict[str, Any], weeks: list[dt.date], label: str,
             threshold: float | None = None, provisional: str | None = None) -> str:
    week = entry["week"]
    window = entry["window"]
    parts = []
    if week is None:
        parts.append('<span class="v none">—</span> <span class="n">none this week</span>')
    else:
        cls = ""
        if threshold is not None and week["lower"] is not None:
            higher = HIGHER_IS_BETTER.get(metric, True)
            bound = week["lower"] if higher else week["upper"]
            cls = " good" if (bound >= threshold if higher else bound <= threshold) else ""
            if higher and week["upper"] < threshold or not higher and week["lower"] > threshold:
                cls = " bad"
        parts.append(
            f'<span class="v{cls}"{attrs(week["_src"], "value", week["value"])}>{pct(week["value"])}</span> '
            f'<span class="n"{attrs(week["_src"], "denominator", week["denominator"])}>'
            f'{week["numerator"]}/{week["denominator"]}</span><br>'
            f'<span class="ci"{attrs(week["_src"], "value_lower", week["lower"])}>{ci_text(week["lower"], week["upper"])}</span>'
        )
    if provisional and week is not None:
        parts.append(f'<br><span class="tag provisional" title="{escape(provisional)}">provisional</span>')
    if window is not None:
        parts.append(
            f'<br><span class="ci"{derived(window)}>'
            f'window {pct(window["value"])} ({window["numerator"]}/{window["denominator"]})</span>'
        )
    points = _points(entry["trend"], weeks)
    domain = high_rate_spark_domain(points, threshold)
    if not HIGHER_IS_BETTER.get(metric, True):  # small rates: scale to the data (and the limit), not to 100%
        values = [p.value for p in points if p.value is not None]
        domain = (0.0, max([v * 1.5 for v in values] + [threshold * 2 if threshold else 0.0, 0.05]))
    parts.append(sparkline(points, f"{label}: weekly trend with 95% bounds", threshold=threshold, domain=domain))
    return td("".join(parts), "metric")


def _weakest_td(weakest: dict[str, Any] | None, thresholds: dict[str, float | None] | None) -> str:
    if weakest is None:
        return td('<span class="none">no evaluations in the window</span>', "metric")
    threshold = (thresholds or {}).get(weakest["dimension"])
    cls = ""
    if threshold is not None:
        cls = " good" if weakest["lower"] >= threshold else (" bad" if weakest["upper"] < threshold else " warn")
    return td(
        f'<span class="n">{escape(DIMENSION_LABELS[weakest["dimension"]])}</span><br>'
        f'<span class="v{cls}"{derived(weakest)}>{pct(weakest["value"])}</span> '
        f'<span class="n">{weakest["numerator"]}/{weakest["denominator"]}</span><br>'
        f'<span class="ci">{ci_text(weakest["lower"], weakest["upper"])}</span>'
        + (f'<br><span class="n">threshold {pct(threshold, 0)}</span>' if threshold is not None else ""),
        "metric",
    )


def _recovery_td(recovery: dict[str, Any], grain: str, value: str) -> str:
    cells = recovery["cells"]
    month = recovery["month"]
    median = cells.get((grain, value, "recovery_hours_median", month))
    p90 = cells.get((grain, value, "recovery_hours_p90", month))
    trend = [cells.get((grain, value, "recovery_hours_median", m)) for m in recovery["months"]]
    points = [Point(str(m), None if c is None else c["value"]) for c, m in zip(trend, recovery["months"], strict=True)]
    if median is None:
        body = f'<span class="none">no resolved incident in {month:%b %Y}</span>'
    else:
        body = (
            f'<span class="v"{attrs(median["_src"], "value", median["value"])}>{hours(median["value"])}</span> '
            f'<span class="n">median</span><br>'
            f'<span class="ci">p90 <span{attrs(p90["_src"], "value", p90["value"]) if p90 else ""}>'
            f'{hours(p90["value"]) if p90 else "—"}</span></span> '
            f'<span class="n"{attrs(median["_src"], "denominator", median["denominator"])}>'
            f'{median["denominator"]} resolved, {median["open_count"]} open</span>'
        )
    if any(p.value is not None for p in points):
        body += sparkline(points, f"recovery hours (median) by month, {value}", domain=None)
    return td(body, "metric")


# ------------------------------------------------------------------ sections


def _header(data: dict[str, Any]) -> str:
    meta = data["meta"]
    if meta["is_before_data"]:
        completeness = (' <span class="warn">(no data in this week: the cases start on '
                        f'{on_date(meta["data_from"])})</span>' if meta["data_from"] else
                        ' <span class="warn">(no cases in the warehouse)</span>')
    elif meta.get("is_after_data"):
        completeness = (' <span class="warn">(no data in this week: the data ends on '
                        f'{on_date(meta["data_as_of"])})</span>')
    else:
        completeness = "" if meta["is_complete_week"] else (
            ' <span class="warn">(the data does not yet cover the whole week)</span>'
        )
    past = ""
    if meta["is_past_week"]:
        past = ('<p class="note past-week">A past week: its metrics, trends and incidents are that week\'s; the '
                "recommendations and the ROI totals are the latest (data as of "
                f"{on_date(meta['data_as_of'])}), as the warehouse keeps them.</p>")
    return (
        '<header class="top">'
        f'<h1>Trust scorecard — week {escape(meta["week_label"])}</h1>'
        f'<div class="sub">{meta["week_start"]:%a %d %b %Y} to {meta["week_end"]:%a %d %b %Y} (UTC){completeness} · '
        f'policy {escape(str(meta["policy_version"] or "unknown"))} · data as of {day(meta["data_as_of"])} · '
        f'generated {meta["generated_at"]:%Y-%m-%d %H:%M} UTC</div>'
        f"{past}</header>"
    )


SECTIONS = [
    ("glance", "At a glance"),
    ("case-types", "By case type"),
    ("agents", "By agent"),
    ("versions", "By agent version"),
    ("pacts", "Pact pass rates"),
    ("judges", "Judge agreement"),
    ("incidents", "Incidents"),
    ("recommendations", "Recommendations"),
    ("quality", "Data quality"),
    ("roi", "ROI"),
    ("assumptions", "Assumptions"),
]


def _nav() -> str:
    return '<nav class="toc">' + "".join(f'<a href="#{k}">{escape(v)}</a>' for k, v in SECTIONS) + "</nav>"


def _glance(data: dict[str, Any]) -> str:
    g = data["glance"]
    inc = data["incidents"]
    rec = data["recommendations"]
    quality = data["quality"]
    roi = data["roi"]
    cards = [
        (count(g["cases_total"]), "cases opened this week", ' data-glance="cases_total"'),
        (count(g["cases_by_mode"]["autonomous"]), "of them resolved by the AI alone", ' data-glance="cases_autonomous"'),
        (count(len(inc["open"])), "incidents open at the week's end", ' data-glance="open_incidents"'),
    ]
    if rec["available"]:
        changes = [r for r in rec["rows"] if str(r.get("action", "")).lower() not in ("hold", "")]
        as_of = next((r.get(rec["as_of_column"]) for r in rec["rows"]), None) if rec["as_of_column"] else None
        cards.append((count(len(changes)), "autonomy changes recommended"
                      + (f" (as of {on_date(as_of)})" if as_of is not None else ""), ""))
    v = quality["validation"]
    if v["available"]:
        cards.append((count(len(v["blocking_failed"])), f"failed data-quality expectations (of {v['checked']})", ""))
        if v["warnings"]:
            cards.append((count(len(v["warnings"])), "data-quality warnings (not blocking)", ""))
    unreconciled = sum(s["unreconciled_files"] for s in quality["ledger"])
    cards.append(("OK" if unreconciled == 0 else count(unreconciled),
                  "landing files reconcile" if unreconciled == 0 else "files do not reconcile", ""))
    total = next((r for r in roi.get("total", []) if r["is_total"]), None)
    if total is not None and roi.get("has_costs"):
        cards.append((money(total["savings"], roi["currency"]),
                      f"savings vs all-human, whole history to {on_date(data['meta']['data_as_of'])}",
                      attrs(total["_src"], "savings", total["savings"])))
    modes = " · ".join(f"{m.replace('_', ' ')} {g['cases_by_mode'][m]}" for m in HANDLING_MODES)
    return (
        '<section id="glance"><h2>At a glance</h2><div class="cards">'
        + "".join(f'<div class="card"><div class="big"{a}>{v}</div><div class="lbl">{escape(lbl)}</div></div>'
                  for v, lbl, a in cards)
        + f'</div><p class="note">Cases opened this week by handling mode: {escape(modes)}.</p></section>'
    )


def _score_td(score: dict[str, Any] | None) -> str:
    """An agent's Score (0-1000) and published tier, with why the tier is capped when it is."""
    if score is None:
        return td("—")
    why = []
    if score["breaches"]:
        why.append("breaches a policy limit: " + "; ".join(score["breaches"]))
    elif score["is_provisional"] and score["tier"] != score["score_tier"]:
        why.append("too little evidence yet")
    capped = (f' <span class="tag bad" title="{escape(why[0])}">capped from {escape(score["score_tier"])}</span>'
              if score["tier"] != score["score_tier"] else "")
    return td(f'<strong>{score["score"]}</strong> {escape(score["tier"])}{capped}'
              + (f'<br><span class="n">{escape(why[0])}</span>' if why else ""),
              "metric", f' data-score="{score["score"]}" data-tier="{escape(score["tier"])}"')


def _dispute_note(lag: dict[str, Any] | None) -> str | None:
    """Why this week's dispute rates are provisional, or None when the week's disputes have had time to arrive."""
    if not lag or not lag["still_arriving"]:
        return None
    return (f"disputes still arriving: 90% of disputes come within {lag['p90_days']:.0f} days of the resolution "
            f"({lag['disputes']} observed), and the data does not reach that far past this week")


def _headline_section(data: dict[str, Any], grain: str, anchor: str, title: str) -> str:
    meta = data["meta"]
    weeks = meta["trend_weeks"]
    arriving = _dispute_note(meta.get("dispute_lag"))
    rows = []
    for entry in data["headline"][grain]:
        value = entry["grain_value"]
        policy = entry.get("policy", {})
        m = entry["metrics"]
        cells = [td(f"<strong>{escape(value)}</strong>")]
        if grain == "case_type":
            tier = policy.get("tier") or "—"
            flag = "" if policy.get("is_catalogued", True) else ' <span class="tag">uncatalogued</span>'
            cells.append(td(escape(str(tier)) + flag))
        else:
            cells.append(_score_td(data.get("agent_scores", {}).get(value)))
        cells.append(_rate_td("escalation_compliance_rate", m["escalation_compliance_rate"], weeks,
                              f"escalation compliance, {value}", policy.get("min_escalation_compliance")))
        cells.append(_rate_td("dispute_rate", m["dispute_rate"], weeks, f"dispute rate, {value}",
                              policy.get("max_dispute_rate"), provisional=arriving))
        cells.append(_rate_td("upheld_dispute_rate", m["upheld_dispute_rate"], weeks, f"upheld dispute rate, {value}",
                              provisional=arriving))
        cells.append(_recovery_td(data["recovery"], grain, value))
        cells.append(_weakest_td(m["weakest_pact"], policy.get("thresholds")))
        rows.append(f'<tr data-grain="{grain}" data-grain-value="{escape(value)}">' + "".join(cells) + "</tr>")
    head = ["Case type", "Tier"] if grain == "case_type" else ["Agent", "Score and tier"]
    head += ["Escalation compliance", "Dispute rate", "Upheld dispute rate",
             f"Recovery after incidents ({data['recovery']['month']:%b %Y})",
             f"Evidence quality: weakest pact ({meta['window_weeks']} wk)"]
    note = (
        f"The week's value with its numerator/denominator and 95% Wilson interval; 'window' pools the "
        f"{meta['window_weeks']} weeks {meta['window_start']} to {meta['week_start']}. Lines show the last "
        f"{len(weeks)} weeks with their 95% band; the dashed line is the policy's limit. Recovery is monthly "
        "(month of detection); the sparkline shows the monthly median."
    )
    if arriving:
        note += (f" This week's dispute rates are provisional ({arriving}): they count the disputes filed so far, "
                 "and the last weeks of every trend will rise as the rest arrive.")
    if grain == "agent":
        note += (" Score and tier: the Agent Score (0-1000) over the same window, as the trust lookup gives it; the "
                 "tier is capped at watch while the agent breaches a policy limit, at developing while its evidence "
                 "is short of the policy's minimum.")
    return (
        f'<section id="{anchor}" class="breakable"><h2>{escape(title)}</h2><p class="note">{escape(note)}</p>'
        '<div class="scroll"><table><thead><tr>' + "".join(f"<th>{escape(h)}</th>" for h in head)
        + "</tr></thead><tbody>" + "".join(rows) + "</tbody></table></div></section>"
    )


def _versions_section(data: dict[str, Any]) -> str:
    versions = data["versions"]
    if not versions:
        return '<section id="versions"><h2>By agent version</h2>' + unavailable("No agent-version metrics yet.") + "</section>"
    parts = [
        '<section id="versions" class="breakable"><h2>By agent version</h2><p class="note">Each release of each '
        "agent, oldest first, with its rates pooled over every week it was active (up to this week) and their 95% "
        "Wilson intervals: a release that moved a metric stands out.</p>"
    ]
    for agent, rows in versions.items():
        parts.append(f"<h3>{escape(agent)}</h3><div class=\"scroll\"><table><thead><tr><th>Version</th>"
                     "<th>Active weeks</th><th>Escalation compliance</th><th>Dispute rate</th>"
                     "<th>Pact pass rate (all dimensions)</th></tr></thead><tbody>")
        for v in rows:
            cells = [td(f"<strong>{escape(v['version'] or 'unknown')}</strong>"
                        + (' <span class="tag">current</span>' if v["active_in_week"] else "")),
                     td(f"{v['first_week']} to {v['last_week']}")]
            for metric in ("escalation_compliance_rate", "dispute_rate", "pact_pass_rate"):
                p = v["metrics"][metric]
                if p is None:
                    cells.append(td('<span class="none">—</span>'))
                else:
                    cells.append(td(
                        f'<span class="v"{derived(p)}>{pct(p["value"])}</span> '
                        f'<span class="n">{p["numerator"]}/{p["denominator"]}</span><br>'
                        f'<span class="ci">{ci_text(p["lower"], p["upper"])}</span>'
                    ))
            parts.append(f'<tr data-agent-version="{escape(v["grain_value"])}">' + "".join(cells) + "</tr>")
        parts.append("</tbody></table></div>")
        charts = []
        for metric in ("dispute_rate", "pact_pass_rate"):
            pts = [Point(v["version"] or "unknown", *(
                (v["metrics"][metric]["value"], v["metrics"][metric]["lower"], v["metrics"][metric]["upper"])
                if v["metrics"][metric] else (None, None, None))) for v in rows]
            domain = high_rate_domain(pts) if metric == "pact_pass_rate" else (0.0, max(
                [p.upper for p in pts if p.upper is not None] + [0.05]))
            charts.append(f"<div><div class=\"note\">{escape(METRIC_LABELS[metric])} by release</div>"
                          + interval_plot(pts, f"{METRIC_LABELS[metric]} by release of {agent}", width=380,
                                          label_width=90, domain=domain) + "</div>")
        parts.append('<div class="cards">' + "".join(charts) + "</div>")
    parts.append("</section>")
    return "".join(parts)


def _pacts_section(data: dict[str, Any]) -> str:
    meta = data["meta"]
    weeks = meta["trend_weeks"]
    head = "".join(f"<th>{escape(DIMENSION_LABELS[d])}</th>" for d in DIMENSIONS)
    rows = []
    for entry in data["pacts"]:
        cells = [td(f"<strong>{escape(entry['case_type'])}</strong>")]
        for dim in DIMENSIONS:
            d = entry["dimensions"][dim]
            window, week, threshold = d["window"], d["week"], d["threshold"]
            if window is None:
                body = '<span class="none">no evaluations in the window</span>'
            else:
                cls = ""
                if threshold is not None:
                    cls = " good" if window["lower"] >= threshold else (" bad" if window["upper"] < threshold else " warn")
                body = (
                    f'<span class="v{cls}"{derived(window)}>{pct(window["value"])}</span> '
                    f'<span class="n">{window["numerator"]}/{window["denominator"]}</span><br>'
                    f'<span class="ci">{ci_text(window["lower"], window["upper"])}</span>'
                )
            if week is not None:
                body += (f'<br><span class="n">this week <span{attrs(week["_src"], "value", week["value"])}>'
                         f'{pct(week["value"])}</span> ({week["numerator"]}/{week["denominator"]})</span>')
            if threshold is not None:
                body += f'<br><span class="n">threshold {pct(threshold, 0)}</span>'
            trend = _points(d["trend"], weeks)
            body += sparkline(trend, f"{dim} pass rate, {entry['case_type']}", threshold=threshold,
                              domain=high_rate_spark_domain(trend, threshold))
            cells.append(td(body, "metric"))
        rows.append(f'<tr data-case-type="{escape(entry["case_type"])}">' + "".join(cells) + "</tr>")
    note = (
        f"Evaluation events that passed / all evaluation events of the dimension on AI-handled cases, pooled over the "
        f"{meta['window_weeks']}-week evidence window ending this week, with 95% Wilson intervals; green: the lower "
        "bound clears the policy threshold, red: the upper bound is below it, amber: undecided."
    )
    return (
        '<section id="pacts" class="breakable"><h2>Pact pass rates by dimension</h2>'
        f'<p class="note">{escape(note)}</p><div class="scroll"><table><thead><tr><th>Case type</th>{head}'
        "</tr></thead><tbody>" + "".join(rows) + "</tbody></table></div></section>"
    )


def _judge_section(data: dict[str, Any]) -> str:
    judge = data["judge"]
    meta = data["meta"]
    if not judge["available"]:
        return '<section id="judges"><h2>Judge agreement</h2>' + unavailable(judge["note"]) + "</section>"

    def row(r: dict[str, Any], label: str) -> str:
        s = r["_src"]
        kappa = r["cohens_kappa"]
        kcls = "" if kappa is None else (" good" if kappa >= 0.6 else (" bad" if kappa < 0.4 else " warn"))
        return (
            "<tr>" + td(f"<strong>{escape(label)}</strong>")
            + td(count(r["pairs"]), "num", attrs(s, "pairs", r["pairs"]))
            + td(f'<span class="v"{attrs(s, "agreement_rate", r["agreement_rate"])}>{pct(r["agreement_rate"])}</span>'
                 f'<br><span class="ci">{ci_text(r["agreement_lower"], r["agreement_upper"])}</span>', "num")
            + td(f'<span class="v{kcls}">{"—" if kappa is None else f"{kappa:.2f}"}</span>', "num",
                 attrs(s, "cohens_kappa", kappa))
            + td(pct(r["auto_pass_rate"]), "num") + td(pct(r["human_pass_rate"]), "num")
            + "</tr>"
        )

    head = ("<tr><th></th><th class=\"num\">Pairs</th><th class=\"num\">Agreement</th><th class=\"num\">Cohen's κ</th>"
            "<th class=\"num\">auto_eval passes</th><th class=\"num\">human QA passes</th></tr>")
    by_dim = sorted(judge["by_dimension"], key=lambda r: (r["dimension"] == "all", r["dimension"]))
    if not by_dim:
        body = unavailable(f"No case was judged by both evaluators in the {meta['window_weeks']} weeks to this week.")
    else:
        agreement = [Point(DIMENSION_LABELS.get(r["dimension"], r["dimension"]), r["agreement_rate"],
                           r["agreement_lower"], r["agreement_upper"]) for r in by_dim]
        body = (
            "<div class=\"scroll\"><table><thead>" + head + "</thead><tbody>"
            + "".join(row(r, DIMENSION_LABELS.get(r["dimension"], r["dimension"])) for r in by_dim)
            + "</tbody></table></div>"
            + interval_plot(agreement, "agreement rate by pact dimension with 95% interval",
                            domain=high_rate_domain(agreement))
        )
        if judge["by_case_type"]:
            body += ("<h3>By case type (all dimensions)</h3><div class=\"scroll\"><table><thead>"
                     + head.replace("<th></th>", "<th>Case type</th>") + "</thead><tbody>"
                     + "".join(row(r, r["grain_value"]) for r in judge["by_case_type"]) + "</tbody></table></div>")
    weekly = [judge["weekly"].get(w) for w in meta["trend_weeks"]]
    if any(w is not None for w in weekly):
        by_week = [Point(str(w), None if c is None else c["agreement_rate"],
                         None if c is None else c["agreement_lower"], None if c is None else c["agreement_upper"])
                   for c, w in zip(weekly, meta["trend_weeks"], strict=True)]
        body += ('<div class="note">Weekly agreement rate, all dimensions (pairs completed in the week)</div>'
                 + sparkline(by_week, "weekly judge agreement", width=300, height=50,
                             domain=high_rate_spark_domain(by_week)))
    note = (
        "The automated evaluator (auto_eval) against human QA on the same case and pact dimension (each one's latest "
        f"verdict), over the {meta['window_weeks']} weeks ending this week. κ corrects agreement for chance: "
        "above 0.6 substantial, below 0.4 weak; empty when one verdict was given throughout."
    )
    return f'<section id="judges"><h2>Judge agreement</h2><p class="note">{escape(note)}</p>{body}</section>'


def _incidents_section(data: dict[str, Any], currency: str | None) -> str:
    inc = data["incidents"]

    def table(rows: list[dict[str, Any]], open_: bool) -> str:
        if not rows:
            return '<p class="note">None.</p>'
        head = ["Incident", "Severity", "Category", "Agent", "Case type", "Detected", "Detection",
                "Open for" if open_ else "Resolved", "" if open_ else "Recovery", "Customers", "Remediation"]
        out = ["<div class=\"scroll\"><table><thead><tr>"
               + "".join(f"<th>{escape(h)}</th>" for h in head if h) + "</tr></thead><tbody>"]
        for r in rows:
            s = r["_src"]
            sev = f'<span class="{"bad" if r["severity"] in ("sev1", "sev2") else ""}">{escape(r["severity"])}</span>'
            cells = [
                td(f"<strong>{escape(r['incident_id'])}</strong>"), td(sev), td(escape(r["category"])),
                td(escape(r["agent_id"] or "—")), td(escape(r["case_type"] or "—")), td(day(r["detected_at"])),
                td(hours(r["detection_hours"]), "num", attrs(s, "detection_hours", r["detection_hours"])),
            ]
            if open_:
                cells.append(td(hours(r["hours_open_at_week_end"]), "num"))
            else:
                cells.append(td(day(r["resolved_at"])))
                cells.append(td(hours(r["recovery_hours"]), "num", attrs(s, "recovery_hours", r["recovery_hours"])))
            cells.append(td(count(r["customers_affected"]), "num"))
            cells.append(td(money(r["remediation_cost"], currency), "num",
                            attrs(s, "remediation_cost", r["remediation_cost"])))
            out.append(f'<tr data-incident="{escape(r["incident_id"])}">' + "".join(cells) + "</tr>")
        out.append("</tbody></table></div>")
        return "".join(out)

    return (
        '<section id="incidents" class="breakable"><h2>Incidents</h2>'
        f'<h3>Open at the end of the week ({len(inc["open"])})</h3>' + table(inc["open"], True)
        + f'<h3>Resolved, detected in the last {inc["recent_days"]} days ({len(inc["recent"])})</h3>'
        + table(inc["recent"], False)
        + '<p class="note">Detection = detected − started; recovery = resolved − detected (hours), from '
        "marts.fct_incidents. Incidents detected after the week are not shown.</p></section>"
    )


def _reasons(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError:
            parsed = None
        if isinstance(parsed, list):
            value = parsed
        else:
            items = [p.strip() for p in value.split(";") if p.strip()]
            value = items if len(items) > 1 else value
    if isinstance(value, list | tuple):
        return '<ul class="reasons">' + "".join(f"<li>{escape(str(v))}</li>" for v in value) + "</ul>"
    return escape(str(value))


def _recommendations_section(data: dict[str, Any]) -> str:
    rec = data["recommendations"]
    if not rec["available"]:
        return '<section id="recommendations"><h2>Recommendations</h2>' + unavailable(rec["note"]) + "</section>"
    cols = rec["columns"]
    if not rec["rows"]:
        return ('<section id="recommendations"><h2>Recommendations</h2>'
                + unavailable("No recommendation in the warehouse yet.") + "</section>")
    out = ['<section id="recommendations" class="breakable"><h2>Recommendations</h2><div class="scroll"><table><thead><tr>'
           "<th>Case type</th><th>Tier</th><th>Recommendation</th><th class=\"num\">Predicted risk</th>"
           "<th class=\"num\">Evidence</th><th>Reasons</th><th>Approval memo</th></tr></thead><tbody>"]
    for r in rec["rows"]:
        action = str(r.get("action") or "")
        tag_cls = action.lower() if action.lower() in ("promote", "demote", "hold") else ""
        tiers = f"{escape(str(r.get('current_tier') or '—'))}"
        if r.get("recommended_tier") and r.get("recommended_tier") != r.get("current_tier"):
            tiers += f" → <strong>{escape(str(r['recommended_tier']))}</strong>"
        risk = r.get("predicted_risk")
        risk_text = "—" if risk is None else pct(float(risk))
        if r.get("predicted_risk_upper") is not None:
            risk_text += f'<br><span class="ci">upper {pct(float(r["predicted_risk_upper"]))}</span>'
        key = {c: r[c] for c in ("case_type",) if c in cols}
        if rec["as_of_column"]:
            key[rec["as_of_column"]] = r[rec["as_of_column"]]
        src = {"table": "marts.rpt_autonomy_recommendations", "key": key}
        memo = r.get("_memo")
        if memo:
            memo_html = f'<a class="memo" href="memos/{escape(quote(memo))}">{escape(memo.rsplit("/", 1)[-1])}</a>'
        elif action.lower() in ("promote", "demote"):
            memo_html = '<span class="warn">memo not found</span>'
        else:
            memo_html = '<span class="none">no change, no memo</span>'
        out.append(
            f'<tr data-case-type="{escape(str(r.get("case_type")))}">'
            + td(f"<strong>{escape(str(r.get('case_type')))}</strong>") + td(tiers)
            + td(f'<span class="tag {tag_cls}">{escape(action or "—")}</span>')
            + td(risk_text, "num", attrs(src, "predicted_risk", risk) if risk is not None else "")
            + td(count(r.get("evidence_volume")) if r.get("evidence_volume") is not None else "—", "num")
            + td(_reasons(r.get("reasons"))) + td(memo_html) + "</tr>"
        )
    out.append("</tbody></table></div>")
    if rec["as_of_column"] and rec["rows"]:
        out.append(f'<p class="note">Recommendations as of {escape(day(rec["rows"][0][rec["as_of_column"]]))}, '
                   "from marts.rpt_autonomy_recommendations (the latest build); each change links its approval memo."
                   "</p>")
    if rec.get("control_map"):
        out.append('<p class="note">Each pact and rule behind these recommendations, the tables that evidence it '
                   f'and the checks on them: the <a class="controls" href="{escape(quote(rec["control_map"]))}">'
                   "control map</a>.</p>")
    out.append("</section>")
    return "".join(out)


def _quality_section(data: dict[str, Any]) -> str:
    q = data["quality"]
    v = q["validation"]
    out = ['<section id="quality"><h2>Data quality</h2>']
    if not v["available"]:
        out.append(unavailable(v["note"]))
    else:
        suite_col, ok_col = v["suite_column"], v["success_column"]
        per_suite: dict[str, list[int]] = {}
        for r in v["expectations"]:  # a rule's per-file results are listed below when they fail, not counted
            s = per_suite.setdefault(str(r.get(suite_col) if suite_col else "checks"), [0, 0])
            s[0] += 1
            s[1] += bool(ok_col and r.get(ok_col))
        when = ""
        if v["time_column"] and v["rows"]:
            when = f" (latest run: {day(max(r[v['time_column']] for r in v['rows'] if r[v['time_column']] is not None))})"
        out.append(f"<h3>Latest checks{escape(when)}</h3><table><thead><tr><th>Suite</th><th class=\"num\">Expectations</th>"
                   "<th class=\"num\">Passed</th><th class=\"num\">Failed</th></tr></thead><tbody>")
        for suite, (n, ok) in sorted(per_suite.items()):
            out.append("<tr>" + td(escape(suite)) + td(str(n), "num") + td(str(ok), "num")
                       + td(f'<span class="{"bad" if n - ok else "good"}">{n - ok}</span>', "num") + "</tr>")
        out.append("</tbody></table>")
        if v["failed"]:
            show = [c for c in ("suite", "suite_name", "severity", "table", "table_name", "batch", "expectation",
                                "subject", "description", "observed_value", "unexpected_count", "element_count")
                    if c in v["columns"]]
            out.append("<h3>Failed checks</h3><p class=\"note\">Severity ERROR blocked the evidence built on the "
                       "table in that run; WARN is reported and blocks nothing.</p><div class=\"scroll\"><table><thead><tr>"
                       + "".join(f"<th>{escape(c)}</th>" for c in show) + "</tr></thead><tbody>")
            for r in v["failed"]:
                out.append("<tr>" + "".join(td(escape(_raw(r.get(c)))[:300]) for c in show) + "</tr>")
            out.append("</tbody></table></div>")
    ledger = q["ledger"]
    if ledger:
        out.append("<h3>Landing files reconciliation</h3><table><thead><tr><th>Source</th><th class=\"num\">Files</th>"
                   "<th class=\"num\">Rejected</th><th class=\"num\">Copies of a file read (skipped)</th>"
                   "<th class=\"num\">Rows read</th><th class=\"num\">Loaded</th><th class=\"num\">of which new</th>"
                   "<th class=\"num\">of which duplicates</th><th class=\"num\">Quarantined</th>"
                   "<th>Read = loaded + quarantined</th></tr></thead><tbody>")
        for s in ledger:
            ok = s["unreconciled_files"] == 0
            out.append(
                f'<tr data-source="{escape(s["source"])}">' + td(escape(s["source"])) + td(count(s["files"]), "num")
                + td(count(s["rejected"]), "num") + td(count(s["skipped"]), "num") + td(count(s["rows_read"]), "num")
                + td(count(s["rows_loaded"]), "num") + td(count(s["rows_new"]), "num")
                + td(count(s["rows_duplicate"]), "num", f' data-duplicates="{s["rows_duplicate"]}"')
                + td(count(s["rows_quarantined"]), "num")
                + td(f'<span class="{"good" if ok else "bad"}">'
                     f'{"yes" if ok else str(s["unreconciled_files"]) + " file(s) do not reconcile"}</span>') + "</tr>"
            )
        out.append("</tbody></table><p class=\"note\">From raw.file_ledger: every landing file ever read. Loaded = "
                   "new + duplicates: a duplicate is a row already stored (re-delivered, or spelt otherwise with the "
                   "same values), counted as loaded and stored once.</p>")
    else:
        out.append('<p class="note">No landing file has been read yet.</p>')
    out.append("</section>")
    return "".join(out)


ROI_COLUMNS = [
    ("cases_total", "Cases", count),
    ("cases_autonomous", "Autonomous", count),
    ("cases_suggested", "Suggested", count),
    ("cases_escalated", "Escalated", count),
    ("cases_ai_assisted", "AI-assisted", count),
    ("cases_human_only", "Human only", count),
    ("total_cost", "Cost", "money"),
    ("baseline_cost", "All-human baseline", "money"),
    ("savings", "Savings", "money"),
    ("roi", "ROI", ratio),
    ("durable_resolutions", "Durable resolutions", count),
    ("cost_per_durable_resolution", "Cost per durable resolution", "money"),
]


def _roi_section(data: dict[str, Any]) -> str:
    roi = data["roi"]
    if not roi["available"]:
        return '<section id="roi"><h2>ROI</h2>' + unavailable(roi["note"]) + "</section>"
    currency = roi["currency"]
    out = ['<section id="roi" class="breakable"><h2>ROI</h2>']
    if not roi["has_costs"]:
        out.append(unavailable("The policy file has no cost assumptions (costs section): costs are not computed."))
    out.append("<div class=\"scroll\"><table><thead><tr><th>Case type</th>"
               + "".join(f'<th class="num">{escape(label)}</th>' for _, label, _ in ROI_COLUMNS)
               + "</tr></thead><tbody>")
    for r in roi["total"]:
        cells = [td(f"<strong>{escape(r['case_type'])}</strong>"
                    + (' <span class="tag">provisional</span>' if r.get("is_provisional") else ""))]
        for column, _, fmt in ROI_COLUMNS:
            value = r[column]
            text = money(value, currency) if fmt == "money" else fmt(value)
            cls = "num" + (" bad" if column == "savings" and value is not None and value < 0 else "")
            cells.append(td(text, cls, attrs(r["_src"], column, value)))
        total_cls = ' class="total"' if r["is_total"] else ""
        out.append(f'<tr data-case-type="{escape(r["case_type"])}"{total_cls}>' + "".join(cells) + "</tr>")
    out.append("</tbody></table></div>")
    months = roi["by_month"]
    if months and roi["has_costs"]:
        out.append(grouped_bars(
            [f"{m['month_start']:%b %Y}" for m in months],
            [("cost", [m["total_cost"] for m in months]), ("all-human baseline", [m["baseline_cost"] for m in months])],
            f"cost vs all-human baseline by month ({currency})",
        ))
    out.append(
        '<p class="note">Whole history in the warehouse; per month and case type in the finance export '
        "(roi_monthly.csv, roi.xlsx). Cost = the cases' cost under the assumptions below plus the remediation cost "
        "of incidents an AI agent was involved in. ROI = savings / what running the AI cost (AI + reviews). A durable "
        "resolution is an autonomous one not reopened and not disputed within the window; cost per durable "
        "resolution = the cost of the cases the AI resolved alone (AI and dispute costs) plus the remediation of AI "
        "incidents, charged to autonomy in full, / their durable resolutions; 'provisional': some "
        "windows are still open.</p></section>"
    )
    return "".join(out)


def _assumptions_section(data: dict[str, Any]) -> str:
    rows = data["assumptions"]
    out = ['<section id="assumptions"><h2>Assumptions</h2>']
    if not rows:
        out.append(unavailable("No assumptions in the warehouse (marts.rpt_roi_assumptions)."))
    else:
        if not any(r["policy_section"] == "costs" for r in rows):
            out.append(unavailable("The policy file has no cost assumptions (costs section)."))
        out.append("<table><thead><tr><th>Assumption</th><th>Case type</th><th class=\"num\">Value</th><th>Unit</th>"
                   "<th>Set in</th></tr></thead><tbody>")
        for r in rows:
            value = float(r["value"])
            text = f"{value:,.0f}" if r["name"] == "durable_window_days" else f"{value:,.2f}"
            out.append(
                f'<tr data-assumption="{escape(r["assumption_key"])}">'
                + td(escape(ASSUMPTION_LABELS.get(r["name"], r["name"])) + f'<br><span class="n">{escape(r["name"])}</span>')
                + td(escape(r["case_type"] or "default (all others)"))
                + td(text, "num", attrs(r["_src"], "value", r["value"]))
                + td(escape(r["unit"])) + td(escape(f"policy.yml: {r['policy_section']}")) + "</tr>"
            )
        out.append("</tbody></table>")
        version = rows[0].get("policy_version")
        out.append(f'<p class="note">From the policy file, version {escape(str(version))}. Incidents\' remediation '
                   "cost comes from the incident data, in the same currency.</p>")
    out.append("</section>")
    return "".join(out)


def render_scorecard(data: dict[str, Any]) -> str:
    """The whole page, as a string."""
    meta = data["meta"]
    currency = data["roi"].get("currency") if data["roi"].get("available") else None
    body = "".join([
        _header(data),
        _nav(),
        "<main>",
        _glance(data),
        _headline_section(data, "case_type", "case-types", "Headline metrics by case type"),
        _headline_section(data, "agent", "agents", "Headline metrics by agent"),
        _versions_section(data),
        _pacts_section(data),
        _judge_section(data),
        _incidents_section(data, currency),
        _recommendations_section(data),
        _quality_section(data),
        _roi_section(data),
        _assumptions_section(data),
        "</main>",
        '<footer>trustloop weekly scorecard · metric definitions v1 · all times UTC · every number on this page '
        "carries the table and key it comes from (data-table / data-key attributes).</footer>",
    ])
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Trust scorecard {escape(meta['week_label'])}</title>"
        f'<meta name="trustloop-week" content="{meta["week_start"]}">'
        f"<style>{CSS}</style></head><body>{body}</body></html>\n"
    )
