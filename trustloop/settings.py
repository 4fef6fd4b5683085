"""The one place that knows about the environment.

Every path and switch the product uses is resolved here, from environment
variables with defaults. The CLI, the Dagster resources and the dbt profile
all read the same values: dbt gets them through the environment variables this
module exports (``apply_environment``), so ``profiles.yml`` and Python never
disagree about which warehouse they are talking to.

| variable                  | default                                   |
|---------------------------|-------------------------------------------|
| TRUSTLOOP_LANDING_DIR     | <output>/demo_landing (made by `make run`)|
| TRUSTLOOP_WAREHOUSE       | <output>/trustloop.duckdb                 |
| TRUSTLOOP_OUTPUT_DIR      | <project>/output (git-ignored)            |
| TRUSTLOOP_POLICY          | <project>/policy/policy.yml               |
| TRUSTLOOP_DEMO_TICKETS    | 20000                                     |
| TRUSTLOOP_DEMO_SEED       | 42                                        |
| TRUSTLOOP_DUCKDB_THREADS  | (DuckDB default)                          |
| TRUSTLOOP_DUCKDB_MEMORY   | 640MB (trustloop's own DuckDB; spills to disk)|
| TRUSTLOOP_DBT_MEMORY      | 1GB (the dbt process's DuckDB; spills to disk) |
| TRUSTLOOP_LOCK_TIMEOUT    | 600 (seconds a run waits for another run) |
| TRUSTLOOP_SPARK_DIR       | <output>/spark (dbt on Spark: trustloop/spark.py) |
| TRUSTLOOP_RETRAIN         | auto (train when needed: models/retrain.py) or always |
| TRUSTLOOP_RETRAIN_SHARE   | 0.05 (auto: retrain when the cases learned from moved by this share) |
| TRUSTLOOP_RETRAIN_DAYS    | 7 (auto: retrain a model this many days old)  |
| TRUSTLOOP_KEEP_RUNS       | 100 (finished Dagster runs kept in DAGSTER_HOME; 0 keeps all) |
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]
DBT_PROJECT_DIR = PROJECT_DIR / "dbt_project"

# Telemetry and analytics off, everywhere, always: nothing may call the network.
OFFLINE_ENV = {
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    "DBT_PARTIAL_PARSE": "true",
    "DO_NOT_TRACK": "1",
    "GX_ANALYTICS_ENABLED": "false",
    "DAGSTER_DISABLE_TELEMETRY": "1",
}

# DuckDB's own default is 80 % of the machine's RAM, and its buffer pool grows to use it.
# 640 MB per process keeps a 1M-ticket run's largest process near 1.5 GiB; larger work spills
# to <warehouse>.tmp, which costs about 9 % at 100k tickets against 1 GB (bench/notes.md has
# the measurements; DECISIONLOG.md the choice). Raise it where memory allows.
DEFAULT_DUCKDB_MEMORY = "640MB"
# dbt's process has its own DuckDB, with more room: a case-grain model at 1M tickets joins several
# million-row aggregates at once, and under 640 MB it sometimes failed to pin memory it could not
# spill (bench/notes.md, DECISIONLOG.md). Little else lives in the dbt process.
DEFAULT_DBT_MEMORY = "1GB"

# TRUSTLOOP_RETRAIN: train when models/retrain.py's rules say so, or on every run
RETRAIN_MODES = ("auto", "always")

# the first line of every dagster.yaml trustloop writes; a file without it is the operator's and is left alone
DAGSTER_YAML_HEADER = "# Written by trustloop.settings"


def dagster_yaml(dagster_home: Path) -> str:
    """The `dagster.yaml` of a Dagster home: offline, one run at a time, and the event log of
    `orchestration/event_log.py` (Dagster's SQLite event log in its usual folder, keeping its
    connections open instead of opening one per event)."""
    event_logs = json.dumps(str(dagster_home / "history" / "runs"))
    return f"""\
{DAGSTER_YAML_HEADER}: keep Dagster offline and its storage local.
# Rewritten whenever it differs; to keep a dagster.yaml of your own, remove this file's first line.
telemetry:
  enabled: false
