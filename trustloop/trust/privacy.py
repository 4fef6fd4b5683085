"""PII redaction in free text: e-mail addresses, payment cards (Luhn-checked), phone numbers.

The warehouse redacts in SQL, from staging on (dbt macro ``redact_pii`` in
dbt_project/macros/pii.sql). This module is the same rule set in Python, for
the few places that handle text outside dbt (amending a raw record on
erasure, a last defensive pass over what the trust lookup and the evidence
packets emit). tests/trust/test_pii.py checks both give the same answer.
"""

from __future__ import annotations

import re
from typing import Any

EMAIL_TOKEN = "[email redacted]"
CARD_TOKEN = "[card redacted]"
PHONE_TOKEN = "[phone redacted]"

EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
# digit groups joined by single spaces or dashes; not right after a '.' or ',' (decimal fractions), and
# not inside a word (a letter right before or after: ids, hex hashes)
DIGIT_RUN_RE = re.compile(r"(?:^|[^0-9A-Za-z.,])([0-9]+(?:[ -][0-9]+)*)([A-Za-z]?)")
PHONE_INTL_RE = re.compile(r"(^|[^0-9A-Za-z])\+[0-9](?:[ .()-]{0,2}[0-9]){6,14}")
# not inside a longer run of digit groups: no digit (+ one separator) right before or after
_BEFORE = r"(^|^[ .-]|[^0-9 .-]|[^0-9][ .-])"
_AFTER = r"($|[^0-9 .-]|[ .-][^0-9]|[ .-]$)"
PHONE_NANP_RE = re.compile(_BEFORE + r"(?:\([0-9]{3}\) ?|[0-9]{3}[ .-])[0-9]{3}[ .-][0-9]{4}" + _AFTER)
PHONE_TRUNK_RE = re.compile(_BEFORE + r"0[0-9]{2,4}[ -][0-9]{3,4}[ -]?[0-9]{3,4}" + _AFTER)


def luhn_valid(digits: str) -> bool:
    """The Luhn checksum of a string of digits holds."""
    if not digits.isdigit():
        return False
    total = 0
    for k, ch in enumerate(reversed(digits)):
        d = int(ch)
        if k % 2 == 1:
            d = d * 2 - (9 if d > 4 else 0)
        total += d
    return total % 10 == 0


def card_numbers(text: str) -> list[str]:
    """Luhn-valid 13-19 digit numbers (as bare digits) in ``text``, on whole digit groups."""
    found: list[str] = []
    for match in DIGIT_RUN_RE.finditer(text):
        if match.group(2):
            continue
        groups = re.findall(r"[0-9]+", match.group(1))
        for i in range(len(groups)):
            for j in range(i + 1, len(groups) + 1):
                digits = "".join(groups[i:j])
                if 13 <= len(digits) <= 19 and luhn_valid(digits) and digits not in found:
                    found.append(digits)
    return found


def redact_pii(text: str | None) -> str | None:
    """``text`` with e-mail addresses, Luhn-valid card numbers and phone numbers replaced by tokens."""
    if text is None:
        return None
    cards = card_numbers(text)
    out = EMAIL_RE.sub(EMAIL_TOKEN, text)
    for digits in cards:
        out = re.sub("[ -]?".join(digits), CARD_TOKEN, out)
    out = PHONE_INTL_RE.sub(lambda m: m.group(1) + PHONE_TOKEN, out)
    out = PHONE_NANP_RE.sub(lambda m: m.group(1) + PHONE_TOKEN + m.group(2), out)
    out = PHONE_TRUNK_RE.sub(lambda m: m.group(1) + PHONE_TOKEN + m.group(2), out)
    return out


def redact_value(value: Any) -> Any:
    """Redact every string inside a JSON-like value (dicts, lists, scalars)."""
    if isinstance(value, str):
        return redact_pii(value)
    if isinstance(value, dict):
        return {k: redact_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_value(v) for v in value]
    return value


def find_pii(text: str) -> list[str]:
    """The PII found in ``text`` (what ``redact_pii`` would remove); empty when clean."""
    hits = [m.group(0) for m in EMAIL_RE.finditer(text)]
    hits += card_numbers(text)
    hits += [m.group(0)[len(m.group(1)):] for m in PHONE_INTL_RE.finditer(text)]
    for pattern in (PHONE_NANP_RE, PHONE_TRUNK_RE):
        hits += [m.group(0)[len(m.group(1)):len(m.group(0)) - len(m.group(2))] for m in pattern.finditer(text)]
    return hits
