"""Canonical JSON and SHA-256: the one way records are serialised and hashed.

A record hashes to the SHA-256 of its canonical JSON: keys sorted, no
insignificant white space, UTF-8, timestamps as ISO 8601 strings (UTC,
naive), decimals as strings, floats by ``repr``. The evidence packet and its
verifier both use this, so a packet verifies without the warehouse.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
import math
from typing import Any


def jsonable(value: Any) -> Any:
    """A value as plain JSON types (dates and times as ISO strings, decimals as strings)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return format(value, "f")
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if hasattr(value, "item"):  # numpy scalars
        return jsonable(value.item())
    return str(value)


def canonical_json(value: Any) -> str:
    return json.dumps(jsonable(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def record_hash(record: Any) -> str:
    """SHA-256 of a record's canonical JSON."""
    return sha256_text(canonical_json(record))


def rows_as_dicts(cursor) -> list[dict[str, Any]]:
    """The result of an executed DuckDB query as a list of JSON-ready dicts."""
    names = [d[0] for d in cursor.description]
    return [{n: jsonable(v) for n, v in zip(names, row, strict=True)} for row in cursor.fetchall()]