# one writer at a time: DuckDB allows one writing process per warehouse file
concurrency:
  runs:
    max_concurrent_runs: 1
# Dagster's SQLite event log (history/runs/), one open connection per file instead of one per event
event_log_storage:
  module: orchestration.event_log
  class: PooledSqliteEventLogStorage
  config:
    base_dir: {event_logs}
"""


def _env_path(name: str, default: Path) -> Path:
    value = os.environ.get(name, "").strip()
    return Path(value).expanduser().resolve() if value else default


class SettingsError(ValueError):
    """An environment variable holds a value trustloop cannot use (the CLI prints it as one line, exit 2)."""


def _env_number(name: str, default, kind=int, what: str = "a whole number", minimum=None):
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    expected = what + (f" (at least {minimum})" if minimum is not None else "")
    try:
        number = kind(value)
    except ValueError:
        raise SettingsError(f"{name} must be {expected}, got {value!r}") from None
    if minimum is not None and number < minimum:
        raise SettingsError(f"{name} must be {expected}, got {value!r}")
    return number


def _env_int(
    name: str, default: int | None, minimum: int | None = None, what: str = "a whole number"
) -> int | None:
    return _env_number(name, default, int, what, minimum)


def _env_float(name: str, default: float, minimum: float | None = None) -> float:
    return _env_number(name, default, float, "a number", minimum)


def _env_flag(name: str, default: bool) -> bool:
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name} must be 1 or 0 (true or false), got {os.environ[name].strip()!r}")


def _env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = os.environ.get(name, "").strip().lower() or default
    if value not in choices:
        raise SettingsError(f"{name} must be one of {', '.join(choices)}, got {os.environ[name].strip()!r}")
    return value


@dataclass(frozen=True)
class Settings:
    project_dir: Path
    output_dir: Path
    landing_dir: Path
    warehouse: Path
    policy_file: Path
    dagster_home: Path
    dbt_project_dir: Path
    demo_tickets: int
    demo_seed: int
    duckdb_threads: int | None
    duckdb_memory: str
    lock_timeout: int
    retrain_mode: str = "auto"
    retrain_share: float = 0.05
    retrain_days: float = 7.0
    dbt_memory: str = DEFAULT_DBT_MEMORY
    keep_runs: int = 100
    dbt_in_process: bool = True

    @property
    def landing_is_default_demo(self) -> bool:
        return self.landing_dir == self.output_dir / "demo_landing"

    @property
    def reports_dir(self) -> Path:
        return self.output_dir / "reports"

    @property
    def artifacts_dir(self) -> Path:
        return self.output_dir / "artifacts"

    @property
    def lock_file(self) -> Path:
        return self.warehouse.with_name(self.warehouse.name + ".run.lock")

    @property
    def dbt_target_dir(self) -> Path:
        return self.dbt_project_dir / "target"

    @property
    def spark_dir(self) -> Path:
        """Everything the dbt `spark` target writes: source Parquet, Spark warehouse, metastore."""
        return _env_path("TRUSTLOOP_SPARK_DIR", self.output_dir / "spark")


def get_settings() -> Settings:
    """Resolve the settings from the current environment (read on every call)."""
    output_dir = _env_path("TRUSTLOOP_OUTPUT_DIR", PROJECT_DIR / "output")
    return Settings(
        project_dir=PROJECT_DIR,
        output_dir=output_dir,
        landing_dir=_env_path("TRUSTLOOP_LANDING_DIR", output_dir / "demo_landing"),
        warehouse=_env_path("TRUSTLOOP_WAREHOUSE", output_dir / "trustloop.duckdb"),
        policy_file=_env_path("TRUSTLOOP_POLICY", PROJECT_DIR / "policy" / "policy.yml"),
        dagster_home=_env_path("DAGSTER_HOME", output_dir / "dagster_home"),
        dbt_project_dir=DBT_PROJECT_DIR,
        demo_tickets=_env_int("TRUSTLOOP_DEMO_TICKETS", 20000, minimum=1),
        demo_seed=_env_int("TRUSTLOOP_DEMO_SEED", 42) or 0,
        duckdb_threads=_env_int("TRUSTLOOP_DUCKDB_THREADS", None, minimum=0),
        duckdb_memory=os.environ.get("TRUSTLOOP_DUCKDB_MEMORY", "").strip() or DEFAULT_DUCKDB_MEMORY,
        dbt_memory=os.environ.get("TRUSTLOOP_DBT_MEMORY", "").strip() or DEFAULT_DBT_MEMORY,
        lock_timeout=_env_int("TRUSTLOOP_LOCK_TIMEOUT", 600, minimum=0, what="a whole number of seconds"),
        retrain_mode=_env_choice("TRUSTLOOP_RETRAIN", "auto", RETRAIN_MODES),
        retrain_share=_env_float("TRUSTLOOP_RETRAIN_SHARE", 0.05, minimum=0),
        retrain_days=_env_float("TRUSTLOOP_RETRAIN_DAYS", 7.0, minimum=0),
        keep_runs=_env_int("TRUSTLOOP_KEEP_RUNS", 100, minimum=0),
        dbt_in_process=_env_flag("TRUSTLOOP_DBT_IN_PROCESS", True),
    )


def apply_environment(settings: Settings | None = None) -> Settings:
    """Export the settings for child tools (dbt, Dagster) and switch telemetry off.

    Idempotent; safe to call many times. Returns the settings it applied.
    """
    settings = settings or get_settings()
    for key, value in OFFLINE_ENV.items():
        os.environ[key] = value
    os.environ["TRUSTLOOP_WAREHOUSE"] = str(settings.warehouse)
    os.environ["TRUSTLOOP_LANDING_DIR"] = str(settings.landing_dir)
    os.environ["TRUSTLOOP_OUTPUT_DIR"] = str(settings.output_dir)
    os.environ["TRUSTLOOP_POLICY"] = str(settings.policy_file)
    os.environ["DAGSTER_HOME"] = str(settings.dagster_home)
    # the dbt profile reads its DuckDB limits from these
    os.environ["TRUSTLOOP_DUCKDB_MEMORY"] = settings.duckdb_memory
    os.environ["TRUSTLOOP_DBT_MEMORY"] = settings.dbt_memory
    if settings.duckdb_threads:
        os.environ["TRUSTLOOP_DUCKDB_THREADS"] = str(settings.duckdb_threads)
    os.environ["DBT_PROFILES_DIR"] = str(settings.dbt_project_dir)
    os.environ["TRUSTLOOP_SPARK_DIR"] = str(settings.spark_dir)
    # the tools of this environment (dbt, dagster) first on PATH for child processes
    bin_dir = str(Path(sys.executable).parent)
    if os.environ.get("PATH", "").split(os.pathsep)[0] != bin_dir:
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")
    settings.output_dir.mkdir(parents=True, exist_ok=True)
    settings.warehouse.parent.mkdir(parents=True, exist_ok=True)
    settings.dagster_home.mkdir(parents=True, exist_ok=True)
    write_dagster_yaml(settings.dagster_home)
    return settings


def write_dagster_yaml(dagster_home: Path) -> bool:
    """Write trustloop's `dagster.yaml` into ``dagster_home`` unless the one there is the operator's
    (its first line is not `DAGSTER_YAML_HEADER`: e.g. deploy/dagster/dagster.yaml, PostgreSQL storage
    in a cluster). Returns whether it wrote."""
    path = dagster_home / "dagster.yaml"
    wanted = dagster_yaml(dagster_home)
    current = path.read_text() if path.exists() else None
    if current == wanted or (current is not None and not current.startswith(DAGSTER_YAML_HEADER)):
        return False
    path.write_text(wanted)
    return True
