"""Benchmark harness.

    python -m bench                       # 10k and 100k tickets
    python -m bench --sizes 10000,100000,1000000
    make bench                            # the same as the first line
    python -m bench --render-only         # results.md again from results.json (after editing notes.md)

For each size: generate a demo landing folder (timed), compute the floor
(bench/floor.py: the metrics export with bare DuckDB), then, as whole
processes on a fresh warehouse: a full `trustloop run`, an incremental run
after adding ~1 % new files, a no-op re-run (nothing changed: the run finds
its inputs' fingerprint unchanged and returns), and a forced re-run with no new
file (`run --force`: every model rebuilt, nothing read). Wall time and peak
RSS of each; ratios to the floor and to the full run. Results go to
bench/results.md (and bench/results.json); bench/notes.md, the analysis of
where the time goes and of any missed target, is appended to results.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent
PY = sys.executable
TRUSTLOOP = str(Path(PY).with_name("trustloop"))


def measure(cmd: list[str], env: dict[str, str]) -> dict:
    out = subprocess.run([PY, "-m", "bench.measure", "--", *cmd], env=env, cwd=PROJECT,
                         capture_output=True, text=True, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    if result["returncode"] != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{result['stderr_tail']}")
    return result


def add_increment(landing: Path, tickets: int, workdir: Path) -> int:
    """~1 % new data as new files: a small demo with other ids, renamed so it cannot collide."""
    from trustloop.demo.generator import write_increment

    return write_increment(landing, max(tickets // 100, 50), workdir)


def bench_size(tickets: int, root: Path, keep: bool) -> dict:
    from trustloop.demo.generator import generate  # noqa: F401  (import cost outside the timings)

    work = root / f"n{tickets}"
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    landing = work / "landing"
    env = dict(os.environ, TRUSTLOOP_OUTPUT_DIR=str(work / "output"), TRUSTLOOP_LANDING_DIR=str(landing),
               TRUSTLOOP_WAREHOUSE=str(work / "output" / "warehouse.duckdb"), DAGSTER_HOME=str(work / "dagster"))
    result: dict = {"tickets": tickets}
    result["generate"] = measure([TRUSTLOOP, "demo", "--out", str(landing), "--tickets", str(tickets),
                                  "--seed", "5", "--no-progress"], env)
    result["landing_bytes"] = sum(p.stat().st_size for p in landing.rglob("*") if p.is_file())
    result["floor"] = measure([PY, "-m", "bench.floor", str(landing), "--out", str(work / "floor.csv")], env)
    result["full"] = measure([TRUSTLOOP, "run"], env)
    result["increment_files"] = add_increment(landing, tickets, work)
    result["incremental"] = measure([TRUSTLOOP, "run"], env)
    result["noop"] = measure([TRUSTLOOP, "run"], env)
    result["forced"] = measure([TRUSTLOOP, "run", "--force"], env)
    if not keep:
        shutil.rmtree(work)
    return result


def _targets(results: list[dict]) -> list[str]:
    """Each target, at the largest size measured: met or missed, and by how much."""
    r = max(results, key=lambda x: x["tickets"])
    full, floor = r["full"]["seconds"], r["floor"]["seconds"]
    rss = max(r[k]["peak_rss_mib"] for k in ("full", "incremental", "noop", "forced"))
    gen_per_million = r["generate"]["seconds"] * 1_000_000 / r["tickets"]
    checks = [
        ("full run <= 2x the floor", full / floor, 2.0, f"{full / floor:.1f}x"),
        ("incremental (1 % new files) <= 10 % of a full run", r["incremental"]["seconds"] / full, 0.10,
         f"{r['incremental']['seconds'] / full:.0%}"),
        ("no-op re-run <= 5 % of a full run", r["noop"]["seconds"] / full, 0.05, f"{r['noop']['seconds'] / full:.0%}"),
        ("peak RSS <= 2 GiB", rss / 2048, 1.0, f"{rss:,.0f} MiB"),
        ("demo generator <= 2 min per 1M tickets", gen_per_million / 120, 1.0, f"{gen_per_million:.0f} s per 1M"),
    ]
    lines = [f"Targets at {r['tickets']:,} tickets (the largest size of this run):", ""]
    for name, value, limit, shown in checks:
        verdict = "met" if value <= limit else f"**missed** by {value / limit:.1f}x"
        lines.append(f"- {name}: {shown} - {verdict}")
    return lines


def render(results: list[dict], machine: dict) -> str:
    lines = [
        "# Benchmark results",
        "",
        f"Measured {machine['date']} on {machine['machine']} ({machine['cpus']} CPUs, Python {machine['python']}).",
        "Regenerate with `make bench` (or `python -m bench --sizes ...`). Whole processes, wall time;",
        "peak RSS is the largest process of the step (dbt runs as a child of `trustloop run`).",
        "",
        "| tickets | landing MB | generate s | floor s | full run s | full / floor | incremental s | incr / full |"
        " no-op s | no-op / full | forced re-run s | peak RSS MiB (full / incr / forced) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        full, floor = r["full"]["seconds"], r["floor"]["seconds"]
        lines.append(
            f"| {r['tickets']:,} | {r['landing_bytes'] / 1e6:,.0f} | {r['generate']['seconds']:.1f} | {floor:.1f} | "
            f"{full:.1f} | {full / floor:.1f}x | {r['incremental']['seconds']:.1f} | "
            f"{r['incremental']['seconds'] / full:.0%} | {r['noop']['seconds']:.1f} | {r['noop']['seconds'] / full:.0%} | "
            f"{r['forced']['seconds']:.1f} | {r['full']['peak_rss_mib']:,.0f} / {r['incremental']['peak_rss_mib']:,.0f} / "
            f"{r['forced']['peak_rss_mib']:,.0f} |"
        )
    lines += ["", *_targets(results), ""]
    notes = HERE / "notes.md"
    if notes.exists():
        lines += [notes.read_text().rstrip(), ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000", help="comma-separated ticket counts")
    parser.add_argument("--work", type=Path, default=HERE / "out", help="scratch folder (git-ignored)")
    parser.add_argument("--keep", action="store_true", help="keep the landing folders and warehouses")
    parser.add_argument("--results", type=Path, default=HERE / "results.md")
    parser.add_argument("--render-only", action="store_true",
                        help="measure nothing: write results.md again from results.json (after editing notes.md)")
    args = parser.parse_args(argv)
    if args.render_only:
        saved = json.loads(args.results.with_suffix(".json").read_text())
        args.results.write_text(render(saved["results"], saved["machine"]))
        return 0
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    results = []
    for n in sizes:
        print(f"benchmarking {n:,} tickets ...", file=sys.stderr)
        results.append(bench_size(n, args.work, args.keep))
        print(json.dumps(results[-1], default=str)[:400], file=sys.stderr)
    machine = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "machine": f"{platform.system()} {platform.machine()}",
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
    }
    args.results.write_text(render(results, machine))
    args.results.with_suffix(".json").write_text(json.dumps({"machine": machine, "results": results}, indent=2))
    print(args.results.read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
