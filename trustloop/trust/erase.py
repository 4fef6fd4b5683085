"""Erase a customer from every layer of the warehouse (``trustloop erase --customer ID``).

1. Under the run lock, in one transaction:
   - raw.tickets: every snapshot of every ticket the customer ever had is deleted;
   - raw.agent_logs: every event on those tickets (and any event the customer wrote) is deleted;
   - raw.incidents: snapshots that reference those tickets or name the customer are amended — the
     references removed, the customer id in the summary replaced, the summary's PII redacted, the
     original text dropped — and their row hash recomputed;
   - raw.quarantine: rows whose original text names the customer or one of those tickets are deleted;
   - raw.set_aside (rows an operator set aside): likewise;
   - ledger.erasures: one hash-chained entry per deleted or amended record (ledger seq, file, line,
     old and new hashes; the customer only as a SHA-256), then a ledger checkpoint. The ledger
     itself is never rewritten, so ``trustloop verify`` still passes: it knows which entries have
     no row any more and which now hold an amended one.
2. Every layer above raw is rebuilt by a normal run (dbt marts, reports, the trust snapshot); not when
   the customer was found nowhere (no raw row touched, no table of the warehouse or the snapshot
   naming the id): then there is nothing to rebuild, and the report says the id was found nowhere.
3. The DuckDB file is compacted (copied table by table into a new file that replaces it), so the
   erased text is gone from the file's bytes, not only from its tables; the snapshot is republished.
4. Every text column of the warehouse and the snapshot, and every other file under the output
   folder and Dagster's home, is searched for the customer; whatever is left is reported.

The landing folder is the upstream system's copy and is not touched: files already read are never
read again (their hash is in the file ledger), but the customer must also be erased upstream.
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from trustloop.locking import run_lock
from trustloop.settings import Settings, get_settings
from trustloop.trust.ledger import (
    anchor_path,
    append_erasures,
    ensure_ledger_schema,
    row_hash_sql,
    write_anchor,
)
from trustloop.trust.privacy import redact_pii
from trustloop.warehouse import configure, connect, table_exists

ERASED_CUSTOMER = "[erased customer]"


def subject_key(customer_id: str) -> str:
    """How the erasure log names a customer: a SHA-256, never the id itself."""
    return hashlib.sha256(f"customer:{customer_id}".encode()).hexdigest()


def mention_regex(ids: list[str]) -> str:
    """An RE2/Python regex matching any of ``ids`` as a whole token (not inside a longer id)."""
    alternatives = "|".join(re.escape(i) for i in sorted(set(ids), key=len, reverse=True))
    return f"(^|[^A-Za-z0-9_-])({alternatives})($|[^A-Za-z0-9_-])"


@dataclass
class ErasePlan:
    customer_id: str
    ticket_ids: list[str] = field(default_factory=list)
    entries: list[dict] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


@dataclass
class EraseReport:
    customer_id_hash: str
    erasure_id: str
    counts: dict[str, int]
    run_ok: bool | None = None
    bytes_before: int = 0
    bytes_after: int = 0
    remaining: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    found: bool = True  # False: no raw row and no table of the warehouse or the snapshot named the customer

    @property
    def ok(self) -> bool:
        return not self.remaining and self.run_ok is not False

    def render(self) -> str:
        if not self.found:
            return self._render_not_found()
        c = self.counts
        lines = [
            f"erasure {self.erasure_id} (customer sha256 {self.customer_id_hash[:16]}...)",
            f"  tickets: {c.get('tickets', 0)} ticket(s), {c.get('ticket_rows', 0)} snapshot row(s) deleted",
            f"  agent_logs: {c.get('agent_logs', 0)} event(s) deleted",
            f"  incidents: {c.get('incidents', 0)} snapshot(s) amended (references removed)",
            f"  quarantine: {c.get('quarantine', 0)} row(s) deleted",
            *([f"  set aside: {c['set_aside']} row(s) deleted"] if c.get("set_aside") else []),
            f"  erasure log: {c.get('entries', 0)} ledger entr(ies) recorded",
            f"  rebuild run: {'OK' if self.run_ok else 'FAILED' if self.run_ok is False else 'not run'}",
            f"  warehouse compacted: {self.bytes_before} -> {self.bytes_after} bytes",
        ]
        lines += [f"  note: {n}" for n in self.notes]
        if self.remaining:
            lines.append("INCOMPLETE: the customer is still referenced in:")
            lines += [f"  - {r}" for r in self.remaining]
        else:
            lines.append("OK: no table of the warehouse or the snapshot references the customer any more")
        return "\n".join(lines)

    def _render_not_found(self) -> str:
        lines = [
            f"erasure {self.erasure_id} (customer sha256 {self.customer_id_hash[:16]}...)",
            "  erasure log: the request is recorded (a ledger checkpoint, no entries)",
            "  rebuild run: not needed (nothing was removed)",
            f"  warehouse compacted: {self.bytes_before} -> {self.bytes_after} bytes",
        ]
        lines += [f"  note: {n}" for n in self.notes]
        lines.append("NOT FOUND: this customer id is in no table of the warehouse or the snapshot (raw, quarantine, "
                     "set-aside, marts); nothing was erased. Check the id for a typo.")
        if self.remaining:
            lines.append("INCOMPLETE: files outside the warehouse still name the customer:")
            lines += [f"  - {r}" for r in self.remaining]
        return "\n".join(lines)


def landing_note(files: list[Path], landing_dir: Path, shown: int = 5) -> str:
    """The note naming the landing files that still hold the customer (paths relative to the landing folder)."""
    names = [str(p.relative_to(landing_dir)) if p.is_relative_to(landing_dir) else str(p) for p in files]
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return (f"{len(names)} landing file(s) still hold the customer (the upstream copy; erase it there too): "
            + ", ".join(names[:shown]) + more)


def _ledger_seq_join(source: str) -> str:
    return (
        f"left join ledger.records l on l.source = '{source}' and l.file = r._file and l.line = r._line"
    )


def plan_and_apply(con: duckdb.DuckDBPyConnection, customer_id: str, erasure_id: str) -> ErasePlan:
    """Delete/amend the customer's raw records and write the erasure log, in one transaction."""
    ensure_ledger_schema(con)
    plan = ErasePlan(customer_id)
    key = subject_key(customer_id)
    plan.ticket_ids = [
        r[0] for r in con.execute(
            "select distinct ticket_id from raw.tickets where customer_id = ? order by 1", [customer_id]
        ).fetchall()
    ]
    tickets = plan.ticket_ids
    mention_customer = mention_regex([customer_id])
    mention_any = mention_regex([customer_id, *tickets])

    def entry(source, record_key, file, line, seq, action, before, after=None, raw_after=None) -> dict:
        return {
            "erasure_id": erasure_id, "subject_key": key, "source": source, "record_key": record_key,
            "file": file, "line": line, "ledger_seq": seq, "action": action, "row_hash_before": before,
            "row_hash_after": after, "raw_sha256_after": raw_after,
        }

    con.execute("begin transaction")
    try:
        ticket_rows = con.execute(
            f"""select r.ticket_id, r._file, r._line, l.seq, r._row_hash from raw.tickets r {_ledger_seq_join('tickets')}
                where r.ticket_id in (select unnest(?)) order by r._file, r._line""",
            [tickets],
        ).fetchall()
        event_rows = con.execute(
            f"""select r.event_id, r._file, r._line, l.seq, r._row_hash from raw.agent_logs r
                {_ledger_seq_join('agent_logs')}
                where r.ticket_id in (select unnest(?)) or r.actor_id = ? order by r._file, r._line""",
            [tickets, customer_id],
        ).fetchall()
        incident_rows = con.execute(
            f"""select r.incident_id, r._file, r._line, l.seq, r._row_hash, r.ticket_ids, r.summary
                from raw.incidents r {_ledger_seq_join('incidents')}
                where list_has_any(coalesce(r.ticket_ids, []), ?)
                   or regexp_matches(coalesce(r.summary, '') || chr(10) || coalesce(r._raw, ''), ?)
                order by r._file, r._line""",
            [tickets, mention_customer],
        ).fetchall()
        quarantine_rows = con.execute(
            "select source, file, line, record_key from raw.quarantine "
            "where regexp_matches(coalesce(raw, ''), ?) or record_key in (select unnest(?)) order by 1, 2, 3",
            [mention_any, [customer_id, *tickets] + [r[0] for r in event_rows]],
        ).fetchall()

        for tid, file, line, seq, h in ticket_rows:
            plan.entries.append(entry("tickets", tid, file, line, seq, "deleted", h))
        con.execute("delete from raw.tickets where ticket_id in (select unnest(?))", [tickets])
        for eid, file, line, seq, h in event_rows:
            plan.entries.append(entry("agent_logs", eid, file, line, seq, "deleted", h))
        con.execute(
            "delete from raw.agent_logs where ticket_id in (select unnest(?)) or actor_id = ?", [tickets, customer_id]
        )
        for iid, file, line, seq, h, ticket_ids, summary in incident_rows:
            kept = [t for t in (ticket_ids or []) if t not in set(tickets)] or None
            new_summary = None
            if summary is not None:
                new_summary = redact_pii(re.sub(mention_customer, lambda m: m.group(1) + ERASED_CUSTOMER + m.group(3),
                                                summary))
            con.execute(
                "update raw.incidents set ticket_ids = ?, summary = ?, _raw = null where _file = ? and _line = ?",
                [kept, new_summary, file, line],
            )
            con.execute(
                f"update raw.incidents set _row_hash = {row_hash_sql('incidents')} where _file = ? and _line = ?",
                [file, line],
            )
            after, raw_after = con.execute(
                "select _row_hash, sha256(coalesce(_raw, chr(30))) from raw.incidents where _file = ? and _line = ?",
                [file, line],
            ).fetchone()
            plan.entries.append(entry("incidents", iid, file, line, seq, "amended", h, after, raw_after))
        for source, file, line, record_key in quarantine_rows:
            plan.entries.append(entry(source, record_key, file, line, None, "quarantine_deleted", None))
            con.execute("delete from raw.quarantine where source = ? and file = ? and line = ?", [source, file, line])
        # rows an operator set aside (trustloop set-aside) keep their original text: the customer's go too
        set_aside_rows = con.execute(
            "select source, file, line, record_key from raw.set_aside "
            "where regexp_matches(coalesce(raw, ''), ?) or record_key in (select unnest(?)) order by 1, 2, 3",
            [mention_any, [customer_id, *tickets]],
        ).fetchall() if table_exists(con, "raw", "set_aside") else []
        for source, file, line, record_key in set_aside_rows:
            plan.entries.append(entry(source, record_key, file, line, None, "set_aside_deleted", None))
            con.execute("delete from raw.set_aside where source = ? and file = ? and line = ?", [source, file, line])
        plan.counts = {
            "tickets": len(tickets),
            "ticket_rows": len(ticket_rows),
            "agent_logs": len(event_rows),
            "incidents": len(incident_rows),
            "quarantine": len(quarantine_rows),
            "set_aside": len(set_aside_rows),
            "entries": len(plan.entries),
        }
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return plan


