"""`trustloop report`: the weekly scorecard, the approval memos, the finance export and the control map, to a folder."""

from __future__ import annotations

import shutil
from pathlib import Path

from trustloop.commands.args import out_dir
from trustloop.errors import UserError, require_warehouse


def copy_memos(source: Path, target: Path) -> list[Path]:
    """Copy the approval memos (the tree under ``source``, e.g. <as_of_date>/<memo>.html) to ``target``."""
    if not source.is_dir() or source.resolve() == Path(target).resolve():
        return []
    copied = []
    for path in sorted(source.rglob("*")):
        rel = path.relative_to(source)
        if path.is_file() and not any(part.startswith(".") for part in rel.parts):
            (target / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target / rel)
            copied.append(target / rel)
    return copied


def memo_count(files: list[Path]) -> int:
    """How many memos ``files`` hold: each memo is written twice, as <memo>.md and <memo>.html."""
    return len({path.with_suffix("") for path in files})


def cmd_report(args) -> int:
    from trustloop.commands.controls import load_control_map
    from trustloop.controls.control_map import FOLDER as CONTROLS
    from trustloop.controls.control_map import remove as remove_control_map
    from trustloop.controls.control_map import write as write_control_map
    from trustloop.finance.export import write_finance_export
    from trustloop.reports.scorecard import write_scorecard
    from trustloop.reports.weeks import parse_week

    settings = require_warehouse()
    try:
        week = parse_week(args.week) if args.week else None
    except ValueError as exc:
        raise UserError(str(exc)) from exc
    out = Path(args.out)
    memos = copy_memos(settings.reports_dir / "memos", out / "memos")
    try:  # first: the scorecard links it
        controls, no_controls = write_control_map(out / CONTROLS, load_control_map()), None
    except UserError as exc:  # a warehouse without recommendations yet: the scorecard says what is missing
        controls, no_controls = [], str(exc)
        remove_control_map(out / CONTROLS)
    try:
        scorecard = write_scorecard(out, week, settings=settings, memo_dir=out / "memos")
        finance = write_finance_export(out / "finance", settings=settings)
    except LookupError as exc:
        raise UserError(str(exc)) from exc
    meta = scorecard.data["meta"]
    print(f"scorecard for week {scorecard.week_label} ({meta['week_start']} to {meta['week_end']}): {scorecard.path}")
    print(f"approval memos: {memo_count(memos)} ({len(memos)} files) copied to {out / 'memos'}" if memos else
          f"approval memos: none in {settings.reports_dir / 'memos'}")
    print(f"finance export: {', '.join(p.name for p in finance.files)} in {finance.folder}")
    print(f"control map: {', '.join(p.name for p in controls)} in {out / CONTROLS}" if controls else
          f"control map: not written ({no_controls})")
    return 0


def _week_arg(text: str) -> str:
    try:
        from trustloop.reports.weeks import parse_week

        parse_week(text)
    except ValueError as exc:
        import argparse

        raise argparse.ArgumentTypeError(str(exc)) from exc
    return text


def register(sub) -> None:
    report = sub.add_parser(
        "report",
        help="write the weekly scorecard, the approval memos, the finance export and the control map to a folder",
        description="Write the scorecard (one offline HTML file), copy the approval memos, write finance's ROI "
        "tables (CSV and .xlsx) for the latest complete ISO week, or the week given, and the control map "
        "(controls/control_map.csv and .html, as `trustloop controls --out`).",
    )
    report.add_argument("--out", required=True, type=out_dir, help="folder to write to (created)")
    report.add_argument(
        "--week", type=_week_arg, default=None,
        help="any date of the week, YYYY-MM-DD (or YYYY-Www); default: the latest complete ISO week",
    )
    report.set_defaults(handler=cmd_report)
