"""One writer at a time: a run holds an exclusive lock file beside the warehouse.

A second run waits, boundedly (TRUSTLOOP_LOCK_TIMEOUT seconds, saying so
once), then exits with a clear error. The lock is an OS lock (flock): it is
released when the process dies, so a killed run never leaves a stale lock.

The lock is re-entrant within a process: `trustloop run` takes it, then the
Dagster run it executes in-process takes it again through the warehouse
resource (which is how runs the daemon starts - schedules, the sensor, the
UI - are serialised with CLI runs).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path


class RunLocked(RuntimeError):
    pass


# lock files this process holds -> how many times (re-entrancy)
_held: dict[str, int] = {}
_held_guard = threading.Lock()


@contextlib.contextmanager
def run_lock(lock_file: Path, timeout: float, poll: float = 0.5, announce=None) -> Iterator[None]:
    key = str(Path(lock_file).resolve())
    with _held_guard:
        if _held.get(key):
            _held[key] += 1
            reentered = True
        else:
            reentered = False
    if reentered:
        try:
            yield
        finally:
            with _held_guard:
                _held[key] -= 1
        return
    with _exclusive(lock_file, timeout, poll, announce):
        with _held_guard:
            _held[key] = 1
        try:
            yield
        finally:
            with _held_guard:
                _held.pop(key, None)


@contextlib.contextmanager
def _exclusive(lock_file: Path, timeout: float, poll: float, announce) -> Iterator[None]:
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    handle = open(lock_file, "a+")
    deadline = time.monotonic() + timeout
    announced = False
    try:
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    handle.seek(0)
                    holder = handle.read().strip() or "another process"
                    raise RunLocked(
                        f"another trustloop run ({holder}) holds {lock_file}; gave up after {timeout:g} s "
                        "(raise TRUSTLOOP_LOCK_TIMEOUT to wait longer)"
                    ) from None
                if not announced:
                    (announce or (lambda m: print(m, file=sys.stderr)))(
                        f"waiting for another trustloop run to finish (lock {lock_file}, up to {timeout:g} s)"
                    )
                    announced = True
                time.sleep(poll)
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        yield
    finally:
        with contextlib.suppress(OSError):
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        handle.close()
