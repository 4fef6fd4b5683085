"""Great Expectations suites as Dagster asset checks (GX 1.x called directly).

Every suite (expectations/suites) becomes a check named ``gx_<suite>`` on the
asset of the table it guards. Suites that guard the evidence are blocking
with ERROR severity, and their failure message names the table, each failing
expectation and a sample of failing rows (the same results go to
``quality.validation_results`` and the Data Docs).

How the blocking reaches everything downstream. Dagster enforces a blocking
check through an execution edge from the check's op to every op that reads
the checked asset *directly*. That is enough for the raw tables: the dbt
evidence build reads them, so a failing raw suite stops the whole build and
everything after it. It is not enough for the marts: the model, decision and
report assets mostly read other marts of the same dbt build (e.g. the
recommendations read ``fct_autonomy_evidence``, built from
``fct_evaluations``), so a check on ``fct_evaluations`` alone would not hold
them back. Hence the mart suites run together in ONE multi-asset check op
(``gx_evidence_suites``) that also carries a blocking ``gx_evidence_gate``
check on every other asset of the dbt evidence build. When any evidence
suite fails, the op fails as a whole, none of its check outputs exist, and
every op reading any asset of the evidence build is skipped in that run.

Within the dbt build itself, full-table row rules that must stop the rest of
the build are dbt tests (dbt_project/tests/quality/), enforced by dbt.
"""

import json
from collections.abc import Iterator
from pathlib import Path

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckKey,
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetKey,
    MetadataValue,
    asset_check,
    multi_asset_check,
)

from expectations.core import Suite
from expectations.suites import SUITES
from orchestration.resources import WarehouseResource, ensure_manifest

# suites whose table is built by a model that may not exist yet in the dbt project
OPTIONAL_MODELS = {"rpt_autonomy_recommendations": "rpt_autonomy_recommendations"}
GATE_CHECK = "gx_evidence_gate"
EVIDENCE_OP = "gx_evidence_suites"


def _dbt_models(manifest: Path) -> set[str]:
    try:
        nodes = json.loads(manifest.read_text())["nodes"].values()
    except (OSError, ValueError, KeyError):
        return set()
    return {n["name"] for n in nodes if n.get("resource_type") == "model"}


def available_suites(manifest: Path | None = None) -> list[Suite]:
    """The suites whose table is produced in this code location."""
    models = _dbt_models(manifest or ensure_manifest())
    return [s for s in SUITES if s.name not in OPTIONAL_MODELS or OPTIONAL_MODELS[s.name] in models]


def evidence_build_keys() -> set[AssetKey]:
    """The assets of the dbt evidence build (the multi-asset the mart suites guard)."""
    from orchestration.assets.dbt import trustloop_dbt

    return set(trustloop_dbt.keys)


# --------------------------------------------------------------------------- results


def _failures_markdown(outcome) -> str:
    rows = ["| batch | expectation | observed | failing rows |", "|---|---|---|---|"]
    for o in outcome.failures:
        observed = (
            f"{o.unexpected_count} of {o.element_count} rows"
            if o.unexpected_count is not None and o.element_count is not None
            else json.dumps(o.observed, default=str)[:200]
        )
        sample = json.dumps(o.failing_sample, default=str)[:400] if o.failing_sample else ""
        label = o.label.replace("|", "/") + (f" - {o.description}" if o.description else "")
        rows.append(f"| {o.batch} | {label} | {observed.replace('|', '/')} | {sample.replace('|', '/')} |")
    return "\n".join(rows)


def _severity(suite: Suite) -> AssetCheckSeverity:
    return AssetCheckSeverity.ERROR if suite.blocking else AssetCheckSeverity.WARN


def suite_result(suite: Suite, outcome, *, with_key: bool = False) -> AssetCheckResult:
    """The Dagster check result of one validated suite."""
    samples = {f"[{o.batch}] {o.label}": o.failing_sample for o in outcome.failures if o.failing_sample}
    metadata = {
        "table": suite.table,
        "suite": suite.name,
        "expectations": len(outcome.outcomes),
        "failed_expectations": len(outcome.failures),
        "rows_validated": MetadataValue.json(outcome.rows_validated),
        "sampled": MetadataValue.json({k: v for k, v in outcome.sampled.items() if v}),
        "seconds": round(outcome.seconds, 3),
        "results_table": "quality.validation_results",
    }
    if outcome.per_row:
        metadata["per_row_results"] = len(outcome.per_row)
        metadata["per_row_failed"] = sum(1 for r in outcome.per_row if not r.success)
    if outcome.failures:
        metadata["failures"] = MetadataValue.md(_failures_markdown(outcome))
    if samples:
        metadata["failing_rows"] = MetadataValue.json(samples)
    if outcome.data_docs is not None:
        metadata["data_docs"] = MetadataValue.path(str(outcome.data_docs))
    key = {"asset_key": AssetKey(list(suite.asset_key)), "check_name": suite.check_name} if with_key else {}
    return AssetCheckResult(
        passed=outcome.success,
        severity=_severity(suite),
        description=outcome.message[:4000],
        metadata=metadata,
        **key,
    )


