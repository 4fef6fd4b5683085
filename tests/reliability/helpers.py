"""Helpers of the reliability tests: starting and killing runs, watching their progress, comparing warehouses.

A run is ``trustloop run`` in a subprocess with its own process group, so a
SIGKILL of the group takes its children (dbt) with it, as a power cut or an
OOM kill of the container would. A run's progress is observed from outside,
without touching it: the Dagster event log (an SQLite file per run under
DAGSTER_HOME, written as the steps happen), /proc (open files, child
processes).
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import signal
import sqlite3
import subprocess
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from tests.conftest import CONTRACT_SAMPLE, PROJECT, TRUSTLOOP, query

POLICY = PROJECT / "policy" / "policy.yml"


def expected_export():
    """The contract fixture's expected export (computed outside this project) as reference rows."""
    from tests.reliability.reference_metrics import rows_from_table

    with open(CONTRACT_SAMPLE / "expected_metrics.csv", newline="") as handle:
        return rows_from_table(tuple(r.values()) for r in csv.DictReader(handle))

# ---------------------------------------------------------------- processes


def start_run(env: dict[str, str], args: tuple[str, ...] = ("run",)) -> subprocess.Popen:
    """Start ``trustloop run`` in its own process group (its pid is the group id)."""
    return subprocess.Popen(
        [TRUSTLOOP, *args], env=env, cwd=PROJECT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )


def kill_group(proc: subprocess.Popen) -> tuple[str, str]:
    """SIGKILL the run and every process of its group; wait until they are gone."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    out, err = proc.communicate(timeout=60)
    deadline = time.monotonic() + 30
    while group_members(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not group_members(proc.pid), "processes of the killed run survived"
    return out, err


def group_members(pgid: int) -> list[int]:
    members = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if fields[0] != "Z" and int(fields[2]) == pgid:  # state, ppid, pgrp
            members.append(int(entry))
    return members


def open_file_position(pid: int, path: Path) -> int | None:
    """The read position of ``path`` if process ``pid`` has it open, else None."""
    target = str(path.resolve())
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return None
    for fd in fds:
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}") == target:
                info = Path(f"/proc/{pid}/fdinfo/{fd}").read_text()
                return int(info.split("pos:")[1].split()[0])
        except (OSError, IndexError, ValueError):
            continue
    return None


def wait_until(proc: subprocess.Popen, condition: Callable[[], object], timeout: float = 600, poll: float = 0.01):
    """Poll ``condition`` until it returns a true value; fail if the run ends or time runs out first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        if proc.poll() is not None:
            out, err = proc.communicate()
            raise AssertionError(
                f"the run ended (exit {proc.returncode}) before the kill point was reached\n"
                f"STDOUT:\n{out[-3000:]}\nSTDERR:\n{err[-3000:]}"
            )
        time.sleep(poll)
    raise AssertionError("the kill point was not reached in time")


# ---------------------------------------------------------------- the Dagster event log


def current_run_db(dagster_home: Path, known: set[Path]) -> Path | None:
    """The event-log database of the run started after ``known`` were listed."""
    runs = Path(dagster_home) / "history" / "runs"
    if not runs.is_dir():
        return None
    fresh = [p for p in runs.glob("*.db") if p.name != "index.db" and p not in known]
    return max(fresh, key=lambda p: p.stat().st_mtime) if fresh else None


def run_dbs(dagster_home: Path) -> set[Path]:
    runs = Path(dagster_home) / "history" / "runs"
    return {p for p in runs.glob("*.db") if p.name != "index.db"} if runs.is_dir() else set()


def events(db: Path | None) -> list[tuple[str, str | None, str | None]]:
    """(event type, step key, asset key) of the run so far, in order; empty while unreadable."""
    if db is None or not db.exists():
        return []
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=0.2)
        try:
            return con.execute(
                "select dagster_event_type, step_key, asset_key from event_logs "
                "where dagster_event_type is not null order by id"
            ).fetchall()
        finally:
            con.close()
    except sqlite3.Error:
        return []


class RunWatcher:
    """Follows one run's Dagster event log."""

    def __init__(self, proc: subprocess.Popen, dagster_home: Path, known: set[Path]):
        self.proc, self.dagster_home, self.known = proc, Path(dagster_home), known
        self.db: Path | None = None

    def events(self):
        if self.db is None:
            self.db = current_run_db(self.dagster_home, self.known)
        return events(self.db)

    def step_event(self, event_type: str, step_key: str) -> bool:
        return any(t == event_type and s == step_key for t, s, _ in self.events())

    def steps(self, event_type: str) -> list[str]:
        return [s for t, s, _ in self.events() if t == event_type]

    def materialized(self, prefix: str) -> list[str]:
        return [
            ".".join(json.loads(a)) for t, _, a in self.events()
            if t == "ASSET_MATERIALIZATION" and a and json.loads(a)[0] == prefix
        ]


# ---------------------------------------------------------------- warehouse contents


def _norm(value):
    """A value made comparable across runs: doubles to 12 significant digits, containers recursively."""
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        return float(f"{value:.12g}")
    if isinstance(value, Decimal):
        return value.normalize()
    if isinstance(value, list | tuple):
        return tuple(_norm(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _norm(v)) for k, v in value.items()))
    return value


def tables(warehouse: Path, schema: str) -> list[str]:
    return [
        t for (t,) in query(
            warehouse,
            "select table_name from information_schema.tables where table_schema = ? and table_type = 'BASE TABLE' "
            "order by 1",
            [schema],
        )
    ]


