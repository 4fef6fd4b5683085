"""dbt in the Dagster step's own process, seen by dagster-dbt as the dbt process it would start.

Why. A dbt step as a process of its own pays, before its first node, about 6 s of the interpreter,
importing dbt (3-4 s here) and registering the adapter; a run has two dbt steps. In the step's process
dbt is imported once, and an invocation costs what dbt itself does: the decisions build of the contract
sample takes 3 s instead of 10 (DECISIONLOG, "dbt in the run's process").

How. dagster-dbt starts dbt with ``subprocess.Popen`` and reads its JSON log lines from the pipe. Here
``DbtThread`` plays that process: it runs ``dbtRunner.invoke`` in a thread and writes every event dbt's
JSON log on stdout would carry (``msg_to_json``, info level and above) into a pipe, which dagster-dbt
reads exactly as it reads a process's stdout: the same events, the same Dagster materialisations and
checks, the same error messages, the same invocation folder (logs, run results, partial-parse state).
``in_process_invocations`` makes dagster-dbt's resource build its invocations with
``InProcessDbtCliInvocation`` (a ``DbtCliInvocation`` whose ``run`` starts a ``DbtThread``).

What differs from a process of its own:
- the environment dagster-dbt gives the process (``DBT_TARGET_PATH``, ``DBT_LOG_FORMAT`` ...) is set
  in this process for the invocation and restored after; relative paths are made absolute, since the
  process would have run in the project folder;
- dbt's DuckDB lives in this process while dbt runs (capped by ``TRUSTLOOP_DBT_MEMORY`` as before),
  and is closed when the invocation ends (``close_dbt_duckdb``);
- an interrupt stops dbt once the node it is running ends (a KeyboardInterrupt raised in its thread,
  handled by dbt as Ctrl-C), not in the middle of it; the step waits for that, and a job run stops any
  in-process dbt still running when it returns (``stop_all``: the interrupt may land between two events,
  where dagster-dbt's handler does not see it).

``TRUSTLOOP_DBT_IN_PROCESS=0`` starts dbt as a process of its own again (dagster-dbt unchanged).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import threading
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from dagster_dbt.core import resource as dagster_dbt_resource
from dagster_dbt.core.dbt_cli_invocation import DbtCliInvocation

# the variables of dagster-dbt's process environment that hold a path, relative to the project folder
_PATH_VARIABLES = ("DBT_TARGET_PATH", "DBT_LOG_PATH", "DBT_PROJECT_DIR", "DBT_PROFILES_DIR")
# one invocation at a time in a process: the environment and dbt's own globals are the process's
_INVOCATION_LOCK = threading.Lock()
# the invocations of this process whose dbt still runs (stop_all)
_LIVE: set[DbtThread] = set()


def enabled() -> bool:
    """dbt runs in the step's process unless TRUSTLOOP_DBT_IN_PROCESS is 0 (trustloop.settings)."""
    from trustloop.settings import get_settings

    return get_settings().dbt_in_process


def invocation_environment(env: Mapping[str, str], cwd: Path) -> dict[str, str]:
    """The variables of ``env`` (dagster-dbt's environment for dbt) to set in this process for dbt.

    Only those that differ from this process's own; paths made absolute against ``cwd``; dbt's log
    on stdout switched off (the events reach dagster-dbt through the pipe, which writes them out
    itself, as it does a process's lines); its log file kept at debug level, as in a process.
    """
    wanted = {k: v for k, v in env.items() if os.environ.get(k) != v}
    for key in _PATH_VARIABLES:
        if key in env and not Path(env[key]).is_absolute():
            wanted[key] = str(cwd / env[key])
    wanted["DBT_LOG_LEVEL"] = "none"
    wanted["DBT_LOG_LEVEL_FILE"] = "debug"
    return wanted


@contextlib.contextmanager
def _environment(values: Mapping[str, str]) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _error_line(message: str) -> str:
    """A log line of dbt's JSON shape for an error dbt raised rather than logged."""
    import json

    return json.dumps({"info": {"name": "MainEncounteredError", "level": "error", "msg": message}, "data": {}})


def close_dbt_duckdb() -> None:
    """Close the DuckDB database dbt-duckdb keeps open after an invocation (its ``keep_open`` default).

    A process of its own would close it on exit. Left open here, it would hold the warehouse file in
    this process with dbt's configuration, and this process's next connection of another configuration
    (or another process's) would be refused.
    """
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    with DuckDBConnectionManager._LOCK:
        environment, DuckDBConnectionManager._ENV = DuckDBConnectionManager._ENV, None
        if environment is not None:
            environment.close()


