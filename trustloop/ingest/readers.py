"""Stream a landing file into a DuckDB temp table of text values.

Whatever the format, the result is one temp table ``_land`` with
``_line`` (1-based line of the row's start; for Parquet the row number),
``_raw`` (the row as delivered), ``_pre_error`` (a reason when the row could
not even be split into fields) and one VARCHAR column per contract column
(NULL when absent), plus ``_extra``: the columns or keys the contract does not
know, as a JSON object. Validation happens afterwards, in SQL.

Nothing here loads a whole file into Python: rows are streamed in batches to
DuckDB through Arrow.
"""

from __future__ import annotations

import csv
import itertools
import json
from collections.abc import Iterator
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from trustloop.ingest.contract import Source

BATCH_ROWS = 100_000

# the contract limits no text's length: the csv module's default cap on a field (131,072 characters)
# would quarantine a long description that loads from JSONL
csv.field_size_limit(2**31 - 1)


class FileRejected(Exception):
    """The file as a whole breaks the contract (e.g. a required column is missing)."""


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sql_list(values: tuple[str, ...] | list[str]) -> str:
    return "[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def _decode(raw: bytes) -> tuple[str, str | None]:
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        return raw.decode("utf-8", errors="replace"), f"not valid UTF-8 at byte {exc.start}"


# ------------------------------------------------------------ lines, fast


BLOCK_BYTES = 32 << 20


def _split_block(first: int, data: memoryview) -> tuple[list[str], dict[int, str]]:
    """Split a block of whole lines on LF (each line keeps a trailing CR); decode it as UTF-8 (line by
    line only when that fails). ``first`` is the number of the block's first line: a byte-order mark
    opening the file is dropped."""
    errors: dict[int, str] = {}
    try:
        lines = str(data, "utf-8").split("\n")
    except UnicodeDecodeError:
        lines = []
        for i, raw in enumerate(bytes(data).split(b"\n")):
            text, error = _decode(raw)
            lines.append(text)
            if error:
                errors[i] = error
    if first == 1 and lines[0].startswith("\ufeff"):
        lines[0] = lines[0][1:]
    return lines, errors


def _byte_blocks(path: Path) -> Iterator[tuple[int, memoryview, bool]]:
    """(number of the block's first line, the block, whether its last line ended with LF): ~32 MiB of
    whole lines at a time, the LF that ends a block cut off. Each block is a fresh buffer, read into
    directly and handed on without a copy."""
    line_no = 1
    rest = b""
    with open(path, "rb") as handle:
        while True:
            buffer = bytearray(len(rest) + BLOCK_BYTES)
            buffer[: len(rest)] = rest
            size = len(rest) + handle.readinto(memoryview(buffer)[len(rest) :])
            if size == len(rest):
                break
            cut = buffer.rfind(b"\n", 0, size)
            if cut < 0:
                rest = bytes(buffer[:size])
                continue
            rest = bytes(buffer[cut + 1 : size])
            yield line_no, memoryview(buffer)[:cut], True
            line_no += buffer.count(b"\n", 0, cut) + 1
    if rest:
        yield line_no, memoryview(rest), False


def _raw_blocks(path: Path) -> Iterator[tuple[int, list[str], dict[int, str], bool]]:
    """(number of the block's first line, its lines without LF, decode errors by index, whether the last
    line ended with LF)."""
    for first, data, ended in _byte_blocks(path):
        lines, errors = _split_block(first, data)
        yield first, lines, errors, ended


# --------------------------------------------------------------------------- CSV


def _insert_batch(con: duckdb.DuckDBPyConnection, table: str, batch: pa.Table, columns: str = "*") -> None:
    """Insert an Arrow batch (its ``columns``, as a select list) into a temp table."""
    con.register("_tl_batch", batch)
    try:
        con.execute(f"insert into {table} select {columns} from _tl_batch")
    finally:
        con.unregister("_tl_batch")