def table_rows(warehouse: Path, schema: str, table: str, exclude_columns: tuple[str, ...] = ()) -> list[tuple]:
    cols = [
        c for (c,) in query(
            warehouse,
            "select column_name from information_schema.columns where table_schema = ? and table_name = ? "
            "order by ordinal_position",
            [schema, table],
        )
        if c not in exclude_columns
    ]
    select = ", ".join(f'"{c}"' for c in cols)
    rows = [tuple(_norm(v) for v in row) for row in query(warehouse, f'select {select} from "{schema}"."{table}"')]
    return [tuple(cols)] + sorted(rows, key=repr)


def snapshot(warehouse: Path, schemas: dict[str, dict[str, tuple[str, ...]]]) -> dict[str, list[tuple]]:
    """Every table of the given schemas as a sorted row set.

    ``schemas`` maps a schema to {table: columns excluded}; the key "*" gives
    the columns excluded from every table of that schema.
    """
    out = {}
    for schema, excluded in schemas.items():
        for table in tables(warehouse, schema):
            drop = tuple(excluded.get("*", ())) + tuple(excluded.get(table, ()))
            out[f"{schema}.{table}"] = table_rows(warehouse, schema, table, drop)
    return out


def diff_snapshots(got: dict, want: dict, limit: int = 5) -> list[str]:
    """Human-readable differences between two snapshots (empty when equal)."""
    problems = []
    for name in sorted(set(got) | set(want)):
        if name not in got:
            problems.append(f"{name}: missing")
            continue
        if name not in want:
            problems.append(f"{name}: unexpected table")
            continue
        g, w = got[name], want[name]
        if g == w:
            continue
        if g[0] != w[0]:
            problems.append(f"{name}: columns differ {g[0]} != {w[0]}")
            continue
        gs, ws = set(g[1:]), set(w[1:])
        problems.append(
            f"{name}: {len(g) - 1} rows vs {len(w) - 1}; only here {sorted(gs - ws, key=repr)[:limit]}; "
            f"only in the reference {sorted(ws - gs, key=repr)[:limit]}"
        )
    return problems


def export_rows(warehouse: Path) -> list[tuple]:
    """The metrics export (marts.rpt_metrics_export), normalised and sorted."""
    return table_rows(warehouse, "marts", "rpt_metrics_export")[1:]


def export_csv_rows(env: dict[str, str], out: Path) -> list[dict]:
    """`trustloop metrics export` (the product's CLI) read back as dicts."""
    from tests.conftest import run_trustloop

    run_trustloop(["metrics", "export", "--out", str(out)], env)
    with open(out, newline="") as handle:
        return list(csv.DictReader(io.StringIO(handle.read())))


# ---------------------------------------------------------------- ledger against raw rows

LEDGER_CHECK_SQL = """
with ledger as (
    select source, file, sum(rows_read) as rows_read, sum(rows_new) as rows_new,
           sum(rows_duplicate) as rows_duplicate, sum(rows_quarantined) as rows_quarantined, count(*) as entries,
           count(*) filter (where status <> 'skipped_duplicate_file') as reads
    from raw.file_ledger group by all
),
stored as (
    select 'tickets' as source, _file as file, count(*) as n from raw.tickets group by all
    union all select 'agent_logs', _file, count(*) from raw.agent_logs group by all
    union all select 'incidents', _file, count(*) from raw.incidents group by all
),
held as (select source, file, count(*) as n from raw.quarantine group by all)
select coalesce(l.source, s.source, h.source) as source, coalesce(l.file, s.file, h.file) as file,
       l.rows_read, l.rows_new, l.rows_duplicate, l.rows_quarantined, l.reads,
       coalesce(s.n, 0) as stored, coalesce(h.n, 0) as held
from ledger l
full join stored s on s.source = l.source and s.file = l.file
full join held h on h.source = coalesce(l.source, s.source) and h.file = coalesce(l.file, s.file)
order by 1, 2
"""


def ledger_problems(warehouse: Path) -> list[str]:
    """Every file whose ledger row disagrees with what the warehouse holds (written here, not the product's).

    A file is consistent when it is in the ledger at most once as read, and the
    rows stored from it and quarantined from it are exactly the ledger's
    rows_new and rows_quarantined, with rows_read = new + duplicate +
    quarantined. Rows stored from a file the ledger does not know are a
    problem too (a half-loaded file).
    """
    if not query(warehouse, "select count(*) from information_schema.tables where table_schema = 'raw' "
                            "and table_name = 'file_ledger'")[0][0]:
        return []
    problems = []
    for source, file, read, new, dup, quar, reads, stored, held in query(warehouse, LEDGER_CHECK_SQL):
        if read is None:
            problems.append(f"{source} {file}: {stored} rows stored / {held} quarantined but not in the ledger")
            continue
        if reads > 1:
            problems.append(f"{source} {file}: read {reads} times")
        if read != new + dup + quar:
            problems.append(f"{source} {file}: read {read} != {new} new + {dup} duplicate + {quar} quarantined")
        if stored != new or held != quar:
            problems.append(f"{source} {file}: ledger {new} new / {quar} quarantined, warehouse {stored} / {held}")
    return problems


def leftover_relations(warehouse: Path) -> list[str]:
    """Relations a build leaves behind only when interrupted between steps (dbt's temporary and backup tables)."""
    return [
        f"{s}.{t}" for s, t in query(
            warehouse,
            "select table_schema, table_name from information_schema.tables "
            "where contains(table_name, '__dbt_tmp') or contains(table_name, '__dbt_backup') order by 1, 2",
        )
    ]


def sha_lines(path: Path) -> int:
    return sum(1 for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
