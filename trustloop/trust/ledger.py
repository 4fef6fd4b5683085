"""Tamper-evident ledger of every ingested record: a SHA-256 hash chain with a checkpoint per run.

Tables (schema ``ledger`` of the warehouse):

- ``ledger.records`` — one entry per raw record (raw.tickets, raw.agent_logs,
  raw.incidents), appended once, in a deterministic order (source, file,
  line). An entry holds only hashes and pseudonymous keys, never free text:
  seq, source, record_key (ticket/event/incident id), file, line, row_hash
  (the loader's ``_row_hash`` of the parsed record), raw_sha256 (SHA-256 of
  the original text ``_raw``), prev_hash and chain_hash =
  SHA-256(prev_hash | seq | source | record_key | file | line | row_hash | raw_sha256).
- ``ledger.checkpoints`` — one row per run: the head of the chain (and of the
  erasure chain) after that run, itself chained. Each checkpoint is also
  appended to ``<output>/ledger/<warehouse-stem>.anchors.jsonl`` outside the warehouse, so
  rewriting the whole chain inside the file does not go unnoticed.
- ``ledger.erasures`` — the erasure log (``trustloop erase``), hash-chained
  the same way: which ledger entries no longer have their row (deleted) or
  now hold a different one (amended: references to an erased customer
  removed), with the new hashes. Customer ids are stored only as SHA-256.
  ``trustloop set-aside`` logs here too: rows moved from raw to
  ``raw.set_aside`` (action set_aside, subject ``set-aside``).

``verify`` recomputes both chains and the checkpoints, and checks the raw
rows of the warehouse against the ledger: an altered value or original text,
a deleted, moved (reordered) or inserted record are each reported. The rows of
``raw.set_aside`` are checked against the erasure log the same way.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from trustloop.ingest.contract import SOURCES
from trustloop.warehouse import table_exists

GENESIS = "0" * 64
SEP = "\x1f"
SOURCE_ORDER = ("tickets", "agent_logs", "incidents")
MAX_REPORTED = 50

RECORD_FIELDS = ("seq", "source", "record_key", "file", "line", "row_hash", "raw_sha256")
ERASURE_FIELDS = (
    "seq", "erasure_id", "subject_key", "source", "record_key", "file", "line", "ledger_seq", "action",
    "row_hash_before", "row_hash_after", "raw_sha256_after",
)
CHECKPOINT_FIELDS = ("run_id", "last_seq", "head_hash", "erasures_last_seq", "erasures_head_hash")


LEDGER_BATCH = 250_000  # records chained at a time


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def chain_hash(prev_hash: str, values: list) -> str:
    text = SEP.join([prev_hash] + ["" if v is None else str(v) for v in values])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def row_hash_sql(source: str, alias: str = "") -> str:
    """SQL recomputing the loader's ``_row_hash`` from a stored raw row's values."""
    prefix = f"{alias}." if alias else ""
    cols = ", ".join(
        f'coalesce(cast({prefix}"{c}" as varchar), chr(30))' for c in SOURCES[source].column_names
    )
    return f"sha256(concat_ws(chr(31), {cols}))"


def raw_sha_sql(alias: str = "", column: str = "_raw") -> str:
    prefix = f"{alias}." if alias else ""
    return f"sha256(coalesce({prefix}{column}, chr(30)))"


def ensure_ledger_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema if not exists ledger")
    con.execute(
        """create table if not exists ledger.records (
            seq bigint not null, source varchar not null, record_key varchar, file varchar not null,
            line bigint not null, row_hash varchar not null, raw_sha256 varchar not null,
            loaded_run_id varchar, run_id varchar not null, appended_at timestamp not null,
            prev_hash varchar not null, chain_hash varchar not null)"""
    )
    con.execute(
        """create table if not exists ledger.erasures (
            seq bigint not null, erasure_id varchar not null, subject_key varchar not null,
            source varchar not null, record_key varchar, file varchar not null, line bigint not null,
            ledger_seq bigint, action varchar not null, row_hash_before varchar, row_hash_after varchar,
            raw_sha256_after varchar, erased_at timestamp not null,
            prev_hash varchar not null, chain_hash varchar not null)"""
    )
    con.execute(
        """create table if not exists ledger.checkpoints (
            run_id varchar not null, checkpoint_at timestamp not null, first_seq bigint, last_seq bigint not null,
            records_appended bigint not null, head_hash varchar not null, erasures_last_seq bigint not null,
            erasures_head_hash varchar not null, prev_hash varchar not null, chain_hash varchar not null)"""
    )


def _raw_union(files: dict[str, list[str]] | None = None) -> str:
    """Every raw row with its ledger fields, the SHA-256 of its stored text and its recomputed content hash;
    with ``files``, only the rows of those files (by source)."""
    parts = []
    for rank, name in enumerate(SOURCE_ORDER):
        if files is not None and not files.get(name):
            continue
        key = SOURCES[name].key
        where = f" where _file in ({_sql_list(files[name])})" if files is not None else ""
        parts.append(
            f"""select {rank} as source_rank, '{name}' as source, cast("{key}" as varchar) as record_key,
                       _file as file, _line as line, _row_hash as row_hash, {raw_sha_sql()} as raw_sha256,
                       {row_hash_sql(name)} as content_hash, _run_id as loaded_run_id
                from raw.{name}{where}"""
        )
    return "\nunion all\n".join(parts)


def _sql_list(values: list[str]) -> str:
    return ", ".join("'" + str(v).replace("'", "''") + "'" for v in values)


def _unledgered_rows(with_fields: bool) -> str:
    """The raw rows loaded by runs the ledger has not seen (source, file, line, the loading run);
    ``with_fields`` adds the other ledger fields.

    The runs are filtered out first, so the stored text is hashed only for the rows that are kept.
    """
    seen = "(select distinct loaded_run_id from ledger.records)"
    parts = []
    for rank, name in enumerate(SOURCE_ORDER):
        fields = (
            f""", cast(r."{SOURCES[name].key}" as varchar) as record_key, r._row_hash as row_hash,
                  {raw_sha_sql("r")} as raw_sha256"""
            if with_fields
            else ""
        )
        parts.append(
            f"""select {rank} as source_rank, '{name}' as source, r._file as file, r._line as line,
                       r._run_id as loaded_run_id{fields}
                from raw.{name} r anti join {seen} seen on seen.loaded_run_id = r._run_id"""
        )
    return "\nunion all\n".join(parts)


def _head(con: duckdb.DuckDBPyConnection, table: str) -> tuple[int, str]:
    row = con.execute(f"select seq, chain_hash from ledger.{table} order by seq desc limit 1").fetchone()
    return (int(row[0]), row[1]) if row else (0, GENESIS)


@dataclass
class AppendResult:
    run_id: str
    appended: int
    total: int
    head_hash: str
    checkpoint_hash: str


def append_new_records(con: duckdb.DuckDBPyConnection, run_id: str, anchor_file: Path | None = None) -> AppendResult:
    """Append every raw record not yet in the ledger (by source, file, line), then a checkpoint for ``run_id``."""
    ensure_ledger_schema(con)
    for name in SOURCE_ORDER:
        if not table_exists(con, "raw", name):
            raise RuntimeError(f"raw.{name} does not exist: ingest first")
    # the new records in ledger order, in a temp table (a large backlog spills to disk); DuckDB keeps
    # the insertion order, so rowid 0, 1, 2... is that order. Candidates are the rows loaded by runs the
    # ledger has not seen (a run's rows are appended all at once, by that run or the next one); only
    # their files' entries are compared, not the whole ledger. A row slipped into raw under a run the
    # ledger has seen is not absorbed: verify reports it as inserted.
    con.execute(
        f"""create or replace temp table _ledger_new as
            with entries as (
                select l.source, l.file, l.line from ledger.records l
                semi join (select distinct source, file from ({_unledgered_rows(with_fields=False)})) f
                    on f.source = l.source and f.file = l.file
            )
            select r.source, r.record_key, r.file, r.line, r.row_hash, r.raw_sha256, r.loaded_run_id
            from ({_unledgered_rows(with_fields=True)}) r
            anti join entries l on l.source = r.source and l.file = r.file and l.line = r.line
            order by r.source_rank, r.file, r.line"""
    )
    pending = con.execute("select count(*) from _ledger_new").fetchone()[0]
    last_seq, prev = _head(con, "records")
    first_seq = last_seq + 1 if pending else None
    now = _now()
    # the chain, a batch at a time, into a second temp table aligned row for row with the first: memory stays
    # flat whatever the backlog (a first run at 1M tickets: ~9M records). Only each entry's chained text
    # (built in SQL, the same text that ``chain_hash`` joins) crosses to Python, which then only hashes.
    chained_text = " || chr(31) || ".join(
        f"coalesce(cast({f} as varchar), '')" for f in ("$3 + rowid",) + RECORD_FIELDS[1:]
    )
    con.execute("create or replace temp table _ledger_chain (seq bigint, prev_hash varchar, chain_hash varchar)")
    try:
        for offset in range(0, pending, LEDGER_BATCH):
            texts = con.sql(
                f"""select rowid as pos, {chained_text} as chained_text from _ledger_new
                    where rowid >= $1 and rowid < $2""",
                params=[offset, offset + LEDGER_BATCH, last_seq + 1],
            ).to_arrow_table().sort_by("pos")  # in ledger order (sorted here, on the row number)
            chained, prev = _chain(texts.column("chained_text").to_pylist(), last_seq + 1 + offset, prev)
            con.register("_ledger_batch", chained)
            try:
                con.execute("insert into _ledger_chain select seq, prev_hash, chain_hash from _ledger_batch")
            finally:
                con.unregister("_ledger_batch")
        # then one statement, one transaction: all of the run's records and its checkpoint, or none (one
        # statement, rather than an insert per batch inside the transaction, which held 9M uncommitted
        # rows in memory: 2.4 GiB at 1M tickets)
        con.execute("begin transaction")
        try:
            con.execute(
                """insert into ledger.records
                   select c.seq, n.source, n.record_key, n.file, n.line, n.row_hash, n.raw_sha256,
                          n.loaded_run_id, ?, ?, c.prev_hash, c.chain_hash
                   from _ledger_new n positional join _ledger_chain c""",
                [run_id, now],
            )
            checkpoint = _write_checkpoint(con, run_id, first_seq, pending, now)
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise
    finally:
        con.execute("drop table if exists _ledger_new")
        con.execute("drop table if exists _ledger_chain")
    if anchor_file is not None:
        write_anchor(anchor_file, checkpoint)
    total, head = _head(con, "records")
    return AppendResult(run_id, pending, total, head, checkpoint["chain_hash"])


def _chain(texts: list[str], first_seq: int, prev: str) -> tuple[pa.Table, str]:
    """Seq, previous hash and chain hash of each entry, given its chained text (its fields joined as
    ``chain_hash`` joins them), chained onto ``prev``; and the new head."""
    sha256 = hashlib.sha256
    chains: list[str] = []
    append = chains.append
    head = prev
    for text in texts:
        head = sha256(f"{head}{SEP}{text}".encode()).hexdigest()
        append(head)
    table = pa.table({
        "seq": pa.array(range(first_seq, first_seq + len(texts)), pa.int64()),
        "prev_hash": pa.array([prev] + chains[:-1], pa.string()),
        "chain_hash": pa.array(chains, pa.string()),
    })
    return table, head


def _write_checkpoint(con, run_id: str, first_seq: int | None, appended: int, now: datetime) -> dict:
    last_seq, head = _head(con, "records")
    e_seq, e_head = _head(con, "erasures")
    prev = _last_checkpoint_hash(con)
    values = [run_id, last_seq, head, e_seq, e_head]
    digest = chain_hash(prev, values)
    con.execute(
        "insert into ledger.checkpoints values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [run_id, now, first_seq, last_seq, appended, head, e_seq, e_head, prev, digest],
    )
    return {
        "run_id": run_id, "checkpoint_at": now.isoformat(timespec="seconds"), "last_seq": last_seq,
        "head_hash": head, "erasures_last_seq": e_seq, "erasures_head_hash": e_head, "prev_hash": prev,
        "chain_hash": digest,
    }


def _ordered_checkpoints(con) -> list[tuple]:
    """Checkpoints in chain order (each names its predecessor's hash)."""
    rows = con.execute(
        """select run_id, last_seq, head_hash, erasures_last_seq, erasures_head_hash, prev_hash, chain_hash,
                  checkpoint_at from ledger.checkpoints"""
    ).fetchall()
    by_prev: dict[str, list[tuple]] = {}
    for r in rows:
        by_prev.setdefault(r[5], []).append(r)
    ordered, prev = [], GENESIS
    while by_prev.get(prev):
        nxt = by_prev[prev].pop(0)
        ordered.append(nxt)
        prev = nxt[6]
    leftovers = [r for group in by_prev.values() for r in group]
    return ordered + leftovers


def _last_checkpoint_hash(con) -> str:
    ordered = _ordered_checkpoints(con)
    return ordered[-1][6] if ordered else GENESIS


def write_anchor(anchor_file: Path, checkpoint: dict) -> None:
    """Append a checkpoint to the anchor file outside the warehouse (one JSON object per line)."""
    anchor_file.parent.mkdir(parents=True, exist_ok=True)
    with open(anchor_file, "a") as handle:
        handle.write(json.dumps(checkpoint, sort_keys=True) + "\n")


def append_erasures(con: duckdb.DuckDBPyConnection, entries: list[dict], run_id: str) -> dict:
    """Append erasure-log entries (hash-chained) and a checkpoint, inside the caller's transaction; returns the
    checkpoint, which the caller anchors (``write_anchor``) once the transaction has committed: an anchor
    written before, of a transaction that then failed, would name a checkpoint that never was."""
    ensure_ledger_schema(con)
    last_seq, prev = _head(con, "erasures")
    now = _now()
    for i, entry in enumerate(entries):
        seq = last_seq + 1 + i
        values = [seq] + [entry.get(name) for name in ERASURE_FIELDS[1:]]
        digest = chain_hash(prev, values)
        con.execute(
            "insert into ledger.erasures values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            values + [now, prev, digest],
        )
        prev = digest
    return _write_checkpoint(con, run_id, None, 0, now)


# ------------------------------------------------------------------ verify


@dataclass
class VerifyReport:
    records: int = 0
    erasures: int = 0
    checkpoints: int = 0
    anchors: int = 0
    raw_rows: int = 0
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # what verify could not prove, short of tampering: a missing anchor file, checkpoints left unanchored
    warnings: list[str] = field(default_factory=list)
    anchors_checked: bool = False  # every checkpoint was compared with an anchor outside the warehouse
    problem_count: int = 0
    # raw records of a run that stopped before the ledger's append (the next append chains them)
    awaiting_append: int = 0
    set_aside_rows: int = 0  # rows of raw.set_aside checked against the erasure log
    # the erasure log's entries by kind: customer erasures (trustloop erase) and set-asides (trustloop set-aside)
    customer_erasures: int = 0
    customer_erasure_entries: int = 0
    set_asides: int = 0
    set_aside_entries: int = 0

    @property
    def ok(self) -> bool:
        return self.problem_count == 0

    def problem(self, text: str) -> None:
        self.problem_count += 1
        if len(self.problems) < MAX_REPORTED:
            self.problems.append(text)

    def render(self) -> str:
        lines = [
            f"ledger: {self.records} records, {self.checkpoints} checkpoints, {self.anchors} external anchors; "
            f"erasure log: {_count(self.customer_erasures, 'customer erasure')}"
            + (f" ({self.customer_erasure_entries} entries)" if self.customer_erasure_entries else "")
            + f", {_count(self.set_asides, 'set-aside')}"
            + (f" ({self.set_aside_entries} rows)" if self.set_aside_entries else "")
            + f"; raw rows checked: {self.raw_rows}"
            + (f", set-aside rows checked: {self.set_aside_rows}" if self.set_aside_rows else ""),
        ]
        lines += [f"  note: {n}" for n in self.notes]
        lines += [f"  WARNING: {w}" for w in self.warnings]
        if self.ok:
            lines.append("OK: the chain, the checkpoints and every raw record match the ledger"
                         + (f" (but {self.awaiting_append} not chained yet: see the note)" if self.awaiting_append else "")
                         + ("" if self.anchors_checked or not self.checkpoints
                            else "; NOT proven against the external anchors: see the warning"))
        else:
            lines.append(f"TAMPERING DETECTED: {self.problem_count} problem(s)")
            lines += [f"  - {p}" for p in self.problems]
            if self.problem_count > len(self.problems):
                lines.append(f"  ... and {self.problem_count - len(self.problems)} more")
        return "\n".join(lines)

    def as_dict(self) -> dict:
        return {
            "ok": self.ok, "records": self.records, "erasures": self.erasures, "checkpoints": self.checkpoints,
            "anchors": self.anchors, "raw_rows": self.raw_rows, "problem_count": self.problem_count,
            "problems": self.problems, "notes": self.notes, "awaiting_append": self.awaiting_append,
            "set_aside_rows": self.set_aside_rows, "customer_erasures": self.customer_erasures,
            "customer_erasure_entries": self.customer_erasure_entries, "set_asides": self.set_asides,
            "set_aside_entries": self.set_aside_entries, "anchors_checked": self.anchors_checked,
            "warnings": self.warnings,
        }


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _verify_chain(report: VerifyReport, con: duckdb.DuckDBPyConnection, table: str, fields: tuple[str, ...],
                  wanted: set[int]) -> tuple[int, dict[int, str]]:
    """Recompute a chain; returns its length and the stored hash at the ``wanted`` seqs.

    Each entry's hash is recomputed from its stored ``prev_hash`` and values, and each ``prev_hash``
    must be the hash of the entry before: both are row-wise, so DuckDB checks millions of entries at
    once (the same SHA-256 over the same text as ``chain_hash``).
    """
    chained = ", ".join(f"coalesce(cast({_quote_ident(f)} as varchar), '')" for f in fields)
    count, distinct, first, last = con.execute(
        f"select count(*), count(distinct seq), coalesce(min(seq), 1), coalesce(max(seq), 0) from ledger.{table}"
    ).fetchone()
    # the links need the entries in order. When the seqs are exactly 1..n (an intact ledger), each entry's
    # predecessor is the entry at seq - 1: a join, no sort (3 s instead of 10 s at 9M entries); otherwise a
    # window over the narrow columns finds and names the gaps, duplicates and broken links
    links = f"""select a.seq, a.seq - 1 as before_seq, false as bad_seq, true as bad_link
        from ledger.{table} a left join ledger.{table} b on b.seq = a.seq - 1
        where a.prev_hash is distinct from coalesce(b.chain_hash, '{GENESIS}')"""
    if not (count == distinct == last and first == 1):
        links = f"""select * from (
            select seq, lag(seq) over w as before_seq,
                   seq <> coalesce(lag(seq) over w, 0) + 1 as bad_seq,
                   prev_hash <> coalesce(lag(chain_hash) over w, '{GENESIS}') as bad_link
            from ledger.{table} window w as (order by seq, chain_hash)
        ) where bad_seq or bad_link"""
    # each entry's own hash: row-wise, no ordering at all
    hashes = f"""select seq from ledger.{table}
        where sha256(concat_ws(chr(31), prev_hash, {chained})) <> chain_hash"""
    con.execute(f"create or replace temp table _chain_links as {links}")
    con.execute(f"create or replace temp table _chain_hashes as {hashes}")
    try:
        (total,) = con.execute(
            "select (select coalesce(sum(bad_seq::int + bad_link::int), 0) from _chain_links)"
            " + (select count(*) from _chain_hashes)"
        ).fetchone()
        found: list[tuple[int, int, str]] = []
        for seq, before_seq, bad_seq, bad_link in con.execute(
            f"select seq, before_seq, bad_seq, bad_link from _chain_links order by seq limit {MAX_REPORTED}"
        ).fetchall():
            if bad_seq:
                expected = (before_seq or 0) + 1
                found.append((seq, 0, f"ledger.{table}: entry {expected} expected, found {seq} "
                              f"({'missing or removed entries' if seq > expected else 'duplicated or inserted entry'})"))
            if bad_link:
                found.append((seq, 1, f"ledger.{table} seq {seq}: prev_hash does not link to the entry before "
                              "(reordered, inserted or removed entry)"))
        for (seq,) in con.execute(f"select seq from _chain_hashes order by seq limit {MAX_REPORTED}").fetchall():
            found.append((seq, 2, f"ledger.{table} seq {seq}: chain hash does not match the entry (altered entry)"))
    finally:
        con.execute("drop table if exists _chain_links")
        con.execute("drop table if exists _chain_hashes")
    found.sort(key=lambda item: (item[0], item[1]))
    for _seq, _rank, text in found[:MAX_REPORTED]:
        report.problem(text)
    report.problem_count += total - min(len(found), MAX_REPORTED)  # beyond those listed: counted
    heads = dict(
        con.execute(
            f"select seq, max(chain_hash) from ledger.{table} where list_contains(?, seq) group by seq",
            [sorted(wanted)],
        ).fetchall()
    )
    return count, heads


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _verify_anchors(report: VerifyReport, checkpoints: list[tuple], anchor_file: Path) -> None:
    """Each anchor outside the warehouse must name a checkpoint inside it, as anchored; a checkpoint
    after the last anchored one, or a missing anchor file, is a warning: the chain inside the warehouse
    then proves only itself (a ledger rewritten with its checkpoints recomputed would pass)."""
    if not anchor_file.exists():
        if checkpoints:
            report.warnings.append(
                f"no external anchor file at {anchor_file}: the {_count(len(checkpoints), 'checkpoint')} could not be "
                "compared with their anchors (restore the file from a backup, or keep the output folder with the "
                "warehouse)")
        else:
            report.notes.append(f"no external anchor file at {anchor_file}")
        return
    by_hash = {c[6]: (i, c) for i, c in enumerate(checkpoints)}  # chain hash -> (position in the chain, checkpoint)
    last_anchored = -1
    for n, line in enumerate(anchor_file.read_text().splitlines(), 1):
        if not line.strip():
            continue
        report.anchors += 1
        try:
            anchor = json.loads(line)
        except ValueError:
            report.problem(f"{anchor_file.name} line {n}: not JSON")
            continue
        i, cp = by_hash.get(anchor.get("chain_hash"), (None, None))
        if cp is None or cp[1] != anchor.get("last_seq") or cp[2] != anchor.get("head_hash"):
            report.problem(f"{anchor_file.name} line {n}: checkpoint of run {anchor.get('run_id')} is not in the "
                           "warehouse as anchored (the ledger was rewritten or a checkpoint removed)")
            continue
        last_anchored = max(last_anchored, i)
    # the checkpoint chain links each checkpoint to the one before: an anchored one vouches for all before it
    unanchored = checkpoints[last_anchored + 1:]
    if unanchored:
        report.warnings.append(
            f"{_count(len(unanchored), 'checkpoint')} after the last anchored one, of run(s) "
            f"{', '.join(str(c[0]) for c in unanchored[:3])}{' ...' if len(unanchored) > 3 else ''}, "
            f"{'has' if len(unanchored) == 1 else 'have'} no anchor in {anchor_file.name} (a run stopped between "
            "its commit and its anchor, or entries were checkpointed outside a run)")
    else:
        report.anchors_checked = True


def verify(con: duckdb.DuckDBPyConnection, anchor_file: Path | None = None) -> VerifyReport:
    """Check the ledger chains, the checkpoints, the anchors and every raw row against the ledger."""
    report = VerifyReport()
    if not table_exists(con, "ledger", "records"):
        report.problem("the warehouse has no ledger (ledger.records): run `trustloop run` first")
        return report
    # checkpoints first: the chains keep only the heads they name
    checkpoints: list[tuple] = []
    if table_exists(con, "ledger", "checkpoints"):
        checkpoints = _ordered_checkpoints(con)
    report.checkpoints = len(checkpoints)
    report.records, heads = _verify_chain(report, con, "records", RECORD_FIELDS, {c[1] for c in checkpoints})
    has_erasures = table_exists(con, "ledger", "erasures")
    e_heads: dict[int, str] = {}
    if has_erasures:
        report.erasures, e_heads = _verify_chain(report, con, "erasures", ERASURE_FIELDS, {c[3] for c in checkpoints})
        # a set-aside logs action set_aside; every other action is part of a customer's erasure
        (report.customer_erasures, report.customer_erasure_entries, report.set_asides,
         report.set_aside_entries) = con.execute(
            """select count(distinct erasure_id) filter (where action <> 'set_aside'),
                      count(*) filter (where action <> 'set_aside'),
                      count(distinct erasure_id) filter (where action = 'set_aside'),
                      count(*) filter (where action = 'set_aside')
               from ledger.erasures"""
        ).fetchone()

    prev = GENESIS
    for run_id, last_seq, head, e_seq, e_head, c_prev, c_hash, _at in checkpoints:
        if c_prev != prev or chain_hash(c_prev, [run_id, last_seq, head, e_seq, e_head]) != c_hash:
            report.problem(f"ledger.checkpoints run {run_id}: checkpoint chain broken (altered or removed checkpoint)")
        prev = c_hash
        if last_seq and heads.get(last_seq) != head:
            report.problem(f"ledger.checkpoints run {run_id}: the chain head at seq {last_seq} is not the one "
                           "checkpointed (the ledger was rewritten)")
        if e_seq and e_heads.get(e_seq) != e_head:
            report.problem(f"ledger.checkpoints run {run_id}: the erasure-log head at seq {e_seq} is not the one "
                           "checkpointed")
    if report.records and (not checkpoints or max(c[1] for c in checkpoints) < report.records):
        report.problem("ledger.records: entries after the last checkpoint (appended outside a run)")

    if anchor_file is not None:
        _verify_anchors(report, checkpoints, anchor_file)

    _verify_raw(con, report, has_erasures)
    _verify_set_aside(con, report, has_erasures)
    return report


# rows (ledger entries or raw rows) compared against each other at a time: the comparison is a join of the
# two on (source, file, line), and one over all 9M rows at 1M tickets spills its hash table to disk under the
# warehouse's memory cap (40 s, against 27 s in memory). Whole files are compared together, so a partition
# holds every row its join can meet.
VERIFY_PARTITION_ROWS = 1_500_000


def verify_partitions(file_rows: dict[tuple[str, str], int], limit: int) -> list[dict[str, list[str]]]:
    """Group files (``(source, file) -> rows``) in order into partitions of at most ``limit`` rows
    (a larger file is a partition of its own); each partition maps source -> its files."""
    partitions: list[dict[str, list[str]]] = []
    current: dict[str, list[str]] = {}
    size = 0
    for (source, file), rows in sorted(file_rows.items()):
        if current and size + rows > limit:
            partitions.append(current)
            current, size = {}, 0
        current.setdefault(source, []).append(file)
        size += rows
    if current:
        partitions.append(current)
    return partitions


def _files_to_verify(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], int]:
    """Every (source, file) of the ledger or of raw, with the larger of its two row counts."""
    counts: dict[tuple[str, str], int] = {}
    queries = ["select source, file, count(*) from ledger.records group by all"]
    queries += [f"select '{name}', _file, count(*) from raw.{name} group by all" for name in SOURCE_ORDER]
    for query in queries:
        for source, file, rows in con.execute(query).fetchall():
            counts[(source, file)] = max(counts.get((source, file), 0), rows)
    return counts


