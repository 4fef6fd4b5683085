"""Load landing files into the raw layer of the warehouse.

For each file not seen before (the file ledger is keyed by content hash):
read it as text (readers.py), parse and check every value per the contract
(SQL generated from contract.py, using the macros of normalise.sql), then in
ONE transaction: store new records, count duplicates, quarantine bad rows and
conflicts with their reasons, and write the file's ledger row. A crash leaves
either the whole file loaded and recorded, or nothing of it.

For every file: rows_read = rows_loaded + rows_quarantined, where
rows_loaded = rows_new + rows_duplicate.

A file's content hash is read once: ``landing.file_hashes`` keeps it by the
file's absolute path, size and modification time (ns), as the landing sensor's
cursor and the no-op check do, so a run does not re-read the whole landing
history to find the few new files. A hash is kept only when the file's size and
modification time were the same before and after it was read, and the file was
last modified more than SETTLE_SECONDS ago (a write within the same timestamp
tick as the last one could otherwise leave size and time unchanged).
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

import duckdb

from trustloop.ingest.contract import FORMATS, SOURCES, Attribute, Column, Source
from trustloop.ingest.readers import FileRejected, _quote, _sql_list, read_file

SQL_TYPES = {
    "id": "varchar",
    "text": "varchar",
    "enum": "varchar",
    "case_type": "varchar",
    "event_type": "varchar",
    "ts": "timestamp",
    "decimal": "decimal(18, 4)",
    "int": "integer",
    "float": "double",
    "object": "varchar",
    "list": "varchar[]",
}

META_COLUMNS = """
    _extra varchar,
    _file varchar not null,
    _line bigint not null,
    _row_hash varchar not null,
    _raw varchar,
    _run_id varchar not null,
    _loaded_at timestamp not null
"""


@dataclass
class FileResult:
    source: str
    file: str
    format: str
    sha256: str
    status: str  # loaded | rejected | skipped_duplicate_file
    rows_read: int = 0
    rows_new: int = 0
    rows_duplicate: int = 0
    rows_quarantined: int = 0
    error: str | None = None
    seconds: float = 0.0

    @property
    def rows_loaded(self) -> int:
        return self.rows_new + self.rows_duplicate

    def as_dict(self) -> dict:
        d = asdict(self)
        d["rows_loaded"] = self.rows_loaded
        return d


# ---------------------------------------------------------------- schema


def install_macros(con: duckdb.DuckDBPyConnection) -> None:
    sql = resources.files("trustloop.ingest").joinpath("normalise.sql").read_text()
    con.execute(sql)


def ensure_raw_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the raw layer (idempotent)."""
    con.execute("create schema if not exists raw")
    for source in SOURCES.values():
        cols = ",\n".join(f"    {_quote(c.name)} {SQL_TYPES[c.kind]}" for c in source.columns)
        con.execute(f"create table if not exists raw.{source.name} (\n{cols},\n{META_COLUMNS})")
    con.execute(
        """create table if not exists raw.quarantine (
            source varchar not null, file varchar not null, line bigint not null,
            reason varchar not null, raw varchar, record_key varchar,
            run_id varchar not null, quarantined_at timestamp not null)"""
    )
    con.execute(
        """create table if not exists raw.file_ledger (
            file varchar not null, source varchar not null, format varchar not null,
            sha256 varchar not null, size_bytes bigint, status varchar not null,
            rows_read bigint not null, rows_loaded bigint not null, rows_new bigint not null,
            rows_duplicate bigint not null, rows_quarantined bigint not null,
            error varchar, duplicate_of varchar, landing_dir varchar,
            run_id varchar not null, loaded_at timestamp not null)"""
    )
    con.execute("create schema if not exists landing")
    con.execute(
        """create table if not exists landing.file_hashes (
            path varchar not null, size_bytes bigint not null, mtime_ns bigint not null,
            sha256 varchar not null, hashed_at timestamp not null)"""
    )


# ------------------------------------------------------------ discovery


