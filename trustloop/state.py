"""Is the warehouse already current? The fingerprint of everything a run reads.

A successful `trustloop run` records, beside the warehouse, a fingerprint of
its inputs: the landing files (path, size, modification time), the policy
file, the project's code and models (content hashes), the settings that
point at them, and the ISO week of the day (the scorecard's "latest complete
week" moves with the calendar) - plus the warehouse file's own size and
modification time as the run left it. When the next run finds the same
fingerprint and the warehouse untouched since, there is nothing to do: it
says so and returns at once (`trustloop run --force` runs anyway).

Anything else - a new, edited or touched landing file, another policy, a
changed model, an `erase`, a failed or killed run (nothing is recorded
unless the run succeeded) - means a real run, which itself reads only new
files.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from trustloop.settings import PROJECT_DIR, Settings

SOURCES = ("tickets", "agent_logs", "incidents")
CODE_DIRS = ("trustloop", "models", "expectations", "orchestration", "dbt_project/models", "dbt_project/macros",
             "dbt_project/tests")
CODE_FILES = ("dbt_project/dbt_project.yml", "dbt_project/profiles.yml")
CODE_SUFFIXES = {".py", ".sql", ".yml", ".yaml", ".html", ".css", ".json"}
FORMAT = 1


def state_file(settings: Settings) -> Path:
    return settings.warehouse.with_name(settings.warehouse.name + ".state.json")


def landing_listing(landing_dir: Path) -> list[list]:
    """Every file under the sources' folders: [relative path, size, mtime in ns], sorted."""
    rows = []
    for source in SOURCES:
        folder = landing_dir / source
        if not folder.is_dir():
            continue
        for path in folder.rglob("*"):
            if path.is_file():
                st = path.stat()
                rows.append([path.relative_to(landing_dir).as_posix(), st.st_size, st.st_mtime_ns])
    return sorted(rows)


def code_digest(root: Path = PROJECT_DIR) -> str:
    """SHA-256 over the content of every code, model and template file a run executes."""
    digest = hashlib.sha256()
    paths = [root / f for f in CODE_FILES]
    for folder in CODE_DIRS:
        paths.extend(p for p in (root / folder).rglob("*") if p.suffix in CODE_SUFFIXES)
    for path in sorted(p for p in paths if p.is_file() and "__pycache__" not in p.parts):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def _file_digest(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


def inputs_fingerprint(settings: Settings, today: dt.date | None = None) -> dict:
    today = today or dt.datetime.now(dt.UTC).date()
    year, week, _ = today.isocalendar()
    payload = {
        "format": FORMAT,
        "landing_dir": str(settings.landing_dir.resolve()),
        "landing": landing_listing(settings.landing_dir),
        "policy_file": str(settings.policy_file.resolve()),
        "policy": _file_digest(settings.policy_file),
        "code": code_digest(),
        "output_dir": str(settings.output_dir.resolve()),
        "iso_week": f"{year}-W{week:02d}",
    }
    return {"digest": hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest(), **payload}


def _warehouse_stamp(settings: Settings) -> list[int] | None:
    if not settings.warehouse.is_file():
        return None
    st = settings.warehouse.stat()
    return [st.st_size, st.st_mtime_ns]


def record_success(settings: Settings, fingerprint: dict, run_id: str) -> None:
    """After a successful run: remember its inputs and the warehouse as it left it (atomic write)."""
    path = state_file(settings)
    state = {"run_id": run_id, "fingerprint": fingerprint, "warehouse": _warehouse_stamp(settings),
             "recorded_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
    _write_state(path, state)


def _write_state(path: Path, state: dict) -> None:
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(state))
    os.replace(tmp, path)


@contextmanager
def keeping_current(settings: Settings) -> Iterator[None]:
    """Around a write that changes no evidence (``quality --validate`` appends its results): a warehouse
    current before it is still current after it, so the next run stays a no-op. A warehouse not current
    before (or a write that fails) is left as it was: the next run is a real one."""
    path = state_file(settings)
    state = _read_state(path)
    current = state is not None and _warehouse_untouched(state, settings)
    yield
    if current:
        state["warehouse"] = _warehouse_stamp(settings)
        _write_state(path, state)


def forget(settings: Settings) -> None:
    """The warehouse is about to change outside a recorded run: the next run must run."""
    state_file(settings).unlink(missing_ok=True)


def up_to_date(settings: Settings, fingerprint: dict) -> str | None:
    """The run id of the last successful run when nothing changed since it; else None."""
    state = _read_state(state_file(settings))
    if state is None or state.get("fingerprint", {}).get("digest") != fingerprint["digest"]:
        return None
    if not _warehouse_untouched(state, settings):
        return None
    return state.get("run_id")


def _read_state(path: Path) -> dict | None:
    try:
        state = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return state if isinstance(state, dict) else None


def _warehouse_untouched(state: dict, settings: Settings) -> bool:
    """The warehouse file is as the recorded run (or a write kept current since) left it."""
    return state.get("warehouse") is not None and state["warehouse"] == _warehouse_stamp(settings)