def _verify_raw(con: duckdb.DuckDBPyConnection, report: VerifyReport, has_erasures: bool) -> None:
    for name in SOURCE_ORDER:
        if not table_exists(con, "raw", name):
            report.problem(f"raw.{name} is missing")
            return
    erasure_cte = (
        """latest_erasure as (
            select ledger_seq, action, row_hash_after, raw_sha256_after,
                   row_number() over (partition by ledger_seq order by seq desc) as rn
            from ledger.erasures where ledger_seq is not null
        )"""
        if has_erasures
        else """latest_erasure as (
            select cast(null as bigint) as ledger_seq, cast(null as varchar) as action,
                   cast(null as varchar) as row_hash_after, cast(null as varchar) as raw_sha256_after,
                   1 as rn where false
        )"""
    )
    rows: list[tuple] = []
    for files in verify_partitions(_files_to_verify(con), VERIFY_PARTITION_ROWS):
        in_partition = " or ".join(f"(l.source = '{source}' and l.file in ({_sql_list(names)}))"
                                   for source, names in files.items())
        rows += con.execute(
            f"""
            with raw_rows as ({_raw_union(files)}),
            {erasure_cte},
            expected as (
                select l.seq, l.source, l.record_key, l.file, l.line,
                       case when e.action = 'amended' then e.row_hash_after else l.row_hash end as row_hash,
                       case when e.action = 'amended' then e.raw_sha256_after else l.raw_sha256 end as raw_sha256
                from ledger.records l
                left join latest_erasure e on e.ledger_seq = l.seq and e.rn = 1
                where coalesce(e.action, '') not in ('deleted', 'set_aside') and ({in_partition})
            )
            select coalesce(x.source, r.source) as source, coalesce(x.file, r.file) as file,
                   coalesce(x.line, r.line) as line, x.seq, coalesce(r.record_key, x.record_key) as record_key,
                   case
                       when x.seq is null then 'inserted'
                       when r.source is null then 'deleted'
                       when r.content_hash <> r.row_hash then 'altered'
                       when r.row_hash <> x.row_hash or r.record_key is distinct from x.record_key then 'differs'
                       when r.raw_sha256 <> x.raw_sha256 then 'original_altered'
                   end as problem
            from expected x
            full join raw_rows r on r.source = x.source and r.file = x.file and r.line = x.line
            where x.seq is null or r.source is null or r.content_hash <> r.row_hash or r.row_hash <> x.row_hash
                  or r.record_key is distinct from x.record_key or r.raw_sha256 <> x.raw_sha256
            """
        ).fetchall()
    rows.sort(key=lambda r: (r[0], r[1], r[2]))
    if any(r[5] == "inserted" for r in rows):
        waiting = _awaiting_append(con)
        kept, runs = [], set()
        for r in rows:
            run = waiting.get((r[0], r[1], r[2])) if r[5] == "inserted" else None
            if run is None:
                kept.append(r)
            else:
                runs.add(run)
        if len(kept) < len(rows):
            report.awaiting_append = len(rows) - len(kept)
            report.notes.append(
                f"{len(rows) - len(kept)} raw record(s) loaded by run(s) {', '.join(sorted(runs))} are not in the ledger "
                "yet: the run stopped before the ledger's append (a blocking check failed), and the next run "
                "that gets there chains them. Until then they are not protected.")
            rows = kept
    report.raw_rows = sum(con.execute(f"select count(*) from raw.{n}").fetchone()[0] for n in SOURCE_ORDER)
    texts = {
        "inserted": "record not in the ledger (inserted)",
        "deleted": "ledger entry {seq} has no row any more (deleted) and no erasure records it",
        "altered": "stored values no longer match the record's hash (altered)",
        "differs": "record differs from ledger entry {seq} (altered, moved or reordered)",
        "original_altered": "original text (_raw) differs from ledger entry {seq} (altered)",
    }
    for source, file, line, seq, key, problem in rows:
        report.problem(f"raw.{source} {file}:{line} ({key}): " + texts[problem].format(seq=seq))


