"""The linters `make lint` runs, as tests: ruff (Python and notebooks) and sqlfluff (dbt models)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
LINT_TIMEOUT = 1800  # a bound against a hung linter, not a timing assertion


def test_ruff_is_clean():
    proc = subprocess.run(
        [str(BIN / "ruff"), "check", ".", "--no-cache", "--output-format", "concise"],
        cwd=PROJECT, capture_output=True, text=True, timeout=LINT_TIMEOUT,
    )
    assert proc.returncode == 0, f"ruff check . found problems:\n{proc.stdout[-6000:]}{proc.stderr[-2000:]}"


def sqlfluff_violations(paths: list[str]) -> list[dict]:
    """Lint with the repository's .sqlfluff; one dict per violation (file, code, line, description)."""
    # the dbt templater needs a profile, not a warehouse: an in-memory DuckDB keeps it off every real file
    env = dict(os.environ, TRUSTLOOP_WAREHOUSE=":memory:", DBT_SEND_ANONYMOUS_USAGE_STATS="false")
    proc = subprocess.run(
        [str(BIN / "sqlfluff"), "lint", *paths, "--format", "json", "--processes", "2", "--nofail"],
        cwd=PROJECT, env=env, capture_output=True, text=True, timeout=LINT_TIMEOUT,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    results = json.loads(proc.stdout)
    return [
        {"file": r["filepath"], "code": v["code"], "line": v.get("start_line_no"), "description": v["description"]}
        for r in results
        for v in r["violations"]
    ]


@pytest.mark.slow
def test_sqlfluff_is_clean():
    violations = sqlfluff_violations(["dbt_project/models"])
    by_file_and_rule = Counter((v["file"], v["code"]) for v in violations)
    # templating or parsing failures would hide real problems: they count as violations too
    summary = "\n".join(f"  {count:4d}  {code}  {file}" for (file, code), count in sorted(by_file_and_rule.items()))
    first = "\n".join(f"  {v['file']}:{v['line']} {v['code']} {v['description']}" for v in violations[:25])
    assert not violations, (
        f"sqlfluff found {len(violations)} violation(s) (count, rule, file):\n{summary}\nfirst ones:\n{first}\n"
        "fix with: TRUSTLOOP_WAREHOUSE=:memory: .venv/bin/sqlfluff fix <file>"
    )