def compact(warehouse: Path) -> tuple[int, int]:
    """Rewrite the DuckDB file table by table into a new file and move it into place.

    DuckDB reuses freed blocks but never scrubs them, so deleted text can stay in the file's bytes;
    CHECKPOINT and VACUUM do not shrink it. A fresh copy holds only live data.
    """
    warehouse = Path(warehouse)
    before = warehouse.stat().st_size
    tmp = warehouse.with_name(f".{warehouse.stem}.compact.{os.getpid()}.duckdb")
    for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
        leftover.unlink(missing_ok=True)
    # the source keeps its own database name, which its views refer to
    name = warehouse.stem
    con = duckdb.connect(":memory:")
    configure(con)
    try:
        con.execute(f"ATTACH '{_sql(str(warehouse))}' AS \"{name}\" (READ_ONLY)")
        con.execute(f"ATTACH '{_sql(str(tmp))}' AS compacted")
        con.execute(f'COPY FROM DATABASE "{name}" TO compacted')
        con.execute("DETACH compacted")
        con.execute(f'DETACH "{name}"')
    except BaseException:
        con.close()
        tmp.unlink(missing_ok=True)
        raise
    con.close()
    os.replace(tmp, warehouse)
    warehouse.with_name(warehouse.name + ".wal").unlink(missing_ok=True)
    return before, warehouse.stat().st_size