def _verify_set_aside(con: duckdb.DuckDBPyConnection, report: VerifyReport, has_erasures: bool) -> None:
    """The rows of raw.set_aside against the erasure log: every row the log says was set aside (action
    set_aside) is kept, until an erasure deletes it (set_aside_deleted); each kept row is logged, with the
    row hash and key its entry names; and its original text is the text its ledger entry hashed (rows set
    aside before the ledger's append have no entry: their text has nothing to be checked against)."""
    has_table = table_exists(con, "raw", "set_aside")
    if not has_table and not has_erasures:
        return
    logged = (
        """select e.erasure_id, e.source, e.file, e.line, e.record_key, e.row_hash_before, e.ledger_seq
           from ledger.erasures e
           where e.action = 'set_aside' and not exists (
               select 1 from ledger.erasures d where d.action = 'set_aside_deleted' and d.seq > e.seq
               and d.source = e.source and d.file = e.file and d.line = e.line)"""
        if has_erasures else
        """select null::varchar as erasure_id, null::varchar as source, null::varchar as file, null::bigint as line,
                  null::varchar as record_key, null::varchar as row_hash_before, null::bigint as ledger_seq where false"""
    )
    kept = (
        "select set_aside_id, source, file, line, record_key, row_hash, raw from raw.set_aside" if has_table else
        """select null::varchar as set_aside_id, null::varchar as source, null::varchar as file, null::bigint as line,
                  null::varchar as record_key, null::varchar as row_hash, null::varchar as raw where false"""
    )
    amended = (
        "select ledger_seq, arg_max(raw_sha256_after, seq) as raw_sha256 from ledger.erasures "
        "where action = 'amended' group by ledger_seq" if has_erasures else
        "select null::bigint as ledger_seq, null::varchar as raw_sha256 where false"
    )
    rows = con.execute(
        f"""
        with logged as ({logged}), kept as ({kept}), amended as ({amended}),
        compared as (
            select coalesce(g.source, k.source) as source, coalesce(g.file, k.file) as file,
                   coalesce(g.line, k.line) as line, coalesce(k.record_key, g.record_key) as record_key,
                   coalesce(g.erasure_id, k.set_aside_id) as set_aside_id, l.seq,
                   case
                       when g.erasure_id is null then 'inserted'
                       when k.set_aside_id is null then 'deleted'
                       when k.row_hash is distinct from g.row_hash_before
                            or k.record_key is distinct from g.record_key then 'altered'
                       when l.seq is not null
                            and {raw_sha_sql("k", "raw")} <> coalesce(a.raw_sha256, l.raw_sha256) then 'original_altered'
                   end as problem
            from logged g
            full join kept k on k.set_aside_id = g.erasure_id and k.source = g.source and k.file = g.file
                             and k.line = g.line
            left join ledger.records l on l.seq = g.ledger_seq
            left join amended a on a.ledger_seq = g.ledger_seq
        )
        select source, file, line, record_key, set_aside_id, seq, problem from compared
        where problem is not null order by source, file, line
        """
    ).fetchall()
    report.set_aside_rows = con.execute("select count(*) from raw.set_aside").fetchone()[0] if has_table else 0
    texts = {
        "inserted": "row not in the erasure log (inserted)",
        "deleted": "set aside by {set_aside_id}, but the row is gone and no erasure records it (deleted)",
        "altered": "row hash or key differs from the erasure log's entry of {set_aside_id} (altered)",
        "original_altered": "original text differs from ledger entry {seq} (altered)",
    }
    for source, file, line, key, set_aside_id, seq, problem in rows:
        report.problem(f"raw.set_aside {source} {file}:{line} ({key}): "
                       + texts[problem].format(set_aside_id=set_aside_id, seq=seq))


