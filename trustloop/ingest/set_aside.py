"""Set stored raw rows aside (``trustloop set-aside``): the way out when rows already loaded are wrong.

A row that breaks the contract is quarantined at load. A row that loaded and later proves wrong stays in
raw for good: a record the source system retracted, or rows a quality gate judges on every run (the gates
judge what is stored, and a corrected copy of an event conflicts with the stored one, so the same rows
stop every later run). An operator sets such rows aside, with a reason:

1. Under the run lock, in one transaction, each chosen row is copied, with its original text, to
   ``raw.set_aside`` (with the reason and the set-aside id) and deleted from ``raw.<source>``; the erasure
   log (``ledger.erasures``) gets one hash-chained entry per row (action ``set_aside``, its ledger entry
   and row hash), then a checkpoint. ``trustloop verify`` still passes, and the per-file reconciliation
   counts the row as stored: it was loaded, and the log says where it went.
2. A forced run rebuilds every layer above raw without the rows.

Nothing is lost: ``trustloop quarantine --set-aside`` lists them with their reasons. An event set aside no
longer holds its id, so a corrected copy delivered in a new file loads as new.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

import duckdb

from trustloop.ingest.contract import SOURCES
from trustloop.locking import run_lock
from trustloop.settings import Settings, get_settings
from trustloop.trust.ledger import anchor_path, append_erasures, ensure_ledger_schema, write_anchor
from trustloop.warehouse import connect

SUBJECT = "set-aside"  # the erasure log's subject of these entries (an erasure names a customer's SHA-256)


class NothingToSetAside(ValueError):
    """None of the rows asked for is stored."""


@dataclass(frozen=True)
class Row:
    file: str
    line: int


@dataclass
class SetAsideReport:
    set_aside_id: str
    source: str
    rows: list[tuple[str, str, int]] = field(default_factory=list)  # (record key, file, line)
    not_found: list[str] = field(default_factory=list)
    run_ok: bool | None = None
    notes: list[str] = field(default_factory=list)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return self.run_ok is not False

    def render(self) -> str:
        if self.dry_run:
            lines = [f"dry run: {len(self.rows)} row(s) of raw.{self.source} would be set aside (nothing changed)"]
        else:
            lines = [f"set-aside {self.set_aside_id}: {len(self.rows)} row(s) of raw.{self.source} moved to "
                     "raw.set_aside"]
        lines += [f"  {key} ({file} line {line})" for key, file, line in self.rows[:20]]
        if len(self.rows) > 20:
            lines.append(f"  ... and {len(self.rows) - 20} more")
        lines += [f"  not stored, left alone: {item}" for item in self.not_found]
        if not self.dry_run:
            lines.append(f"  rebuild run: {'OK' if self.run_ok else 'FAILED' if self.run_ok is False else 'not run'}")
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)


def parse_row(text: str) -> Row:
    """``FILE:LINE`` as the quarantine and the quality results name a row (the file relative to the landing
    folder, e.g. ``agent_logs/events_2026_05.jsonl:120``)."""
    file, sep, line = text.rpartition(":")
    if not sep or not file or not line.strip().isdigit():
        raise ValueError(f"{text!r}: a row is FILE:LINE, e.g. agent_logs/events.jsonl:120")
    return Row(file.strip(), int(line))


def ensure_set_aside_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema if not exists raw")
    con.execute(
        """create table if not exists raw.set_aside (
            set_aside_id varchar not null, source varchar not null, record_key varchar, file varchar not null,
            line bigint not null, reason varchar not null, raw varchar, row_hash varchar not null,
            set_aside_at timestamp not null)"""
    )


def set_aside_rows(con: duckdb.DuckDBPyConnection, source: str, keys: list[str], rows: list[Row], reason: str,
                   set_aside_id: str, anchor_file=None, where: str | None = None,
                   dry_run: bool = False) -> SetAsideReport:
    """Move the rows of ``raw.<source>`` with one of ``keys`` (every snapshot of a ticket or incident), at one
    of ``rows``, or matching the SQL predicate ``where`` to ``raw.set_aside`` and log them, in one transaction
    (``dry_run``: find them, change nothing)."""
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r} (one of {', '.join(SOURCES)})")
    if not reason.strip():
        raise ValueError("a reason is required: it is kept with the rows and shown with them")
    if not keys and not rows and not where:
        raise ValueError("name the rows: record keys, FILE:LINE, or a condition (--where)")
    if where and ";" in where:
        raise ValueError("--where is one condition on the columns of raw." + source + " (no ';')")
    key_column = SOURCES[source].key
    ensure_ledger_schema(con)
    ensure_set_aside_table(con)
    report = SetAsideReport(set_aside_id, source)
    con.execute("begin transaction")
    try:
        con.execute("create or replace temp table _wanted_keys (k varchar)")
        con.execute("create or replace temp table _wanted_rows (file varchar, line bigint)")
        if keys:
            con.executemany("insert into _wanted_keys values (?)", [[k] for k in keys])
        if rows:
            con.executemany("insert into _wanted_rows values (?, ?)", [[r.file, r.line] for r in rows])
        chosen = con.execute(
            f"""select cast(r."{key_column}" as varchar), r._file, r._line, r._row_hash, r._raw, l.seq
                from raw.{source} r
                left join ledger.records l on l.source = ? and l.file = r._file and l.line = r._line
                where cast(r."{key_column}" as varchar) in (select k from _wanted_keys)
                   or exists (select 1 from _wanted_rows w where w.file = r._file and w.line = r._line)
                   or r.rowid in (select rowid from raw.{source} where {f"({where})" if where else "false"})
                order by r._file, r._line""",
            [source],
        ).fetchall()
        found_keys = {c[0] for c in chosen}
        found_rows = {(c[1], c[2]) for c in chosen}
        report.not_found = [k for k in keys if k not in found_keys]
        report.not_found += [f"{r.file}:{r.line}" for r in rows if (r.file, r.line) not in found_rows]
        if where:
            report.not_found += [f"--where {where}"] if not chosen else []
        if not chosen:
            raise NothingToSetAside(f"no row of raw.{source} matches: " + ", ".join(report.not_found))
        report.rows = [(key, file, line) for key, file, line, *_ in chosen]
        if dry_run:
            con.execute("rollback")
            return report
        now = datetime.now(UTC).replace(tzinfo=None)
        con.executemany(
            "insert into raw.set_aside values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [[set_aside_id, source, key, file, line, reason.strip(), raw, row_hash, now]
             for key, file, line, row_hash, raw, _seq in chosen],
        )
        con.execute(
            f"""delete from raw.{source} r
                where exists (select 1 from raw.set_aside a where a.set_aside_id = ? and a.source = ?
                              and a.file = r._file and a.line = r._line)""",
            [set_aside_id, source],
        )
        entries = [
            {"erasure_id": set_aside_id, "subject_key": SUBJECT, "source": source, "record_key": key, "file": file,
             "line": line, "ledger_seq": seq, "action": "set_aside", "row_hash_before": row_hash}
            for key, file, line, row_hash, _raw, seq in chosen
        ]
        checkpoint = append_erasures(con, entries, set_aside_id)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    if anchor_file is not None:
        write_anchor(anchor_file, checkpoint)
    return report


def set_aside(source: str, keys: list[str], rows: list[Row], reason: str, settings: Settings | None = None,
              rebuild: bool = True, where: str | None = None, dry_run: bool = False,
              progress: bool = False) -> SetAsideReport:
    """Set the rows aside, then rebuild every layer above raw (a forced run; ``progress``: its steps on
    stderr as they end, as `trustloop run` shows them)."""
    settings = settings or get_settings()
    set_aside_id = "set-aside-" + datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]
    with run_lock(settings.lock_file, settings.lock_timeout):
        with connect(settings=settings) as con:
            try:
                report = set_aside_rows(con, source, keys, rows, reason, set_aside_id,
                                        anchor_path(settings.output_dir, settings.warehouse), where, dry_run)
            except duckdb.Error as exc:  # most likely the --where condition
                raise ValueError(f"cannot select the rows: {exc}") from None
    report.dry_run = dry_run
    if rebuild and not dry_run:
        from orchestration.runner import run_pipeline

        summary = run_pipeline(force=True, progress=progress)
        report.run_ok = summary.success
        if not summary.success:
            report.notes.append("the rebuild run failed: " + ", ".join(summary.failed_steps + summary.checks_failed))
    return report
