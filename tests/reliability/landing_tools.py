"""Rewriting landing folders for the reliability tests: split, rename, re-spell, filter.

Everything here is independent of the product's code: timestamps are parsed
with a small regular expression of our own, CSV with Python's ``csv`` module,
JSONL with ``json``. A *re-spelled* row holds the same record written
differently (another offset for the same instant, another letter case of the
enums, a case type with spaces, keys and columns in another order, absent
keys instead of JSON ``null``), so the landing contract says it is the same
row and must be stored once.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import shutil
from collections.abc import Callable, Iterable
from pathlib import Path

UTC = dt.UTC

# ---------------------------------------------------------------- timestamps

_TS = re.compile(
    r"^\s*(\d{4})-(\d{2})-(\d{2})"
    r"(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?"
    r"(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)?\s*$"
)


def parse_ts(text: str | None) -> dt.datetime | None:
    """An ISO 8601 timestamp as an aware UTC datetime (no offset = UTC); None when not one."""
    if text is None:
        return None
    m = _TS.match(str(text))
    if not m:
        return None
    year, month, day, hh, mm, ss, frac, zulu, sign, oh, om = m.groups()
    micro = int((frac or "0")[:6].ljust(6, "0"))
    try:
        local = dt.datetime(int(year), int(month), int(day), int(hh or 0), int(mm or 0), int(ss or 0), micro)
    except ValueError:
        return None
    offset = dt.timedelta(0)
    if sign:
        offset = dt.timedelta(hours=int(oh), minutes=int(om or 0)) * (1 if sign == "+" else -1)
    return (local - offset).replace(tzinfo=UTC)


OFFSETS = (dt.timedelta(hours=5, minutes=30), dt.timedelta(hours=-3), dt.timedelta(hours=9), dt.timedelta(0))


def respell_ts(text: str | None, variant: int) -> str | None:
    """The same instant spelled another way (another offset, T or space); unparseable text unchanged."""
    instant = parse_ts(text)
    if instant is None:
        return text
    offset = OFFSETS[variant % len(OFFSETS)]
    local = instant.astimezone(dt.timezone(offset))
    sep = " " if variant % 2 else "T"
    body = local.strftime(f"%Y-%m-%d{sep}%H:%M:%S") + (f".{local.microsecond:06d}" if local.microsecond else "")
    if offset == dt.timedelta(0):
        return body + ("Z" if variant % 2 else "+00:00")
    total = int(offset.total_seconds() // 60)
    sign = "+" if total >= 0 else "-"
    return f"{body}{sign}{abs(total) // 60:02d}:{abs(total) % 60:02d}"


# ---------------------------------------------------------------- re-spelling records

TS_FIELDS = {"updated_at", "created_at", "solved_at", "disputed_at", "occurred_at", "started_at",
             "detected_at", "resolved_at"}
ENUM_FIELDS = {"channel", "priority", "status", "dispute_outcome", "actor_type", "event_type", "autonomy_mode",
               "severity", "category"}


def _respell_case_type(value: str) -> str:
    # billing_refund -> "Billing Refund" (the contract: runs of spaces become "_", any letter case)
    if re.fullmatch(r"[a-z0-9]+(_[a-z0-9]+)*", value.strip()):
        return " ".join(part.capitalize() for part in value.strip().split("_"))
    return value


def respell_value(name: str, value, variant: int):
    if not isinstance(value, str) or not value.strip():
        return value
    if name in TS_FIELDS:
        return respell_ts(value, variant)
    if name in ENUM_FIELDS:
        return f" {value.strip().upper()} " if variant % 2 else value.strip().upper()
    if name == "case_type":
        return _respell_case_type(value)
    return value


def respell_json_line(line: str, variant: int) -> str:
    """One JSONL line re-spelled: values re-spelled, keys reversed, nulls dropped; bad JSON unchanged."""
    try:
        record = json.loads(line)
    except ValueError:
        return line
    if not isinstance(record, dict):
        return line
    out = {}
    for key in reversed(list(record)):
        value = record[key]
        if value is None:
            continue  # an absent key and JSON null both mean "missing"
        if key == "attributes" and isinstance(value, dict):
            value = dict(reversed(list(value.items())))  # objects are compared with their keys sorted
        out[key] = respell_value(key, value, variant)
    return json.dumps(out, ensure_ascii=False)


def read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    return rows[0], rows[1:]


def write_csv(path: Path, header: list[str], rows: Iterable[list[str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def respell_csv(src: Path, dst: Path, variant: int) -> None:
    """A CSV file re-spelled: columns in reverse order, values re-spelled, lists with spaces around items."""
    header, rows = read_csv(src)
    order = list(reversed(range(len(header))))
    out_rows = []
    for row in rows:
        if len(row) != len(header):  # a malformed row: keep it as it is (it is quarantined either way)
            out_rows.append([row[i] if i < len(row) else "" for i in order])
            continue
        new = []
        for i in order:
            name, value = header[i].strip().lower(), row[i]
            if name == "ticket_ids" and ";" in value:
                value = " ; ".join(v.strip() for v in value.split(";"))
            new.append(respell_value(name, value, variant))
        out_rows.append(new)
    write_csv(dst, [header[i].upper() for i in order], out_rows)


def respell_file(src: Path, dst: Path, variant: int = 1) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    if src.suffix == ".csv":
        respell_csv(src, dst, variant)
    elif src.suffix == ".jsonl":
        lines = src.read_text(encoding="utf-8").splitlines()
        dst.write_text("".join(respell_json_line(line, variant + i) + "\n" for i, line in enumerate(lines)),
                       encoding="utf-8")
    else:
        raise ValueError(f"cannot re-spell {src}")


# ---------------------------------------------------------------- splitting and filtering


def split_file(src: Path, dsts: list[Path]) -> None:
    """Split ``src`` into len(dsts) consecutive parts (CSV: each part keeps the header; JSONL: by lines).

    Records keep their order across the parts (part i holds earlier rows than
    part i+1), so the parts, in the order of ``dsts``, deliver the same rows in
    the same order.
    """
    n = len(dsts)
    if src.suffix == ".csv":
        header, rows = read_csv(src)
        size = -(-len(rows) // n)
        for i, dst in enumerate(dsts):
            write_csv(dst, header, rows[i * size:(i + 1) * size])
    else:
        lines = src.read_text(encoding="utf-8").splitlines(keepends=True)
        size = -(-len(lines) // n)
        for i, dst in enumerate(dsts):
            dst.parent.mkdir(parents=True, exist_ok=True)
            dst.write_text("".join(lines[i * size:(i + 1) * size]), encoding="utf-8")


def partition_jsonl(src: Path, keep: Callable[[dict | None], bool], kept: Path, rest: Path) -> tuple[int, int]:
    """Lines of ``src`` for which keep(record) is true go to ``kept``, the others to ``rest`` (raw text)."""
    a, b = [], []
    for line in src.read_text(encoding="utf-8").splitlines(keepends=True):
        try:
            record = json.loads(line)
        except ValueError:
            record = None
        (a if keep(record if isinstance(record, dict) else None) else b).append(line)
    for path, lines in ((kept, a), (rest, b)):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(lines), encoding="utf-8")
    return len(a), len(b)


def copy_landing(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("_*", ".*"))
    return dst


def files_of(landing: Path) -> list[Path]:
    return sorted(p for p in landing.rglob("*") if p.is_file() and not p.name.startswith(("_", ".")))


def csv_text(header: list[str], rows: Iterable[list]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(["" if v is None else v for v in row] for row in rows)
    return buf.getvalue()
