"""The dbt project on Apache Spark, locally: export the sources, build, read back.

DuckDB is the embedded default; the same dbt project builds on Spark with the
`spark` target of dbt_project/profiles.yml (dbt-spark's `session` method: Spark
in local mode inside this process, no cluster, nothing downloaded). Needs the
`spark` extra (``make test-spark`` installs it, pinned by requirements-spark.lock)
and Java 17.

A local Spark build starts from a warehouse that ``trustloop run`` built:

1. ``export_sources``: every table of the warehouse's source schemas -- ``raw``
   (what the ingestion and the policy assets write) and ``ml`` (the risk
   model's predictions) -- as Parquet under ``<spark dir>/sources/<schema>/<table>/``;
2. ``build``: ``dbt build --target spark`` in this process; at the start of the
   run, macros/spark_sources.sql registers those folders as the dbt sources;
3. ``read back`` from the same Spark session: the rows of every model and the
   metrics export (the same query and CSV format as ``trustloop metrics export``).

Everything Spark writes (Parquet, warehouse, Derby metastore, scratch, dbt's
target and logs) stays under ``Settings.spark_dir`` (``output/spark``).
"""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from trustloop.errors import UserError
from trustloop.settings import Settings, apply_environment

# the schemas that hold the dbt sources: raw (ingestion, policy, costs) and ml (predictions)
SOURCE_SCHEMAS = ("raw", "ml")


@dataclass
class SparkBuild:
    """What one Spark build read, built, tested and exported (also written as build_summary.json)."""

    sources: dict[str, int] = field(default_factory=dict)
    models: dict[str, int] = field(default_factory=dict)
    tests: dict[str, int] = field(default_factory=dict)
    failed: list[str] = field(default_factory=list)
    export_rows: int | None = None
    export_path: str | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failed


def sources_dir(settings: Settings) -> Path:
    return settings.spark_dir / "sources"


def export_sources(warehouse: Path, dest: Path) -> dict[str, int]:
    """Write every table of the source schemas as ``dest/<schema>/<table>/part-0.parquet``.

    Returns rows per ``schema.table``. A folder left by an earlier export is
    replaced whole, so a table never mixes two exports.
    """
    from trustloop.warehouse import connect

    if not Path(warehouse).exists():
        raise UserError(f"no warehouse at {warehouse}: run `trustloop run` first")
    counts: dict[str, int] = {}
    with connect(Path(warehouse), read_only=True) as con:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables"
            " where table_type = 'BASE TABLE' and table_schema in (?, ?) order by 1, 2",
            list(SOURCE_SCHEMAS),
        ).fetchall()
        if not any(schema == "raw" for schema, _ in tables):
            raise UserError(f"{warehouse} has no raw tables: run `trustloop run` first")
        for schema, table in tables:
            folder = dest / schema / table
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            target = str(folder / "part-0.parquet").replace("'", "''")
            con.execute(f'copy (select * from "{schema}"."{table}") to \'{target}\' (format parquet)')
            counts[f"{schema}.{table}"] = con.execute(f'select count(*) from "{schema}"."{table}"').fetchone()[0]
    return counts


def check_java() -> str:
    """The Java Spark will start (JAVA_HOME, else `java` on PATH); UserError when there is none."""
    java_home = os.environ.get("JAVA_HOME")
    java = Path(java_home) / "bin" / "java" if java_home else shutil.which("java")
    if not java or not Path(java).exists():
        raise UserError(
            "Spark needs Java 17: apt-get install openjdk-17-jre-headless (make test-spark installs it)"
        )
    return str(java)


def check_pyspark() -> None:
    try:
        import dbt.adapters.spark  # noqa: F401
        import pyspark  # noqa: F401
    except ImportError as exc:
        raise UserError(f"the spark extra is not installed ({exc}): `make test-spark` installs it, pinned "
                        "(requirements.lock and requirements-spark.lock)") from exc


def _dbt_args(settings: Settings, command: list[str]) -> list[str]:
    return [
        *command,
        "--target", "spark",
        "--project-dir", str(settings.dbt_project_dir),
        "--profiles-dir", str(settings.dbt_project_dir),
        # its own target and log folders: the DuckDB manifest the Dagster code location reads stays as it is
        "--target-path", str(settings.spark_dir / "dbt_target"),
        "--log-path", str(settings.spark_dir / "dbt_logs"),
    ]


def run_dbt(settings: Settings, command: list[str]):
    """Invoke dbt in this process (the Spark session then outlives it and can be read)."""
    from dbt.cli.main import dbtRunner

    os.environ["TRUSTLOOP_SPARK_SOURCES_DIR"] = str(sources_dir(settings))
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    return dbtRunner().invoke(_dbt_args(settings, command))


def spark_session():
    """The Spark session dbt-spark created in this process (with the profile's configuration)."""
    from pyspark.sql import SparkSession

    # dbt ran its SQL on worker threads: the session is not "active" on this one, but it is the default
    session = SparkSession.getActiveSession() or SparkSession._instantiatedSession
    if session is None:
        raise RuntimeError("no Spark session in this process: run dbt on the spark target first")
    return session


def model_counts(session, relations: list[str]) -> dict[str, int]:
    return {relation: session.sql(f"select count(*) from {relation}").collect()[0][0] for relation in relations}


def metrics_export_rows(session) -> list[tuple]:
    from trustloop.commands.inspect import EXPORT_QUERY

    return [tuple(row) for row in session.sql(EXPORT_QUERY).collect()]


def build(
    settings: Settings | None = None,
    *,
    export: Path | None = None,
    select: list[str] | None = None,
    exclude: list[str] | None = None,
) -> SparkBuild:
    """Export the sources, ``dbt build --target spark``, read the models back; see the module doc."""
    settings = apply_environment(settings)
    check_pyspark()
    check_java()
    started = time.monotonic()
    summary = SparkBuild()
    summary.sources = export_sources(settings.warehouse, sources_dir(settings))

    command = ["build"]
    if select:
        command += ["--select", *select]
    if exclude:
        command += ["--exclude", *exclude]
    result = run_dbt(settings, command)
    if result.result is None:  # dbt failed before running anything (project or profile error)
        raise RuntimeError(f"dbt build --target spark failed: {result.exception}")

    built: list[str] = []
    for node_result in result.result.results:
        node = node_result.node
        status = str(node_result.status)
        kind = str(node.resource_type)
        summary.tests[f"{kind}:{status}"] = summary.tests.get(f"{kind}:{status}", 0) + 1
        if status not in ("success", "pass", "no-op"):
            summary.failed.append(f"{kind} {node.name}: {status} {node_result.message or ''}".strip())
        elif kind == "model":
            built.append(f"{node.schema}.{node.alias or node.name}")
    if not result.success and not summary.failed:
        summary.failed.append(f"dbt build --target spark failed: {result.exception}")

    if built:
        session = spark_session()
        summary.models = model_counts(session, sorted(built))
        if export is not None and "marts.rpt_metrics_export" in summary.models:
            from trustloop.commands.inspect import write_export_csv

            summary.export_rows = write_export_csv(metrics_export_rows(session), Path(export))
            summary.export_path = str(export)
    summary.seconds = round(time.monotonic() - started, 1)
    (settings.spark_dir / "build_summary.json").write_text(json.dumps(asdict(summary), indent=2) + "\n")
    return summary