def _log(context, suite: Suite, outcome) -> None:
    if not outcome.success:
        (context.log.error if suite.blocking else context.log.warning)(outcome.message)


# --------------------------------------------------------------------------- one check per suite


def build_quality_check(suite: Suite) -> AssetChecksDefinition:
    """A Dagster asset check running one GX suite (raw tables, and tables outside the evidence build)."""

    @asset_check(
        asset=AssetKey(list(suite.asset_key)),
        name=suite.check_name,
        blocking=suite.blocking,
        description=(
            f"Great Expectations suite {suite.name} on {suite.table}: {suite.description}"
            + (" Blocking: nothing downstream runs when it fails." if suite.blocking else " Warning only.")
        ),
    )
    def _check(context: AssetCheckExecutionContext, warehouse: WarehouseResource) -> AssetCheckResult:
        from expectations.runner import run_suite

        outcome = run_suite(suite, run_id=context.run.run_id, warehouse=warehouse.resolved_path())
        _log(context, suite, outcome)
        return suite_result(suite, outcome)

    return _check


# --------------------------------------------------------------------------- the evidence suites + gates


def build_evidence_check(suites: list[Suite], gated: list[AssetKey]) -> AssetChecksDefinition:
    """One op validating every suite of the evidence build, with a gate check on each other asset of it."""
    suite_specs = {
        AssetCheckKey(AssetKey(list(s.asset_key)), s.check_name): (
            s,
            AssetCheckSpec(
                name=s.check_name,
                asset=AssetKey(list(s.asset_key)),
                blocking=s.blocking,
                description=f"Great Expectations suite {s.name} on {s.table}: {s.description}",
            ),
        )
        for s in suites
    }
    gate_specs = {
        AssetCheckKey(key, GATE_CHECK): AssetCheckSpec(
            name=GATE_CHECK,
            asset=key,
            blocking=True,
            description=(
                "Every blocking Great Expectations suite of the evidence marts passed in this run "
                "(holds back whatever reads this asset when one fails)."
            ),
        )
        for key in sorted(gated, key=lambda k: k.to_user_string())
    }

    @multi_asset_check(
        name=EVIDENCE_OP,
        specs=[spec for _, spec in suite_specs.values()] + list(gate_specs.values()),
        can_subset=True,
        description="Great Expectations suites of the evidence marts, and the gates that hold back their readers.",
    )
    def _evidence(context: AssetCheckExecutionContext, warehouse: WarehouseResource) -> Iterator[AssetCheckResult]:
        from expectations.runner import run_suite

        selected = set(context.selected_asset_check_keys)
        gates = [k for k in gate_specs if k in selected]
        # a gate needs every blocking suite's verdict, selected or not
        to_run = [s for k, (s, _) in suite_specs.items() if k in selected or (gates and s.blocking)]
        failed: list[str] = []
        for i, suite in enumerate(to_run):
            outcome = run_suite(suite, run_id=context.run.run_id, warehouse=warehouse.resolved_path(),
                                docs_index=i == len(to_run) - 1)
            _log(context, suite, outcome)
            if suite.blocking and not outcome.success:
                failed.append(outcome.message.splitlines()[0])
            if AssetCheckKey(AssetKey(list(suite.asset_key)), suite.check_name) in selected:
                yield suite_result(suite, outcome, with_key=True)
        for key in gates:
            yield AssetCheckResult(
                asset_key=key.asset_key,
                check_name=GATE_CHECK,
                passed=not failed,
                severity=AssetCheckSeverity.ERROR,
                description=(
                    "blocked: " + "; ".join(failed) if failed else "every blocking evidence suite passed"
                ),
                metadata={"failed_suites": MetadataValue.json(failed)},
            )

    return _evidence


def build_quality_checks() -> list[AssetChecksDefinition]:
    suites = available_suites()
    evidence_keys = evidence_build_keys()
    evidence = [s for s in suites if AssetKey(list(s.asset_key)) in evidence_keys]
    others = [s for s in suites if s not in evidence]
    checks = [build_quality_check(s) for s in others]
    if evidence:
        guarded = {AssetKey(list(s.asset_key)) for s in evidence}
        checks.append(build_evidence_check(evidence, sorted(evidence_keys - guarded, key=lambda k: k.path)))
    return checks


quality_checks: list[AssetChecksDefinition] = build_quality_checks()

__all__ = ["quality_checks", "build_quality_check", "build_evidence_check", "available_suites"]