def _sql(text: str) -> str:
    return text.replace("'", "''")


def remaining_references(path: Path, customer_id: str, ticket_ids: list[str]) -> list[str]:
    """Every table.column of a DuckDB file whose text still names the customer (or its tickets)."""
    if not path.exists():
        return []
    pattern = mention_regex([customer_id, *ticket_ids])
    found = []
    con = duckdb.connect(str(path), read_only=True)
    try:
        configure(con)  # the memory cap: scanning every text column of a 1M-ticket warehouse took 2.4 GiB without
        columns = con.execute(
            """select c.table_schema, c.table_name, c.column_name from information_schema.columns c
               join information_schema.tables t
                 on t.table_schema = c.table_schema and t.table_name = c.table_name
               where t.table_type = 'BASE TABLE' and c.table_schema <> 'ledger'
                 and (c.data_type = 'VARCHAR' or c.data_type like 'VARCHAR[]%')
               order by 1, 2, 3"""
        ).fetchall()
        for schema, table, column in columns:
            n = con.execute(
                f'select count(*) from "{schema}"."{table}" where regexp_matches(cast("{column}" as varchar), ?)',
                [pattern],
            ).fetchone()[0]
            if n:
                found.append(f"{path.name}: {schema}.{table}.{column} ({n} row(s))")
    finally:
        con.close()
    return found


def files_mentioning(root: Path, needle: str, skip: tuple[Path, ...] = ()) -> list[Path]:
    """Files under ``root`` whose bytes contain ``needle`` (``skip``: files or folders not to look in)."""
    if not root.is_dir():
        return []
    skip = tuple(p.resolve() for p in skip)
    data = needle.encode("utf-8")
    found = []
    for path in sorted(root.rglob("*")):
        resolved = path.resolve()
        if not path.is_file() or any(resolved == s or s in resolved.parents for s in skip):
            continue
        try:
            if file_contains(path, data):
                found.append(path)
        except OSError:
            continue
    return found


