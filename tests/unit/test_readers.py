"""The landing readers (trustloop/ingest/readers.py) against line-by-line readings of the same bytes.

CSV: the reader parses whole blocks of lines with the C csv reader and maps each record back to its
lines; the oracle here feeds csv.reader one line at a time and records each record's first line, raw
text and decode error as it goes. JSONL: lines are split by Arrow without a Python string per line; the
line-at-a-time reading (used for blocks that are not valid UTF-8) is the oracle. They must agree on every
file, also when records span lines and blocks.
"""

from __future__ import annotations

import csv
import re

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trustloop.ingest import readers
from trustloop.ingest.contract import SOURCES
from trustloop.ingest.readers import (
    FileRejected,
    _jsonl_block,
    _jsonl_block_by_line,
    _read_csv_rows,
    read_file,
)


def oracle(data: bytes) -> tuple[list[str], str | None, list[tuple]]:
    """(header names, header error, rows as (line, raw, error, values...)) read one line at a time."""
    lines: list[tuple[str, str | None]] = []
    for i, raw in enumerate(_lf_lines(data)):
        try:
            text, error = raw.decode("utf-8"), None
        except UnicodeDecodeError as exc:
            text, error = raw.decode("utf-8", errors="replace"), f"not valid UTF-8 at byte {exc.start}"
        if i == 0 and text.startswith("\ufeff"):
            text = text[1:]
        lines.append((text, error))
    position = 0

    def feed():
        nonlocal position
        while position < len(lines):
            position += 1
            yield lines[position - 1][0]

    reader = csv.reader(feed())
    taken = 0
    names, header_error, rows, width = None, None, [], 0
    while True:
        try:
            record = next(reader)
            failure = None
        except StopIteration:
            break
        except csv.Error as exc:
            record, failure = None, exc
        span = lines[taken:position]
        first, taken = taken + 1, position
        raw = "".join(text for text, _ in span).rstrip("\r\n")
        error = next((e for _, e in span if e), None)
        if names is None:
            names = [] if failure else [h.strip() for h in record]
            header_error = f"unparseable CSV header at line {first}: {failure}" if failure else None
            width = len(names)
            continue
        if failure:
            rows.append((first, raw, f"unparseable CSV: {failure}", *[None] * max(width, 1)))
            continue
        if not record or (len(record) == 1 and not record[0].strip() and width > 1):
            continue
        if len(record) != width:
            rows.append((first, raw, error or f"row has {len(record)} fields, the header has {width}",
                         *[None] * max(width, 1)))
        else:
            rows.append((first, raw, error, *record))
    return names or [], header_error, rows


def _lf_lines(data: bytes) -> list[bytes]:
    """The file's lines, each with its LF (the last one may lack it)."""
    parts = data.split(b"\n")
    out = [p + b"\n" for p in parts[:-1]]
    if parts[-1]:
        out.append(parts[-1])
    return out


def read(tmp_path, data: bytes) -> tuple[list[str], str | None, list[tuple]]:
    path = tmp_path / "f.csv"
    path.write_bytes(data)
    con = duckdb.connect()
    try:
        names, header_error = _read_csv_rows(con, path)
        rows = [tuple(r) for r in con.execute("select * from _land_csv order by _line").fetchall()]
    finally:
        con.close()
    return names, header_error, rows


CASES = {
    "quoted line breaks, LF and CRLF": b'id,note\r\n1,"a\r\nb"\r\n2,"c\nd\n\ne"\n3,plain\n',
    "bad UTF-8 inside a record spanning lines": b'id,note\n1,"x\n\xff\xfey"\n2,z\n',
    "a bare CR in an unquoted field": b"id,note\n1,a\rb\n2,c\n",
    "unterminated quote at the end": b'id,note\n1,ok\n2,"never closed\n3,x\n',
    "byte-order mark, blank lines, wrong widths": b"\xef\xbb\xbfID, Note \n\n1,a\n2\n3,b,c\n\n",
    "no newline at the end": b'id,note\n1,"a\nb"',
    "header only": b"id,note\n",
    "empty file": b"",
    "first line blank": b"\nid,note\n1,a\n",
    "unreadable header": b'id,no\rte\n1,a\n',
    "quotes, doubled quotes, text after a closing quote": (
        b'id,note,tail\r\n1,"a, b","x""y"\n2,"q"z,\n\n3,a"b, "c"\n4,"",""""\n  \n5,"a"b"c,\xc3\xa9\n'
    ),
    "one row of another width": b'id,note\n1,a\n2,"b,c",d\n3,e\n',
}


@pytest.mark.parametrize("block_bytes, batch_rows", [(7, 1), (7, 2), (32 << 20, 100_000)])
@pytest.mark.parametrize("name", list(CASES))
def test_the_reader_matches_a_line_by_line_reading(tmp_path, monkeypatch, name, block_bytes, batch_rows):
    """Also with rows going to DuckDB one or two at a time (each batch a fixed-size list of the fields)."""
    monkeypatch.setattr(readers, "BLOCK_BYTES", block_bytes)
    monkeypatch.setattr(readers, "BATCH_ROWS", batch_rows)
    assert read(tmp_path, CASES[name]) == oracle(CASES[name])


