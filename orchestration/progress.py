"""What `trustloop run` shows while it runs: one line per step of the job as it ends, on stderr.

A full run at 1M tickets is minutes, and its longest steps (ingestion, the ledger, dbt) minutes of
their own; without this the terminal stays silent until the summary. The lines come from the Dagster
run's own step events (an event listener on the instance, for the run's id), so they name the steps
as the Dagster UI and the benchmark's step tables do. On a terminal the step under way is shown too,
on a line the next one overwrites; anywhere else (a log file, a pipe) only finished steps are written.

The lines go to a copy of stderr's file descriptor taken before the run: during a run Dagster points
file descriptors 1 and 2 at its compute-log files (the step logs the UI shows) and mirrors them back
with ``tail -F``, which would delay the lines, drop the last ones when it is stopped, hide the terminal
and file them among the steps' own output.
"""

from __future__ import annotations

import io
import os
import sys
from typing import TextIO

# the step events this listens to, and the word a finished step gets (a success gets none)
STARTED = "STEP_START"
ENDED = {"STEP_SUCCESS": "", "STEP_FAILURE": "failed", "STEP_SKIPPED": "skipped"}

# names longer than this push their time to the right rather than every line
NAME_WIDTH_MAX = 48


def step_line(done: int, total: int, step_key: str, seconds: float | None, outcome: str = "",
              name_width: int = 0) -> str:
    """``  [ 3/27] raw__agent_logs    170.5 s  failed``: a step's place, name (padded to ``name_width``),
    time and (unless it succeeded) what became of it. A skipped step has no time."""
    shown = f"{seconds:7.1f} s" if seconds is not None else " " * 9
    place = f"[{done:>{len(str(total))}}/{total}]"
    return f"  {place} {step_key:<{name_width}} {shown}{'  ' + outcome if outcome else ''}".rstrip()


def _own_copy(stream: TextIO | None) -> tuple[TextIO | None, bool, bool]:
    """Where to write: a stream on a copy of ``stream``'s file descriptor when it has one (then closed
    by us), else ``stream`` itself; and whether it is a terminal."""
    if stream is None:
        return None, False, False
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):  # e.g. a StringIO
        return stream, False, False
    stream.flush()
    copy = os.fdopen(os.dup(fd), "w", encoding=getattr(stream, "encoding", None) or "utf-8", errors="replace")
    return copy, os.isatty(fd), True


class StepProgress:
    """An event listener writing ``step_line`` for each step of one run (``step_keys``) as it ends.

    ``begin`` picks the stream (stderr unless told) and writes the header; ``finish`` names the steps
    that never ran and lets the stream go. A write that fails (a closed pipe) turns the listener off:
    progress never fails a run.
    """

    def __init__(self, step_keys: list[str]):
        self.step_keys = list(step_keys)
        self.total = len(step_keys)
        self.name_width = min(max((len(k) for k in step_keys), default=0), NAME_WIDTH_MAX)
        self.done = 0
        self.started: dict[str, float] = {}
        self.ended: set[str] = set()
        self.out: TextIO | None = None
        self.tty = self.owned = False

    def begin(self, run_id: str, stream: TextIO | None = None) -> None:
        self.out, self.tty, self.owned = _own_copy(stream if stream is not None else sys.stderr)
        self._write(f"trustloop run {run_id}: {self.total} steps\n")

    def __call__(self, entry) -> None:
        event = getattr(entry, "dagster_event", None)
        if self.out is None or event is None or not entry.step_key:
            return
        kind = event.event_type_value
        if kind == STARTED:
            self.started[entry.step_key] = entry.timestamp
            if self.tty:  # the step under way, overwritten by the next line
                self._write("\r\033[K" + step_line(self.done + 1, self.total, entry.step_key, None, "...",
                                                   self.name_width))
        elif kind in ENDED:
            self.done += 1
            self.ended.add(entry.step_key)
            start = self.started.pop(entry.step_key, None)
            seconds = entry.timestamp - start if start is not None else None
            self._line(step_line(self.done, self.total, entry.step_key, seconds, ENDED[kind], self.name_width))

    def finish(self, completed: bool = True) -> None:
        """After the run: the steps that never ran (Dagster does not start a step whose inputs failed),
        unless the run did not complete (interrupted); then the stream is let go."""
        not_run = [k for k in self.step_keys if k not in self.ended]
        if completed and not_run:
            self._line(f"  not run ({len(not_run)} of {self.total}, after a failed step): {', '.join(not_run)}")
        elif self.tty:
            self._write("\r\033[K")  # an interrupted step's line under way
        self._let_go()

    def _line(self, line: str) -> None:
        self._write(("\r\033[K" if self.tty else "") + line + "\n")

    def _write(self, text: str) -> None:
        if self.out is None:
            return
        try:
            self.out.write(text)
            self.out.flush()
        except (OSError, ValueError):  # a closed pipe or stream: the run goes on without progress
            self._let_go()

    def _let_go(self) -> None:
        """No more writes; the copy of the file descriptor, when it is ours, is closed."""
        out, self.out = self.out, None
        if self.owned and out is not None:
            try:
                out.close()
            except (OSError, ValueError):  # its last flush failed: a closed pipe
                pass
