"""The policy file: load, validate, and publish it to the warehouse for dbt.

The policy is one YAML file reviewed like code (policy/policy.yml). It is
validated here; a bad file fails the run with a message naming the key and
the problem. ``write_policy_tables`` publishes it as ``raw.policy_case_types``,
``raw.policy_defaults`` and ``raw.policy_pacts``, which dbt reads as sources.

A catalogued case type has a current ``tier`` on the ladder
shadow -> triage -> suggest -> resolve, optional overrides of the numeric
settings (risk appetite, dispute limit, escalation minimum, evidence minimum
and window, freeze window, ...), and its ``pacts``: at most one per pact
dimension, each with a ``pact_id``, a ``claim``, a ``dimension``, a
``threshold`` (minimum pass rate; default: the case type's pact_threshold),
a ``window_weeks`` (default: the case type's evidence window) and a
``consequence``. A dimension without a pact is judged on the pact threshold
of the case type (or the defaults). Case types the catalog does not list use
the defaults; their current tier is the mode most often observed in the logs.
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
PACT_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")
PACT_KEYS = ("pact_id", "claim", "dimension", "threshold", "window_weeks", "consequence")
DEFAULT_CONSEQUENCE = "A breach (the pass rate's upper bound below the threshold) recommends demotion by one tier."


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
        for pact in entry.get("pacts", []):
            if pact["dimension"] == dimension:
                return float(pact["threshold"])
        thresholds = entry.get("pact_thresholds", {})
        return float(thresholds.get(dimension, entry.get("pact_threshold", self.defaults["pact_threshold"])))

    def pacts(self, case_type: str) -> list[dict[str, Any]]:
        """The pacts of a case type as validated (thresholds and windows filled in); [] when it has none."""
        return [dict(p) for p in self.case_types.get(case_type, {}).get("pacts", [])]

    def tier(self, case_type: str) -> str | None:
        """The catalogued tier, or None for an uncatalogued case type (its tier is then observed in the logs)."""
        return self.case_types.get(case_type, {}).get("tier")


def _number(where: str, name: str, value: Any, key: str | None = None) -> float | int:
    """Validate ``value`` as the numeric setting ``name`` (reported under ``key``, default the name)."""
    kind, _default, low, high = NUMERIC_SETTINGS[name]
    key = key or name
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PolicyError(f"{where}.{key}: expected a number, got {value!r}")
    if kind is int and int(value) != value:
        raise PolicyError(f"{where}.{key}: expected a whole number, got {value!r}")
    if low is not None and value < low:
        raise PolicyError(f"{where}.{key}: must be >= {low}, got {value!r}")
    if high is not None and value > high:
        raise PolicyError(f"{where}.{key}: must be <= {high}, got {value!r}")
    return kind(value)


def normalise_case_type(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", str(name).strip().lower()).strip("_")


def _text(where: str, value: Any, required: bool) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise PolicyError(f"{where}: required (a non-empty text)")
        return None
    if not isinstance(value, str):
        raise PolicyError(f"{where}: expected a text, got {value!r}")
    return " ".join(value.split())


def _pacts(
    where: str,
    raw: Any,
    case_settings: dict[str, Any],
    defaults: dict[str, Any],
    seen_ids: dict[str, str],
) -> list[dict[str, Any]]:
    """Validate a case type's pacts; fill each threshold and window from the case type (or the defaults)."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise PolicyError(f"{where}.pacts: must be a list of pacts (each with pact_id, claim, dimension, ...)")
    default_threshold = case_settings.get("pact_threshold", defaults["pact_threshold"])
    default_window = case_settings.get("evidence_window_weeks", defaults["evidence_window_weeks"])
    pacts: list[dict[str, Any]] = []
    dims: dict[str, str] = {}
    for i, item in enumerate(raw):
        at = f"{where}.pacts[{i}]"
        if not isinstance(item, dict):
            raise PolicyError(f"{at}: must be a mapping with {', '.join(PACT_KEYS)}")
        bad = sorted(set(item) - set(PACT_KEYS))
        if bad:
            raise PolicyError(f"{at}: unknown key(s): {', '.join(map(str, bad))} (allowed: {', '.join(PACT_KEYS)})")
        pact_id = item.get("pact_id")
        if pact_id is None or not str(pact_id).strip():
            raise PolicyError(f"{at}.pact_id: required")
        pact_id = str(pact_id).strip()
        if not PACT_ID_RE.match(pact_id):
            raise PolicyError(f"{at}.pact_id: {pact_id!r} is not a valid id (letters, digits, '.', '_', ':', '-')")
        if pact_id in seen_ids:
            raise PolicyError(f"{at}.pact_id: {pact_id!r} is already used by {seen_ids[pact_id]}")
        dimension = str(item.get("dimension") or "").strip().lower()
        if not dimension:
            raise PolicyError(f"{at}.dimension: required (one of {', '.join(DIMENSIONS)})")
        if dimension not in DIMENSIONS:
            raise PolicyError(f"{at}.dimension: {item.get('dimension')!r} is not one of {', '.join(DIMENSIONS)}")
        if dimension in dims:
            raise PolicyError(
                f"{at}.dimension: {dimension} already has a pact ({dims[dimension]}); one pact per dimension"
            )
        claim = _text(f"{at}.claim", item.get("claim"), required=True)
        consequence = _text(f"{at}.consequence", item.get("consequence"), required=False) or DEFAULT_CONSEQUENCE
        threshold = default_threshold
        if "threshold" in item:
            threshold = _number(at, "pact_threshold", item["threshold"], key="threshold")
        window = default_window
        if "window_weeks" in item:
            window = _number(at, "evidence_window_weeks", item["window_weeks"], key="window_weeks")
        seen_ids[pact_id] = at
        dims[dimension] = pact_id
        pacts.append(
            {
                "pact_id": pact_id,
                "claim": claim,
                "dimension": dimension,
                "threshold": float(threshold),
                "window_weeks": int(window),
                "consequence": consequence,
            }
        )
    return pacts


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
    pact_ids: dict[str, str] = {}
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
        for key in ("description", "costs"):
            if key in entry:
                resolved[key] = entry[key]
        if "pacts" in entry:
            resolved["pacts"] = _pacts(where, entry["pacts"], resolved, defaults, pact_ids)
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
    pact_thresholds = {p["dimension"]: p["threshold"] for p in entry.get("pacts", [])}
    for dim in DIMENSIONS:
        if case_type and dim in pact_thresholds:
            row[f"pact_threshold_{dim}"] = pact_thresholds[dim]
        elif case_type:
            row[f"pact_threshold_{dim}"] = (
                entry.get("pact_thresholds", {}).get(dim, entry.get("pact_threshold"))
                if ("pact_thresholds" in entry or "pact_threshold" in entry)
                else None
            )
        else:
            row[f"pact_threshold_{dim}"] = policy.defaults["pact_threshold"]
    return row


PACT_TABLE_COLUMNS = (
    "policy_version varchar, case_type varchar, pact_id varchar, dimension varchar, claim varchar, "
    "threshold double, window_weeks integer, consequence varchar"
)


def pact_rows(policy: Policy) -> list[tuple]:
    """One row per catalogued pact: (policy_version, case_type, pact_id, dimension, claim, threshold, window, consequence)."""
    return [
        (policy.version, name, p["pact_id"], p["dimension"], p["claim"], p["threshold"], p["window_weeks"],
         p["consequence"])
        for name in sorted(policy.case_types)
        for p in sorted(policy.case_types[name].get("pacts", []), key=lambda p: DIMENSIONS.index(p["dimension"]))
    ]


def write_policy_tables(con: duckdb.DuckDBPyConnection, policy: Policy) -> None:
    """Publish the policy as raw.policy_case_types / raw.policy_defaults / raw.policy_pacts (replaced atomically)."""
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
        con.execute(f"create or replace table raw.policy_pacts ({PACT_TABLE_COLUMNS})")
        rows = pact_rows(policy)
        if rows:
            con.executemany("insert into raw.policy_pacts values (?, ?, ?, ?, ?, ?, ?, ?)", rows)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
