"""`trustloop recommendations`: the autonomy recommendation per case type (print, or write CSV)."""

from __future__ import annotations

import csv
import textwrap
from pathlib import Path

from trustloop.commands.args import out_file
from trustloop.errors import UserError, require_warehouse
from trustloop.formats import percent
from trustloop.warehouse import connect, table_exists

TABLE = "marts.rpt_autonomy_recommendations"
# the columns every export has first, in this order; the rule outcomes and numbers follow
CSV_COLUMNS = [
    "case_type", "current_tier", "recommended_tier", "action", "predicted_risk", "predicted_risk_upper",
    "evidence_volume", "reasons",
]
PACT_DIMENSIONS = ("accuracy", "escalation", "tone", "policy_adherence")
# each rule's outcome, then the counts and the rate it rests on, its bounds and its limit
EXTRA_COLUMNS = [
    "as_of_date", "window_start_at", "window_end_at", "policy_version", "model_version", "is_catalogued",
    "current_tier_source", "decision_basis", "breached_rules", "uncleared_rules",
    "predicted_risk_lower", "risk_appetite", "empirical_rate", "labelled_cases",
    "min_evidence", "evaluation_coverage", "autonomous_resolutions",
    *(f"{prefix}{d}{suffix}" for d in PACT_DIMENSIONS for prefix, suffix in (
        ("rule_pact_", ""), ("pact_", "_evaluations"), ("pact_", "_passed"), ("pact_", "_rate"), ("pact_", "_lower"),
        ("pact_", "_upper"), ("pact_", "_threshold"))),
    "rule_escalation", "escalations_required", "escalations_compliant", "escalation_compliance_rate",
    "escalation_compliance_lower", "escalation_compliance_upper", "min_escalation_compliance",
    "rule_dispute", "disputed_resolutions", "dispute_rate", "dispute_rate_lower", "dispute_rate_upper",
    "max_dispute_rate",
    "rule_model_risk", "rule_evidence", "rule_freeze", "severe_incidents_in_freeze",
]


def _fmt(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    return str(value)


def load_recommendations(action: str | None = None) -> tuple[list[str], list[tuple]]:
    """The recommendation rows (columns CSV_COLUMNS + the EXTRA_COLUMNS the table has), by case type."""
    settings = require_warehouse()
    with connect(read_only=True) as con:
        if not table_exists(con, "marts", "rpt_autonomy_recommendations"):
            raise UserError(f"{TABLE} does not exist in {settings.warehouse}: run `trustloop run` first")
        present = {
            r[0]
            for r in con.execute(
                "select column_name from information_schema.columns "
                "where table_schema = 'marts' and table_name = 'rpt_autonomy_recommendations'"
            ).fetchall()
        }
        columns = CSV_COLUMNS + [c for c in EXTRA_COLUMNS if c in present]
        sql = f"select {', '.join(columns)} from {TABLE}"
        params = []
        if action:
            sql += " where action = ?"
            params.append(action)
        rows = con.execute(sql + " order by case_type", params).fetchall()
    return columns, rows


def write_csv(out: Path, columns: list[str], rows: list[tuple]) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_fmt(v) for v in row])


def render_table(columns: list[str], rows: list[tuple], width: int = 110) -> str:
    idx = {c: i for i, c in enumerate(columns)}
    head = (f"{'case type':<24} {'current':<8} {'action':<8} {'recommended':<11} {'risk':>6} {'upper':>6} "
            f"{'evidence':>8} {'coverage':>8}")
    lines = []
    if rows and "as_of_date" in idx:
        first = rows[0]
        lines.append(
            f"as of {first[idx['as_of_date']]}"
            + (f" · policy {first[idx['policy_version']]}" if "policy_version" in idx else "")
            + (f" · model {first[idx['model_version']]}" if "model_version" in idx else "")
        )
    lines += [head, "-" * len(head)]
    for row in rows:
        lines.append(
            f"{row[idx['case_type']]:<24} {row[idx['current_tier']]:<8} {row[idx['action']]:<8} "
            f"{row[idx['recommended_tier']]:<11} {percent(row[idx['predicted_risk']], missing=''):>6} "
            f"{percent(row[idx['predicted_risk_upper']], missing=''):>6} {row[idx['evidence_volume']]:>8}"
            + (f" {percent(row[idx['evaluation_coverage']], missing=''):>8}" if "evaluation_coverage" in idx else "")
        )
        for text in textwrap.wrap(str(row[idx["reasons"]] or ""), width=width - 4):
            lines.append(f"    {text}")
    counts = {a: sum(1 for r in rows if r[idx["action"]] == a) for a in ("promote", "hold", "demote")}
    lines.append("")
    lines.append(f"{len(rows)} case type(s): " + ", ".join(f"{n} {a}" for a, n in counts.items()))
    return "\n".join(lines)


def cmd_recommendations(args) -> int:
    columns, rows = load_recommendations(args.action)
    if args.out:
        write_csv(Path(args.out), columns, rows)
        print(f"wrote {len(rows)} recommendation(s) to {args.out}")
        return 0
    if not rows:
        print(f"no case type is recommended to {args.action}" if args.action else "no recommendation yet")
        return 0
    print(render_table(columns, rows))
    return 0


def register(sub) -> None:
    parser = sub.add_parser(
        "recommendations",
        help="the autonomy recommendation per case type (promote / hold / demote, with reasons)",
        description=(
            "Print the autonomy recommendation per case type from the last run, or write it as CSV "
            f"({', '.join(CSV_COLUMNS)}, then the window, the evaluation coverage, and every rule's outcome with the "
            "counts, rate and bounds it rests on and its limit)."
        ),
    )
    parser.add_argument("--out", type=out_file, help="write the recommendations to this CSV file instead of printing them")
    parser.add_argument("--action", choices=["promote", "hold", "demote"], help="only this action")
    parser.set_defaults(handler=cmd_recommendations)
