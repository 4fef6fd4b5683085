"""A small, independent reader of a landing folder, for the reference metrics.

It implements just enough of the landing contract (shared/product/
landing-contract.md) to feed ``reference_metrics``: files in delivery order,
CSV and JSONL, missing values, ISO timestamps with or without offsets, enums
and case types normalised, and the row checks whose failure sends a row to
quarantine (such rows are left out). It does not share code with the
product's loader.
"""

from __future__ import annotations

import csv
import json
import math
import re
from pathlib import Path

from tests.reliability.landing_tools import parse_ts
from tests.reliability.reference_metrics import Event, Incident, Ticket

ENUMS = {
    "channel": {"email", "chat", "voice", "social", "web"},
    "priority": {"low", "normal", "high", "urgent"},
    "status": {"new", "open", "pending", "solved", "closed"},
    "dispute_outcome": {"upheld", "rejected", "pending"},
    "actor_type": {"ai_agent", "human", "customer", "system"},
    "autonomy_mode": {"shadow", "triage", "suggest", "resolve"},
    "severity": {"sev1", "sev2", "sev3", "sev4"},
    "category": {"incorrect_autonomous_action", "missed_escalation", "policy_breach", "tone_violation",
                 "data_exposure", "outage", "other"},
}
TIMESTAMPS = {"updated_at", "created_at", "solved_at", "disputed_at", "occurred_at", "started_at", "detected_at",
              "resolved_at"}
REQUIRED = {
    "tickets": ("ticket_id", "updated_at", "created_at", "channel", "case_type", "priority", "customer_id", "status"),
    "agent_logs": ("event_id", "ticket_id", "occurred_at", "actor_type", "actor_id", "event_type"),
    "incidents": ("incident_id", "started_at", "detected_at", "severity", "category"),
}
NUMBERS = {  # name: (integer?, low, high)
    "amount_at_stake": (False, 0, None), "csat_score": (True, 1, 5), "reopened_count": (True, 0, None),
    "confidence": (False, 0, 1), "customers_affected": (True, 0, None), "remediation_cost": (False, 0, None),
}
BLANK = " \t\n\r\x0b\x0c\x85\xa0\u2007\u202f\u3000"
# enums inside an event's attributes: name -> (allowed values, required); booleans as their spellings
EVENT_ATTRIBUTES = {
    "evaluation": {"dimension": ({"accuracy", "escalation", "tone", "policy_adherence"}, True),
                   "passed": ({"true", "false"}, True), "evaluator": ({"human_qa", "auto_eval"}, False)},
    "suggestion_reviewed": {"verdict": ({"accepted", "edited", "rejected"}, False)},
}


class Bad(Exception):
    pass


def _missing(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip(BLANK))


def normalise(name: str, value):
    """The parsed value of one field (None when missing); Bad when the contract rejects it."""
    if _missing(value):
        return None
    text = value.strip(BLANK) if isinstance(value, str) else value
    if name in TIMESTAMPS:
        ts = parse_ts(text if isinstance(text, str) else None)
        if ts is None:
            raise Bad(f"{name}: not a timestamp")
        return ts
    if name in ENUMS:
        v = str(text).lower()
        if v not in ENUMS[name]:
            raise Bad(f"{name}: not allowed")
        return v
    if name == "case_type":
        v = re.sub(r"[\s\-]+", "_", str(text).lower()).strip("_")
        return v or None
    if name == "event_type":
        return str(text).lower()
    if name in NUMBERS:
        integer, low, high = NUMBERS[name]
        try:
            number = float(text)
        except (TypeError, ValueError):
            raise Bad(f"{name}: not a number") from None
        if not math.isfinite(number) or (integer and number != int(number)):
            raise Bad(f"{name}: not a number")
        if (low is not None and number < low) or (high is not None and number > high):
            raise Bad(f"{name}: out of range")
        return number
    if name == "attributes":
        obj = text
        if isinstance(obj, str):
            try:
                obj = json.loads(obj)
            except ValueError:
                raise Bad("attributes: not JSON") from None
        if not isinstance(obj, dict):
            raise Bad("attributes: not an object")
        return obj
    if name == "ticket_ids":
        if isinstance(text, list):
            return [str(v).strip() for v in text if str(v).strip()]
        return [v.strip() for v in str(text).split(";") if v.strip()]
    return text


