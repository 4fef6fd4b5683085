"""Concurrency: overlapping runs never corrupt the warehouse nor double a row; lock waits are bounded.

- Two ``trustloop run`` started at once on one warehouse: both finish, the
  second after waiting (it says so), every row is stored once and the marts
  equal those of a single clean run.
- A run that finds another run's lock waits TRUSTLOOP_LOCK_TIMEOUT seconds,
  then exits 2 with a clear message, without touching the warehouse.
- A run that finds the DuckDB file held by another process (a notebook, a SQL
  client) fails the same way, once, before any step (it used to let every step
  retry and fail in turn: minutes, with a short lock timeout).
- Scheduled and sensor-started runs go through Dagster's run queue, which
  starts one run at a time, and execute one step at a time; and they take the
  same run lock as `trustloop run` (through the warehouse resource), so a
  daemon-started run and a CLI run never write at once.

Every run here is a process of its own (``in_process=False``): the locks and the DuckDB writer the
tests hold are this process's, and what is tested is another process meeting them.
"""

from __future__ import annotations

import dataclasses
import fcntl
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest

from tests.conftest import CONTRACT_SAMPLE, PROJECT, query, run_trustloop, trustloop_env
from tests.reliability.helpers import diff_snapshots, ledger_problems, snapshot, start_run
from tests.reliability.landing_tools import copy_landing

MARTS = {"marts": {}, "intermediate": {}}
RAW_CONTENT = {"raw": {"*": ("_run_id", "_loaded_at")}}


@pytest.mark.slow
def test_two_runs_started_at_once_both_finish_and_store_every_row_once(tmp_path, conformance_build):
    reference_wh = conformance_build[0]
    landing = copy_landing(CONTRACT_SAMPLE / "landing", tmp_path / "landing")
    env = trustloop_env(tmp_path / "work", landing)
    warehouse = Path(env["TRUSTLOOP_WAREHOUSE"])

    runs = [start_run(env), start_run(env)]
    results = [proc.communicate(timeout=1800) for proc in runs]
    codes = [proc.returncode for proc in runs]
    assert codes == [0, 0], "\n".join(f"exit {c}\n{out[-2000:]}\n{err[-3000:]}" for c, (out, err) in
                                      zip(codes, results, strict=True))
    waited = [err for _, err in results if "waiting for another trustloop run to finish" in err]
    assert len(waited) == 1, "exactly one of the two runs must have waited for the other"

    # every file read once, by the first run; the second found nothing new
    reads = dict(query(warehouse, "select file, count(*) from raw.file_ledger group by 1"))
    assert set(reads) == {p.relative_to(landing).as_posix() for p in landing.rglob("*.*")}
    assert set(reads.values()) == {1}
    assert ledger_problems(warehouse) == []
    counts = "select (select count(*) from raw.tickets), (select count(*) from raw.agent_logs), " \
             "(select count(*) from raw.incidents), (select count(*) from raw.quarantine)"
    assert query(warehouse, counts) == query(reference_wh, counts)

    problems = diff_snapshots(snapshot(warehouse, MARTS), snapshot(reference_wh, MARTS))
    assert not problems, "\n".join(problems)
    raw = {k: v for k, v in snapshot(warehouse, RAW_CONTENT).items() if k in ("raw.tickets", "raw.agent_logs",
                                                                               "raw.incidents")}
    ref = {k: v for k, v in snapshot(reference_wh, RAW_CONTENT).items() if k in raw}
    assert not diff_snapshots(raw, ref)


def test_a_run_waits_for_another_runs_lock_boundedly_then_fails_clearly(tmp_path):
    landing = copy_landing(CONTRACT_SAMPLE / "landing", tmp_path / "landing")
    env = trustloop_env(tmp_path / "work", landing, TRUSTLOOP_LOCK_TIMEOUT="2")
    warehouse = Path(env["TRUSTLOOP_WAREHOUSE"])
    lock_file = warehouse.with_name(warehouse.name + ".run.lock")
    lock_file.parent.mkdir(parents=True)
    with open(lock_file, "a+") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        handle.write("pid 424242 (the test)")
        handle.flush()
        proc = run_trustloop(["run"], env, check=False, timeout=300, in_process=False)
    assert proc.returncode == 2, proc.stderr[-3000:]
    assert "waiting for another trustloop run to finish" in proc.stderr
    assert "trustloop: error: another trustloop run (pid 424242 (the test)) holds" in proc.stderr
    assert "gave up after 2 s" in proc.stderr and "TRUSTLOOP_LOCK_TIMEOUT" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not warehouse.exists(), "a run that never got the lock must not touch the warehouse"


