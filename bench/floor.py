"""The floor: the metrics export straight from a landing folder, in one DuckDB process.

    python -m bench.floor LANDING_DIR --out export.csv [--policy policy/policy.yml]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import duckdb

from trustloop.ingest.contract import SOURCES
from trustloop.policy import load_policy
from trustloop.settings import PROJECT_DIR

HERE = Path(__file__).resolve().parent


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _file_relation(con: duckdb.DuckDBPyConnection, path: Path, rel: str, source: str) -> tuple[str, set[str]]:
    columns = SOURCES[source].column_names
    suffix = path.suffix.lower()
    if suffix == ".csv":
        reader = f"read_csv({_lit(str(path))}, all_varchar = true, header = true, ignore_errors = true)"
    elif suffix in (".jsonl", ".ndjson", ".json"):
        spec = {c: ("JSON" if c in ("attributes", "ticket_ids") else "VARCHAR") for c in columns}
        reader = (
            f"read_json({_lit(str(path))}, format = 'newline_delimited', ignore_errors = true, "
            f"columns = {json.dumps(spec).replace(chr(34), chr(39))})"
        )
    else:
        reader = f"read_parquet({_lit(str(path))})"
    present = {row[0].lower() for row in con.execute(f"describe select * from {reader}").fetchall()}
    select = ", ".join(
        f"cast({_q(c)} as varchar) as {_q(c)}" if c in present else f"null::varchar as {_q(c)}" for c in columns
    )
    return (
        f"select {select}, {_lit(rel)} as filename, ordinality as _row from {reader} with ordinality",
        present,
    )


def _source_sql(con: duckdb.DuckDBPyConnection, landing: Path, source: str) -> str:
    files = sorted(
        p for p in (landing / source).rglob("*")
        if p.is_file() and p.suffix.lower() in (".csv", ".jsonl", ".ndjson", ".json", ".parquet")
        and not any(part.startswith((".", "_")) for part in p.relative_to(landing / source).parts)
    )
    parts = [_file_relation(con, p, p.relative_to(landing).as_posix(), source)[0] for p in files]
    if not parts:
        cols = ", ".join(f"null::varchar as {_q(c)}" for c in SOURCES[source].column_names)
        return f"select {cols}, ''::varchar as filename, 0::bigint as _row where false"
    return " union all ".join(parts)


def floor_export(landing: Path, policy_file: Path) -> tuple[list[tuple], float]:
    started = time.perf_counter()
    policy = load_policy(policy_file)
    delays = [
        f"select {_lit(name)} as case_type, {float(entry['max_handoff_delay_seconds'])} as delay"
        for name, entry in policy.case_types.items() if "max_handoff_delay_seconds" in entry
    ] or ["select null::varchar as case_type, null::double as delay where false"]
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    sql = (HERE / "floor.sql").read_text()
    sql = sql.format(
        tickets=_source_sql(con, landing, "tickets"),
        events=_source_sql(con, landing, "agent_logs"),
        incidents=_source_sql(con, landing, "incidents"),
        max_handoff_delay=" union all ".join(delays),
        default_delay=float(policy.defaults["max_handoff_delay_seconds"]),
    )
    con.execute(sql)
    rows = con.execute(
        "select * from export order by metric, grain, grain_value, coalesce(dimension, ''), period, period_start"
    ).fetchall()
    con.close()
    return rows, time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("landing", type=Path)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--policy", type=Path, default=PROJECT_DIR / "policy" / "policy.yml")
    args = parser.parse_args(argv)
    rows, seconds = floor_export(args.landing, args.policy)
    if args.out:
        import csv

        with open(args.out, "w", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(["metric", "grain", "grain_value", "dimension", "period", "period_start",
                             "numerator", "denominator", "value"])
            for row in rows:
                writer.writerow(["" if v is None else (repr(v) if isinstance(v, float) else v) for v in row])
    print(f"floor: {len(rows)} export rows in {seconds:.2f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
