"""`trustloop spark build`: the dbt project on Apache Spark (local mode), from the warehouse's sources.

Needs the `spark` extra and Java 17 (``make test-spark`` installs both); see trustloop/spark.py and
docs/deployment.md.
"""

from __future__ import annotations

from pathlib import Path


def register(sub) -> None:
    spark = sub.add_parser("spark", help="build the dbt project on Apache Spark (local mode)")
    ssub = spark.add_subparsers(dest="spark_command", metavar="SUBCOMMAND")
    ssub.required = True
    build = ssub.add_parser(
        "build",
        help="export the warehouse's sources as Parquet, run `dbt build --target spark`, read the results back",
    )
    build.add_argument("--export", help="also write the metrics export (CSV) read from Spark to this file")
    build.add_argument("--select", nargs="+", help="dbt selection (default: the whole project)")
    build.set_defaults(handler=cmd_spark_build)


def cmd_spark_build(args) -> int:
    from trustloop.settings import get_settings
    from trustloop.spark import build

    settings = get_settings()
    summary = build(settings, export=Path(args.export) if args.export else None, select=args.select)
    print("trustloop spark build")
    print(f"  warehouse (sources) : {settings.warehouse}")
    print(f"  spark folder        : {settings.spark_dir}")
    print(f"  sources exported    : {len(summary.sources)} tables, {sum(summary.sources.values())} rows")
    for name, rows in summary.sources.items():
        print(f"    {name:<44} {rows:>9} rows")
    print(f"  models built        : {len(summary.models)}")
    for name, rows in summary.models.items():
        print(f"    {name:<44} {rows:>9} rows")
    print("  dbt results         : " + ", ".join(f"{k} {v}" for k, v in sorted(summary.tests.items())))
    if summary.export_path:
        print(f"  metrics export      : {summary.export_rows} rows -> {summary.export_path}")
    print(f"  seconds             : {summary.seconds}")
    for line in summary.failed:
        print(f"  FAILED {line}")
    print(": OK" if summary.ok else ": FAILED")
    return 0 if summary.ok else 1
