"""Run one command as a child process; print its wall time and peak RSS as JSON.

    python -m bench.measure -- CMD ARGS...

Peak RSS is the largest resident set of the child or any of its descendants
that it waited for (getrusage RUSAGE_CHILDREN), in MiB.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time


def main() -> int:
    argv = sys.argv[1:]
    if argv and argv[0] == "--":
        argv = argv[1:]
    started = time.perf_counter()
    proc = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seconds = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(json.dumps({"seconds": seconds, "peak_rss_mib": peak_kib / 1024, "returncode": proc.returncode,
                      "stderr_tail": proc.stderr[-2000:]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