@dataclass(frozen=True)
class LandingFile:
    source: str
    path: Path
    relpath: str
    format: str


def discover(landing_dir: Path, source: str | None = None) -> list[LandingFile]:
    """The landing files, in delivery order (lexicographic by path under the landing folder)."""
    found: list[LandingFile] = []
    names = [source] if source else list(SOURCES)
    for name in names:
        folder = Path(landing_dir) / name
        if not folder.is_dir():
            continue
        for path in folder.rglob("*"):
            if not path.is_file() or any(p.startswith((".", "_")) for p in path.relative_to(folder).parts):
                continue
            fmt = FORMATS.get(path.suffix.lower())
            if fmt is None:
                continue
            found.append(LandingFile(name, path, path.relative_to(landing_dir).as_posix(), fmt))
    return sorted(found, key=lambda f: f.relpath)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


SETTLE_SECONDS = 2


def landing_sha256(con: duckdb.DuckDBPyConnection, path: Path) -> tuple[str, int]:
    """A landing file's content hash and size: from ``landing.file_hashes`` when the file is unchanged
    (same absolute path, size and mtime), else read, and kept when the file held still while read and
    had settled (not modified in the last SETTLE_SECONDS)."""
    key = str(path.resolve())
    before = path.stat()
    known = con.execute(
        "select sha256 from landing.file_hashes where path = ? and size_bytes = ? and mtime_ns = ?",
        [key, before.st_size, before.st_mtime_ns],
    ).fetchone()
    if known:
        return known[0], before.st_size
    sha = file_sha256(path)
    after = path.stat()
    settled = time.time_ns() - after.st_mtime_ns > SETTLE_SECONDS * 1_000_000_000
    if settled and (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns):
        con.execute("delete from landing.file_hashes where path = ?", [key])
        con.execute("insert into landing.file_hashes values (?, ?, ?, ?, ?)",
                    [key, after.st_size, after.st_mtime_ns, sha, _now()])
    return sha, after.st_size


# ------------------------------------------------------------ parsing SQL


def _value_sql(column: Column) -> str:
    """Typed value of one column, from its trimmed text ``t`` (stage 2)."""
    t = _quote(column.name)
    kind = column.kind
    if kind in ("id", "text"):
        return t
    if kind == "ts":
        return f"tl_ts({t})"
    if kind == "enum":
        return f"tl_enum({t}, {_sql_list(column.values)})"
    if kind == "case_type":
        return f"tl_case_type({t})"
    if kind == "event_type":
        return f"lower({t})"
    if kind == "decimal":
        return f"case when tl_number({t}) is not null then try_cast({t} as decimal(18, 4)) end"
    if kind == "int":
        return f"tl_int({t})"
    if kind == "float":
        return f"tl_number({t})"
    if kind == "object":
        return f"tl_object({t})"
    if kind == "list":
        return f"tl_list({t})"
    raise ValueError(kind)  # pragma: no cover


def _problem(kind: str, values: tuple[str, ...] = ()) -> str | None:
    """What a value of ``kind`` that cannot be read as one is (a column's, or a typed attribute's)."""
    return {
        "ts": "not an ISO 8601 timestamp",
        "case_type": "no letter or digit (only spaces, hyphens or underscores)",
        "enum": "not one of " + ", ".join(values),
        "decimal": "not a decimal number",
        "int": "not a whole number",
        "float": "not a number",
        "bool": "not true or false",
        "object": "not a JSON object",
        "list": "not a list of ids (a JSON array of strings, or text separated by semicolons)",
    }.get(kind)


def _bound_errors(label: str, value: str, low: float | None, high: float | None, shown: str) -> list[str]:
    """A typed value below ``low`` or above ``high``, with its label and text."""
    errors = []
    if low is not None:
        errors.append(f"case when {value} < {low} then '{label}: below {low:g}' || {shown} end")
    if high is not None:
        errors.append(f"case when {value} > {high} then '{label}: above {high:g}' || {shown} end")
    return errors


