"""Dagster resources. Both read trustloop.settings, like the CLI and the dbt profile."""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

from dagster import ConfigurableResource, InitResourceContext
from dagster_dbt import DbtCliResource, DbtProject

from trustloop.locking import run_lock
from trustloop.settings import apply_environment, get_settings
from trustloop.warehouse import open_connection

SETTINGS = apply_environment()

DBT_EXECUTABLE = str(Path(sys.executable).with_name("dbt"))

dbt_project = DbtProject(project_dir=SETTINGS.dbt_project_dir, profiles_dir=SETTINGS.dbt_project_dir)


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
        DbtCliResource(project_dir=dbt_project, dbt_executable=DBT_EXECUTABLE).cli(
            ["parse", "--quiet"], manifest={}, target_path=scratch
        ).wait()
        parsed = dbt_project.project_dir / scratch / "manifest.json"
        os.replace(parsed, manifest)
        shutil.rmtree(dbt_project.project_dir / scratch, ignore_errors=True)
    return manifest


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
    return DbtCliResource(
        project_dir=dbt_project, profiles_dir=str(SETTINGS.dbt_project_dir), dbt_executable=DBT_EXECUTABLE
    )