def test_a_record_spanning_lines_keeps_its_first_line_and_its_text(tmp_path):
    names, _, rows = read(tmp_path, b'id,note\r\n1,"a\r\nb"\r\n2,c\r\n')
    assert names == ["id", "note"]
    assert rows == [(2, '1,"a\r\nb"', None, "1", "a\r\nb"), (4, "2,c", None, "2", "c")]


pieces = st.sampled_from(["a", "1", ",", '"', '""', "\n", "\r\n", "\r", " ", "é", "\ufeff"])
texts = st.lists(pieces, max_size=40).map("".join)
broken = st.sampled_from([b"", b"\xff", b"\xc3"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(header=st.sampled_from(["id,note\n", "id\n", "a,b,c\r\n", ""]), body=texts, junk=broken,
       cut=st.integers(0, 40), block_bytes=st.sampled_from([1, 5, 16, 1 << 20]), batch_rows=st.sampled_from([1, 3]))
def test_any_bytes_are_read_as_line_by_line(tmp_path, monkeypatch, header, body, junk, cut, block_bytes,
                                            batch_rows):
    monkeypatch.setattr(readers, "BLOCK_BYTES", block_bytes)
    monkeypatch.setattr(readers, "BATCH_ROWS", batch_rows)
    data = (header + body).encode()
    data = data[:cut] + junk + data[cut:]
    assert read(tmp_path, data) == oracle(data)


csv_fields = st.one_of(
    st.text(alphabet='ab1 é"', max_size=6),  # unquoted, sometimes with a quote inside or first
    st.text(alphabet='ab,é"\n', max_size=6).map(lambda t: '"' + t.replace('"', '""') + '"'),  # quoted
    st.tuples(st.text(alphabet='ab,"', max_size=4), st.text(alphabet='ab "', max_size=3)).map(
        lambda p: '"' + p[0].replace('"', '""') + '"' + p[1]),  # text after the closing quote
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.lists(csv_fields, min_size=3, max_size=3), max_size=8),
       end=st.sampled_from(["\n", "\r\n"]), block_bytes=st.sampled_from([3, 1 << 20]))
def test_records_of_quoted_and_unquoted_fields_are_read_as_line_by_line(tmp_path, monkeypatch, rows, end,
                                                                        block_bytes):
    """Rows of quoted fields (with commas, doubled quotes, line breaks), text after a closing quote,
    quotes inside unquoted fields, and now and then a row of another width."""
    monkeypatch.setattr(readers, "BLOCK_BYTES", block_bytes)
    data = end.join(["id,note,tail", *(",".join(r) for r in rows)]).encode() + end.encode()
    assert read(tmp_path, data) == oracle(data)


def test_a_file_rejected_by_its_header_keeps_every_row(tmp_path):
    """Duplicate or missing columns, or no header: the rows are still in _land, for quarantine."""
    source = SOURCES["incidents"]
    for data, reason in [
        (b"incident_id,incident_id\nI1,I2\nI3,I4\n", "duplicate column(s) in header: incident_id"),
        (b"\nincident_id\nI1\n", "no header row"),
    ]:
        path = tmp_path / "incidents.csv"
        path.write_bytes(data)
        con = duckdb.connect()
        with pytest.raises(FileRejected, match=re.escape(reason)):
            read_file(con, path, source, "csv")
        assert con.execute("select count(*) from _land").fetchone()[0] == 2
        con.close()


line_pieces = st.sampled_from(['{"a": 1}', "x", " ", "\t", "\r", "\n", "\r\n", "\u3000", "\x1c", "\x85",
                               "\u00a0", "é", "\ufeff", ""])


@settings(max_examples=300, deadline=None)
@given(text=st.lists(line_pieces, max_size=30).map("".join), first=st.sampled_from([1, 2, 1000]))
def test_jsonl_lines_split_by_arrow_as_line_by_line(text, first):
    data = memoryview(text.encode())
    assert _jsonl_block(first, data).to_pylist() == _jsonl_block_by_line(first, data).to_pylist()


def test_a_jsonl_block_that_is_not_utf8_is_read_line_by_line(tmp_path):
    data = memoryview(b'\xef\xbb\xbf{"a": 1}\r\n\n{"b": "\xff"}\n  \n{"c": 3}')
    assert _jsonl_block(1, data) is None
    assert _jsonl_block_by_line(1, data).to_pylist() == [
        {"_line": 1, "_raw": '{"a": 1}', "_pre_error": None},
        {"_line": 3, "_raw": '{"b": "\ufffd"}', "_pre_error": "not valid UTF-8 at byte 7"},
        {"_line": 5, "_raw": '{"c": 3}', "_pre_error": None},
    ]
