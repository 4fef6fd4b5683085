"""The step lines of `trustloop run` (orchestration.progress), on real Dagster runs of a small job: a line
per step as it ends, a failed step said so and the steps after it named; the step under way on a terminal;
a closed stream does not fail the run. (The whole `trustloop run` is checked in tests/e2e and
tests/quality/test_ticket_time_order.py.)"""

from __future__ import annotations

import os
import re
import uuid

import pytest

from orchestration.progress import StepProgress, step_line


def test_a_step_line_has_its_place_name_time_and_outcome():
    assert step_line(3, 27, "raw__agent_logs", 170.54, name_width=20) == (
        "  [ 3/27] raw__agent_logs        170.5 s")
    assert step_line(12, 27, "trustloop_dbt", 1.0, "failed", 15) == "  [12/27] trustloop_dbt       1.0 s  failed"
    assert step_line(1, 9, "a_step_longer_than_its_width", None, "skipped", 4) == (
        "  [1/9] a_step_longer_than_its_width            skipped")


def _job(fail: bool):
    """load -> check -> build -> report, and a side step; ``check`` fails when told to."""
    from dagster import In, Nothing, job, op

    @op
    def load():
        return 1

    @op
    def check(value):
        if fail:
            raise ValueError("the check failed")
        return value

    @op(ins={"after": In(Nothing)})
    def side():
        return None

    @op
    def build(value):
        return value + 1

    @op
    def report(value):
        return value

    @job
    def small():
        value = load()
        report(build(check(value)))
        side(after=value)

    return small


def _run(fail: bool, stream) -> tuple[bool, StepProgress]:
    from dagster import DagsterInstance

    small = _job(fail)
    run_id = str(uuid.uuid4())
    listener = StepProgress([node.name for node in small.nodes_in_topological_order])
    instance = DagsterInstance.ephemeral()
    listener.begin(run_id, stream)
    instance.add_event_listener(run_id, listener)
    try:
        result = small.execute_in_process(instance=instance, run_id=run_id, raise_on_error=False)
    finally:
        listener.finish(completed=True)
    return result.success, listener


def _pipe():
    read_fd, write_fd = os.pipe()
    return os.fdopen(read_fd, "r"), os.fdopen(write_fd, "w")


LINE = re.compile(r"^  \[(\d)/5\] (\w+)\s+(\d+\.\d) s(  failed)?$")


def test_each_step_gets_a_line_as_it_ends_and_a_failure_names_what_did_not_run():
    read, write = _pipe()
    with read, write:
        ok, _ = _run(fail=False, stream=write)
        write.close()  # the listener wrote to its own copy of the descriptor, closed by finish()
        text = read.read()
    assert ok
    lines = text.splitlines()
    assert re.fullmatch(r"trustloop run [0-9a-f-]{36}: 5 steps", lines[0])
    steps = [LINE.match(line) for line in lines[1:]]
    assert all(steps) and len(steps) == 5, text
    assert [int(m[1]) for m in steps] == [1, 2, 3, 4, 5]
    names = [m[2] for m in steps]
    assert sorted(names) == ["build", "check", "load", "report", "side"]
    assert names[0] == "load" and names.index("check") < names.index("build") < names.index("report")
    assert not any(m[4] for m in steps) and "\033" not in text  # not a terminal: no line rewritten

    read, write = _pipe()
    with read, write:
        ok, _ = _run(fail=True, stream=write)
        write.close()
        lines = read.read().splitlines()
    assert not ok
    failed = [line for line in lines if line.endswith("  failed")]
    assert len(failed) == 1 and LINE.match(failed[0])[2] == "check"
    assert lines[-1] == "  not run (2 of 5, after a failed step): build, report"


def test_on_a_terminal_the_step_under_way_shows_and_is_overwritten():
    master, slave = os.openpty()
    with os.fdopen(slave, "w") as terminal:
        ok, listener = _run(fail=False, stream=terminal)
        assert listener.tty
    text = b""
    os.set_blocking(master, False)
    try:
        while chunk := os.read(master, 65536):
            text += chunk
    except (BlockingIOError, OSError):
        pass
    finally:
        os.close(master)
    shown = text.decode()
    assert ok
    # every step: first under way ("..."), then its finished line written over it
    for name in ("load", "check", "build", "report", "side"):
        assert re.search(rf"\r\033\[K  \[\d/5\] {name}\s+\.\.\.", shown), shown
        assert re.search(rf"\r\033\[K  \[\d/5\] {name}\s+\d+\.\d s\r?\n", shown), shown


def test_a_closed_stream_does_not_fail_the_run():
    read, write = _pipe()
    read.close()  # nobody reads: a write raises BrokenPipeError
    with write:
        ok, listener = _run(fail=False, stream=write)
    assert ok and listener.out is None  # turned off at its first write (the header), the run went on


@pytest.mark.parametrize("fail", [False, True])
def test_every_step_is_counted_once(fail):
    read, write = _pipe()
    with read, write:
        _, listener = _run(fail=fail, stream=write)
        write.close()
        read.read()
    assert listener.done == (3 if fail else 5) and listener.ended <= set(listener.step_keys)
