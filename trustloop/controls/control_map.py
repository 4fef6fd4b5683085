"""The control map: for each case type, each control of the policy (a pact per dimension, and the
autonomy rules: escalation minimum, dispute limit, risk appetite, evidence minimum, incident freeze),
its claim, threshold and consequence, its outcome at the last run, the tables that evidence it (from
the facts to the recommendation) and the checks that guard each table, with their latest outcome.

Everything is read, nothing is restated: the controls from ``marts.rpt_autonomy_recommendations``
and ``marts.dim_case_type_pacts`` (so from the policy file, as of the last run), the dbt tests from
the dbt manifest with their outcomes from ``quality.dbt_test_results``, the Great Expectations
expectations from the latest results of each suite in ``quality.validation_results``. What is fixed
here is only which tables evidence which rule, as the dbt models compute it.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

import duckdb

from trustloop.controls import dbt_tests
from trustloop.formats import percent
from trustloop.warehouse import fetch_dicts, table_exists

RECOMMENDATIONS = "marts.rpt_autonomy_recommendations"
EVIDENCE = "marts.fct_autonomy_evidence"
DIMENSIONS = ("accuracy", "escalation", "tone", "policy_adherence")
PACT_TABLES = ("marts.dim_case_type_pacts", "marts.fct_evaluations", EVIDENCE, RECOMMENDATIONS)
# rule (the suffix of its rule_* column) -> (name, the tables that evidence it, from the facts to the decision)
RULES: dict[str, tuple[str, tuple[str, ...]]] = {
    "escalation": ("Escalation compliance minimum", ("marts.fct_escalations", EVIDENCE, RECOMMENDATIONS)),
    "dispute": ("Dispute rate limit", ("marts.fct_autonomous_resolutions", EVIDENCE, RECOMMENDATIONS)),
    "model_risk": ("Risk appetite", ("ml.case_predictions", "marts.rpt_case_type_risk", RECOMMENDATIONS)),
    "evidence": ("Evidence minimum", ("marts.fct_evaluations", EVIDENCE, RECOMMENDATIONS)),
    "freeze": ("Incident freeze", ("marts.fct_incidents", EVIDENCE, RECOMMENDATIONS)),
}
CSV_COLUMNS = [
    "case_type", "control_id", "control", "claim", "threshold", "window_weeks", "consequence", "status",
    "observed", "evidence_table", "check_framework", "check_name", "check_column", "check_severity",
    "check_status", "check_run_id", "checked_at",
]
OUTCOME_CLASS = {"passed": "good", "not passed": "bad", "not run": "warn"}


@dataclass(frozen=True)
class Check:
    table: str
    framework: str  # "dbt" or "great_expectations"
    name: str
    column: str | None
    severity: str
    status: str  # dbt: pass, fail, warn, error, skipped; GX: pass, fail; "not run" when never recorded
    run_id: str | None
    checked_at: dt.datetime | None

    @property
    def outcome(self) -> str:
        """passed; not passed (failed, warned, errored or skipped); or not run."""
        return "passed" if self.status == "pass" else ("not run" if self.status == "not run" else "not passed")


@dataclass(frozen=True)
class Control:
    case_type: str
    control_id: str
    control: str
    claim: str
    threshold: str
    window_weeks: int | None
    consequence: str
    status: str  # the rule's outcome at the last run: clear, short, breach, no_evidence, frozen
    observed: str
    tables: tuple[str, ...]


@dataclass
class ControlMap:
    as_of_date: dt.date | None
    policy_version: str | None
    controls: list[Control] = field(default_factory=list)
    checks: dict[str, list[Check]] = field(default_factory=dict)  # by table

    def summary(self, *tables: str) -> dict[str, int]:
        """How many checks of ``tables`` passed, did not pass, or were never run."""
        counts = dict.fromkeys(OUTCOME_CLASS, 0)
        for table in tables:
            for check in self.checks.get(table, []):
                counts[check.outcome] += 1
        return counts


def summary_text(summary: dict[str, int]) -> str:
    """``15 passed, 6 not run``: the counts that are not zero, or ``no check``."""
    return ", ".join(f"{n} {outcome}" for outcome, n in summary.items() if n) or "no check"


# --------------------------------------------------------------------------- the controls


def _rate(rec: dict[str, Any], value: str, n: Any, unit: str, bounds: str | None = None) -> str:
    """``value`` with its 95% interval (columns ``<bounds>_lower`` and ``_upper``) and its denominator."""
    if rec.get(value) is None:
        return f"no {unit} in the window"
    bounds = bounds or value
    return (f"{percent(rec[value])} (95% CI {percent(rec.get(bounds + '_lower'))}-{percent(rec.get(bounds + '_upper'))}, "
            f"{n} {unit})")


def controls_of(rec: dict[str, Any], pacts: dict[str, dict[str, Any]]) -> list[Control]:
    """The controls of one case type: its recommendation row and its pact rows (by dimension)."""
    case_type, window = rec["case_type"], rec.get("window_weeks")
    out = []
    for dim in DIMENSIONS:
        pact = pacts.get(dim, {})
        threshold = rec.get(f"pact_{dim}_threshold")
        pact_window = rec.get(f"pact_{dim}_window_weeks") or window
        name = dim.replace("_", " ")
        out.append(Control(
            case_type=case_type,
            control_id=pact.get("pact_id") or f"{case_type}:pact_{dim}",
            control=f"{name.capitalize()} pact" + ("" if pact.get("pact_id") else " (policy default)"),
            claim=pact.get("claim") or f"Pass rate of {name} evaluations at or above the threshold.",
            threshold=f"pass rate >= {percent(threshold)} (lower bound clears, upper bound below breaches)",
            window_weeks=pact_window,
            consequence=pact.get("consequence") or "A breach recommends demotion by one tier.",
            status=rec.get(f"rule_pact_{dim}") or "n/a",
            observed=_rate(rec, f"pact_{dim}_rate", rec.get(f"pact_{dim}_evaluations"), "evaluations", f"pact_{dim}"),
            tables=PACT_TABLES,
        ))
    texts = {
        "escalation": (
            "Required escalations reach a human within the policy's handoff limit.",
            f"compliance >= {percent(rec.get('min_escalation_compliance'))} (lower bound clears, upper bound "
            "below breaches)",
            "A breach recommends demotion by one tier; short of the minimum, no promotion.",
            _rate(rec, "escalation_compliance_rate", rec.get("escalations_required"), "required escalations",
                  "escalation_compliance"),
        ),
        "dispute": (
            "Customers rarely dispute what the agent resolved alone.",
            f"dispute rate < {percent(rec.get('max_dispute_rate'))} (upper bound clears, lower bound above breaches)",
            "A breach recommends demotion by one tier; not yet under the limit, no promotion.",
            _rate(rec, "dispute_rate", rec.get("autonomous_resolutions"), "autonomous resolutions"),
        ),
        "model_risk": (
            "The risk model's estimate that autonomous handling goes wrong stays within the risk appetite.",
            f"predicted risk < {percent(rec.get('risk_appetite'))} (upper bound clears, lower bound above breaches)",
            "A breach recommends demotion by one tier; not yet under the appetite, no promotion.",
            _rate(rec, "predicted_risk", rec.get("predicted_cases"), "cases scored") + f", model {rec.get('model_version')}",
        ),
        "evidence": (
            "Enough evaluated cases back any change of autonomy.",
            f">= {rec.get('min_evidence')} evaluated cases",
            "Below the minimum, no promotion (never a demotion on its own).",
            f"{rec.get('evidence_volume')} evaluated cases",
        ),
        "freeze": (
            "No promotion shortly after a severe incident of the case type.",
            f"no sev1/sev2 incident in the last {rec.get('freeze_days')} days",
            "Frozen: no promotion until the freeze ends.",
            f"{rec.get('severe_incidents_in_freeze') or 0} severe incident(s) in the freeze window"
            + (f", last {rec['last_severe_incident_id']}" if rec.get("last_severe_incident_id") else ""),
        ),
    }
    for rule, (name, tables) in RULES.items():
        claim, threshold, consequence, observed = texts[rule]
        out.append(Control(
            case_type=case_type, control_id=f"{case_type}:{rule}", control=name, claim=claim,
            threshold=threshold, window_weeks=None if rule == "freeze" else window, consequence=consequence,
            status=rec.get(f"rule_{rule}") or "n/a", observed=observed, tables=tables,
        ))
    return out


# --------------------------------------------------------------------------- the checks


def dbt_checks(con: duckdb.DuckDBPyConnection, manifest: dict[str, Any], tables: set[str]) -> list[Check]:
    """The manifest's data tests on ``tables``, each with its latest kept outcome ("not run" without one)."""
    latest = {}
    if table_exists(con, "quality", "dbt_test_results"):
        latest = {r["test_id"]: r for r in fetch_dicts(con, (
            f"select test_id, status, run_id, executed_at from {dbt_tests.TABLE} "
            "qualify row_number() over (partition by test_id order by executed_at desc) = 1"))}
    checks = []
    for test in dbt_tests.manifest_tests(manifest).values():
        if test["table_name"] not in tables:
            continue
        seen = latest.get(test["test_id"], {})
        checks.append(Check(test["table_name"], "dbt", test["test_name"], test["column_name"], test["severity"],
                            seen.get("status", "not run"), seen.get("run_id"), seen.get("executed_at")))
    return checks


