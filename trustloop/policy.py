"""The policy file: load, validate, and publish it to the warehouse for dbt.

The policy is one YAML file reviewed like code (policy/policy.yml). It is
validated here; a bad file fails the run with a message naming the key and
the problem. ``write_policy_tables`` publishes it as ``raw.policy_case_types``
and ``raw.policy_defaults``, which dbt reads as sources.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import yaml

TIERS = ("shadow", "triage", "suggest", "resolve")
DIMENSIONS = ("accuracy", "escalation", "tone", "policy_adherence")

# name -> (type, default, low, high); None bound = unbounded
NUMERIC_SETTINGS: dict[str, tuple[type, float, float | None, float | None]] = {
    "max_handoff_delay_seconds": (float, 300, 0, None),
    "risk_appetite": (float, 0.05, 0, 1),
    "max_dispute_rate": (float, 0.03, 0, 1),
    "min_escalation_compliance": (float, 0.95, 0, 1),
    "pact_threshold": (float, 0.90, 0, 1),
    "min_evidence": (int, 100, 0, None),
    "evidence_window_weeks": (int, 8, 1, 520),
    "freeze_days": (int, 14, 0, 3650),
    "durable_window_days": (int, 30, 0, 3650),
}
CASE_TYPE_RE = re.compile(r"^[a-z0-9]+(_[a-z0-9]+)*$")


class PolicyError(ValueError):
    """The policy file is invalid; the message names the file, the key and the problem."""


@dataclass
class Policy:
    version: str
    defaults: dict[str, Any]
    case_types: dict[str, dict[str, Any]]
    sha256: str
    source: str
    extra: dict[str, Any] = field(default_factory=dict)

    def setting(self, case_type: str, name: str) -> Any:
        return self.case_types.get(case_type, {}).get(name, self.defaults[name])

    def pact_threshold(self, case_type: str, dimension: str) -> float:
        entry = self.case_types.get(case_type, {})
        thresholds = entry.get("pact_thresholds", {})
        return float(thresholds.get(dimension, entry.get("pact_threshold", self.defaults["pact_threshold"])))


def _number(where: str, name: str, value: Any) -> float | int:
    kind, _default, low, high = NUMERIC_SETTINGS[name]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PolicyError(f"{where}.{name}: expected a number, got {value!r}")
    if kind is int and int(value) != value:
        raise PolicyError(f"{where}.{name}: expected a whole number, got {value!r}")
    if low is not None and value < low:
        raise PolicyError(f"{where}.{name}: must be >= {low}, got {value!r}")
    if high is not None and value > high:
        raise PolicyError(f"{where}.{name}: must be <= {high}, got {value!r}")
    return kind(value)


def normalise_case_type(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", str(name).strip().lower()).strip("_")


def parse_policy(text: str, source: str = "<policy>") -> Policy:
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise PolicyError(f"{source}: not valid YAML: {exc}") from exc
    if not isinstance(doc, dict):
        raise PolicyError(f"{source}: the policy must be a mapping with 'version', 'defaults', 'case_types'")
    known_top = {"version", "defaults", "case_types", "costs"}
    unknown = sorted(set(doc) - known_top)
    if unknown:
        raise PolicyError(f"{source}: unknown top-level key(s): {', '.join(unknown)}")
    version = doc.get("version")
    if not isinstance(version, str | int | float) or not str(version).strip():
        raise PolicyError(f"{source}: 'version' is required (a string)")

    raw_defaults = doc.get("defaults") or {}
    if not isinstance(raw_defaults, dict):
        raise PolicyError(f"{source}: 'defaults' must be a mapping")
    bad = sorted(set(raw_defaults) - set(NUMERIC_SETTINGS))
    if bad:
        raise PolicyError(f"{source}: defaults: unknown key(s): {', '.join(bad)}")
    defaults = {name: spec[1] for name, spec in NUMERIC_SETTINGS.items()}
    for name, value in raw_defaults.items():
        defaults[name] = _number(f"{source}: defaults", name, value)

    raw_types = doc.get("case_types") or {}
    if not isinstance(raw_types, dict):
        raise PolicyError(f"{source}: 'case_types' must be a mapping of case type -> settings")
    case_types: dict[str, dict[str, Any]] = {}
    for raw_name, entry in raw_types.items():
        name = normalise_case_type(raw_name)
        where = f"{source}: case_types.{raw_name}"
        if not CASE_TYPE_RE.match(name):
            raise PolicyError(f"{where}: not a valid case type name")
        if name in case_types:
            raise PolicyError(f"{where}: listed twice (after normalisation: {name})")
        entry = entry or {}
        if not isinstance(entry, dict):
            raise PolicyError(f"{where}: must be a mapping")
        allowed = set(NUMERIC_SETTINGS) | {"tier", "pact_thresholds", "pacts", "description", "costs"}
        bad = sorted(set(entry) - allowed)
        if bad:
            raise PolicyError(f"{where}: unknown key(s): {', '.join(bad)}")
        tier = entry.get("tier")
        if tier is None:
            raise PolicyError(f"{where}.tier: required (one of {', '.join(TIERS)})")
        if str(tier).strip().lower() not in TIERS:
            raise PolicyError(f"{where}.tier: {tier!r} is not one of {', '.join(TIERS)}")
        resolved: dict[str, Any] = {"tier": str(tier).strip().lower()}
        for key, value in entry.items():
            if key in NUMERIC_SETTINGS:
                resolved[key] = _number(where, key, value)
        thresholds = entry.get("pact_thresholds") or {}
        if not isinstance(thresholds, dict):
            raise PolicyError(f"{where}.pact_thresholds: must be a mapping of dimension -> threshold")
        for dim, value in thresholds.items():
            if dim not in DIMENSIONS:
                raise PolicyError(f"{where}.pact_thresholds.{dim}: not one of {', '.join(DIMENSIONS)}")
            resolved.setdefault("pact_thresholds", {})[dim] = _number(where, "pact_threshold", value)
        for key in ("pacts", "description", "costs"):
            if key in entry:
                resolved[key] = entry[key]
        case_types[name] = resolved
    sha = hashlib.sha256(text.encode()).hexdigest()
    extra = {k: doc[k] for k in ("costs",) if k in doc}
    return Policy(str(version).strip(), defaults, case_types, sha, source, extra)


def load_policy(path: Path) -> Policy:
    path = Path(path)
    if not path.is_file():
        raise PolicyError(f"policy file not found: {path}")
    return parse_policy(path.read_text(), str(path))


def _row(policy: Policy, case_type: str | None) -> dict[str, Any]:
    entry = policy.case_types.get(case_type, {}) if case_type else {}
    row: dict[str, Any] = {}
    for name in NUMERIC_SETTINGS:
        if name == "pact_threshold":
            continue
        row[name] = entry.get(name) if case_type else policy.defaults[name]
    for dim in DIMENSIONS:
        if case_type:
            row[f"pact_threshold_{dim}"] = (
                entry.get("pact_thresholds", {}).get(dim, entry.get("pact_threshold"))
                if ("pact_thresholds" in entry or "pact_threshold" in entry)
                else None
            )
        else:
            row[f"pact_threshold_{dim}"] = policy.defaults["pact_threshold"]
    return row


def write_policy_tables(con: duckdb.DuckDBPyConnection, policy: Policy) -> None:
    """Publish the policy as raw.policy_case_types / raw.policy_defaults (replaced atomically)."""
    settings = [n for n in NUMERIC_SETTINGS if n != "pact_threshold"]
    thresholds = [f"pact_threshold_{d}" for d in DIMENSIONS]
    numeric_cols = ", ".join(f"{n} double" for n in settings + thresholds)
    con.execute("create schema if not exists raw")
    con.execute("begin transaction")
    try:
        con.execute(
            f"create or replace table raw.policy_defaults (policy_version varchar, policy_sha256 varchar, {numeric_cols})"
        )
        d = _row(policy, None)
        con.execute(
            f"insert into raw.policy_defaults values (?, ?, {', '.join('?' for _ in settings + thresholds)})",
            [policy.version, policy.sha256] + [d[c] for c in settings + thresholds],
        )
        con.execute(f"create or replace table raw.policy_case_types (case_type varchar, tier varchar, {numeric_cols})")
        for name in sorted(policy.case_types):
            r = _row(policy, name)
            con.execute(
                f"insert into raw.policy_case_types values (?, ?, {', '.join('?' for _ in settings + thresholds)})",
                [name, policy.case_types[name]["tier"]] + [r[c] for c in settings + thresholds],
            )
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