class DbtThread:
    """The part of ``subprocess.Popen`` dagster-dbt uses (args, stdout, returncode, wait, poll,
    send_signal), for a dbt invocation run by ``dbtRunner`` in a thread of this process."""

    def __init__(self, args: Sequence[str], env: Mapping[str, str], cwd: Path):
        self.args = list(args)
        self.returncode: int | None = None
        self.pid = os.getpid()
        self._environment = invocation_environment(env, Path(cwd))
        read, write = os.pipe()
        self.stdout = os.fdopen(read, "rb")
        self._pipe = os.fdopen(write, "wb", buffering=0)
        self._errors_logged = False
        self._interrupted = False
        self._thread = threading.Thread(target=self._invoke, name="dbt", daemon=True)
        _LIVE.add(self)
        self._thread.start()

    def _write(self, line: str) -> None:
        with contextlib.suppress(OSError):  # the reader stopped reading: the invocation still ends
            self._pipe.write(line.encode() + b"\n")

    def _event(self, msg: Any) -> None:
        from dbt_common.events.functions import msg_to_json

        level = msg.info.level
        if level == "debug":  # dbt's stdout log, at its default level, leaves these out
            return
        self._errors_logged = self._errors_logged or level == "error"
        self._write(msg_to_json(msg))

    def _invoke(self) -> None:
        code = 2
        try:
            from dbt.cli.main import dbtRunner

            with _INVOCATION_LOCK, _environment(self._environment):
                result = dbtRunner(callbacks=[self._event]).invoke(self.args[1:])
            if result.success:
                code = 0
            elif result.exception is None:
                code = 1  # dbt ran and something failed (a model or a test): as dbt's exit code 1
            elif not self._errors_logged:
                self._write(_error_line(f"{type(result.exception).__name__}: {result.exception}"))
        except BaseException as exc:  # noqa: BLE001 - reported through the pipe as dbt's own error
            self._write(_error_line(f"{type(exc).__name__}: {exc}"))
        finally:
            try:
                for _ in range(2):  # an interrupt (send_signal) may land here once, as dbt ends
                    try:
                        close_dbt_duckdb()
                        break
                    except KeyboardInterrupt:
                        continue
            finally:
                self.returncode = code
                self._pipe.close()
                _LIVE.discard(self)

    def poll(self) -> int | None:
        return None if self._thread.is_alive() else self.returncode

    def wait(self, timeout: float | None = None) -> int:
        # once interrupted, dbt stops after the node it is running: waited for whatever the timeout, so
        # that nothing after the step meets dbt's DuckDB still open in this process
        self._thread.join(None if self._interrupted else timeout)
        if self._thread.is_alive():
            raise subprocess.TimeoutExpired(self.args, timeout)
        return self.returncode

    def send_signal(self, sig: int) -> None:  # noqa: ARG002 - Popen's signature
        """An interrupt (dagster-dbt forwards the run's SIGINT here): a KeyboardInterrupt raised in dbt's
        thread, which dbt handles as it handles Ctrl-C in a process of its own (no further node, its
        connections cancelled, the invocation failed) once the node it is running ends."""
        if self._interrupted or not self._thread.is_alive():
            return
        self._interrupted = True
        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(self._thread.ident),
                                                   ctypes.py_object(KeyboardInterrupt))

    def stop(self) -> None:
        """After a dbt step ended without reading its events to the end (interrupted between two of them,
        or failed): interrupt dbt if it still runs, stop the pipe (a write that waits for a reader fails
        instead), and wait for the thread, so that nothing after the step meets dbt's DuckDB open."""
        if not self._thread.is_alive():
            return
        self.send_signal(signal.SIGINT)
        with contextlib.suppress(OSError):
            self.stdout.close()
        self._thread.join()


def stop(process: Any) -> None:
    """``DbtThread.stop`` for an in-process dbt; nothing for a dbt process (dagster-dbt's, as before)."""
    if isinstance(process, DbtThread):
        process.stop()


def stop_all() -> None:
    """Stop every in-process dbt of this process still running: for the end of a job run, whose
    interrupted step may have left its invocation unread (Dagster need not close the step's generator)."""
    for thread in list(_LIVE):
        thread.stop()


class InProcessDbtCliInvocation(DbtCliInvocation):
    """dagster-dbt's invocation, with dbt run by a ``DbtThread`` instead of a process."""

    @classmethod
    def run(cls, args, env, manifest, dagster_dbt_translator, project_dir, target_path, raise_on_error,
            context, adapter, cli_version, dbt_project=None) -> DbtCliInvocation:
        return cls(
            process=DbtThread(args, env, project_dir),
            manifest=manifest,
            project=dbt_project,
            dagster_dbt_translator=dagster_dbt_translator,
            project_dir=project_dir,
            target_path=target_path,
            raise_on_error=raise_on_error,
            context=context,
            adapter=adapter,
            cli_version=cli_version,
        )


@contextlib.contextmanager
def in_process_invocations() -> Iterator[None]:
    """dagster-dbt's ``DbtCliResource.cli`` builds its invocations with ``InProcessDbtCliInvocation``
    while the block runs (it names ``DbtCliInvocation`` from its own module: that name is swapped)."""
    original = dagster_dbt_resource.DbtCliInvocation
    dagster_dbt_resource.DbtCliInvocation = InProcessDbtCliInvocation
    try:
        yield
    finally:
        dagster_dbt_resource.DbtCliInvocation = original
