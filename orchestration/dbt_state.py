"""dbt's partial-parse state, reused across warehouses.

dbt parses the project (models, tests, macros) before every command: about 4 s here, from scratch,
or under 1 s when it may start from the state of an earlier parse (``partial_parse.msgpack``).
dbt accepts an earlier state only when the profile's connection values are unchanged, and the
warehouse's path is one of them: every other warehouse file (another output folder, a test's
temporary one, a benchmark's) used to cost a full parse, twice per run.

The parse does not depend on the path, only on the database name DuckDB derives from the file name
(``warehouse.duckdb`` gives ``warehouse``), which every relation of the manifest carries. So a state
parsed for ``/a/warehouse.duckdb`` is the state of ``/b/warehouse.duckdb``: this module re-keys it.

- ``publish`` (after a dbt invocation): the invocation's state becomes ``target/partial_parse.msgpack``,
  with a note of the warehouse it was parsed for (``partial_parse.json``);
- ``seed`` (before one): the published state is copied into the invocation's folder. When it was parsed
  for another file of the same name and settings, its profile hash is replaced by this warehouse's.

The profile hash is recomputed the way dbt computes it (``ManifestLoader.build_manifest_state_check``:
SHA-256 of the pretty-printed, sorted connection values of the duckdb target of profiles.yml). The
computation checks itself: the state is re-keyed only when the hash computed for the noted warehouse
equals the hash dbt stored. Otherwise (another dbt or dbt-duckdb version, another target, settings
that differ, a note that belongs to another state) the state is copied as it is and dbt decides,
which at worst means a full parse, never a wrong one.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import pprint
from pathlib import Path

PARTIAL_PARSE = "partial_parse.msgpack"
NOTE = "partial_parse.json"

# the defaults of profiles.yml
DEFAULT_WAREHOUSE = "../output/trustloop.duckdb"
DEFAULT_MEMORY = "1GB"


def profile_values(env: dict[str, str] | None = None) -> dict[str, str] | None:
    """The values profiles.yml renders for the duckdb target, or None for another target."""
    env = os.environ if env is None else env
    if env.get("TRUSTLOOP_DBT_TARGET", "duckdb") != "duckdb":
        return None
    return {"warehouse": env.get("TRUSTLOOP_WAREHOUSE", DEFAULT_WAREHOUSE),
            "memory": env.get("TRUSTLOOP_DBT_MEMORY", DEFAULT_MEMORY)}


def database_name(warehouse: str) -> str:
    """The catalog name DuckDB gives a database file: the first dot-separated part of its name."""
    return os.path.basename(warehouse).lstrip(".").split(".")[0]


def profile_hash(warehouse: str, memory: str) -> str:
    """dbt's profile hash for the duckdb target of profiles.yml with these values."""
    connection = [
        ("attach", None),
        ("config_options", None),
        ("database", database_name(warehouse)),
        ("disable_transactions", False),
        ("extensions", None),
        ("external_root", "."),
        ("filesystems", None),
        ("path", warehouse),
        ("plugins", None),
        ("remote", None),
        ("schema", "main"),
        ("settings", {"TimeZone": "UTC", "memory_limit": memory}),
        ("use_credential_provider", None),
    ]
    return hashlib.sha256(pprint.pformat(connection).encode()).hexdigest()


def rekeyed(state: dict, noted_warehouse: str | None, values: dict[str, str]) -> bool:
    """Give ``state`` (an unpacked partial-parse state) this warehouse's profile hash when it is safe.

    Safe means: dbt stored the hash we compute for the noted warehouse (so the state was parsed with these
    settings, for that file), and the noted file has the database name of this one. Returns whether the
    state was changed.
    """
    stored = state.get("state_check", {}).get("profile_hash", {})
    wanted = profile_hash(values["warehouse"], values["memory"])
    if (
        not noted_warehouse
        or stored.get("checksum") == wanted
        or database_name(noted_warehouse) != database_name(values["warehouse"])
        or stored.get("checksum") != profile_hash(noted_warehouse, values["memory"])
    ):
        return False
    stored["checksum"] = wanted
    return True


def seed(invocation_dir: Path, target_dir: Path, env: dict[str, str] | None = None) -> bool:
    """Copy the published state into a new invocation folder, re-keyed for this warehouse when it can be.

    Returns whether it was re-keyed. Without a published state, nothing happens (dbt parses in full).
    """
    import msgpack

    published = target_dir / PARTIAL_PARSE
    try:
        data = published.read_bytes()
    except OSError:
        return False
    values = profile_values(env)
    changed = False
    if values is not None:
        try:
            noted = json.loads((target_dir / NOTE).read_text()).get("warehouse")
        except (OSError, ValueError, AttributeError):
            noted = None
        state = msgpack.unpackb(data, raw=False, strict_map_key=False)
        if rekeyed(state, noted, values):
            data = msgpack.packb(state)
            changed = True
    invocation_dir.mkdir(parents=True, exist_ok=True)
    _write_atomically(invocation_dir / PARTIAL_PARSE, data)
    return changed


def publish(invocation_dir: Path, target_dir: Path, env: dict[str, str] | None = None) -> None:
    """Make an invocation's state the one the next invocation starts from, noting its warehouse."""
    state = invocation_dir / PARTIAL_PARSE
    if not state.exists():
        return
    values = profile_values(env)
    _write_atomically(target_dir / PARTIAL_PARSE, state.read_bytes())
    note = json.dumps({"warehouse": values["warehouse"] if values else None})
    _write_atomically(target_dir / NOTE, note.encode())


def _write_atomically(path: Path, data: bytes) -> None:
    staged = path.with_name(f".{path.name}.{os.getpid()}")
    try:
        staged.write_bytes(data)
        os.replace(staged, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            staged.unlink()