def _error_sql(column: Column) -> list[str]:
    """Error messages for one column, from its text ``t`` and typed value ``v__<name>`` (stage 3)."""
    t, v = _quote(column.name), _quote("v__" + column.name)
    shown = f"' (' || left({t}, 80) || ')'"
    problem = _problem(column.kind, column.values)
    errors = []
    if column.required:
        errors.append(f"case when {t} is null then '{column.name}: missing required value' end")
    if problem:
        message = f"'{column.name}: {problem}'"
        if column.kind == "object":
            # an object that names a key twice: which of its values was meant is not known
            message = (f"case when json_type(tl_try_json({t})) = 'OBJECT' then '{column.name}: key repeated' "
                       f"else {message} end")
        if column.kind == "decimal":  # a number, but more than decimal(18, 4) holds
            message = (f"case when tl_number({t}) is not null then '{column.name}: too large "
                       f"(at most 14 digits before the decimal point)' else {message} end")
        errors.append(f"case when {t} is not null and {v} is null then {message} || {shown} end")
    # a decimal's bounds are checked on the number as written, not on its stored value rounded to four
    # places (-0.00001 would pass as 0)
    bounded = f"tl_number({t})" if column.kind == "decimal" else v
    return errors + _bound_errors(column.name, bounded, column.low, column.high, shown)


def _attribute_statements(source: Source) -> list[str]:
    """Temp table ``_attrs``: ``_line`` and ``_attr_error`` of each event whose typed attributes break the
    contract (a value unreadable or out of range, or a required one missing), in three materialised steps
    over the events of those types only: each value as trimmed text, then read as its kind, then checked.
    Written as one query (or as checks in ``_parsed``), DuckDB expanded the reading of a value into every
    check that used it: the parse of a 110k-line file took 0.3-4.7 s longer instead of about 0.1 s.

    And temp table ``_attr_norm``: ``_line`` and ``_attributes``, the attributes object with each typed value
    as it was read (an enum in lower case, a boolean as JSON true or false, a number as a JSON number, a
    blank one left out), for the events where that changes the object. Rows are compared after parsing:
    an event re-delivered with ``"verdict": "Accepted"``, ``"required": "yes"`` or ``"score": "0.5"``
    is the same event as one stored with ``"accepted"``, ``true`` and ``0.5``, not a conflict."""
    attributes = source.attributes
    event_types = _sql_list(sorted({a.event_type for a in attributes}))
    spec = json.dumps({a.name: "VARCHAR" for a in attributes})
    text = {a: _quote(f"t__{a.event_type}.{a.name}") for a in attributes}
    typed = {a: _quote(f"v__{a.event_type}.{a.name}") for a in attributes}
    texts = ", ".join(f"case when v__event_type = '{a.event_type}' then tl_blank(_a.{_quote(a.name)}) end as {text[a]}"
                      for a in attributes)
    reading = {"bool": "tl_bool({})", "float": "tl_number({})", "enum": "tl_enum({}, {})"}
    values = ", ".join(f"{reading[a.kind].format(text[a], _sql_list(a.values))} as {typed[a]}" for a in attributes)
    errors = []
    for a in attributes:
        label, shown = f"attributes.{a.name}", f"' (' || left({text[a]}, 80) || ')'"
        if a.required:  # not when ``attributes`` itself is unreadable: that is its own reason
            errors.append(f"case when _event_type = '{a.event_type}' and _readable and {text[a]} is null "
                          f"then '{label}: missing required value' end")
        errors.append(f"case when {text[a]} is not null and {typed[a]} is null "
                      f"then '{label}: {_problem(a.kind, a.values)}' || {shown} end")
        errors += _bound_errors(label, typed[a], a.low, a.high, shown)
    by_type = {t: [a for a in attributes if a.event_type == t] for t in sorted({a.event_type for a in attributes})}
    patches = " ".join(
        f"when '{t}' then json_object(" + ", ".join(f"'{a.name}', to_json({typed[a]})" for a in typed_here) + ")"
        for t, typed_here in by_type.items()
    )
    # whether an event's typed values are already written as read: the stored object is minified with its keys
    # sorted, so each one shows as the text "name":<value>, a key only as one (a quote inside a string is
    # escaped); a plain text search, so that only the few events spelled otherwise are rewritten
    written = {"enum": "'\"' || {} || '\"'", "bool": "case when {} then 'true' else 'false' end",
               "float": "to_json({})::varchar"}

    def written_as_read(a: Attribute) -> str:
        return (f"case when {typed[a]} is null then not contains(v__attributes, '\"{a.name}\":') "
                f"else contains(v__attributes, '\"{a.name}\":' || {written[a.kind].format(typed[a])}) end")

    as_read = " ".join(
        f"when '{t}' then " + " and ".join(written_as_read(a) for a in typed_here) for t, typed_here in by_type.items()
    )
    return [
        f"""create or replace temp table _attr_text as
            select _line, v__event_type as _event_type, attributes is null or v__attributes is not null as _readable,
                   v__attributes, {texts}
            from (select _line, v__event_type, attributes, v__attributes,
                         json_transform(v__attributes, '{spec}') as _a from _v
                  where list_contains({event_types}, v__event_type))""",
        f"create or replace temp table _attr_value as select *, {values} from _attr_text",
        f"""create or replace temp table _attrs as
            select _line, _attr_error
            from (select _line, nullif(concat_ws('; ', {", ".join(errors)}), '') as _attr_error from _attr_value)
            where _attr_error is not null""",
        # json_merge_patch drops a key patched with null (a blank value); tl_object sorts the keys again
        f"""create or replace temp table _attr_norm as
            select _line, _attributes
            from (select _line, v__attributes,
                         tl_object(json_merge_patch(v__attributes, case _event_type {patches} end)) as _attributes
                  from _attr_value where v__attributes is not null and not (case _event_type {as_read} end))
            where _attributes is distinct from v__attributes""",
        "drop table if exists _attr_text",
        "drop table if exists _attr_value",
    ]