def _insert_records(con: duckdb.DuckDBPyConnection, width: int, numbers: list[int], raws: list[str],
                    problems: list[str | None], records: list[list[str | None]]) -> None:
    """Insert a batch of CSV records (lists of ``width`` fields) into ``_land_csv`` with their line numbers,
    raw texts and problems. The records go to Arrow as one fixed-size list column and DuckDB splits them
    into columns: a third of the time of transposing them in Python first."""
    batch = pa.table({
        "n": pa.array(numbers, pa.int64()),
        "r": pa.array(raws, pa.string()),
        "p": pa.array(problems, pa.string()),
        "f": pa.array(records, pa.list_(pa.string(), width)),
    })
    _insert_batch(con, "_land_csv", batch, "n, r, p, " + ", ".join(f"f[{i + 1}]" for i in range(width)))


def _csv_table(con: duckdb.DuckDBPyConnection, width: int) -> None:
    cols = [f"c{i}" for i in range(width)]
    con.execute(
        "create or replace temp table _land_csv (_line bigint, _raw varchar, _pre_error varchar, "
        + ", ".join(f"{c} varchar" for c in cols)
        + ")"
    )


class _Window:
    """The file's lines (with their line ends) from the first line of the record being read onwards.

    ``feed()`` hands the lines to csv.reader a block at a time (C-level iteration within a block); before
    it adds a block it drops the lines of records already taken, so a window holds about one block.
    """

    def __init__(self, path: Path):
        self.path = path
        self.lines: list[str] = []
        self.start = 0  # 0-based number of lines[0] in the file
        self.taken = 0  # lines of the file that belong to records already taken
        self.errors: dict[int, str] = {}  # decode errors by 0-based line number

    def feed(self) -> Iterator[list[str]]:
        for first, lines, errors, ended in _raw_blocks(self.path):
            del self.lines[: self.taken - self.start]
            self.start = self.taken
            with_ends = [line + "\n" for line in lines]
            if not ended:
                with_ends[-1] = lines[-1]
            self.lines.extend(with_ends)
            for i, error in errors.items():
                self.errors[first - 1 + i] = error
            yield with_ends

    def take(self, end: int) -> tuple[int, str, str | None]:
        """The record on the lines up to ``end`` (csv.reader's line_num): its first line (1-based), raw text
        without the final line end, and the first decode error among its lines."""
        first = self.taken
        lines = self.lines[first - self.start : end - self.start]
        self.taken = end
        raw = (lines[0] if len(lines) == 1 else "".join(lines)).rstrip("\r\n")
        error = None
        if self.errors:
            error = next((self.errors[n] for n in range(first, end) if n in self.errors), None)
        return first + 1, raw, error


def _read_csv_rows(con: duckdb.DuckDBPyConnection, path: Path) -> tuple[list[str], str | None]:
    """Fill temp table ``_land_csv`` (line, raw text, error, one text column per header column) with the
    C csv reader, records spanning lines (quoted line breaks) included; return the header's names and why
    the header could not be read, if it could not. Rows go to DuckDB in batches through Arrow."""
    window = _Window(path)
    reader = csv.reader(itertools.chain.from_iterable(window.feed()))
    names: list[str] | None = None
    header_error: str | None = None
    table_width = 0
    batch: tuple[list, list, list, list] = ([], [], [], [])

    def start(header: list[str]) -> int:
        nonlocal names, table_width
        names = [h.strip() for h in header]
        table_width = max(len(names), 1)
        _csv_table(con, table_width)
        return len(names)

    def flush() -> None:
        numbers, raws, problems, records = batch
        if numbers:
            _insert_records(con, table_width, numbers, raws, problems, records)
            for column in batch:
                column.clear()

    width = 0
    while True:
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            line, raw, _ = window.take(reader.line_num)
            if names is None:
                header_error = f"unparseable CSV header at line {line}: {exc}"
                width = start([])
                continue
            record, error = [None] * max(width, 1), f"unparseable CSV: {exc}"
        else:
            line, raw, error = window.take(reader.line_num)
            if names is None:
                width = start(record)
                continue
            if not record or (len(record) == 1 and not record[0].strip() and width > 1):
                continue  # blank line: not a row
            if len(record) != width:
                error = error or f"row has {len(record)} fields, the header has {width}"
                record = [None] * max(width, 1)
        for column, value in zip(batch, (line, raw, error, record), strict=True):
            column.append(value)
        if len(batch[0]) >= BATCH_ROWS:
            flush()
    if names is None:
        start([])
    flush()
    return names or [], header_error


