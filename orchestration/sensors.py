"""The landing sensor: a run of the daily build when new files land.

A file is identified by its content (sha256), as the ingestion's file ledger does, so
- a file triggers once: its hash is the run key and is remembered in the cursor;
- the same content delivered again (another name, a copy) does not trigger again;
- a changed file is new content and triggers again.

The cursor remembers every hash already requested and, per path, the (size, mtime) it was hashed
at, so an unchanged file is not read again on the next tick. Files that land together in one tick
make one run (one ingest reads all of them; the warehouse takes one writer at a time): its run key
is the file's hash when one file landed, else the hash of the sorted hashes of the batch. The
sensor never opens the warehouse (a run may be writing it).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from dagster import DefaultSensorStatus, RunRequest, SensorEvaluationContext, SensorResult, SkipReason, sensor

from orchestration.jobs import daily_build_job
from trustloop.ingest.loader import discover, file_sha256
from trustloop.settings import get_settings

CURSOR_VERSION = 1


@dataclass
class LandingState:
    """What the sensor has seen: content hashes requested, and the stat each path was hashed at."""

    seen: set[str] = field(default_factory=set)
    stats: dict[str, tuple[int, int, str]] = field(default_factory=dict)  # relpath -> (size, mtime_ns, sha256)

    @classmethod
    def from_cursor(cls, cursor: str | None) -> LandingState:
        if not cursor:
            return cls()
        try:
            doc = json.loads(cursor)
        except ValueError:
            return cls()  # an unreadable cursor: start over (at worst one extra ingest, which is idempotent)
        if not isinstance(doc, dict) or doc.get("v") != CURSOR_VERSION:
            return cls()
        return cls(set(doc.get("seen", [])), {k: tuple(v) for k, v in doc.get("stats", {}).items()})

    def to_cursor(self) -> str:
        return json.dumps(
            {"v": CURSOR_VERSION, "seen": sorted(self.seen), "stats": {k: list(v) for k, v in sorted(self.stats.items())}},
            separators=(",", ":"),
        )


@dataclass(frozen=True)
class NewFile:
    relpath: str
    sha256: str


def scan_landing(landing_dir: Path, state: LandingState) -> tuple[list[NewFile], LandingState]:
    """New landing files (content not seen before) and the updated state. Pure apart from reading files."""
    new_state = LandingState(set(state.seen), {})
    new: dict[str, NewFile] = {}
    for landing in discover(landing_dir):
        try:
            stat = landing.path.stat()
        except OSError:
            continue  # removed while scanning
        cached = state.stats.get(landing.relpath)
        if cached and cached[0] == stat.st_size and cached[1] == stat.st_mtime_ns:
            sha = cached[2]
        else:
            try:
                sha = file_sha256(landing.path)
            except OSError:
                continue
        new_state.stats[landing.relpath] = (stat.st_size, stat.st_mtime_ns, sha)
        if sha not in state.seen and sha not in new:
            new[sha] = NewFile(landing.relpath, sha)
    files = sorted(new.values(), key=lambda f: f.relpath)
    new_state.seen |= {f.sha256 for f in files}
    return files, new_state


def run_key_for(files: list[NewFile]) -> str:
    if len(files) == 1:
        return files[0].sha256
    return hashlib.sha256("\n".join(sorted(f.sha256 for f in files)).encode()).hexdigest()


@sensor(
    job=daily_build_job,
    name="landing_sensor",
    minimum_interval_seconds=60,
    default_status=DefaultSensorStatus.STOPPED,
    description="Starts the ingest-and-build when new files land in the landing folder (once per file content).",
)
def landing_sensor(context: SensorEvaluationContext):
    landing_dir = get_settings().landing_dir
    if not landing_dir.is_dir():
        return SkipReason(f"no landing folder at {landing_dir}")
    state = LandingState.from_cursor(context.cursor)
    files, new_state = scan_landing(landing_dir, state)
    if not files:
        return SensorResult(skip_reason=SkipReason(f"no new file in {landing_dir}"), cursor=new_state.to_cursor())
    shown = ", ".join(f.relpath for f in files[:5]) + (f" and {len(files) - 5} more" if len(files) > 5 else "")
    context.log.info(f"{len(files)} new landing file(s): {shown}")
    return SensorResult(
        run_requests=[
            RunRequest(
                run_key=run_key_for(files),
                tags={
                    "trustloop/trigger": "landing_sensor",
                    "trustloop/new_files": str(len(files)),
                    "trustloop/first_file": files[0].relpath[:200],
                },
            )
        ],
        cursor=new_state.to_cursor(),
    )


sensors = [landing_sensor]