def test_a_warehouse_held_by_another_process_fails_the_run_once_and_clearly(tmp_path):
    landing = copy_landing(CONTRACT_SAMPLE / "landing", tmp_path / "landing")
    env = trustloop_env(tmp_path / "work", landing, TRUSTLOOP_LOCK_TIMEOUT="3")
    warehouse = Path(env["TRUSTLOOP_WAREHOUSE"])
    warehouse.parent.mkdir(parents=True)
    holder = duckdb.connect(str(warehouse))  # a writer in this process, as a notebook would hold it
    try:
        holder.execute("create table held (x integer)")
        # the time limit only stops a hang; the product's own bound is the 3 s above
        proc = run_trustloop(["run"], env, check=False, timeout=240, in_process=False)
    finally:
        holder.close()
    assert proc.returncode == 2, proc.stdout[-2000:] + proc.stderr[-3000:]
    assert "waiting for another process to release the warehouse" in proc.stderr
    error = [line for line in proc.stderr.splitlines() if line.startswith("trustloop: error:")]
    assert len(error) == 1 and "held by another process; gave up after 3 s" in error[0], proc.stderr[-3000:]
    assert "TRUSTLOOP_LOCK_TIMEOUT" in error[0] and "Could not set lock" in error[0]
    # no step ran: nothing was ingested, no Dagster run was recorded
    assert "Traceback" not in proc.stderr and "STEP_FAILURE" not in proc.stderr
    assert query(warehouse, "select table_name from information_schema.tables") == [("held",)]


def test_open_connection_gives_up_after_a_bounded_number_of_tries(tmp_path):
    from trustloop.settings import get_settings
    from trustloop.warehouse import WarehouseBusy, open_connection, wait_for_write_access

    warehouse = tmp_path / "held.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import duckdb, sys
            con = duckdb.connect({str(warehouse)!r})
            print("held", flush=True)
            sys.stdin.read()
        """)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(WarehouseBusy, match="gave up after 3 tries") as caught:
            open_connection(warehouse, retries=3, wait_seconds=0.01)
        assert "Could not set lock" in str(caught.value.__cause__)
        messages = []
        settings = dataclasses.replace(get_settings(), warehouse=warehouse)
        with pytest.raises(WarehouseBusy, match="gave up after 0.2 s"):
            wait_for_write_access(0.2, settings, poll=0.05, announce=messages.append)
        assert len(messages) == 1 and "waiting for another process" in messages[0]
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    # released: the same call now succeeds at once
    wait_for_write_access(0, settings)


def test_scheduled_and_sensor_runs_are_queued_one_at_a_time(tmp_path):
    """The daemon starts one run at a time (run queue limit 1) and each job runs its steps in one process."""
    script = textwrap.dedent("""
        import json
        from dagster import DagsterInstance
        from orchestration.definitions import defs

        instance = DagsterInstance.get()
        out = {
            "coordinator": type(instance.run_coordinator).__name__,
            "max_concurrent_runs": instance.get_concurrency_config().run_queue_config.max_concurrent_runs,
            "jobs": {},
        }
        targets = [(s.name, s.job_name) for s in defs.schedules or []] + [(s.name, s.job_name) for s in defs.sensors or []]
        for name, job_name in targets:
            job = defs.resolve_job_def(job_name)
            out["jobs"][name] = {"job": job_name, "executor": job.executor_def.name}
        print(json.dumps(out))
    """)
    env = trustloop_env(tmp_path / "work")
    proc = subprocess.run([sys.executable, "-c", script], env=env, cwd=PROJECT, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    found = json.loads(proc.stdout.strip().splitlines()[-1])
    assert found["coordinator"] == "QueuedRunCoordinator"
    assert found["max_concurrent_runs"] == 1
    assert found["jobs"], "no schedule or sensor found"
    for name, job in found["jobs"].items():
        assert job["executor"] == "in_process", f"{name} runs {job['job']} with the {job['executor']} executor"


def test_a_run_started_outside_the_cli_takes_the_same_run_lock(tmp_path):
    """A job the daemon would launch (schedule, sensor, UI) waits for a CLI run's lock, then fails clearly."""
    landing = copy_landing(CONTRACT_SAMPLE / "landing", tmp_path / "landing")
    env = trustloop_env(tmp_path / "work", landing, TRUSTLOOP_LOCK_TIMEOUT="2")
    warehouse = Path(env["TRUSTLOOP_WAREHOUSE"])
    lock_file = warehouse.with_name(warehouse.name + ".run.lock")
    lock_file.parent.mkdir(parents=True)
    script = textwrap.dedent("""
        from dagster import DagsterInstance
        from orchestration.definitions import defs

        result = defs.resolve_job_def("daily_build_job").execute_in_process(
            instance=DagsterInstance.get(), raise_on_error=False)
        print("success", result.success)
    """)
    with open(lock_file, "a+") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        handle.write("pid 424242 (the test)")
        handle.flush()
        proc = subprocess.run([sys.executable, "-c", script], env=env, cwd=PROJECT, capture_output=True,
                              text=True, timeout=600)
    output = proc.stdout + proc.stderr
    assert "success False" in proc.stdout, output[-3000:]
    assert "another trustloop run (pid 424242 (the test)) holds" in output
    assert "gave up after 2 s" in output
    assert not warehouse.exists(), "a run that never got the lock must not touch the warehouse"

