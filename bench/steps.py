"""Where a measured run's time went: its Dagster steps, read from the run's own Dagster storage.

A ``trustloop run`` measured by the harness is one Dagster job run (none for a no-op re-run, which
returns before starting one). Its steps run one after the other in the run's process, so a run's wall
time splits into its steps, Dagster's own work between them, and what the command does outside the job
(imports, start-up, the input fingerprint, the summary). ``render_steps`` lays that out per step for
the full, incremental and forced runs of one size, so the analysis in notes.md can be checked against
the harness's own output rather than against a profile taken by hand.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

RUNS = (("full", "full run"), ("incremental", "incremental"), ("forced", "forced re-run"))
# a step shorter than this in every run is counted in one "other steps" line
SHOWN_SECONDS = 1.0


def job_run_steps(dagster_home: Path, started_after: float) -> dict | None:
    """The newest job run of ``dagster_home`` if it started after ``started_after`` (a Unix time):
    its id, its seconds from start to end, and each step's seconds. None when no run started since
    (the measured command found nothing to do)."""
    from dagster import DagsterInstance

    with DagsterInstance.from_config(str(dagster_home)) as instance:
        runs = instance.get_runs(limit=1)
        if not runs:
            return None
        run_id = runs[0].run_id
        stats = instance.get_run_stats(run_id)
        if stats.start_time is None or stats.end_time is None or stats.start_time < started_after:
            return None
        steps = {
            step.step_key: round(step.end_time - step.start_time, 2)
            for step in instance.get_run_step_stats(run_id)
            if step.start_time is not None and step.end_time is not None
        }
    return {"run_id": run_id, "job_seconds": round(stats.end_time - stats.start_time, 2), "steps": steps}


def _cell(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def render_steps(result: Mapping) -> list[str]:
    """Markdown lines: the step times of one size's measured runs (nothing when none were recorded)."""
    runs = [(key, label, result[key]["job"]) for key, label in RUNS
            if result.get(key) and result[key].get("job")]
    if not runs:
        return []
    # each step's longest time in any of the runs: the order of the rows, and whether it gets one
    peak = {name: max(job["steps"].get(name, 0.0) for _, _, job in runs) for _, _, job in runs for name in job["steps"]}
    names = sorted(peak, key=lambda name: (-peak[name], name))
    shown = [n for n in names if peak[n] >= SHOWN_SECONDS]
    others = [n for n in names if peak[n] < SHOWN_SECONDS]
    lines = [
        f"Where the time went at {result['tickets']:,} tickets: seconds per Dagster step of each run "
        f"(one step at a time, in the run's process), read from the run's own Dagster storage.",
        "",
        "| step | " + " | ".join(label for _, label, _ in runs) + " |",
        "|---|" + "---:|" * len(runs),
    ]
    for name in shown:
        lines.append(f"| {name} | " + " | ".join(_cell(job["steps"].get(name)) for _, _, job in runs) + " |")
    if others:
        lines.append(f"| {len(others)} other steps (under {SHOWN_SECONDS:g} s each) | "
                     + " | ".join(_cell(sum(job["steps"].get(n, 0.0) for n in others)) for _, _, job in runs) + " |")
    lines.append("| Dagster between the steps | "
                 + " | ".join(_cell(job["job_seconds"] - sum(job["steps"].values())) for _, _, job in runs) + " |")
    lines.append("| outside the job run (start-up, fingerprint, summary) | "
                 + " | ".join(_cell(result[key]["seconds"] - job["job_seconds"]) for key, _, job in runs) + " |")
    lines.append("| **whole process** | " + " | ".join(f"**{result[key]['seconds']:.1f}**" for key, _, _ in runs) + " |")
    return lines