def parse_statements(source: Source) -> list[str]:
    """SQL turning temp table ``_land`` (text) into ``_parsed`` (typed, with ``_error`` and ``_row_hash``).

    Three materialised stages so that every value is trimmed once and parsed once:
    ``_t`` trimmed text, ``_v`` typed values, ``_parsed`` final columns + errors + hash.
    """
    trimmed = []
    for c in source.columns:
        q = _quote(c.name)
        # free text keeps its spacing; it is only checked for being blank
        trimmed.append(f"case when tl_blank({q}) is not null then {q} end as {q}" if c.kind == "text"
                       else f"tl_blank({q}) as {q}")
    values = [f"{_value_sql(c)} as {_quote('v__' + c.name)}" for c in source.columns]
    errors = [e for c in source.columns for e in _error_sql(c)]
    for earlier, later in source.time_order:
        errors.append(
            f"case when {_quote('v__' + later)} < {_quote('v__' + earlier)} "
            f"then 'time order: {later} before {earlier}' end"
        )
    if source.attributes:
        errors.append("_attr_error")
    final = []
    for c in source.columns:
        v = _quote("v__" + c.name)
        if source.attributes and c.name == "attributes":
            v = f"coalesce(_attributes, {v})"  # its typed values as read (_attr_norm)
        final.append(f"{f'coalesce({v}, {c.default})' if c.default is not None else v} as {_quote(c.name)}")
    hashed = ", ".join(f"coalesce(cast({_quote(c)} as varchar), chr(30))" for c in source.column_names)
    return [
        "create or replace temp table _t as select _line, _pre_error, _extra, "
        + ", ".join(trimmed) + " from _land",
        "create or replace temp table _v as select *, " + ", ".join(values) + " from _t",
        *(_attribute_statements(source) if source.attributes else []),
        f"""create or replace temp table _parsed as
            select *, sha256(concat_ws(chr(31), {hashed})) as _row_hash
            from (
                select {", ".join(final)}, _extra, _line,
                       coalesce(_pre_error, nullif(concat_ws('; ', {", ".join(errors)}), '')) as _error
                from _v{" left join _attrs using (_line) left join _attr_norm using (_line)" if source.attributes else ""}
            )""",
        "drop table if exists _t",
        "drop table if exists _v",
        "drop table if exists _attrs",
        "drop table if exists _attr_norm",
    ]


