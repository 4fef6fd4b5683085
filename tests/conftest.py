"""Shared fixtures: real warehouses built by the real pipeline, once per session.

- ``conformance_warehouse``: the contract-sample fixture landing folder, built
  with ``trustloop run`` in a subprocess (a fresh process, like a user).
- ``demo_landing`` / ``demo_warehouse``: a small seeded demo landing folder and
  the warehouse built from it.
- ``dbt_unit_tests``: the project's dbt unit tests, run once against an empty
  warehouse of the real schema.
- ``run_trustloop(args, env)``: run the CLI with settings pointing at a
  temporary folder: a command in a subprocess; ``run``, ``set-aside`` and ``erase``
  (which run the job) in the test's own process (``run_in_process``: the same
  ``cli.main``, without the interpreter start).

Under pytest-xdist the two builds are made once per test session, by the first
worker that asks (``shared``); every worker then gets a private copy of the
built output folder and Dagster home, so a command one worker runs on its copy
never meets another worker's DuckDB lock. Without xdist each is built in place.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]
FIXTURES = PROJECT / "tests" / "fixtures"
CONTRACT_SAMPLE = FIXTURES / "contract-sample"
TRUSTLOOP = str(Path(sys.executable).with_name("trustloop"))
DEMO_TICKETS = 3000
DEMO_SEED = 7


def pytest_configure(config):
    """Run the tests as in a foreground shell, however the suite was started.

    Started in the background (``make test &``, ``nohup``, some CI runners), every process of the suite
    inherits an ignored SIGINT, and a Dagster job run ends by giving SIGTERM SIGINT's handler (several
    tests start one directly, not through ``run_pipeline``, which keeps SIGTERM as it was). SIGTERM then
    stayed ignored in the worker and in every process a later test started: sqlfluff's worker pool, which
    stops its workers with SIGTERM, hung at its end. With SIGINT raising KeyboardInterrupt, as in a
    foreground run, what Dagster copies to SIGTERM is a Python handler, which a new process does not inherit.
    """
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def trustloop_env(workdir: Path, landing: Path | None = None, **extra: str) -> dict[str, str]:
    """Environment for a trustloop process whose every output lives under ``workdir``."""
    env = dict(os.environ)
    env.update(
        TRUSTLOOP_OUTPUT_DIR=str(workdir / "output"),
        TRUSTLOOP_WAREHOUSE=str(workdir / "output" / "warehouse.duckdb"),
        DAGSTER_HOME=str(workdir / "dagster_home"),
    )
    if landing is not None:
        env["TRUSTLOOP_LANDING_DIR"] = str(landing)
    env.update(extra)
    return env


# `trustloop run` in the test's own process (see run_in_process); TRUSTLOOP_TEST_SUBPROCESS=1 starts every
# run as a process of its own instead
RUN_IN_PROCESS = os.environ.get("TRUSTLOOP_TEST_SUBPROCESS", "") != "1"


def run_in_process(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    """``trustloop ARGS`` through the console script's own ``trustloop.cli.main``, in this process.

    The environment is ``env`` for the call (then restored), stdout and stderr are captured, and the
    result looks like ``subprocess.run``'s. What it saves is the interpreter: importing Dagster,
    dagster-dbt (dbt) and Great Expectations costs about 10 s of every process; the run itself (dbt's
    processes, Dagster, GX, DuckDB) is the same.
    """
    import io
    import traceback

    from trustloop import cli

    saved, cwd = dict(os.environ), os.getcwd()
    out, err = io.StringIO(), io.StringIO()
    os.environ.clear()
    os.environ.update(env)
    os.chdir(PROJECT)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = cli.main(args)
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 1
            except Exception:  # what the interpreter would print before exiting 1
                traceback.print_exc()
                code = 1
    finally:
        os.environ.clear()
        os.environ.update(saved)
        os.chdir(cwd)
    return subprocess.CompletedProcess([TRUSTLOOP, *args], code, out.getvalue(), err.getvalue())


# the commands that run the job (a set-aside and an erasure rebuild what they changed); the others start fast
IN_PROCESS_COMMANDS = ("run", "set-aside", "erase")


def _in_process(args: list[str], env: dict[str, str]) -> bool:
    """The commands that run the job, and only under this process's time zone."""
    return RUN_IN_PROCESS and bool(args) and args[0] in IN_PROCESS_COMMANDS and env.get("TZ") == os.environ.get("TZ")


def run_trustloop(args: list[str], env: dict[str, str], check: bool = True, timeout: int = 900,
                  in_process: bool | None = None):
    """``trustloop ARGS`` with ``env``: a command that runs the job in this process (``run_in_process``)
    unless told otherwise, any other command (and any command under another TZ) as a process of its own.
    ``timeout`` bounds a process only: a command in this process has none."""
    if in_process is None:
        in_process = _in_process(args, env)
    if in_process:
        proc = run_in_process(args, env)
    else:
        proc = subprocess.run(
            [TRUSTLOOP, *args], env=env, cwd=PROJECT, capture_output=True, text=True, timeout=timeout
        )
    if check and proc.returncode != 0:
        raise AssertionError(
            f"trustloop {' '.join(args)} exited {proc.returncode}\nSTDOUT:\n{proc.stdout[-4000:]}\n"
            f"STDERR:\n{proc.stderr[-6000:]}"
        )
    return proc