def gx_checks(con: duckdb.DuckDBPyConnection, tables: set[str]) -> list[Check]:
    """The expectations of the latest validation of each suite on ``tables``."""
    if not table_exists(con, "quality", "validation_results"):
        return []
    rows = fetch_dicts(con, (
        "select suite, table_name, expectation, description, expectation_args, subject, success, severity, "
        "run_id, validated_at from quality.validation_results "
        "qualify validated_at = max(validated_at) over (partition by suite)"))
    checks = []
    for r in rows:
        if r["table_name"] not in tables:
            continue
        what = r["description"] or f"{r['expectation']} {r['expectation_args'] or ''}".strip()
        name = f"{r['suite']}: {what}" + (f" [{r['subject']}]" if r["subject"] else "")
        checks.append(Check(r["table_name"], "great_expectations", name, None, r["severity"],
                            "pass" if r["success"] else "fail", r["run_id"], r["validated_at"]))
    return checks


# --------------------------------------------------------------------------- the map


def build(con: duckdb.DuckDBPyConnection, manifest: dict[str, Any], case_type: str | None = None) -> ControlMap:
    if not table_exists(con, "marts", "rpt_autonomy_recommendations"):
        raise LookupError(f"{RECOMMENDATIONS} does not exist: run `trustloop run` first")
    recs = fetch_dicts(con, f"select * from {RECOMMENDATIONS} order by case_type")
    if case_type is not None:
        recs = [r for r in recs if r["case_type"] == case_type]
        if not recs:
            raise LookupError(f"no case type {case_type!r} in {RECOMMENDATIONS}")
    pacts: dict[str, dict[str, dict[str, Any]]] = {}
    for row in fetch_dicts(con, "select * from marts.dim_case_type_pacts"):
        pacts.setdefault(row["case_type"], {})[row["dimension"]] = row
    result = ControlMap(recs[0]["as_of_date"] if recs else None, recs[0]["policy_version"] if recs else None)
    for rec in recs:
        result.controls.extend(controls_of(rec, pacts.get(rec["case_type"], {})))
    tables = {t for c in result.controls for t in c.tables}
    for check in dbt_checks(con, manifest, tables) + gx_checks(con, tables):
        result.checks.setdefault(check.table, []).append(check)
    for found in result.checks.values():
        found.sort(key=lambda c: (c.framework, c.name))
    return result


