"""``python -m trustloop.demo --out DIR [--tickets N] [--seed S]``: write a demo landing folder."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time

from trustloop.demo.generator import DEFAULT_END_DATE, DEFAULT_SEED, DEFAULT_TICKETS, DEFAULT_WEEKS, generate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m trustloop.demo", description="Write a seeded demo landing folder."
    )
    parser.add_argument(
        "--out", required=True, help="landing folder to write (tickets/, agent_logs/, incidents/)"
    )
    parser.add_argument(
        "--tickets",
        type=int,
        default=DEFAULT_TICKETS,
        help=f"number of support cases (default {DEFAULT_TICKETS})",
    )
    parser.add_argument(
        "--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})"
    )
    parser.add_argument(
        "--end-date",
        type=dt.date.fromisoformat,
        default=DEFAULT_END_DATE,
        help=f"last day of the window, YYYY-MM-DD (default {DEFAULT_END_DATE})",
    )
    parser.add_argument(
        "--weeks",
        type=int,
        default=DEFAULT_WEEKS,
        help=f"length of the window in weeks (default {DEFAULT_WEEKS})",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    try:
        summary = generate(
            args.out,
            tickets=args.tickets,
            seed=args.seed,
            progress=not args.no_progress,
            end_date=args.end_date,
            weeks=args.weeks,
        )
    except (FileExistsError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    rows = summary["rows"]
    bad = summary["malformed"]["quarantined_rows"]
    print(
        f"wrote {summary['out_dir']} in {time.perf_counter() - started:.1f}s: "
        f"{rows['tickets']} ticket rows, {rows['agent_logs']} agent-log rows, {rows['incidents']} incident rows "
        f"in {len(summary['files'])} files; planted bad rows: "
        + ", ".join(f"{source} {count}" for source, count in bad.items())
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
