"""`trustloop demo`, `trustloop run` and `trustloop set-aside`."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from trustloop.commands.args import out_dir, positive_int
from trustloop.settings import get_settings


def cmd_demo(args) -> int:
    from trustloop.demo.generator import generate

    summary = generate(Path(args.out), tickets=args.tickets, seed=args.seed, progress=not args.no_progress)
    print(f"demo landing folder written to {args.out}")
    for key in ("rows", "files"):
        if key in summary:
            print(f"  {key}: {summary[key]}")
    return 0


def ensure_demo_landing() -> None:
    """Generate the default demo landing folder when it is the configured one and absent."""
    settings = get_settings()
    if settings.landing_is_default_demo and not settings.landing_dir.exists():
        from trustloop.demo.generator import generate

        print(
            f"no landing folder at {settings.landing_dir}: generating the demo "
            f"({settings.demo_tickets} tickets, seed {settings.demo_seed})",
            file=sys.stderr,
        )
        generate(settings.landing_dir, tickets=settings.demo_tickets, seed=settings.demo_seed, progress=True)


def cmd_run(args) -> int:
    from trustloop.errors import UserError

    settings = get_settings()
    ensure_demo_landing()
    if not settings.landing_dir.is_dir():
        raise UserError(f"landing folder not found: {settings.landing_dir} (set TRUSTLOOP_LANDING_DIR)")
    from orchestration.runner import run_pipeline

    if args.retrain:  # read by the model step (models/retrain.py), in this process
        os.environ["TRUSTLOOP_RETRAIN"] = "always"
    summary = run_pipeline(log_level="DEBUG" if args.verbose else "WARNING", force=args.force or args.retrain,
                           progress=not (args.quiet or args.verbose))
    print(summary.render())
    return 0 if summary.success else 1


def cmd_set_aside(args) -> int:
    from trustloop.errors import UserError, require_warehouse
    from trustloop.ingest.set_aside import NothingToSetAside, parse_row, set_aside

    settings = require_warehouse()
    try:
        rows = [parse_row(text) for text in args.row or []]
        report = set_aside(args.source, args.key or [], rows, args.reason, settings, rebuild=not args.no_rebuild,
                           where=args.where, dry_run=args.dry_run, progress=True)
    except (NothingToSetAside, ValueError) as exc:
        raise UserError(str(exc)) from None
    print(report.render())
    return 0 if report.ok else 1


def register(sub) -> None:
    demo = sub.add_parser("demo", help="write a realistic, seeded demo landing folder")
    demo.add_argument("--out", required=True, type=out_dir, help="landing folder to write")
    demo.add_argument("--tickets", type=positive_int, default=20000, help="number of tickets (default 20000)")
    demo.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    demo.add_argument("--no-progress", action="store_true", help="no progress bar")
    demo.set_defaults(handler=cmd_demo)

    run = sub.add_parser(
        "run",
        help="ingest new landing files, build every table and run every check (in-process)",
        description="Materialise every asset of the trustloop job: ingestion, dbt models and tests, checks. "
        "Uses TRUSTLOOP_LANDING_DIR and TRUSTLOOP_WAREHOUSE. Each step gets a line on stderr as it ends "
        "(its time; failed; the steps not run after a failure); the summary follows on stdout.",
    )
    run.add_argument("--verbose", action="store_true", help="print Dagster's step log instead of the step lines")
    run.add_argument("--quiet", action="store_true",
                     help="no line per step on stderr while the run goes on (the summary is still printed)")
    run.add_argument("--force", action="store_true",
                     help="run even when nothing changed since the last successful run (normally a no-op)")
    run.add_argument("--retrain", action="store_true",
                     help="train the risk model again in this run, whatever TRUSTLOOP_RETRAIN's rules say "
                          "(implies --force)")
    run.set_defaults(handler=cmd_run)

    aside = sub.add_parser(
        "set-aside",
        help="move stored raw rows that proved wrong to raw.set_aside (logged in the ledger), then rebuild",
        description="Set loaded rows aside: each is copied with its original text and your reason to "
        "raw.set_aside, removed from raw.<source>, logged in the tamper-evident ledger, and a forced run "
        "rebuilds every table without it. For rows a quality gate judges on every run, or records the source "
        "retracted. `trustloop quarantine --set-aside` lists them.",
    )
    aside.add_argument("source", choices=["tickets", "agent_logs", "incidents"])
    aside.add_argument("--key", action="append", metavar="ID",
                       help="a record key: event_id, or ticket_id / incident_id (every snapshot); repeatable")
    aside.add_argument("--row", action="append", metavar="FILE:LINE",
                       help="one stored row, as the quarantine and the quality results name it; repeatable")
    aside.add_argument("--where", metavar="SQL",
                       help="a condition on raw.<source>'s columns, e.g. \"event_type = 'escalation_trigger' and "
                            "attributes is null\" (try it with --dry-run)")
    aside.add_argument("--reason", required=True, help="why (kept with the rows and shown with them)")
    aside.add_argument("--dry-run", action="store_true", help="list the rows that would be set aside; change nothing")
    aside.add_argument("--no-rebuild", action="store_true", help="do not run the pipeline afterwards")
    aside.set_defaults(handler=cmd_set_aside)
