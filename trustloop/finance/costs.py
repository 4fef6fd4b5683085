"""Finance's cost assumptions: the ``costs:`` section of the policy file.

Each assumption has a value and a unit. An assumption is either one value::

    ai_cost_per_case: {value: 0.40, unit: USD per AI-handled case}

or a default with per-case-type values::

    human_cost_per_case:
      default: {value: 8.00, unit: USD per human-handled case}
      by_case_type:
        password_reset: {value: 4.50, unit: USD per human-handled case}

``parse_costs`` validates the section (errors name the key); ``cost_rows``
flattens it to one row per assumption (name, case_type or None for the
default, value, unit), which ``write_cost_table`` publishes as
``raw.policy_costs`` for dbt.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import yaml

from trustloop.policy import normalise_case_type

# every assumption the ROI marts use, with what it means
ASSUMPTIONS: dict[str, str] = {
    "ai_cost_per_case": "What the AI agent costs per case it handles (any mode).",
    "human_cost_per_case": "What a person costs to handle a case end to end.",
    "review_cost_per_suggestion": "What a person costs to review one drafted suggestion.",
    "dispute_cost": "What one customer dispute costs (handling, goodwill, chargeback fees).",
}
CURRENCY_RE = re.compile(r"^[A-Z]{3}$")
CASE_TYPE_RE = re.compile(r"^[a-z0-9]+(_[a-z0-9]+)*$")


class CostsError(ValueError):
    """The costs section is invalid; the message names the key and the problem."""


@dataclass(frozen=True)
class Assumption:
    name: str
    case_type: str | None  # None: the default / the only value
    value: float
    unit: str
    description: str


@dataclass
class Costs:
    currency: str
    assumptions: list[Assumption] = field(default_factory=list)
    policy_version: str | None = None

    def value(self, name: str, case_type: str | None = None) -> float:
        """The value that applies to a case type: its own, else the default."""
        by_type = {a.case_type: a.value for a in self.assumptions if a.name == name}
        if case_type is not None and case_type in by_type:
            return by_type[case_type]
        if None not in by_type:
            raise KeyError(name)
        return by_type[None]


def _one(where: str, entry: Any, currency: str) -> tuple[float, str]:
    if not isinstance(entry, dict):
        raise CostsError(f"{where}: expected a mapping with 'value' and 'unit', got {entry!r}")
    unknown = sorted(set(entry) - {"value", "unit"})
    if unknown:
        raise CostsError(f"{where}: unknown key(s): {', '.join(map(str, unknown))} (expected 'value' and 'unit')")
    if "value" not in entry:
        raise CostsError(f"{where}.value: required (a number >= 0)")
    value = entry["value"]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise CostsError(f"{where}.value: expected a number, got {value!r}")
    if value < 0 or value != value or value in (float("inf"), float("-inf")):
        raise CostsError(f"{where}.value: must be a finite number >= 0, got {value!r}")
    unit = entry.get("unit")
    if not isinstance(unit, str) or not unit.strip():
        raise CostsError(f"{where}.unit: required (e.g. '{currency} per case')")
    unit = " ".join(unit.split())
    if unit.split(" ")[0] != currency:
        raise CostsError(f"{where}.unit: {unit!r} must start with the currency {currency!r} (costs.currency)")
    return float(value), unit


def parse_costs(section: Any, source: str = "<policy>", policy_version: str | None = None) -> Costs:
    """Validate the ``costs:`` section of the policy file."""
    where = f"{source}: costs"
    if not isinstance(section, dict):
        raise CostsError(f"{where}: must be a mapping of assumption -> {{value, unit}}")
    currency = section.get("currency")
    if not isinstance(currency, str) or not CURRENCY_RE.match(currency.strip()):
        raise CostsError(f"{where}.currency: required, a three-letter currency code such as USD, got {currency!r}")
    currency = currency.strip()
    unknown = sorted(set(section) - set(ASSUMPTIONS) - {"currency"})
    if unknown:
        raise CostsError(
            f"{where}: unknown assumption(s): {', '.join(map(str, unknown))} (known: {', '.join(ASSUMPTIONS)})"
        )
    missing = [name for name in ASSUMPTIONS if name not in section]
    if missing:
        raise CostsError(f"{where}: missing assumption(s): {', '.join(missing)}")
    rows: list[Assumption] = []
    for name, description in ASSUMPTIONS.items():
        entry = section[name]
        key = f"{where}.{name}"
        if isinstance(entry, dict) and ("default" in entry or "by_case_type" in entry):
            unknown = sorted(set(entry) - {"default", "by_case_type"})
            if unknown:
                raise CostsError(f"{key}: unknown key(s): {', '.join(map(str, unknown))} (expected 'default', 'by_case_type')")
            if "default" not in entry:
                raise CostsError(f"{key}.default: required when values are given by case type")
            value, unit = _one(f"{key}.default", entry["default"], currency)
            rows.append(Assumption(name, None, value, unit, description))
            by_type = entry.get("by_case_type") or {}
            if not isinstance(by_type, dict):
                raise CostsError(f"{key}.by_case_type: must be a mapping of case type -> {{value, unit}}")
            seen: set[str] = set()
            for raw_type, sub in by_type.items():
                case_type = normalise_case_type(raw_type)
                if not CASE_TYPE_RE.match(case_type):
                    raise CostsError(f"{key}.by_case_type.{raw_type}: not a valid case type name")
                if case_type in seen:
                    raise CostsError(f"{key}.by_case_type.{raw_type}: listed twice (after normalisation: {case_type})")
                seen.add(case_type)
                value, unit = _one(f"{key}.by_case_type.{raw_type}", sub, currency)
                rows.append(Assumption(name, case_type, value, unit, description))
        else:
            value, unit = _one(key, entry, currency)
            rows.append(Assumption(name, None, value, unit, description))
    return Costs(currency, rows, policy_version)


def load_costs(path: Path) -> Costs | None:
    """The cost assumptions of the policy file, or None when it has no ``costs:`` section."""
    path = Path(path)
    if not path.is_file():
        raise CostsError(f"policy file not found: {path}")
    try:
        doc = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise CostsError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(doc, dict) or doc.get("costs") is None:
        return None
    version = doc.get("version")
    return parse_costs(doc["costs"], str(path), None if version is None else str(version))


COST_TABLE_COLUMNS = ("policy_version", "name", "case_type", "value", "unit", "currency", "description")


def cost_rows(costs: Costs | None) -> list[tuple]:
    if costs is None:
        return []
    return [
        (costs.policy_version, a.name, a.case_type, a.value, a.unit, costs.currency, a.description)
        for a in costs.assumptions
    ]


def write_cost_table(con: duckdb.DuckDBPyConnection, costs: Costs | None) -> int:
    """Publish the assumptions as raw.policy_costs (replaced atomically); returns the row count.

    Without a costs section the table is written empty: the ROI marts then show no costs rather than
    invented ones, and the reports say that the policy has no cost assumptions.
    """
    rows = cost_rows(costs)
    con.execute("create schema if not exists raw")
    con.execute("begin transaction")
    try:
        con.execute(
            """create or replace table raw.policy_costs (
                policy_version varchar, name varchar not null, case_type varchar,
                value double not null, unit varchar not null, currency varchar not null, description varchar)"""
        )
        if rows:
            con.executemany("insert into raw.policy_costs values (?, ?, ?, ?, ?, ?, ?)", rows)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return len(rows)
