"""Read-only commands: `metrics export`, `quarantine`, `ledger`."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

from trustloop.commands.args import non_negative_int, out_file
from trustloop.errors import UserError, require_warehouse
from trustloop.settings import get_settings
from trustloop.trust.privacy import redact_pii
from trustloop.warehouse import connect, table_exists

EXPORT_COLUMNS = [
    "metric", "grain", "grain_value", "dimension", "period", "period_start", "numerator", "denominator", "value",
]
# plain SQL that DuckDB and Spark read alike (the Spark build writes its export with it too)
EXPORT_QUERY = f"""select {", ".join(EXPORT_COLUMNS)} from marts.rpt_metrics_export
    order by metric, grain, grain_value, coalesce(dimension, ''), period, period_start"""


def _require(con, schema: str, table: str) -> None:
    if not table_exists(con, schema, table):
        raise UserError(f"{schema}.{table} does not exist in {get_settings().warehouse}: run `trustloop run` first")


def _fmt(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    return str(value)


def write_metrics_export(out: Path) -> int:
    """Write marts.rpt_metrics_export as CSV (columns exactly as the metric definitions); returns rows."""
    require_warehouse()
    with connect(read_only=True) as con:
        _require(con, "marts", "rpt_metrics_export")
        rows = con.execute(EXPORT_QUERY).fetchall()
    return write_export_csv(rows, out)


def write_export_csv(rows, out: Path) -> int:
    """The export's CSV from rows in EXPORT_COLUMNS order (also used for the Spark build's export)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(EXPORT_COLUMNS)
        for row in rows:
            writer.writerow([_fmt(v) for v in row])
    return len(rows)


def cmd_metrics_export(args) -> int:
    n = write_metrics_export(Path(args.out))
    print(f"wrote {n} rows to {args.out}")
    return 0


def cmd_quarantine(args) -> int:
    require_warehouse()
    with connect(read_only=True) as con:
        _require(con, "raw", "quarantine")
        where, params = [], []
        if args.source:
            where.append("source = ?")
            params.append(args.source)
        sql = "select source, file, line, reason, raw from raw.quarantine"
        if args.set_aside:
            # rows set aside after loading (trustloop set-aside), with the operator's reason
            sql = ("select source, file, line, 'set aside (' || set_aside_id || '): ' || reason as reason, raw "
                   "from raw.set_aside")
        if args.set_aside and not table_exists(con, "raw", "set_aside"):
            total, rows = 0, []  # the first set-aside makes the table: none yet
        else:
            if where:
                sql += " where " + " and ".join(where)
            total = con.execute(f"select count(*) from ({sql})", params).fetchone()[0]
            limit = " limit ?" if args.limit else ""
            rows = con.execute(f"{sql} order by source, file, line{limit}",
                               params + ([args.limit] if args.limit else [])).fetchall()
    if not args.raw:
        # a reason quotes the offending value, which may be personal data: shown redacted unless --raw
        rows = [(source, file, line, redact_pii(reason), raw) for source, file, line, reason, raw in rows]
    if args.format == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(["source", "file", "line", "reason"] + (["raw"] if args.raw else []))
        for source, file, line, reason, raw in rows:
            writer.writerow([source, file, line, reason] + ([raw] if args.raw else []))
        return 0
    what = "set-aside" if args.set_aside else "quarantined"
    if args.set_aside and not total:
        print("no rows were set aside" + (f" from {args.source}" if args.source else "")
              + " (`trustloop set-aside` moves stored rows there)")
        return 0
    print(f"{total} {what} row(s){' (showing ' + str(len(rows)) + ')' if total > len(rows) else ''}")
    for source, file, line, reason, raw in rows:
        print(f"{source:<11} {file}:{line}  {reason}")
        if args.raw:
            print(f"            raw: {raw[:200] if raw else ''}")
    return 0


def cmd_ledger(args) -> int:
    require_warehouse()
    with connect(read_only=True) as con:
        _require(con, "raw", "file_ledger")
        rows = con.execute(
            """select file, status, rows_read, rows_loaded, rows_new, rows_duplicate, rows_quarantined,
                      coalesce(error, duplicate_of, '')
               from raw.file_ledger order by loaded_at, file"""
        ).fetchall()
    print(f"{'file':<45} {'status':<24} {'read':>8} {'loaded':>8} {'new':>8} {'dup':>7} {'quar':>6}")
    for file, status, read, loaded, new, dup, quar, note in rows:
        print(f"{file:<45} {status:<24} {read:>8} {loaded:>8} {new:>8} {dup:>7} {quar:>6} {note}")
    return 0


def register(sub) -> None:
    metrics = sub.add_parser("metrics", help="the metrics export")
    msub = metrics.add_subparsers(dest="metrics_command", metavar="SUBCOMMAND")
    msub.required = True
    export = msub.add_parser("export", help="write the metrics export as CSV")
    export.add_argument("--out", required=True, type=out_file, help="CSV file to write")
    export.set_defaults(handler=cmd_metrics_export)

    quarantine = sub.add_parser("quarantine", help="list quarantined rows with their reasons")
    quarantine.add_argument("--source", choices=["tickets", "agent_logs", "incidents"])
    quarantine.add_argument("--limit", type=non_negative_int, default=200,
                            help="rows to list (default 200; 0 lists every row)")
    quarantine.add_argument("--raw", action="store_true", help="also print the raw text and the unredacted reason (may contain PII)")
    quarantine.add_argument("--format", choices=["text", "csv"], default="text")
    quarantine.add_argument("--set-aside", action="store_true",
                            help="list the rows set aside after loading (trustloop set-aside) instead")
    quarantine.set_defaults(handler=cmd_quarantine)

    ledger = sub.add_parser("ledger", help="list every landing file read, with its reconciliation counts")
    ledger.set_defaults(handler=cmd_ledger)
