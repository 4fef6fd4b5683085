"""A Dagster job run must not leave SIGTERM ignored in a process started in the background.

Dagster ends an in-process job run by giving SIGTERM whatever handler SIGINT has. A shell starts a
background command (``trustloop run &`` in a script) with SIGINT ignored, so after a run SIGTERM was
ignored too, in the command and in every process it started next. ``orchestration.runner.sigterm_kept``
(around the job run of ``run_pipeline``) puts SIGTERM back. Checked in a fresh interpreter started as a
shell starts a background command, with a real Dagster job run, on the child it starts afterwards.
"""

from __future__ import annotations

import signal
import subprocess
import sys

from tests.conftest import PROJECT

SCRIPT = r"""
import signal, subprocess, sys
from dagster import DagsterInstance, job, op
from orchestration.runner import sigterm_kept

@op
def one():
    return 1

@job
def tiny():
    one()

def child_ignores_sigterm():
    out = subprocess.run([sys.executable, "-c", "print([l for l in open('/proc/self/status') if l.startswith('SigIgn')][0])"],
                         capture_output=True, text=True, check=True).stdout
    return bool(int(out.split()[1], 16) & (1 << (signal.SIGTERM - 1)))

with DagsterInstance.ephemeral() as instance:
    assert tiny.execute_in_process(instance=instance).success
    print("plain", signal.getsignal(signal.SIGTERM) == signal.SIG_IGN, child_ignores_sigterm())
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    with sigterm_kept():
        assert tiny.execute_in_process(instance=instance).success
    print("kept", signal.getsignal(signal.SIGTERM) == signal.SIG_IGN, child_ignores_sigterm())
"""


def _as_background_job():  # what a shell does for `command &`: SIGINT ignored (and SIGTERM not)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def test_a_job_run_leaves_sigterm_as_it_found_it_in_a_background_process():
    proc = subprocess.run([sys.executable, "-c", SCRIPT], cwd=PROJECT, capture_output=True, text=True,
                          preexec_fn=_as_background_job, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = dict(line.split(" ", 1) for line in proc.stdout.splitlines() if line.startswith(("plain", "kept")))
    # Dagster alone: SIGTERM ignored after the run, in the process and in the child it starts next
    assert lines["plain"] == "True True", proc.stdout
    # around sigterm_kept: as before the run, in both
    assert lines["kept"] == "False False", proc.stdout