def _classify_sql(source: Source) -> str:
    """Temp table ``_row_status``: the ``_line`` of every parsed row with its _status new|duplicate|conflict|bad
    (and the conflict's reason).

    Only the key, line and row hash take part: the rows' values and text stay in ``_parsed``, which the
    inserts read by line. Carrying every column through these joins wrote a second copy of the file,
    spilling under the memory cap (9.7 s against 2.7 s for 1.1M agent-log lines, DECISIONLOG).
    """
    key = _quote(source.key)
    if source.grain == "event":
        return f"""
        create or replace temp table _row_status as
        with ok as (select {key}, _line, _row_hash from _parsed where _error is null),
        stored as (
            select r.{key}, r._row_hash as stored_hash, r._file as stored_file, r._line as stored_line
            from raw.{source.name} r where r.{key} in (select {key} from ok)
        ),
        -- per key, its first row in this file; per (key, content), the line of its first copy
        -- (aggregates, not window functions: no sort of the whole file)
        firsts as (
            select {key}, arg_min(_row_hash, _line) as first_hash, min(_line) as first_line
            from ok group by {key}
        ),
        copies as (select {key}, _row_hash, min(_line) as copy_line from ok group by {key}, _row_hash),
        x as (
            select ok.*, s.stored_hash, s.stored_file, s.stored_line, f.first_hash, f.first_line,
                   case when ok._line > c.copy_line then 2 else 1 end as rn
            from ok
            left join stored s on s.{key} = ok.{key}
            join firsts f on f.{key} = ok.{key}
            join copies c on c.{key} = ok.{key} and c._row_hash = ok._row_hash
        )
        select _line,
            case
                when stored_hash is not null and _row_hash = stored_hash then 'duplicate'
                when stored_hash is not null then 'conflict'
                when _row_hash <> first_hash then 'conflict'
                when rn > 1 then 'duplicate'
                else 'new'
            end as _status,
            case
                when stored_hash is not null and _row_hash <> stored_hash then
                    'conflict: {source.key} ' || {key} || ' already stored with different content (from '
                    || stored_file || ' line ' || stored_line || ')'
                when stored_hash is null and _row_hash <> first_hash then
                    'conflict: {source.key} ' || {key} || ' re-used with different content (first at line '
                    || first_line || ')'
            end as _conflict
        from x
        union all
        select _line, 'bad' as _status, null as _conflict from _parsed where _error is not null
        """
    return f"""
        create or replace temp table _row_status as
        with ok as (select _line, _row_hash from _parsed where _error is null),
        copies as (select _row_hash, min(_line) as copy_line from ok group by _row_hash),
        x as (
            select ok._line,
                   case when ok._line > c.copy_line then 2 else 1 end as rn,
                   ok._row_hash in (select _row_hash from raw.{source.name}) as is_stored
            from ok join copies c on c._row_hash = ok._row_hash
        )
        select _line, case when is_stored or rn > 1 then 'duplicate' else 'new' end as _status,
               null::varchar as _conflict
        from x
        union all
        select _line, 'bad' as _status, null as _conflict from _parsed where _error is not null
        """


# ------------------------------------------------------------ one file


