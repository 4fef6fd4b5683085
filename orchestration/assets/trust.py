"""Trust assets: the tamper-evident ledger of ingested records and the published trust snapshot.

Thin wrappers: the work is in trustloop.trust.ledger and trustloop.trust.snapshot.
"""


from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetExecutionContext,
    AssetKey,
    MaterializeResult,
    MetadataValue,
    asset,
    asset_check,
)

from orchestration.resources import WarehouseResource, load_manifest
from trustloop.ingest.contract import SOURCES
from trustloop.settings import get_settings
from trustloop.trust.ledger import (
    anchor_path,
    append_new_records,
    ensure_ledger_schema,
    rotate_stale_anchors,
    verify,
)
from trustloop.trust.snapshot import SNAPSHOT_TABLES, publish_snapshot, snapshot_path

OWNERS = ["team:analytics-engineering"]
LEDGER_KEY = AssetKey(["ledger", "records"])
ERASURES_KEY = AssetKey(["ledger", "erasures"])


@asset(
    key=ERASURES_KEY,
    group_name="ingest",
    owners=OWNERS,
    description=(
        "The erasure log written by `trustloop erase` (hash-chained; customers named only by SHA-256): which "
        "ledger entries no longer have a row, or hold an amended one. Materialised first in every run so the "
        "per-file reconciliation can always account for erased rows."
    ),
    kinds={"duckdb"},
)
def ledger_erasures(warehouse: WarehouseResource) -> MaterializeResult:
    con = warehouse.connect()
    try:
        ensure_ledger_schema(con)
        entries, subjects, erasures = con.execute(
            "select count(*), count(distinct subject_key) filter (where action not like 'set_aside%'), "
            "count(distinct erasure_id) from ledger.erasures"
        ).fetchone()
    finally:
        con.close()
    return MaterializeResult(
        metadata={"entries": int(entries), "customers_erased": int(subjects), "erasures": int(erasures)}
    )


@asset(
    key=LEDGER_KEY,
    deps=[AssetKey(["raw", name]) for name in SOURCES] + [AssetKey(["raw", "file_ledger"]), ERASURES_KEY],
    group_name="ingest",
    owners=OWNERS,
    description=(
        "Hash-chained ledger of every ingested record (hashes and pseudonymous keys only), appended in "
        "(source, file, line) order after each ingestion, with a checkpoint per run mirrored to "
        "<output>/ledger/<warehouse>.anchors.jsonl. `trustloop verify` checks the warehouse against it."
    ),
    kinds={"duckdb"},
)
def ledger_records(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    settings = get_settings()
    anchors = anchor_path(settings.output_dir, warehouse.resolved_path())
    con = warehouse.connect()
    try:
        rotated = rotate_stale_anchors(con, anchors)
        result = append_new_records(con, context.run.run_id, anchors)
    finally:
        con.close()
    if rotated:
        context.log.info(f"new ledger: the previous anchor file was kept as {rotated.name}")
    return MaterializeResult(
        metadata={
            "records_appended": result.appended,
            "records_total": result.total,
            "head_hash": result.head_hash,
            "checkpoint_hash": result.checkpoint_hash,
        }
    )


@asset_check(
    asset=LEDGER_KEY,
    description="The ledger chains and checkpoints recompute and every raw record matches its ledger entry.",
)
def ledger_verifies(warehouse: WarehouseResource) -> AssetCheckResult:
    settings = get_settings()
    con = warehouse.connect(read_only=False)
    try:
        report = verify(con, anchor_path(settings.output_dir, warehouse.resolved_path()))
    finally:
        con.close()
    return AssetCheckResult(
        passed=report.ok,
        severity=AssetCheckSeverity.ERROR,
        metadata={
            "records": report.records,
            "raw_rows": report.raw_rows,
            "problems": MetadataValue.md("\n".join(f"- {p}" for p in report.problems) or "none"),
            "anchors_checked": report.anchors_checked,
            "warnings": MetadataValue.md("\n".join(f"- {w}" for w in report.warnings) or "none"),
        },
    )


def _served_model_keys() -> list[AssetKey]:
    """Asset keys of the dbt models the snapshot copies (those present in the dbt project)."""
    manifest = load_manifest()
    present = {
        (node.get("schema"), node.get("name"))
        for node in manifest.get("nodes", {}).values()
        if node.get("resource_type") == "model"
    }
    return [AssetKey([schema, table]) for schema, table, _required in SNAPSHOT_TABLES if (schema, table) in present]


@asset(
    key=AssetKey(["trust", "snapshot"]),
    deps=[*_served_model_keys(), LEDGER_KEY],
    group_name="reports",
    owners=OWNERS,
    description=(
        "Read-only copy of the tables the trust lookup, the evidence packets and `trustloop serve` read "
        "(<output>/snapshot/trust.duckdb), published atomically (temp file + rename) at the end of each run, "
        "so readers keep answering while a run writes the warehouse."
    ),
    kinds={"duckdb"},
)
def trust_snapshot(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    out = snapshot_path(get_settings())
    meta = publish_snapshot(warehouse.resolved_path(), out, context.run.run_id)
    return MaterializeResult(
        metadata={
            "path": str(out),
            "published_at": meta["published_at"],
            "tables": MetadataValue.json(meta["tables"]),
        }
    )


trust_assets = [ledger_erasures, ledger_records, trust_snapshot]
trust_checks = [ledger_verifies]

__all__ = ["ledger_erasures", "ledger_records", "trust_snapshot", "ledger_verifies", "trust_assets", "trust_checks"]