def header_keys(header: list[str], known: set[str]) -> list[str]:
    """The key of each CSV column: a contract column's name when its header names one (in any letter
    case, white space around it ignored), else the header as written, trimmed. Extra columns are kept
    whatever their header: an unnamed one (a spreadsheet's trailing empty cells) is ``column_<n>``, its
    1-based position, and a name already taken gets ``_2``, ``_3``... A contract column named twice keeps
    its name both times (the file is then rejected: which of the two is meant is not known)."""
    keys = [h.strip().lower() if h.strip().lower() in known else None for h in header]
    taken = {k for k in keys if k}
    for i, h in enumerate(header):
        if keys[i] is None:
            base = h.strip() or f"column_{i + 1}"
            key, n = base, 1
            while key.lower() in taken:
                n += 1
                key = f"{base}_{n}"
            keys[i] = key
            taken.add(key.lower())
    return keys


def _looks_utf16(path: Path) -> bool:
    """A UTF-16 byte-order mark, or the NUL bytes of UTF-16 text, at the start of the file."""
    with open(path, "rb") as handle:
        head = handle.read(64)
    return head[:2] in (b"\xff\xfe", b"\xfe\xff") or (len(head) >= 4 and head.count(b"\x00") * 3 >= len(head))


def _read_csv(con: duckdb.DuckDBPyConnection, path: Path, source: Source) -> None:
    """``_land`` from a CSV file: every row is kept, also when the header rejects the file (its rows are
    then quarantined with the reason)."""
    header, header_error = _read_csv_rows(con, path)
    known = set(source.column_names)
    names = header_keys(header, known)
    duplicated = sorted({n for n in names if n in known and names.count(n) > 1})
    missing = [c for c in source.required if c not in names]
    if _looks_utf16(path):
        problem = "not UTF-8 text: the file looks UTF-16 encoded (save it as UTF-8)"
    elif not names:
        problem = header_error or "no header row (the file is empty or its first line is blank)"
    elif duplicated:
        problem = f"duplicate column(s) in header: {', '.join(duplicated)}"
    elif missing:
        problem = f"missing required column(s): {', '.join(missing)}"
    else:
        problem = None
    select = ["_line", "_raw", "_pre_error"]
    for column in source.columns:
        if column.name in names:
            select.append(f"c{names.index(column.name)} as {_quote(column.name)}")
        else:
            select.append(f"null::varchar as {_quote(column.name)}")
    extras = [(n, f"c{i}") for i, n in enumerate(names) if n not in known]
    if extras:
        pairs = ", ".join(f"'{n.replace(chr(39), chr(39) * 2)}', {c}" for n, c in extras)
        select.append(f"json_object({pairs})::varchar as _extra")
    else:
        select.append("null::varchar as _extra")
    con.execute("create or replace temp table _land as select " + ", ".join(select) + " from _land_csv")
    con.execute("drop table if exists _land_csv")
    if problem:
        raise FileRejected(problem)


# ----------------------------------------------------------------- JSONL, Parquet