def _ledger_row(con, result: FileResult, size: int | None, landing_dir: Path, run_id: str, duplicate_of=None):
    con.execute(
        """insert into raw.file_ledger values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [
            result.file, result.source, result.format, result.sha256, size, result.status,
            result.rows_read, result.rows_loaded, result.rows_new, result.rows_duplicate,
            result.rows_quarantined, result.error, duplicate_of, str(landing_dir), run_id, _now(),
        ],
    )


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def load_file(con: duckdb.DuckDBPyConnection, landing: LandingFile, landing_dir: Path, run_id: str) -> FileResult:
    started = time.perf_counter()
    source = SOURCES[landing.source]
    sha, size = landing_sha256(con, landing.path)
    result = FileResult(landing.source, landing.relpath, landing.format, sha, "loaded")

    # the first file of this content and format, and whether this path is already in the ledger with it (a
    # copy is logged once, when first skipped: a later run, forced or not, adds nothing). The format is part of
    # the identity: the same bytes read as CSV and as JSONL are not the same rows (an empty .jsonl is no copy
    # of an empty .csv, which is rejected for want of a header)
    first, logged = con.execute(
        """select min(file), coalesce(bool_or(file = ?), false) from raw.file_ledger
           where sha256 = ? and source = ? and format = ?""",
        [landing.relpath, sha, landing.source, landing.format],
    ).fetchone()
    if first is not None:
        result.status = "skipped_duplicate_file"
        result.seconds = time.perf_counter() - started
        if not logged:
            _ledger_row(con, result, size, landing_dir, run_id, duplicate_of=first)
        return result

    rejected: str | None = None
    try:
        read_file(con, landing.path, source, landing.format)
    except FileRejected as exc:
        rejected = str(exc)
        if not _temp_exists(con, "_land"):
            from trustloop.ingest.readers import empty_land

            empty_land(con, source)

    for statement in parse_statements(source):
        con.execute(statement)
    if rejected:
        con.execute("update _parsed set _error = ?", [f"file rejected: {rejected}"])
    con.execute(_classify_sql(source))

    counts = dict(con.execute("select _status, count(*) from _row_status group by 1").fetchall())
    result.rows_new = counts.get("new", 0)
    result.rows_duplicate = counts.get("duplicate", 0)
    result.rows_quarantined = counts.get("bad", 0) + counts.get("conflict", 0)
    result.rows_read = sum(counts.values())
    if rejected:
        result.status = "rejected"
        result.error = f"{landing.relpath}: {rejected}"

    cols = ", ".join(_quote(c) for c in source.column_names)
    pcols = ", ".join("p." + _quote(c) for c in source.column_names)
    now = _now()
    con.execute("begin transaction")
    try:
        con.execute(
            f"""insert into raw.{source.name} ({cols}, _extra, _file, _line, _row_hash, _raw, _run_id, _loaded_at)
                select {pcols}, p._extra, ?, p._line, p._row_hash, l._raw, ?, ?
                from _parsed p join _land l on l._line = p._line
                semi join (select _line from _row_status where _status = 'new') s on s._line = p._line""",
            [landing.relpath, run_id, now],
        )
        con.execute(
            f"""insert into raw.quarantine
                select ?, ?, p._line, coalesce(p._error, s._conflict), l._raw, cast(p.{_quote(source.key)} as varchar),
                       ?, ?
                from _parsed p join _row_status s on s._line = p._line join _land l on l._line = p._line
                where s._status in ('bad', 'conflict') order by p._line""",
            [landing.source, landing.relpath, run_id, now],
        )
        result.seconds = time.perf_counter() - started
        _ledger_row(con, result, size, landing_dir, run_id)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    finally:
        for temp in ("_land", "_parsed", "_row_status"):
            con.execute(f"drop table if exists {temp}")
    return result


def _temp_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    row = con.execute(
        "select count(*) from duckdb_tables() where temporary and table_name = ?", [name]
    ).fetchone()
    return bool(row and row[0])


def ingest_source(
    con: duckdb.DuckDBPyConnection, landing_dir: Path, source: str, run_id: str
) -> list[FileResult]:
    """Load every new file of one source, in delivery order."""
    install_macros(con)
    ensure_raw_schema(con)
    return [load_file(con, f, Path(landing_dir), run_id) for f in discover(Path(landing_dir), source)]
