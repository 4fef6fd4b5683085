"""`trustloop quality`: the latest Great Expectations results per suite, and where the Data Docs are."""

from __future__ import annotations

import json
from collections import defaultdict

from trustloop.errors import UserError, require_warehouse
from trustloop.warehouse import connect, fetch_dicts, table_exists

RESULTS_TABLE = "quality.validation_results"


def latest_results(con) -> dict[str, list[dict]]:
    """The rows of each suite's latest validation, keyed by suite."""
    rows = fetch_dicts(
        con,
        f"""with latest as (
                select suite, max(validated_at) as validated_at from {RESULTS_TABLE} group by suite
            )
            select r.* from {RESULTS_TABLE} r
            inner join latest l on l.suite = r.suite and l.validated_at = r.validated_at
            order by r.suite, r.batch, r.subject nulls first, r.expectation"""
    )
    grouped: dict[str, list[dict]] = defaultdict(list)
    for record in rows:
        grouped[record["suite"]].append(record)
    return dict(grouped)


def _suite_order(names) -> list[str]:
    from expectations.suites import SUITES

    known = [s.name for s in SUITES if s.name in names]
    return known + sorted(set(names) - set(known))


def _label(row: dict) -> str:
    args = json.loads(row["expectation_args"]) if row["expectation_args"] else {}
    shown = ", ".join(f"{k}={v}" for k, v in args.items() if k != "description")
    return f"{row['expectation']}({shown})" if shown or row["subject"] is None else row["expectation"]


def _observed(row: dict) -> str:
    if row["unexpected_count"] is not None and row["element_count"] is not None:
        return f"{row['unexpected_count']} of {row['element_count']} rows unexpected"
    return row["observed_value"] or ""


def render(results: dict[str, list[dict]], *, show_all: bool = False, docs: str | None = None) -> str:
    lines = [
        f"{'suite':<30} {'table':<34} {'result':<7} {'checks':>6} {'failed':>6}  {'severity':<8} validated at (UTC)"
        "  run",
    ]
    details: list[str] = []
    for suite in _suite_order(results):
        rows = results[suite]
        expectations = [r for r in rows if r["subject"] is None]
        per_row = [r for r in rows if r["subject"] is not None]
        failed = [r for r in expectations if not r["success"]]
        first = rows[0]
        result = "PASSED" if not failed else "FAILED"
        lines.append(
            f"{suite:<30} {first['table_name']:<34} {result:<7} {len(expectations):>6} {len(failed):>6}  "
            f"{first['severity']:<8} {first['validated_at']:%Y-%m-%d %H:%M:%S}  {first['run_id']}"
        )
        shown = expectations if show_all else failed
        if shown or per_row:
            details.append(f"{suite} ({first['table_name']}):")
        for r in shown:
            mark = "ok  " if r["success"] else "FAIL"
            text = f"  {mark} [{r['batch']}] {_label(r)}"
            if r["description"]:
                text += f" - {r['description']}"
            text += f": {_observed(r)}"
            details.append(text)
            if r["failing_sample"] and not r["success"]:
                details.append(f"       failing rows: {r['failing_sample'][:600]}")
        if per_row:
            bad = [r for r in per_row if not r["success"]]
            details.append(f"  {len(per_row) - len(bad)} of {len(per_row)} per-file results hold ({per_row[0]['expectation']})")
            for r in (per_row if show_all else bad):
                details.append(f"    {'ok  ' if r['success'] else 'FAIL'} {r['subject']}: {json.loads(r['observed_value'])}")
    out = "\n".join(lines)
    if details:
        out += "\n\n" + "\n".join(details)
    if docs:
        out += f"\n\nData Docs: {docs}"
    return out


def cmd_quality(args) -> int:
    settings = require_warehouse()
    if args.validate:
        from expectations.runner import run_suites
        from expectations.suites import SUITES
        from trustloop.locking import run_lock

        suites = None
        if args.suite:
            suites = [s for s in SUITES if s.name in args.suite]
        from trustloop.state import keeping_current

        # the results are appended to the warehouse, the evidence is untouched: a no-op run stays one
        with run_lock(settings.lock_file, settings.lock_timeout), keeping_current(settings):
            run_suites(suites)
    with connect(read_only=True) as con:
        if not table_exists(con, "quality", "validation_results"):
            raise UserError(
                f"no validation results in {settings.warehouse}: run `trustloop run` "
                "(or `trustloop quality --validate`) first"
            )
        results = latest_results(con)
    if args.suite:
        unknown = set(args.suite) - set(results)
        if unknown:
            raise UserError(f"no results for suite(s) {', '.join(sorted(unknown))}; known: {', '.join(sorted(results))}")
        results = {k: v for k, v in results.items() if k in args.suite}
    from expectations.runner import docs_dir

    index = docs_dir(settings) / "index.html"
    print(render(results, show_all=args.all, docs=str(index) if index.exists() else "not built yet"))
    blocking_failed = any(not r["success"] and r["blocking"] for rows in results.values() for r in rows)
    return 1 if blocking_failed else 0


def register(sub) -> None:
    quality = sub.add_parser(
        "quality",
        help="the latest data-quality results per suite (Great Expectations), and where the Data Docs are",
        description="Print the latest validation of every Great Expectations suite guarding the evidence "
        "(from quality.validation_results). Exit code 1 when a blocking suite failed.",
    )
    quality.add_argument("--suite", action="append", metavar="NAME", help="only this suite (repeatable)")
    quality.add_argument("--all", action="store_true", help="list every expectation and file, not only failures")
    quality.add_argument(
        "--validate", action="store_true", help="validate the suites against the warehouse now (offline) first"
    )
    quality.set_defaults(handler=cmd_quality)