# a step line `trustloop run` (and a set-aside's or an erasure's rebuild) writes on stderr as a step ends
STEP_LINE = re.compile(r"^  \[\s*(\d+)/(\d+)\] (\S+)\s+(?:(\d+\.\d) s)?\s*(failed|skipped)?$")


def step_lines(stderr: str) -> list[tuple[int, int, str, float | None, str | None]]:
    """The step lines in a command's stderr: place, total, step, seconds, outcome (None: succeeded)."""
    found = [STEP_LINE.match(line) for line in stderr.splitlines()]
    return [(int(m[1]), int(m[2]), m[3], float(m[4]) if m[4] else None, m[5]) for m in found if m]


def build_warehouse(workdir: Path, landing: Path, **extra: str) -> tuple[Path, dict[str, str], str]:
    env = trustloop_env(workdir, landing, **extra)
    proc = run_trustloop(["run"], env)
    return Path(env["TRUSTLOOP_WAREHOUSE"]), env, proc.stdout


@contextlib.contextmanager
def shared(tmp_path_factory, name: str):
    """The folder ``name`` of this test session, shared by its xdist workers, held under a lock.

    Yields ``(folder, made)``: ``made`` is False the first time, when the holder must fill the folder
    (and it is marked made when the block ends without error). Without xdist, yields a new folder.
    """
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        yield tmp_path_factory.mktemp(name), False
        return
    root = tmp_path_factory.getbasetemp().parent  # the session's folder, above every worker's own
    folder, done = root / f"shared_{name}", root / f"shared_{name}.done"
    with open(root / f"shared_{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        made = done.exists()
        if not made:
            shutil.rmtree(folder, ignore_errors=True)  # a worker that failed half-way
            folder.mkdir()
        yield folder, made
        done.touch()


def shared_build(tmp_path_factory, name: str, landing: Path, stderr: bool = False,
                 **extra: str) -> tuple[Path, dict[str, str], str]:
    """``trustloop run`` of ``landing`` once per session; each worker gets its own copy of the result.

    Returns the warehouse, the environment and the run's output (its stdout, then its stderr if asked).
    ``extra``: variables of that one run's environment (not of the returned one).
    """
    with shared(tmp_path_factory, name) as (origin, made):
        if not made:
            # a process of its own, like a user's: its whole output is kept (the planted-PII tests read it)
            proc = run_trustloop(["run"], trustloop_env(origin, landing, **extra), in_process=False)
            (origin / "stdout.txt").write_text(proc.stdout + (proc.stderr if stderr else ""))
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return build_result(origin, landing)
    workdir = tmp_path_factory.mktemp(name)
    for part in ("output", "dagster_home"):
        shutil.copytree(origin / part, workdir / part)
    return build_result(workdir, landing, (origin / "stdout.txt").read_text())


def build_result(workdir: Path, landing: Path, stdout: str | None = None) -> tuple[Path, dict[str, str], str]:
    env = trustloop_env(workdir, landing)
    if stdout is None:
        stdout = (workdir / "stdout.txt").read_text()
    return Path(env["TRUSTLOOP_WAREHOUSE"]), env, stdout


@pytest.fixture(scope="session")
def conformance_build(tmp_path_factory):
    # dbt as a process of its own here (every other run of the suite runs it in the run's process): the
    # conformance figures hold both ways, and the idempotency test re-runs a copy of this build in-process
    return shared_build(tmp_path_factory, "conformance", CONTRACT_SAMPLE / "landing", TRUSTLOOP_DBT_IN_PROCESS="0")


@pytest.fixture(scope="session")
def conformance_warehouse(conformance_build) -> Path:
    return conformance_build[0]


@pytest.fixture(scope="session")
def demo_landing(tmp_path_factory) -> Path:
    """The demo landing folder of the session (shared by the workers: read it, copy it, never write to it)."""
    from trustloop.demo.generator import generate

    with shared(tmp_path_factory, "demo") as (folder, made):
        if not made:
            generate(folder / "landing", tickets=DEMO_TICKETS, seed=DEMO_SEED, progress=False)
    return folder / "landing"


@pytest.fixture(scope="session")
def demo_build(tmp_path_factory, demo_landing):
    return shared_build(tmp_path_factory, "demo_build", demo_landing)


@pytest.fixture(scope="session")
def demo_warehouse(demo_build) -> Path:
    return demo_build[0]


def query(warehouse: Path, sql: str, params=None):
    import duckdb

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def execute(warehouse: Path, *statements: str) -> None:
    """Run statements against a warehouse (writable), e.g. to tamper with a copy of one."""
    import duckdb

    con = duckdb.connect(str(warehouse))
    try:
        for statement in statements:
            con.execute(statement)
    finally:
        con.close()


def dbt_unit_test_project(tmp_path: Path, *, costs: bool = False) -> tuple[dict[str, str], list[str]]:
    """An empty warehouse of the real raw schema and policy tables (and cost table), for dbt's YAML unit tests.

    Returns the environment and the common dbt arguments (project, scratch target and log folders).
    """
    import os

    import duckdb

    from trustloop.ingest.loader import ensure_raw_schema, install_macros
    from trustloop.policy import load_policy, write_policy_tables
    from trustloop.settings import DBT_PROJECT_DIR, PROJECT_DIR

    policy = PROJECT_DIR / "policy" / "policy.yml"
    warehouse = tmp_path / "unit.duckdb"
    con = duckdb.connect(str(warehouse))
    install_macros(con)
    ensure_raw_schema(con)
    write_policy_tables(con, load_policy(policy))
    if costs:
        from trustloop.finance.costs import load_costs, write_cost_table

        write_cost_table(con, load_costs(policy))
    con.close()
    env = dict(os.environ, TRUSTLOOP_WAREHOUSE=str(warehouse), DBT_PROFILES_DIR=str(DBT_PROJECT_DIR),
               DBT_SEND_ANONYMOUS_USAGE_STATS="false")
    common = ["--project-dir", str(DBT_PROJECT_DIR), "--target-path", str(tmp_path / "target"),
              "--log-path", str(tmp_path / "logs")]
    return env, common


@dataclass(frozen=True)
class UnitTestRun:
    """The project's dbt unit tests, run once: ``dbt run --empty``, then ``dbt test --select test_type:unit``."""

    empty: subprocess.CompletedProcess
    unit: subprocess.CompletedProcess
    defined: dict[str, tuple[str, str]]  # every unit test of the project's manifest: name -> (model, YAML file)

    def assert_ran(self) -> None:
        """Both dbt commands exited 0 (a failing unit test makes ``dbt test`` exit 1)."""
        assert self.empty.returncode == 0, self.empty.stdout[-3000:]
        assert self.unit.returncode == 0, self.unit.stdout[-6000:]

    def passed(self) -> set[str]:
        """``model::test`` of every unit test dbt reported as passed."""
        return set(re.findall(r"PASS ([a-z_]+::[a-z_]+) ", self.unit.stdout))

    def passed_names(self, model_prefix: str = "") -> set[str]:
        """The names (without their model) of the passed unit tests of the models named ``model_prefix...``."""
        return {test for model, test in (name.split("::") for name in self.passed()) if model.startswith(model_prefix)}


@pytest.fixture(scope="session")
def dbt_unit_tests(tmp_path_factory) -> UnitTestRun:
    """Every dbt unit test of the project, run once per session (the three files that check them read this)."""
    dbt = str(Path(sys.executable).with_name("dbt"))
    with shared(tmp_path_factory, "dbt_unit_tests") as (folder, made):
        if not made:
            env, common = dbt_unit_test_project(folder, costs=True)
            for name, args in (("empty", ["run", "--empty"]), ("unit", ["test", "--select", "test_type:unit"])):
                proc = subprocess.run([dbt, *args, *common], env=env, capture_output=True, text=True)
                (folder / f"{name}.json").write_text(json.dumps([proc.args, proc.returncode, proc.stdout, proc.stderr]))
    empty, unit = (subprocess.CompletedProcess(*json.loads((folder / f"{name}.json").read_text()))
                   for name in ("empty", "unit"))
    manifest = json.loads((folder / "target" / "manifest.json").read_text()) if unit.returncode == 0 else {}
    defined = {t["name"]: (t["model"], t["original_file_path"]) for t in manifest.get("unit_tests", {}).values()}
    return UnitTestRun(empty, unit, defined)


EXPORT_KEY = ("metric", "grain", "grain_value", "dimension", "period", "period_start")


def export_differences(got: Path, expected: Path) -> dict[str, list]:
    """Two metrics exports compared row by row on their key: rows missing from ``got``, extra rows,
    and rows whose numerator or denominator differ, or whose value differs by more than 1e-9."""
    import csv

    def rows(path: Path) -> dict[tuple, dict]:
        with open(path, newline="") as handle:
            return {tuple(r[k] for k in EXPORT_KEY): r for r in csv.DictReader(handle)}

    def number(text: str | None) -> float | None:
        return float(text) if text not in ("", None) else None

    def same(a: dict, b: dict) -> bool:
        if any(number(a[f]) != number(b[f]) for f in ("numerator", "denominator")):
            return False
        x, y = number(a["value"]), number(b["value"])
        return (x is None and y is None) or (x is not None and y is not None and abs(x - y) <= 1e-9)

    got_rows, expected_rows = rows(got), rows(expected)
    return {
        "missing": sorted(set(expected_rows) - set(got_rows)),
        "extra": sorted(set(got_rows) - set(expected_rows)),
        "different": sorted(k for k in set(got_rows) & set(expected_rows) if not same(got_rows[k], expected_rows[k])),
    }
