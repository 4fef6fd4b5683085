"""The cluster deployment's config files (deploy/, docs/deployment.md) stay valid.

Cheap and offline: YAML parses; deploy/dagster/dagster.yaml passes Dagster's own instance-config
validation (the schema `dagster` checks when an instance starts); the dbt profiles have the targets
and keys their adapters require; the Helm values and the Dockerfile name what exists.
"""

from __future__ import annotations

import re

import pytest
import yaml
from dagster._core.errors import DagsterInvalidConfigError
from dagster._core.instance.config import dagster_instance_config

from tests.conftest import PROJECT

DEPLOY = PROJECT / "deploy"


def _yaml(path):
    return yaml.safe_load(path.read_text())


def test_dagster_yaml_passes_dagsters_instance_schema():
    config, custom_class = dagster_instance_config(str(DEPLOY / "dagster"))
    assert custom_class is None
    db = config["storage"]["postgres"]["postgres_db"]
    assert {db[k]["env"] for k in ("hostname", "username", "password", "db_name")} == {
        "DAGSTER_PG_HOST", "DAGSTER_PG_USERNAME", "DAGSTER_PG_PASSWORD", "DAGSTER_PG_DB"}
    assert (config["run_launcher"]["module"], config["run_launcher"]["class"]) == ("dagster_k8s", "K8sRunLauncher")
    assert config["concurrency"]["runs"]["max_concurrent_runs"] == 1  # one writer of the DuckDB file
    assert config["telemetry"]["enabled"] is False


def test_the_schema_check_bites(tmp_path):
    """A misspelt key fails the same validation (so the test above proves something)."""
    broken = _yaml(DEPLOY / "dagster" / "dagster.yaml")
    broken["storage"]["postgres"]["postgres_db"]["host_name"] = broken["storage"]["postgres"]["postgres_db"].pop(
        "hostname")
    (tmp_path / "dagster.yaml").write_text(yaml.safe_dump(broken))
    with pytest.raises(DagsterInvalidConfigError):
        dagster_instance_config(str(tmp_path))


REQUIRED = {
    "duckdb": {"type", "path"},
    "spark": {"type", "method", "host", "schema"},
    "databricks": {"type", "host", "http_path", "token", "schema"},
}


def test_cluster_dbt_profile_has_every_target():
    profile = _yaml(DEPLOY / "dbt" / "profiles.yml")["trustloop"]
    assert "TRUSTLOOP_DBT_TARGET" in profile["target"]
    outputs = profile["outputs"]
    assert set(outputs) == set(REQUIRED)
    for name, keys in REQUIRED.items():
        assert keys <= set(outputs[name]), (name, keys - set(outputs[name]))
        assert outputs[name]["type"] == name
    assert outputs["spark"]["method"] == "thrift"
    assert outputs["spark"]["server_side_parameters"]["spark.sql.session.timeZone"] == "UTC"
    assert outputs["databricks"]["session_properties"]["spark.sql.session.timeZone"] == "UTC"
    # secrets come from the environment, never from the file
    for secret in ("token",):
        assert outputs["databricks"][secret].startswith("{{ env_var(")


def test_project_profile_spark_target_is_local_and_offline():
    outputs = _yaml(PROJECT / "dbt_project" / "profiles.yml")["trustloop"]["outputs"]
    spark = outputs["spark"]
    assert (spark["type"], spark["method"]) == ("spark", "session")
    params = spark["server_side_parameters"]
    assert params["spark.master"].startswith("local[")
    assert params["spark.sql.session.timeZone"] == "UTC"
    assert params["spark.driver.memory"] == "2g"
    assert int(params["spark.sql.shuffle.partitions"]) <= 4
    assert not any("packages" in key or "jars" in key for key in params)  # nothing downloaded
    for key in ("spark.sql.warehouse.dir", "spark.local.dir", "spark.hadoop.javax.jdo.option.ConnectionURL"):
        assert "TRUSTLOOP_SPARK_DIR" in params[key], key


