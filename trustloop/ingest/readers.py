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
import json
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow as pa

from trustloop.ingest.contract import Source

BATCH_ROWS = 100_000


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


def _insert_batch(con: duckdb.DuckDBPyConnection, table: str, columns: list[str], rows: list[list]) -> None:
    if not rows:
        return
    data = list(zip(*rows, strict=True))
    arrays = [pa.array(data[0], pa.int64())] + [pa.array(col, pa.string()) for col in data[1:]]
    batch = pa.Table.from_arrays(arrays, names=columns)
    con.register("_tl_batch", batch)
    try:
        con.execute(f"insert into {table} select * from _tl_batch")
    finally:
        con.unregister("_tl_batch")


# ------------------------------------------------------------ lines, fast


BLOCK_BYTES = 32 << 20


def _decode_block(data: bytes) -> tuple[list[str], dict[int, str]]:
    """Split a block of whole lines; decode it as UTF-8 (line by line only when that fails)."""
    errors: dict[int, str] = {}
    try:
        lines = data.decode("utf-8").split("\n")
    except UnicodeDecodeError:
        lines = []
        for i, raw in enumerate(data.split(b"\n")):
            text, error = _decode(raw)
            lines.append(text)
            if error:
                errors[i] = error
    return [line[:-1] if line.endswith("\r") else line for line in lines], errors


def _line_blocks(path: Path) -> Iterator[tuple[int, list[str], dict[int, str]]]:
    """(number of the block's first line, its lines, decode errors by index), in blocks of ~32 MiB."""
    line_no = 1
    rest = b""
    with open(path, "rb") as handle:
        while True:
            chunk = handle.read(BLOCK_BYTES)
            if not chunk:
                break
            data = rest + chunk
            cut = data.rfind(b"\n")
            if cut < 0:
                rest = data
                continue
            rest = data[cut + 1 :]
            lines, errors = _decode_block(data[:cut])
            if line_no == 1 and lines and lines[0].startswith("\ufeff"):
                lines[0] = lines[0][1:]
            yield line_no, lines, errors
            line_no += len(lines)
    if rest:
        lines, errors = _decode_block(rest)
        if line_no == 1 and lines and lines[0].startswith("\ufeff"):
            lines[0] = lines[0][1:]
        yield line_no, lines, errors


def _insert_columns(con: duckdb.DuckDBPyConnection, table: str, names: list[str], columns: list[list]) -> None:
    arrays = [pa.array(columns[0], pa.int64())] + [pa.array(col, pa.string()) for col in columns[1:]]
    con.register("_tl_batch", pa.Table.from_arrays(arrays, names=names))
    try:
        con.execute(f"insert into {table} select * from _tl_batch")
    finally:
        con.unregister("_tl_batch")


# --------------------------------------------------------------------------- CSV


class _MultilineRecords(Exception):
    """A quoted field spans lines: the line-per-record fast path does not apply."""


def _csv_table(con: duckdb.DuckDBPyConnection, width: int) -> list[str]:
    cols = [f"c{i}" for i in range(width)]
    con.execute(
        "create or replace temp table _land_csv (_line bigint, _raw varchar, _pre_error varchar, "
        + ", ".join(f"{c} varchar" for c in cols)
        + ")"
    )
    return ["_line", "_raw", "_pre_error"] + cols


def _header(line: str) -> list[str]:
    return [h.strip().lower() for h in next(csv.reader([line]), [])]


def _read_csv_fast(con: duckdb.DuckDBPyConnection, path: Path) -> list[str]:
    """One record per line (no quoted line breaks): parse whole blocks with the C csv reader."""
    names: list[str] | None = None
    table_cols: list[str] = []
    for first, lines, errors in _line_blocks(path):
        offset = 0
        if names is None:
            names = _header(lines[0]) if lines else []
            table_cols = _csv_table(con, max(len(names), 1))
            offset = 1
        if any(line.count('"') & 1 for line in lines):
            raise _MultilineRecords
        width = len(names)
        good_lines, good_raw, good_err, good = [], [], [], []
        for i, record in enumerate(csv.reader(lines[offset:]), offset):
            if not record or (len(record) == 1 and not record[0].strip() and width > 1):
                continue  # blank line: not a row
            error = errors.get(i)
            if len(record) != width:
                error = error or f"row has {len(record)} fields, the header has {width}"
                record = [None] * width
            good_lines.append(first + i)
            good_raw.append(lines[i])
            good_err.append(error)
            good.append(record)
        if good:
            columns = [good_lines, good_raw, good_err] + [list(c) for c in zip(*good, strict=True)]
            _insert_columns(con, "_land_csv", table_cols, columns)
    return names or []