def _records(path: Path):
    """(line, dict of raw values) of one file; a line that is not a JSON object yields None."""
    if path.suffix == ".csv":
        with open(path, newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            header = [h.strip().lower() for h in next(reader)]
            for row in reader:
                if not any(cell.strip() for cell in row):
                    continue
                yield dict(zip(header, row, strict=False)) if len(row) == len(header) else None
    elif path.suffix == ".jsonl":
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except ValueError:
                yield None
                continue
            yield {k.lower(): v for k, v in obj.items()} if isinstance(obj, dict) else None
    else:
        raise ValueError(f"the reference reader does not read {path}")


def parse_row(source: str, raw: dict) -> dict:
    row = {}
    for name, value in raw.items():
        row[name] = normalise(name, value)
    for name in REQUIRED[source]:
        if row.get(name) is None:
            raise Bad(f"{name}: missing")
    if source == "agent_logs" and row["event_type"] in EVENT_ATTRIBUTES:
        attributes = row.get("attributes") or {}
        for name, (allowed, required) in EVENT_ATTRIBUTES[row["event_type"]].items():
            value = attributes.get(name)
            if _missing(value):
                if required:
                    raise Bad(f"attributes.{name}: missing")
                continue
            text = str(value).strip(BLANK).lower()
            if name == "passed":
                text = {"true": "true", "1": "true", "yes": "true", "false": "false", "0": "false",
                        "no": "false"}.get(text, text)
            if text not in allowed:
                raise Bad(f"attributes.{name}: not allowed")
    if source == "incidents":
        if row["detected_at"] < row["started_at"]:
            raise Bad("time order")
        if row.get("resolved_at") is not None and row["resolved_at"] < row["detected_at"]:
            raise Bad("time order")
    return row


def read_landing(landing: Path) -> tuple[list[Ticket], list[Event], list[Incident]]:
    tickets, events, incidents = [], [], []
    files = sorted(
        (p for p in Path(landing).rglob("*") if p.is_file() and p.suffix in (".csv", ".jsonl")
         and not any(part.startswith((".", "_")) for part in p.relative_to(landing).parts)),
        key=lambda p: p.relative_to(landing).as_posix(),
    )
    position = 0
    first_event: dict[str, tuple] = {}
    for path in files:
        source = path.relative_to(landing).parts[0]
        if source not in REQUIRED:
            continue
        for raw in _records(path):
            position += 1
            if raw is None:
                continue
            try:
                row = parse_row(source, raw)
            except Bad:
                continue
            if source == "tickets":
                tickets.append(Ticket(row["ticket_id"], row["updated_at"], row["case_type"],
                                      row.get("disputed_at"), row.get("dispute_outcome"), position))
            elif source == "agent_logs":
                content = tuple(sorted((k, json.dumps(v, sort_keys=True, default=str)) for k, v in row.items()
                                       if k in ("ticket_id", "occurred_at", "actor_type", "actor_id", "event_type",
                                                "attributes", "agent_version", "autonomy_mode", "confidence",
                                                "policy_version") and v is not None))
                if row["event_id"] in first_event:  # a re-delivery (same content) or a conflict: first wins
                    continue
                first_event[row["event_id"]] = content
                events.append(Event(row["event_id"], row["ticket_id"], row["occurred_at"], row["actor_type"],
                                    row["actor_id"], row["event_type"], row.get("attributes") or {}))
            else:
                incidents.append(Incident(
                    row["incident_id"], row["started_at"], row["detected_at"], row["category"],
                    row.get("resolved_at"), row.get("agent_id"), row.get("case_type"), row.get("updated_at"),
                    position,
                ))
    return tickets, events, incidents