def csv_rows(control_map: ControlMap) -> list[list[Any]]:
    """One row per control, evidence table and check (a table without a check: one row, check left empty)."""
    rows = []
    for c in control_map.controls:
        head = [c.case_type, c.control_id, c.control, c.claim, c.threshold, c.window_weeks, c.consequence,
                c.status, c.observed]
        for table in c.tables:
            checks = control_map.checks.get(table) or [None]
            for k in checks:
                rows.append(head + [table] + ([None] * 7 if k is None else [
                    k.framework, k.name, k.column, k.severity, k.status, k.run_id,
                    k.checked_at.isoformat(sep=" ") if k.checked_at else None]))
    return rows


def write_csv(path: Path, control_map: ControlMap) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        writer.writerows([["" if v is None else v for v in row] for row in csv_rows(control_map)])


STATUS_CLASS = {"clear": "good", "breach": "bad", "frozen": "bad", "short": "warn", "no_evidence": "warn"}
STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#1b1f24;max-width:1400px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #d0d7de}
.meta,.note{color:#57606a}table{border-collapse:collapse;width:100%;margin:8px 0}
th,td{border-bottom:1px solid #d8dee4;padding:5px 8px;text-align:left;vertical-align:top}
th{background:#f6f8fa}.good{color:#1a7f37;font-weight:600}.bad{color:#cf222e;font-weight:600}
.warn{color:#9a6700;font-weight:600}code{font-size:12px}ul{margin:0;padding-left:16px}
@media print{details{display:block}details>summary{display:none}}
"""


def _table_link(control_map: ControlMap, table: str) -> str:
    s = control_map.summary(table)
    cls = "bad" if s["not passed"] else ("warn" if s["not run"] or not sum(s.values()) else "good")
    text = summary_text(s)
    return f'<li><a href="#t-{escape(table)}"><code>{escape(table)}</code></a> <span class="{cls}">{text}</span></li>'


def render_html(control_map: ControlMap) -> str:
    parts = [
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Control map</title>",
        f"<style>{STYLE}</style></head><body><h1>Control map</h1>",
        f'<p class="meta">policy {escape(str(control_map.policy_version))} · as of {control_map.as_of_date} · '
        f"generated {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC</p>",
        '<p class="note">Each control of the policy, its outcome at the last run, the tables that evidence it '
        "(from the facts to the recommendation) and the checks guarding each table at their latest run: dbt "
        "tests and Great Expectations expectations.</p>",
    ]
    by_type: dict[str, list[Control]] = {}
    for c in control_map.controls:
        by_type.setdefault(c.case_type, []).append(c)
    for case_type, controls in by_type.items():
        parts.append(f'<h2 id="c-{escape(case_type)}">{escape(case_type)}</h2><table><thead><tr><th>Control</th>'
                     "<th>Claim</th><th>Threshold</th><th>Outcome</th><th>Observed</th><th>Consequence</th>"
                     "<th>Evidence and its checks</th></tr></thead><tbody>")
        for c in controls:
            window = f"<br>over {c.window_weeks} weeks" if c.window_weeks else ""
            parts.append(
                f"<tr data-control=\"{escape(c.control_id)}\"><td><strong>{escape(c.control)}</strong><br>"
                f"<code>{escape(c.control_id)}</code></td><td>{escape(c.claim)}</td>"
                f"<td>{escape(c.threshold)}{window}</td>"
                f'<td class="{STATUS_CLASS.get(c.status, "")}">{escape(c.status)}</td><td>{escape(c.observed)}</td>'
                f"<td>{escape(c.consequence)}</td>"
                f"<td><ul>{''.join(_table_link(control_map, t) for t in c.tables)}</ul></td></tr>")
        parts.append("</tbody></table>")
    parts.append("<h2>Tables and their checks</h2>")
    for table in sorted({t for c in control_map.controls for t in c.tables}):
        checks = control_map.checks.get(table, [])
        parts.append(f'<h3 id="t-{escape(table)}"><code>{escape(table)}</code></h3>')
        if not checks:
            parts.append('<p class="warn">No check guards this table.</p>')
            continue
        parts.append("<details open><summary>"
                     f"{len(checks)} checks</summary><table><thead><tr><th>Framework</th><th>Check</th><th>Column</th>"
                     "<th>Severity</th><th>Latest outcome</th><th>Run</th></tr></thead><tbody>")
        for k in checks:
            cls = OUTCOME_CLASS[k.outcome]
            when = f"{k.checked_at:%Y-%m-%d %H:%M}" if k.checked_at else ""
            parts.append(f"<tr><td>{escape(k.framework)}</td><td>{escape(k.name)}</td>"
                         f"<td>{escape(k.column or '')}</td><td>{escape(k.severity)}</td>"
                         f'<td class="{cls}">{escape(k.status)}</td><td><code>{escape(k.run_id or "")}</code> '
                         f"{when}</td></tr>")
        parts.append("</tbody></table></details>")
    parts.append("</body></html>")
    return "".join(parts)


FILES = ("control_map.csv", "control_map.html")
FOLDER = "controls"  # the map's folder beside a scorecard (`trustloop report`, the scorecard asset)
LINK = f"{FOLDER}/{FILES[1]}"  # the page a scorecard links, relative to it


def write(out_dir: Path, control_map: ControlMap) -> list[Path]:
    """control_map.csv and control_map.html in ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    csv_path, html_path = (out_dir / name for name in FILES)
    write_csv(csv_path, control_map)
    html_path.write_text(render_html(control_map), encoding="utf-8")
    return [csv_path, html_path]


def remove(out_dir: Path) -> None:
    """Remove an earlier map from ``out_dir``, so that no page links a map of another build."""
    for name in FILES:
        (out_dir / name).unlink(missing_ok=True)