class _LineRecorder:
    """Feeds csv.reader line by line and remembers the raw text of each record."""

    def __init__(self, handle):
        self.handle = handle
        self.buffer: list[str] = []
        self.errors: list[str] = []
        self.line_no = 0

    def __iter__(self) -> Iterator[str]:
        for raw in self.handle:
            self.line_no += 1
            text, error = _decode(raw)
            if self.line_no == 1 and text.startswith("\ufeff"):
                text = text[1:]
            if error:
                self.errors.append(error)
            self.buffer.append(text)
            yield text

    def take(self) -> tuple[str, str | None]:
        raw = "".join(self.buffer).rstrip("\r\n")
        error = self.errors[0] if self.errors else None
        self.buffer.clear()
        self.errors.clear()
        return raw, error


def _read_csv_records(con: duckdb.DuckDBPyConnection, path: Path) -> list[str]:
    """General path: records may span lines; the raw text of each record is kept."""
    with open(path, "rb") as handle:
        recorder = _LineRecorder(handle)
        reader = csv.reader(iter(recorder))
        try:
            header = next(reader)
        except StopIteration:
            header = []
        recorder.take()
        names = [h.strip().lower() for h in header]
        width = len(names)
        table_cols = _csv_table(con, max(width, 1))
        rows: list[list] = []
        start = recorder.line_no + 1
        while True:
            try:
                record = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                raw, _ = recorder.take()
                rows.append([start, raw, f"unparseable CSV: {exc}"] + [None] * width)
                start = recorder.line_no + 1
                continue
            raw, error = recorder.take()
            if not record or (len(record) == 1 and not record[0].strip() and width > 1):
                start = recorder.line_no + 1
                continue  # blank line: not a row
            if len(record) != width:
                error = error or f"row has {len(record)} fields, the header has {width}"
                record = [None] * width
            rows.append([start, raw, error] + record)
            start = recorder.line_no + 1
            if len(rows) >= BATCH_ROWS:
                _insert_batch(con, "_land_csv", table_cols, rows)
                rows = []
        _insert_batch(con, "_land_csv", table_cols, rows)
    return names


def _read_csv(con: duckdb.DuckDBPyConnection, path: Path, source: Source) -> None:
    try:
        names = _read_csv_fast(con, path)
    except _MultilineRecords:
        names = _read_csv_records(con, path)
    if not names:
        raise FileRejected("the file is empty: no header row")
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise FileRejected(f"duplicate column(s) in header: {', '.join(duplicated)}")
    missing = [c for c in source.required if c not in names]
    known = set(source.column_names)
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
    if missing:
        raise FileRejected(f"missing required column(s): {', '.join(missing)}")


# ----------------------------------------------------------------- JSONL, Parquet


def _read_jsonl_lines(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    con.execute("create or replace temp table _land_json (_line bigint, _raw varchar, _pre_error varchar)")
    for first, lines, errors in _line_blocks(path):
        keep = [i for i, line in enumerate(lines) if line.strip()]  # blank lines are not rows
        if len(keep) < len(lines):
            numbers = [first + i for i in keep]
            texts = [lines[i] for i in keep]
        else:
            numbers, texts = list(range(first, first + len(lines))), lines
        problems = [errors.get(i) for i in keep] if errors else [None] * len(texts)
        _insert_columns(con, "_land_json", ["_line", "_raw", "_pre_error"], [numbers, texts, problems])


def _read_parquet_rows(con: duckdb.DuckDBPyConnection, path: Path, source: Source) -> None:
    try:
        described = con.execute("describe select * from read_parquet(?)", [str(path)]).fetchall()
    except duckdb.Error as exc:
        raise FileRejected(f"not a readable Parquet file: {exc}") from exc
    names = [row[0] for row in described]
    missing = [c for c in source.required if c not in names]
    struct = ", ".join(f"{_quote(n)}: {_quote(n)}" for n in names) or "'_': null"
    con.execute(
        f"""create or replace temp table _land_json as
            select file_row_number + 1 as _line, to_json({{{struct}}})::varchar as _raw,
                   null::varchar as _pre_error
            from read_parquet(?, file_row_number = true)""",
        [str(path)],
    )
    if missing:
        _json_to_land(con, source)
        raise FileRejected(f"missing required column(s): {', '.join(missing)}")


def _json_to_land(con: duckdb.DuckDBPyConnection, source: Source) -> None:
    """One JSON parse per row: json_transform to a struct of the contract's columns (as text)."""
    known = _sql_list(list(source.column_names))
    spec = json.dumps({c.name: ("JSON" if c.kind in ("object", "list") else "VARCHAR") for c in source.columns})
    select = ["_line", "_raw"]
    select.append(
        """coalesce(_pre_error,
             case when _j is null then 'unparseable line: not valid JSON'
                  when json_type(_j) <> 'OBJECT' then 'unparseable line: not a JSON object' end
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
        f"case when _ok and len(list_filter(json_keys(_j), lambda k: not list_contains({known}, k))) > 0 "
        f"then tl_json_extras(_j, {known}) end as _extra"
    )
    con.execute(
        "create or replace temp table _land as select "
        + ", ".join(select)
        + f" from (select *, case when _ok then json_transform(_j, '{spec}') end as _s from ("
        "select *, _pre_error is null and coalesce(json_type(_j) = 'OBJECT', false) as _ok"
        " from (select *, tl_try_json(_raw) as _j from _land_json)))"
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