def _jsonl_block(first: int, data: memoryview) -> pa.Table | None:
    """The non-blank lines of a block of valid UTF-8 as (_line, _raw, _pre_error), split and trimmed of a
    final CR by Arrow, without a Python string per line; None when the block is not valid UTF-8."""
    if first == 1 and data[:3] == b"\xef\xbb\xbf":
        data = data[3:]
    offsets = pa.py_buffer(np.array([0, len(data)], dtype=np.int32))
    block = pa.Array.from_buffers(pa.binary(), 1, [None, offsets, pa.py_buffer(data)])
    try:
        lines = pc.split_pattern(block, pattern=b"\n").flatten().cast(pa.string())
    except pa.ArrowInvalid:
        return None
    if pc.any(pc.ends_with(lines, "\r")).as_py():
        lines = pc.replace_substring_regex(lines, pattern="\r$", replacement="")
    numbers = pa.array(np.arange(first, first + len(lines), dtype=np.int64))
    # blank lines are not rows: a line with a printable ASCII character is not blank; the few others are
    # judged as str.strip() judges them
    maybe_blank = pc.invert(pc.match_substring_regex(lines, "[!-~]")).to_numpy(zero_copy_only=False)
    if maybe_blank.any():
        keep = [not (blank and not line.strip()) for blank, line in zip(maybe_blank, lines.to_pylist(),
                                                                            strict=True)]
        lines, numbers = lines.filter(pa.array(keep)), numbers.filter(pa.array(keep))
    return pa.table({"_line": numbers, "_raw": lines, "_pre_error": pa.nulls(len(lines), pa.string())})


def _jsonl_block_by_line(first: int, data: memoryview) -> pa.Table:
    """As ``_jsonl_block``, a line at a time in Python: for a block that is not valid UTF-8, each bad line
    with its reason."""
    lines, errors = _split_block(first, data)
    lines = [line[:-1] if line.endswith("\r") else line for line in lines]
    keep = [i for i, line in enumerate(lines) if line.strip()]
    return pa.table({"_line": pa.array([first + i for i in keep], pa.int64()),
                     "_raw": pa.array([lines[i] for i in keep], pa.string()),
                     "_pre_error": pa.array([errors.get(i) for i in keep], pa.string())})