def test_helm_values_wire_postgres_k8s_runs_and_the_settings():
    values = _yaml(DEPLOY / "helm" / "values.yaml")
    assert values["postgresql"]["enabled"] is False and values["postgresql"]["postgresqlHost"]
    assert values["generatePostgresqlPasswordSecret"] is False
    assert values["runLauncher"]["type"] == "K8sRunLauncher"
    launcher = values["runLauncher"]["config"]["k8sRunLauncher"]
    deployment = values["dagster-user-deployments"]["deployments"][0]
    assert deployment["dagsterApiGrpcArgs"] == ["-m", "orchestration.definitions"]
    # the runs see what the code location sees: the same settings, secrets and volume
    assert launcher["envConfigMaps"] == deployment["envConfigMaps"]
    assert launcher["envSecrets"] == deployment["envSecrets"]
    assert launcher["volumeMounts"][0]["mountPath"] == "/data"
    queue = values["dagsterDaemon"]["runCoordinator"]
    assert queue["type"] == "QueuedRunCoordinator"
    assert queue["config"]["queuedRunCoordinator"]["maxConcurrentRuns"] == 1
    assert values["telemetry"]["enabled"] is False
    # the module the code location serves exists
    assert (PROJECT / "orchestration" / "definitions.py").exists()


def test_dockerfile_installs_the_locked_set_and_matching_dagster_libraries():
    text = (DEPLOY / "Dockerfile").read_text()
    assert "-c requirements.lock" in text and (PROJECT / "requirements.lock").exists()
    lock = dict(line.split("==") for line in (PROJECT / "requirements.lock").read_text().splitlines()
                if "==" in line and not line.startswith("#"))
    # dagster's libraries share one version line (dagster 1.13.27 <-> libraries 0.29.27)
    for library in ("dagster-postgres", "dagster-k8s"):
        assert f'"{library}=={lock["dagster-dbt"]}"' in text, library
    assert re.search(r"dbt-(spark|databricks)", text)
    assert "deploy/dagster/dagster.yaml" in text and "DBT_PROFILES_DIR=/opt/trustloop/deploy/dbt" in text
    assert (DEPLOY / "Dockerfile.dockerignore").read_text().splitlines()[0] == ".venv"


def test_deployment_doc_names_the_files_and_the_spark_ci_figures():
    doc = (PROJECT / "docs" / "deployment.md").read_text()
    for path in ("deploy/dagster/dagster.yaml", "deploy/helm/values.yaml", "deploy/dbt/profiles.yml",
                 "deploy/Dockerfile", "make test-spark"):
        assert path in doc, path


def test_a_dagster_yaml_of_the_operators_own_is_never_overwritten(tmp_path):
    """The cluster image copies deploy/dagster/dagster.yaml into DAGSTER_HOME, and its code location
    imports orchestration.resources, which applies trustloop's settings: PostgreSQL storage must stay."""
    from trustloop.settings import DAGSTER_YAML_HEADER, dagster_yaml, write_dagster_yaml

    own = tmp_path / "cluster"
    own.mkdir()
    (own / "dagster.yaml").write_bytes((DEPLOY / "dagster" / "dagster.yaml").read_bytes())
    assert not write_dagster_yaml(own)
    assert (own / "dagster.yaml").read_bytes() == (DEPLOY / "dagster" / "dagster.yaml").read_bytes()

    fresh = tmp_path / "fresh"
    fresh.mkdir()
    assert write_dagster_yaml(fresh)
    written = (fresh / "dagster.yaml").read_text()
    assert written == dagster_yaml(fresh) and written.startswith(DAGSTER_YAML_HEADER)
    assert _yaml(fresh / "dagster.yaml")["event_log_storage"]["config"]["base_dir"] == str(fresh / "history" / "runs")
    assert not write_dagster_yaml(fresh)  # unchanged: nothing to write
    config, _ = dagster_instance_config(str(fresh))  # Dagster's own schema
    assert config["telemetry"]["enabled"] is False and config["concurrency"]["runs"]["max_concurrent_runs"] == 1

    # one trustloop wrote before (another home, an older version): brought up to date
    moved = tmp_path / "moved"
    moved.mkdir()
    (moved / "dagster.yaml").write_text(written)
    assert write_dagster_yaml(moved)
    assert (moved / "dagster.yaml").read_text() == dagster_yaml(moved)
