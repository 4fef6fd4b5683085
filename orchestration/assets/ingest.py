"""Ingestion assets: the policy file and one asset per landing source.

Thin wrappers: the work is in trustloop.policy and trustloop.ingest.
"""


from pathlib import Path

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    MaterializeResult,
    MetadataValue,
    asset,
    asset_check,
)

from orchestration.resources import WarehouseResource
from trustloop.ingest.contract import SOURCES
from trustloop.ingest.loader import ensure_raw_schema, ingest_source, install_macros
from trustloop.ingest.reconcile import reconciliation_problems
from trustloop.policy import load_policy, write_policy_tables
from trustloop.settings import get_settings

OWNERS = ["team:analytics-engineering"]


@asset(
    key=AssetKey(["raw", "policy"]),
    group_name="ingest",
    owners=OWNERS,
    description="The reviewed policy file (case-type catalog, tiers, limits), validated and published for dbt.",
    kinds={"duckdb", "yaml"},
)
def policy(warehouse: WarehouseResource) -> MaterializeResult:
    loaded = load_policy(get_settings().policy_file)
    con = warehouse.connect()
    try:
        write_policy_tables(con, loaded)
    finally:
        con.close()
    return MaterializeResult(
        metadata={
            "policy_version": loaded.version,
            "policy_sha256": loaded.sha256,
            "catalogued_case_types": len(loaded.case_types),
            "file": str(get_settings().policy_file),
        }
    )


def _ingest_asset(source: str) -> AssetsDefinition:
    @asset(
        name=source,
        key_prefix=["raw"],
        group_name="ingest",
        owners=OWNERS,
        description=(
            f"Every new landing file under <landing>/{source}/ (CSV, JSONL, Parquet), parsed per the "
            "landing contract; bad rows quarantined with file, line and reason; stored once per record."
        ),
        kinds={"duckdb"},
    )
    def _asset(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
        landing = get_settings().landing_dir
        con = warehouse.connect()
        try:
            results = ingest_source(con, Path(landing), source, context.run.run_id)
            stored = con.execute(f"select count(*) from raw.{source}").fetchone()[0]
        finally:
            con.close()
        read_files = [r for r in results if r.status != "skipped_duplicate_file"]
        for r in read_files:
            if r.error:
                context.log.error(f"{r.error} — all {r.rows_read} rows quarantined; the run goes on")
            else:
                context.log.info(
                    f"{r.file}: read {r.rows_read}, new {r.rows_new}, duplicate {r.rows_duplicate}, "
                    f"quarantined {r.rows_quarantined}"
                )
        return MaterializeResult(
            metadata={
                "landing_dir": str(landing),
                "files_read": len(read_files),
                "files_skipped": len(results) - len(read_files),
                "files_rejected": sum(1 for r in read_files if r.status == "rejected"),
                "rows_read": sum(r.rows_read for r in read_files),
                "rows_new": sum(r.rows_new for r in read_files),
                "rows_duplicate": sum(r.rows_duplicate for r in read_files),
                "rows_quarantined": sum(r.rows_quarantined for r in read_files),
                "rows_stored_total": int(stored),
                "files": MetadataValue.json([r.as_dict() for r in read_files]),
            }
        )

    return _asset


ingest_assets = [_ingest_asset(name) for name in SOURCES]


@asset(
    key=AssetKey(["raw", "file_ledger"]),
    deps=[AssetKey(["raw", name]) for name in SOURCES],
    group_name="ingest",
    owners=OWNERS,
    description=(
        "Reconciliation of every landing file ever read: rows read = rows loaded + rows quarantined, and the "
        "rows stored per file match the ledger. A run where this does not hold fails here."
    ),
    kinds={"duckdb"},
)
def file_ledger(warehouse: WarehouseResource) -> MaterializeResult:
    con = warehouse.connect()
    try:
        install_macros(con)
        ensure_raw_schema(con)
        problems = reconciliation_problems(con)
        totals = con.execute(
            """select count(*), coalesce(sum(rows_read), 0), coalesce(sum(rows_loaded), 0),
                      coalesce(sum(rows_quarantined), 0)
               from raw.file_ledger"""
        ).fetchone()
    finally:
        con.close()
    if problems:
        raise RuntimeError("reconciliation failed:\n" + "\n".join(problems))
    return MaterializeResult(
        metadata={
            "files": int(totals[0]),
            "rows_read": int(totals[1]),
            "rows_loaded": int(totals[2]),
            "rows_quarantined": int(totals[3]),
        }
    )


@asset(
    key=AssetKey(["raw", "quarantine"]),
    deps=[AssetKey(["raw", name]) for name in SOURCES],
    group_name="ingest",
    owners=OWNERS,
    description="Rows that broke the landing contract, with source, file, line, reason and raw text.",
    kinds={"duckdb"},
)
def quarantine(warehouse: WarehouseResource) -> MaterializeResult:
    con = warehouse.connect()
    try:
        ensure_raw_schema(con)
        by_source = dict(con.execute("select source, count(*) from raw.quarantine group by 1").fetchall())
        top = con.execute(
            """select source, split_part(reason, ':', 1) as reason, count(*) as n
               from raw.quarantine group by all order by n desc limit 20"""
        ).fetchall()
    finally:
        con.close()
    return MaterializeResult(
        metadata={
            "rows_quarantined": sum(by_source.values()),
            "by_source": MetadataValue.json(by_source),
            "top_reasons": MetadataValue.md(
                "| source | reason | rows |\n|---|---|---|\n" + "\n".join(f"| {s} | {r} | {n} |" for s, r, n in top)
            ),
        }
    )


@asset_check(asset=file_ledger, blocking=True, description="rows read = rows loaded + rows quarantined, per file")
def file_ledger_reconciles(warehouse: WarehouseResource) -> AssetCheckResult:
    con = warehouse.connect(read_only=False)
    try:
        problems = reconciliation_problems(con)
    finally:
        con.close()
    return AssetCheckResult(
        passed=not problems,
        severity=AssetCheckSeverity.ERROR,
        metadata={"problems": MetadataValue.md("\n".join(f"- {p}" for p in problems) or "none")},
    )


__all__ = ["policy", "ingest_assets", "file_ledger", "quarantine", "file_ledger_reconciles"]