def _read_jsonl_lines(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    con.execute("create or replace temp table _land_json (_line bigint, _raw varchar, _pre_error varchar)")
    for first, data, _ in _byte_blocks(path):
        table = _jsonl_block(first, data)
        if table is None:
            table = _jsonl_block_by_line(first, data)
        _insert_batch(con, "_land_json", table)


def _read_parquet_rows(con: duckdb.DuckDBPyConnection, path: Path, source: Source) -> None:
    try:
        described = con.execute("describe select * from read_parquet(?)", [str(path)]).fetchall()
    except duckdb.Error as exc:
        raise FileRejected(f"not a readable Parquet file: {exc}") from exc
    names = [row[0] for row in described]
    # a column names a contract column in any letter case, with white space around it, as a CSV header
    # does; the others keep their names. DuckDB renames a second column of the same name in another case
    # (TICKET_ID beside ticket_id becomes TICKET_ID_1), so the names the file gives are read from its schema
    try:
        written = pq.read_schema(path).names
    except (OSError, pa.ArrowException):
        written = names
    if len(written) != len(names):
        written = names
    known = set(source.column_names)
    keys = [w.strip().lower() if w.strip().lower() in known else n for w, n in zip(written, names, strict=True)]
    duplicated = sorted({k for k in keys if keys.count(k) > 1})
    if duplicated:  # the file is rejected; its rows keep the names as they are
        keys = names
    missing = [c for c in source.required if c not in keys]
    struct = ", ".join(f"{_quote(k)}: {_quote(n)}" for k, n in zip(keys, names, strict=True)) or "'_': null"
    con.execute(
        f"""create or replace temp table _land_json as
            select file_row_number + 1 as _line, to_json({{{struct}}})::varchar as _raw,
                   null::varchar as _pre_error
            from read_parquet(?, file_row_number = true)""",
        [str(path)],
    )
    if duplicated or missing:
        _json_to_land(con, source)
        raise FileRejected(f"duplicate column(s): {', '.join(duplicated)}" if duplicated
                           else f"missing required column(s): {', '.join(missing)}")


def _json_to_land(con: duckdb.DuckDBPyConnection, source: Source) -> None:
    """One JSON parse per row: json_transform to a struct of the contract's columns (as text)."""
    known = _sql_list(list(source.column_names))
    spec = json.dumps({c.name: ("JSON" if c.kind in ("object", "list") else "VARCHAR") for c in source.columns})
    select = ["_line", "_raw"]
    # an id given as a JSON object, array or boolean is not one (json_transform would keep its JSON text):
    # the text finds the few candidates, json_type tells them from a string that starts with a brace or
    # reads "true"
    ids = "".join(
        f"""
             when (left(_s.{_quote(c.name)}, 1) in ('{{', '[') or _s.{_quote(c.name)} in ('true', 'false'))
                  and json_type(_j, '$.{c.name}') in ('OBJECT', 'ARRAY', 'BOOLEAN')
                 then '{c.name}: not a string or a number (' || left(_s.{_quote(c.name)}, 80) || ')'"""
        for c in source.columns if c.kind == "id"
    )
    select.append(
        """coalesce(_pre_error,
             case when _j is null then 'unparseable line: not valid JSON'
                  when json_type(_j) <> 'OBJECT' then 'unparseable line: not a JSON object'
                  when len(_repeated) > 0
                      then 'unparseable line: key repeated: ' || array_to_string(list_sort(list_distinct(_repeated)), ', ')"""
        + ids
        + """
             end
           ) as _pre_error"""
    )
    for column in source.columns:
        field = f"_s.{_quote(column.name)}"
        if column.kind in ("object", "list"):
            # a JSON string holding the value (as a CSV cell would) is unwrapped; null stays null
            value = (
                f"case json_type({field}) when 'NULL' then null when 'VARCHAR' then json_extract_string({field}, '$') "
                f"else {field}::varchar end"
            )
        else:
            value = field
        select.append(f"case when _ok then {value} end as {_quote(column.name)}")
    select.append(
        f"case when _ok and len(list_filter(_k, lambda k: not list_contains({known}, k))) > 0 "
        f"then tl_json_extras(_j, {known}) end as _extra"
    )
    con.execute(
        "create or replace temp table _land as select "
        + ", ".join(select)
        + f" from (select *, case when _ok then json_transform(_j, '{spec}') end as _s from ("
        # a key written twice makes the line unparseable: which of its values was meant is not known (the
        # JSON reading would take the first; an unknown key twice cannot be kept in _extra). _repeated: the
        # keys found again after their first place (list_distinct on every row cost 5x as much)
        "select *, _pre_error is null and _k is not null and len(_repeated) = 0 as _ok from ("
        "select *, list_filter(_k, lambda k, i: list_position(_k, k) <> i) as _repeated from ("
        "select *, case when json_type(_j) = 'OBJECT' then json_keys(_j) end as _k"
        " from (select *, tl_try_json(_raw) as _j from _land_json)))))"
    )
    con.execute("drop table if exists _land_json")


def read_file(con: duckdb.DuckDBPyConnection, path: Path, source: Source, fmt: str) -> None:
    """Fill temp table ``_land`` from one landing file (raises FileRejected after filling it)."""
    if fmt == "csv":
        _read_csv(con, path, source)
    elif fmt == "jsonl":
        _read_jsonl_lines(con, path)
        _json_to_land(con, source)
    elif fmt == "parquet":
        _read_parquet_rows(con, path, source)
        _json_to_land(con, source)
    else:  # pragma: no cover - discover() only yields known formats
        raise FileRejected(f"unknown format {fmt!r}")


def empty_land(con: duckdb.DuckDBPyConnection, source: Source) -> None:
    cols = ", ".join(f"{_quote(c)} varchar" for c in source.column_names)
    con.execute(
        f"create or replace temp table _land (_line bigint, _raw varchar, _pre_error varchar, {cols}, _extra varchar)"
    )


__all__ = ["FileRejected", "read_file", "empty_land"]
