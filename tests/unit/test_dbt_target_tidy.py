"""dbt's per-invocation folders under target/ are pruned; its partial-parse state is kept for the next run."""

from __future__ import annotations

import os

from orchestration.resources import KEEP_INVOCATIONS, KEEP_SECONDS, stale_invocations


def test_only_old_folders_beyond_the_newest_few_are_pruned(tmp_path):
    now = 1_000_000_000.0
    made = []
    for i in range(KEEP_INVOCATIONS + 4):
        folder = tmp_path / f"trustloop_dbt-run{i:02d}-abc"
        folder.mkdir()
        age = KEEP_SECONDS + 3600 * (i + 1) if i != KEEP_INVOCATIONS + 3 else 60  # the last one is young
        os.utime(folder, (now - age, now - age))
        made.append(folder)
    (tmp_path / "manifest.json").write_text("{}")
    (tmp_path / "sqlfluff").mkdir()  # not an invocation folder
    # newest first: the young folder, then run00, run01...; the newest KEEP_INVOCATIONS stay, whatever their age
    kept = {made[-1], *made[: KEEP_INVOCATIONS - 1]}
    assert stale_invocations(tmp_path, now) == [p for p in made if p not in kept]
    # the folder of the invocation that just ran is never a candidate
    assert stale_invocations(tmp_path, now, keep=made[-2]) == [p for p in made[:-2] if p not in kept]
    # nothing is younger than a day but the young one: with a recent clock nothing goes
    assert stale_invocations(tmp_path, now - KEEP_SECONDS) == []