SEARCH_CHUNK = 8 << 20  # bytes read at a time: a landing file can be gigabytes


def file_contains(path: Path, data: bytes, chunk: int = SEARCH_CHUNK) -> bool:
    """Whether the bytes of ``path`` contain ``data``, read ``chunk`` bytes at a time (each chunk searched
    with the end of the one before, so a match across two chunks is found): memory stays flat however
    large the file."""
    keep = len(data) - 1
    tail = b""
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            window = tail + block
            if data in window:
                return True
            tail = window[-keep:] if keep > 0 else b""
    return False


def erase_customer(customer_id: str, settings: Settings | None = None, rebuild: bool = True,
                   progress: bool = False) -> EraseReport:
    """Erase ``customer_id`` from every layer; returns what was done and any reference left.

    ``progress``: each phase after the first (the rebuild run's steps among them) is announced on stderr,
    by the erasure's id, never the customer's: at 1M tickets an erasure takes minutes."""
    from trustloop.trust.snapshot import publish_snapshot, snapshot_path

    settings = settings or get_settings()
    customer_id = customer_id.strip()
    if not customer_id:
        raise ValueError("a customer id is required")
    erasure_id = "erase-" + datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]
    anchors = anchor_path(settings.output_dir, settings.warehouse)
    with run_lock(settings.lock_file, settings.lock_timeout):
        with connect(settings=settings) as con:
            plan = plan_and_apply(con, customer_id, erasure_id)
            con.execute("begin transaction")
            try:
                checkpoint = append_erasures(con, plan.entries, erasure_id)
                con.execute("commit")
            except BaseException:
                con.execute("rollback")
                raise
            write_anchor(anchors, checkpoint)
        # nothing removed from raw and no table names the id (marts left by an earlier erasure whose rebuild
        # failed would): the layers above raw are as a rebuild would make them
        found = bool(plan.entries) or bool(
            remaining_references(settings.warehouse, customer_id, plan.ticket_ids)
            + remaining_references(snapshot_path(settings), customer_id, plan.ticket_ids)
        )
    report = EraseReport(subject_key(customer_id), erasure_id, plan.counts, found=found)

    def phase(text: str) -> None:
        if progress:
            print(f"{erasure_id}: {text}", file=sys.stderr, flush=True)

    if rebuild and found:
        from orchestration.runner import run_pipeline

        phase(f"removed from the stored rows and logged ({plan.counts.get('entries', 0)} ledger entr(ies)); "
              "rebuilding every layer above them (a forced run)")
        summary = run_pipeline(force=True, progress=progress)
        report.run_ok = summary.success
        if not summary.success:
            report.notes.append("the rebuild run failed: " + ", ".join(summary.failed_steps + summary.checks_failed))
    with run_lock(settings.lock_file, settings.lock_timeout):
        phase("compacting the warehouse file (it is rewritten whole, so that no freed block keeps the data)")
        report.bytes_before, report.bytes_after = compact(settings.warehouse)
        snap = snapshot_path(settings)
        phase("publishing a fresh trust snapshot")
        try:
            # a fresh file: a copy of the previous one would keep the erased rows in its freed blocks
            publish_snapshot(settings.warehouse, snap, erasure_id, reuse=False)
        except Exception as exc:  # an old snapshot would still hold the customer: remove it
            snap.unlink(missing_ok=True)
            report.notes.append(f"snapshot not republished ({exc}); the previous one was removed")
        phase("checking every table of the warehouse and the snapshot, and the files written, for the customer")
        report.remaining = remaining_references(settings.warehouse, customer_id, plan.ticket_ids)
        report.remaining += remaining_references(snap, customer_id, plan.ticket_ids)
    # everything else the product wrote (reports, data docs, logs, Dagster's storage); not the landing folder
    warehouse_files = (settings.warehouse, settings.warehouse.with_name(settings.warehouse.name + ".wal"), snap)
    report.remaining += [
        f"file {p}" for p in files_mentioning(settings.output_dir, customer_id, (*warehouse_files, settings.landing_dir))
    ]
    dagster_home, output_dir = settings.dagster_home.resolve(), settings.output_dir.resolve()
    if not (dagster_home == output_dir or output_dir in dagster_home.parents):
        report.remaining += [f"file {p}" for p in files_mentioning(settings.dagster_home, customer_id)]
    upstream = files_mentioning(settings.landing_dir, customer_id)
    if upstream:
        report.notes.append(landing_note(upstream, settings.landing_dir))
    return report
