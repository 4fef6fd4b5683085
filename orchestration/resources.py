"""Dagster resources. Both read trustloop.settings, like the CLI and the dbt profile."""

from __future__ import annotations

import contextlib
import importlib.metadata
import json
import os
import shutil
import sys
import time
from collections.abc import Iterator
from functools import cached_property
from pathlib import Path

from dagster import ConfigurableResource, InitResourceContext
from dagster_dbt import DbtCliResource, DbtProject
from packaging.version import Version

from orchestration import dbt_in_process, dbt_state
from trustloop.locking import run_lock
from trustloop.settings import apply_environment, get_settings
from trustloop.warehouse import open_connection

SETTINGS = apply_environment()

DBT_EXECUTABLE = str(Path(sys.executable).with_name("dbt"))

dbt_project = DbtProject(project_dir=SETTINGS.dbt_project_dir, profiles_dir=SETTINGS.dbt_project_dir)


class TrustloopDbtCliResource(DbtCliResource):
    """dagster-dbt's resource without two start-up costs this project does not need (~5 s per dbt step).

    - the dbt version: dagster-dbt asks ``dbt --version`` in a subprocess (~3 s); the dbt here is the
      pinned dbt-core of this same environment, whose version the package metadata gives at once;
    - an in-process dbt adapter (~2 s), used only to fetch row counts or column metadata, which these
      assets do not ask for (dagster-dbt runs without one whenever there is none).
    """

    @cached_property
    def _cli_version(self) -> Version:
        return Version(importlib.metadata.version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args):  # noqa: ARG002 - dagster-dbt's signature
        return None

    def cli(self, args, *, target_path: Path | None = None, context=None, **kwargs):
        """dagster-dbt's ``cli``, with the invocation's folder seeded with the partial-parse state first,
        and dbt run in this process (orchestration/dbt_in_process.py) unless TRUSTLOOP_DBT_IN_PROCESS=0.

        dagster-dbt would copy target/partial_parse.msgpack itself, as it is; ``dbt_state.seed`` also makes
        it valid for this warehouse when it was parsed for another one of the same name (see dbt_state).
        """
        target_path = target_path or self._get_unique_target_path(context=context)
        folder = target_path if target_path.is_absolute() else Path(self.project_dir) / target_path
        with contextlib.suppress(Exception):  # an optimisation: never the reason a dbt step fails
            dbt_state.seed(folder, _target_dir())
        with dbt_in_process.in_process_invocations() if dbt_in_process.enabled() else contextlib.nullcontext():
            return super().cli(args, target_path=target_path, context=context, **kwargs)


def _newest_source_mtime(project_dir: Path) -> float:
    paths = [project_dir / "dbt_project.yml", project_dir / "profiles.yml"]
    for folder in ("models", "macros", "tests", "seeds"):
        paths.extend((project_dir / folder).rglob("*"))
    return max((p.stat().st_mtime for p in paths if p.is_file()), default=0.0)


def ensure_manifest() -> Path:
    """Parse the dbt project when its manifest is missing or older than its sources."""
    manifest = dbt_project.manifest_path
    if not manifest.exists() or manifest.stat().st_mtime < _newest_source_mtime(dbt_project.project_dir):
        # parse into a private folder, then publish the manifest atomically: a reader never sees half a file
        scratch = Path(dbt_project.target_path) / f"parse-{os.getpid()}"
        TrustloopDbtCliResource(project_dir=dbt_project, dbt_executable=DBT_EXECUTABLE).cli(
            ["parse", "--quiet"], manifest={}, target_path=scratch
        ).wait()
        parsed = dbt_project.project_dir / scratch / "manifest.json"
        os.replace(parsed, manifest)
        keep_dbt_state(dbt_project.project_dir / scratch)
    return manifest


def load_manifest() -> dict:
    """The dbt manifest of this project, as a dict (parsed again first when stale: ``ensure_manifest``)."""
    return json.loads(ensure_manifest().read_text())


# dbt invocation folders (target/<asset>-<run>-<id>/: logs, run results, compiled SQL) kept for
# inspection: the newest few, and any younger than a day (a run in progress may be writing one)
KEEP_INVOCATIONS = 6
KEEP_SECONDS = 24 * 3600


def keep_dbt_state(invocation_dir: Path) -> None:
    """After a dbt invocation: publish its partial-parse state, and prune old invocation folders.

    dagster-dbt gives every invocation a folder of its own under target/, which
    TrustloopDbtCliResource.cli seeds with target/partial_parse.msgpack when there is one: publishing
    the newest state there lets the next invocation parse only what changed, whatever the warehouse
    (dbt_state). Without pruning, the folders would grow with every run.
    """
    with contextlib.suppress(OSError):  # housekeeping: never the reason a dbt step fails
        _keep_dbt_state(invocation_dir)


def _target_dir() -> Path:
    return Path(dbt_project.project_dir) / dbt_project.target_path


def _keep_dbt_state(invocation_dir: Path) -> None:
    target = _target_dir()
    invocation_dir = invocation_dir if invocation_dir.is_absolute() else dbt_project.project_dir / invocation_dir
    dbt_state.publish(invocation_dir, target)
    if invocation_dir.name.startswith("parse-"):
        shutil.rmtree(invocation_dir, ignore_errors=True)
    for old in stale_invocations(target, time.time(), keep=invocation_dir):
        shutil.rmtree(old, ignore_errors=True)


def stale_invocations(target: Path, now: float, keep: Path | None = None) -> list[Path]:
    """Invocation folders under ``target`` beyond the newest KEEP_INVOCATIONS and older than KEEP_SECONDS."""
    stamped = []
    for p in target.iterdir():
        if p.is_dir() and "-" in p.name and p != keep:
            with contextlib.suppress(OSError):  # another run may be pruning the same folder
                stamped.append((p.stat().st_mtime, p))
    stamped.sort(key=lambda item: item[0], reverse=True)
    return [p for mtime, p in stamped[KEEP_INVOCATIONS:] if now - mtime > KEEP_SECONDS]


class WarehouseResource(ConfigurableResource):
    """The DuckDB warehouse file. Connections are short-lived: open, use, close.

    A run that uses the warehouse holds the run lock for as long as it runs, whoever started it (the
    CLI, a schedule, the landing sensor, the UI): one writer at a time, a second run waiting boundedly
    (TRUSTLOOP_LOCK_TIMEOUT) and then failing with a clear message. Re-entrant for `trustloop run`,
    which already holds it.
    """

    path: str | None = None  # default: TRUSTLOOP_WAREHOUSE, read when a connection is opened

    def resolved_path(self) -> Path:
        return Path(self.path) if self.path else get_settings().warehouse

    @contextlib.contextmanager
    def yield_for_execution(self, context: InitResourceContext) -> Iterator[WarehouseResource]:
        warehouse = self.resolved_path()
        log = context.log.info if context.log else None
        lock_file = warehouse.with_name(warehouse.name + ".run.lock")  # as Settings.lock_file
        with run_lock(lock_file, get_settings().lock_timeout, announce=log):
            yield self

    def connect(self, read_only: bool = False):
        return open_connection(self.resolved_path(), read_only=read_only)


def dbt_resource() -> DbtCliResource:
    return TrustloopDbtCliResource(
        project_dir=dbt_project, profiles_dir=str(SETTINGS.dbt_project_dir), dbt_executable=DBT_EXECUTABLE
    )