def _awaiting_append(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str, int], str]:
    """(source, file, line) -> run of the raw rows the next append takes (loaded by a run the ledger has not
    seen), when the file ledger says that run loaded that file. A row slipped in under such a run and file
    still breaks the file's reconciliation (rows stored = rows new), a blocking check of every run."""
    if not table_exists(con, "raw", "file_ledger"):
        return {}
    rows = con.execute(
        f"""select u.source, u.file, u.line, u.loaded_run_id from ({_unledgered_rows(with_fields=False)}) u
            semi join raw.file_ledger f on f.source = u.source and f.file = u.file and f.run_id = u.loaded_run_id"""
    ).fetchall()
    return {(s, f, int(n)): run for s, f, n, run in rows}


def anchor_path(output_dir: Path, warehouse: Path) -> Path:
    """The anchor file of a warehouse: outside it, under <output>/ledger/."""
    return Path(output_dir) / "ledger" / f"{Path(warehouse).stem}.anchors.jsonl"


def rotate_stale_anchors(con: duckdb.DuckDBPyConnection, anchor_file: Path) -> Path | None:
    """A new (empty) ledger starts a new anchor file; the old one is kept beside it, renamed."""
    if not anchor_file.exists():
        return None
    ensure_ledger_schema(con)
    if con.execute("select count(*) from ledger.checkpoints").fetchone()[0]:
        return None
    stamp = _now().strftime("%Y%m%dT%H%M%S")
    rotated = anchor_file.with_name(f"{anchor_file.stem}.{stamp}.jsonl")
    anchor_file.rename(rotated)
    return rotated
