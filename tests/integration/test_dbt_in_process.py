"""dbt in the run's process (orchestration/dbt_in_process.py): dagster-dbt's invocations, real dbt.

Whole runs use it everywhere else in the suite (every `trustloop run` in a test's process, and the
session's demo build); the session's contract-sample build runs dbt as a process of its own
(``TRUSTLOOP_DBT_IN_PROCESS=0``, tests/conftest.py), and the idempotency test re-runs a copy of it
in-process and finds the same marts. Here: what the pipe carries, the environment, and an error.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from orchestration import dbt_in_process
from orchestration.dbt_in_process import DbtThread, InProcessDbtCliInvocation, invocation_environment
from orchestration.resources import DBT_EXECUTABLE, TrustloopDbtCliResource, dbt_project
from trustloop.settings import SettingsError, get_settings


def test_the_environment_is_the_process_one_with_absolute_paths(tmp_path, monkeypatch):
    monkeypatch.setenv("DBT_PROFILES_DIR", "/already/absolute")
    monkeypatch.setenv("TRUSTLOOP_SAME", "x")
    env = {"DBT_TARGET_PATH": "target/step-1", "DBT_LOG_PATH": "target/step-1", "DBT_PROFILES_DIR": "/already/absolute",
           "DBT_LOG_FORMAT": "json", "TRUSTLOOP_SAME": "x"}
    got = invocation_environment(env, tmp_path)
    assert got == {
        "DBT_TARGET_PATH": str(tmp_path / "target/step-1"),
        "DBT_LOG_PATH": str(tmp_path / "target/step-1"),
        "DBT_LOG_FORMAT": "json",
        "DBT_LOG_LEVEL": "none",  # the events go through the pipe; dagster-dbt writes them out
        "DBT_LOG_LEVEL_FILE": "debug",
    }


def test_the_setting_is_read_and_checked(monkeypatch):
    monkeypatch.delenv("TRUSTLOOP_DBT_IN_PROCESS", raising=False)
    assert get_settings().dbt_in_process is True and dbt_in_process.enabled()
    monkeypatch.setenv("TRUSTLOOP_DBT_IN_PROCESS", "0")
    assert get_settings().dbt_in_process is False and not dbt_in_process.enabled()
    monkeypatch.setenv("TRUSTLOOP_DBT_IN_PROCESS", "sometimes")
    with pytest.raises(SettingsError, match="TRUSTLOOP_DBT_IN_PROCESS must be 1 or 0"):
        get_settings()


def _lines(thread: DbtThread) -> list[dict]:
    with thread.stdout:
        return [json.loads(line) for line in thread.stdout.read().decode().splitlines()]


def test_an_invocation_dbt_refuses_ends_with_its_error_on_the_pipe(tmp_path):
    before = dict(os.environ)
    thread = DbtThread([DBT_EXECUTABLE, "build", "--no-such-option"], {"DBT_TARGET_PATH": "t"}, tmp_path)
    lines = _lines(thread)
    assert thread.wait(timeout=120) == 2 and thread.poll() == 2
    errors = [line["info"]["msg"] for line in lines if line["info"]["level"] == "error"]
    assert len(errors) == 1 and "no-such-option" in errors[0], lines
    assert dict(os.environ) == before  # the invocation's variables are gone again


def test_dagster_dbt_parses_the_project_in_this_process(tmp_path):
    resource = TrustloopDbtCliResource(project_dir=dbt_project, profiles_dir=str(dbt_project.profiles_dir),
                                       dbt_executable=DBT_EXECUTABLE)
    before = dict(os.environ)
    invocation = resource.cli(["parse", "--quiet"], manifest={}, target_path=tmp_path / "target")
    assert isinstance(invocation, InProcessDbtCliInvocation)
    assert invocation.process.pid == os.getpid()
    assert invocation.is_successful()
    manifest = json.loads((tmp_path / "target" / "manifest.json").read_text())
    models = {n["name"] for n in manifest["nodes"].values() if n["resource_type"] == "model"}
    assert {"fct_cases", "rpt_metrics_export", "rpt_autonomy_recommendations"} <= models
    assert (tmp_path / "target" / "dbt.log").stat().st_size > 0  # dbt's own log file, as in a process
    assert dict(os.environ) == before
    # the warehouse is not held: dbt-duckdb's database was closed when the invocation ended
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    assert DuckDBConnectionManager._ENV is None


def test_as_a_process_of_its_own_when_asked(tmp_path, monkeypatch):
    monkeypatch.setenv("TRUSTLOOP_DBT_IN_PROCESS", "0")
    resource = TrustloopDbtCliResource(project_dir=dbt_project, profiles_dir=str(dbt_project.profiles_dir),
                                       dbt_executable=DBT_EXECUTABLE)
    invocation = resource.cli(["parse", "--quiet"], manifest={}, target_path=tmp_path / "target")
    assert not isinstance(invocation, InProcessDbtCliInvocation)
    assert invocation.is_successful() and invocation.process.pid != os.getpid()
    assert Path(tmp_path / "target" / "manifest.json").exists()


def test_an_interrupt_stops_dbt_after_its_current_node(conformance_build, tmp_path):
    """SIGINT (Ctrl-C) during the dbt step: dbt, in the run's thread, stops after the node it is running
    (not at the end of the build), the run fails naming the dbt step, and the warehouse is not left held."""
    import shutil
    import signal

    from tests.conftest import CONTRACT_SAMPLE, query, trustloop_env
    from tests.reliability.helpers import RunWatcher, run_dbs, start_run, wait_until

    built, _, _ = conformance_build
    shutil.copytree(built.parent, tmp_path / "work" / "output")
    env = trustloop_env(tmp_path / "work", CONTRACT_SAMPLE / "landing")
    dagster_home = tmp_path / "work" / "dagster_home"
    proc = start_run(env, ("run", "--force"))  # nothing new to read: straight to dbt, which rebuilds everything
    watcher = RunWatcher(proc, dagster_home, run_dbs(dagster_home))
    wait_until(proc, lambda: len(watcher.materialized("marts")) >= 2
               and not watcher.step_event("STEP_SUCCESS", "trustloop_dbt"))
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 1, (out[-2000:], err[-2000:])
    assert out and "FAILED" in out.splitlines()[0] and "step failed: trustloop_dbt" in out, (out[-2000:], err[-12000:])
    assert not watcher.step_event("STEP_SUCCESS", "trustloop_dbt")
    marts = len(query(built, "select 1 from information_schema.tables where table_schema = 'marts'"))
    assert len(watcher.materialized("marts")) < marts, "dbt went on to the end of the build"
    assert query(Path(env["TRUSTLOOP_WAREHOUSE"]), "select count(*) from raw.tickets") == \
        query(built, "select count(*) from raw.tickets")
