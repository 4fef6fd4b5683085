"""Run a suite: fetch its batches from DuckDB via Arrow, validate them with
Great Expectations, keep the results (warehouse table + Data Docs).

- Frames: every batch query runs inside DuckDB; only its result travels to
  pandas (via Arrow). Row batches of large raw tables are a repeatable
  reservoir sample of ``Thresholds.sample_rows`` rows.
- GX: an ephemeral context whose expectation and validation-result stores
  are folders under ``<output>/gx``; Data Docs are written to
  ``<output>/data_docs``. Analytics and progress bars are off; nothing calls
  the network. Result format BASIC, and SUMMARY for a batch with a failure,
  whose few failing rows are identified by the batch's index columns.
- Results: one row per expectation (and per landing file for the
  reconciliation batches) appended to ``quality.validation_results``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import math
import os
import re
import shutil
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from expectations.config import THRESHOLDS, Thresholds
from expectations.core import Batch, Suite
from trustloop.settings import Settings, get_settings
from trustloop.warehouse import connect, release_memory, table_exists

RESULTS_SCHEMA = "quality"
RESULTS_TABLE = f"{RESULTS_SCHEMA}.validation_results"
RESULTS_DDL = f"""
create table if not exists {RESULTS_TABLE} (
    run_id varchar not null,
    suite varchar not null,
    batch varchar not null,
    table_name varchar not null,
    expectation varchar not null,
    expectation_args varchar,
    description varchar,
    subject varchar,
    success boolean not null,
    blocking boolean not null,
    severity varchar not null,
    observed_value varchar,
    unexpected_count bigint,
    element_count bigint,
    failing_sample varchar,
    rows_validated bigint,
    sampled boolean not null,
    validated_at timestamp not null
)"""
RESULT_COLUMNS = (
    "run_id", "suite", "batch", "table_name", "expectation", "expectation_args", "description", "subject",
    "success", "blocking", "severity", "observed_value", "unexpected_count", "element_count", "failing_sample",
    "rows_validated", "sampled", "validated_at",
)
DATASOURCE = "trustloop"
# a batch is validated in the first format; one with a failing expectation again in the second, whose
# results name the failing rows (by the batch's index columns); a passing expectation's outcome is the
# same in both (its counts and observed value)
RESULT_FORMATS = ("BASIC", "SUMMARY")
# validation results kept per GX suite (older ones, and their Data Docs pages, are pruned)
KEEP_RESULTS_PER_SUITE = 20
# the key, in a stored GX suite's meta, of a hash of its expectations (_stored_suite)
FINGERPRINT = "trustloop_expectations_sha256"


# --------------------------------------------------------------------------- outcomes


@dataclass
class ExpectationOutcome:
    suite: str
    batch: str
    table: str
    expectation: str  # GX type, e.g. expect_column_values_to_be_between, or a rule for per-row results
    args: dict[str, Any]
    description: str | None
    success: bool
    observed: Any = None
    unexpected_count: int | None = None
    element_count: int | None = None
    failing_sample: list[Any] = field(default_factory=list)
    subject: str | None = None  # per-row results: what the row is (e.g. a landing file)

    @property
    def label(self) -> str:
        shown = ", ".join(f"{k}={_short(v)}" for k, v in self.args.items())
        return f"{self.expectation}({shown})"

    def summary(self) -> str:
        head = f"[{self.batch}] {self.label}"
        if self.description:
            head += f" - {self.description}"
        if self.unexpected_count is not None and self.element_count is not None:
            body = f"{self.unexpected_count} of {self.element_count} rows unexpected"
        else:
            body = f"observed {_short(self.observed, 300)}"
        text = f"{head}: {body}"
        if self.failing_sample:
            text += f"; failing rows: {_dumps(self.failing_sample)}"
        return text


@dataclass
class BatchFrame:
    batch: Batch
    frame: Any = None  # pandas.DataFrame
    rows_total: int = 0
    sampled: bool = False
    error: str | None = None


@dataclass
class SuiteOutcome:
    suite: Suite
    run_id: str
    validated_at: dt.datetime
    outcomes: list[ExpectationOutcome]
    per_row: list[ExpectationOutcome]
    rows_validated: dict[str, int]
    sampled: dict[str, bool]
    seconds: float = 0.0
    data_docs: Path | None = None

    @property
    def success(self) -> bool:
        return all(o.success for o in self.outcomes)

    @property
    def failures(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.success]

    @property
    def message(self) -> str:
        """One paragraph naming the table, the failing expectations and a sample of failing rows."""
        n, failed = len(self.outcomes), self.failures
        if not failed:
            return f"{self.suite.table}: all {n} expectations of suite {self.suite.name} passed"
        lines = [f"{self.suite.table}: {len(failed)} of {n} expectations of suite {self.suite.name} failed"]
        lines += [f"- {o.summary()}" for o in failed]
        return "\n".join(lines)


# --------------------------------------------------------------------------- helpers


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (bool, str, int)):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_jsonable(v) for v in value]
    item = getattr(value, "item", None)  # numpy scalars
    if callable(item):
        try:
            return _jsonable(item())
        except (TypeError, ValueError):
            pass
    isoformat = getattr(value, "isoformat", None)
    if callable(isoformat):
        try:
            return isoformat()
        except (TypeError, ValueError):  # NaT
            return None
    return str(value)


def _dumps(value: Any) -> str:
    return json.dumps(_jsonable(value), sort_keys=False, default=str)


def _short(value: Any, limit: int = 80) -> str:
    text = value if isinstance(value, str) else _dumps(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


# --------------------------------------------------------------------------- fetching


def fetch_batches(con, suite: Suite, thresholds: Thresholds = THRESHOLDS) -> list[BatchFrame]:
    """Run every batch query of ``suite`` inside DuckDB and bring the results to pandas via Arrow."""
    frames: list[BatchFrame] = []
    for batch in suite.batches:
        item = BatchFrame(batch)
        frames.append(item)
        missing = [t for t in (suite.table, *batch.requires) if not table_exists(con, *t.split(".", 1))]
        if missing:
            item.error = f"table {', '.join(missing)} does not exist"
            continue
        sql = batch.sql(con, thresholds)
        try:
            if batch.sampled:
                item.rows_total = int(con.sql(f"select count(*) from ({sql})").fetchall()[0][0])
                if item.rows_total > thresholds.sample_rows:
                    item.sampled = True
                    size, seed = int(thresholds.sample_rows), int(thresholds.sample_seed)
                    sql = (
                        batch.sample_query(size, seed) if batch.sample_query is not None
                        else f"select * from ({sql}) using sample reservoir({size} rows) repeatable ({seed})"
                    )
            item.frame = con.sql(sql).to_arrow_table().to_pandas()
            if not batch.sampled:
                item.rows_total = len(item.frame)
        except Exception as exc:  # a broken query is a failed validation, reported like one
            item.error = f"{type(exc).__name__}: {exc}".splitlines()[0][:500]
    return frames


# --------------------------------------------------------------------------- GX


_CONTEXTS: dict[str, Any] = {}
_CONTEXT_LOCK = threading.Lock()


def docs_dir(settings: Settings) -> Path:
    """Where the Data Docs site of this output folder is written (its index: ``index.html``)."""
    return settings.output_dir / "data_docs"


def _suite_page(settings: Settings, gx_suite_name: str) -> Path:
    """The Data Docs page of a GX suite's expectations."""
    *folders, last = gx_suite_name.split(".")
    return docs_dir(settings).joinpath("expectations", *folders, f"{last}.html")


def _view(class_name: str) -> dict[str, str]:
    return {"module_name": "expectations.docs_views", "class_name": class_name}


def gx_context(settings: Settings | None = None):
    """The GX context of this output folder (ephemeral, file-backed stores; one per process)."""
    settings = settings or get_settings()
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    key = str(settings.output_dir)
    with _CONTEXT_LOCK:
        if key in _CONTEXTS:
            return _CONTEXTS[key]
        import great_expectations as gx
        from great_expectations.data_context.types.base import (
            DataContextConfig,
            FilesystemStoreBackendDefaults,
        )

        root = settings.output_dir / "gx"
        docs = docs_dir(settings)
        root.mkdir(parents=True, exist_ok=True)
        config = DataContextConfig(
            store_backend_defaults=FilesystemStoreBackendDefaults(root_directory=str(root)),
            data_docs_sites={
                "trustloop": {
                    "class_name": "SiteBuilder",
                    "show_how_to_buttons": False,
                    "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs)},
                    "site_index_builder": {"class_name": "DefaultSiteIndexBuilder", "view": _view("CachedJinjaIndexPageView")},
                    # GX's own views, but for a template cache shared by every build (expectations/docs_views.py)
                    "site_section_builders": {
                        "expectations": {"view": _view("CachedJinjaPageView")},
                        "validations": {"view": _view("CachedJinjaPageView")},
                    },
                }
            },
            analytics_enabled=False,
            progress_bars={"globally": False, "profilers": False, "metric_calculations": False},
        )
        context = gx.get_context(project_config=config, mode="ephemeral")
        # one asset per GX suite, every known one declared at once: GX serialises its whole project config
        # at each asset or batch definition added, which cost ~3 s a run when they were added one by one
        context.data_sources.add_pandas(DATASOURCE, assets=[_asset(name) for name in _known_gx_suites()])
        _CONTEXTS[key] = context
        return context


def _asset(name: str) -> dict[str, Any]:
    return {"name": name, "type": "dataframe", "batch_definitions": [{"name": "whole", "partitioner": None}]}


def _known_gx_suites() -> list[str]:
    from expectations.suites import SUITES

    return [suite.gx_suite_name(batch) for suite in SUITES for batch in suite.batches]


def _validation_definition(context, gx_suite_name: str, expectations: list[Any]):
    """The GX validation definition of one batch, its suite stored (added, or updated to ``expectations``),
    and whether the stored suite changed."""
    import great_expectations as gx
    from great_expectations.exceptions import DataContextError

    try:
        source = context.data_sources.get(DATASOURCE)
    except LookupError:  # a context made elsewhere
        source = context.data_sources.add_pandas(DATASOURCE)
    try:
        asset = source.get_asset(gx_suite_name)
    except LookupError:  # a suite not among expectations.suites.SUITES (tests make some)
        asset = source.add_dataframe_asset(gx_suite_name)
    try:
        batch_definition = asset.get_batch_definition("whole")
    except LookupError:
        batch_definition = asset.add_batch_definition_whole_dataframe("whole")
    suite, changed = _stored_suite(context, gx_suite_name, expectations)
    definition = gx.ValidationDefinition(name=gx_suite_name, data=batch_definition, suite=suite)
    try:
        definition.id = context.validation_definitions.get(gx_suite_name).id
        definition.save()  # the batch definition's id is new in every context
    except DataContextError:
        definition = context.validation_definitions.add(definition)
    return definition, changed


def _stored_suite(context, gx_suite_name: str, expectations: list[Any]):
    """The GX suite named ``gx_suite_name`` holding ``expectations``, and whether it changed: the stored one
    when it holds them already (known by a fingerprint in its meta), else stored anew.

    GX's own add-or-update compares every new expectation with every stored one, each comparison
    serialising both (a second or more of every run); this compares one hash.
    """
    import great_expectations as gx
    from great_expectations.exceptions import DataContextError

    configs = [e.configuration.to_json_dict() for e in expectations]
    fingerprint = hashlib.sha256(json.dumps(configs, sort_keys=True, default=str).encode()).hexdigest()
    try:
        stored = context.suites.get(gx_suite_name)
    except DataContextError:
        stored = None
    if stored is not None and (stored.meta or {}).get(FINGERPRINT) == fingerprint:
        return stored, False
    suite = gx.ExpectationSuite(name=gx_suite_name, expectations=expectations, meta={FINGERPRINT: fingerprint})
    return (context.suites.add_or_update(suite) if stored is not None else context.suites.add(suite)), True


def _forget_batches(context) -> None:
    """Drop the validated frames from GX's batch cache.

    GX keeps every batch's data in its execution engine until the next batch
    with the same id replaces it; the context lives as long as the process, so
    a run would otherwise hold the last frame of every suite (300 MiB for
    fct_evaluations at 1M tickets) to its end.
    """
    try:
        manager = context.data_sources.get(DATASOURCE).get_execution_engine().batch_manager
    except LookupError:
        return
    manager.reset_batch_cache()
    manager.batch_data_cache.clear()


def _outcomes_from_result(suite: Suite, batch: Batch, result, frame=None) -> list[ExpectationOutcome]:
    observed_rows = _jsonable(frame.head(20).to_dict("records")) if batch.observe and frame is not None else None
    found = []
    for r in result.results:
        config = r.expectation_config
        args = {k: v for k, v in (config.kwargs or {}).items() if k not in ("batch_id", "result_format")}
        res = dict(r.result or {})
        exception = (r.exception_info or {}) if not r.success else {}
        observed: Any
        if exception.get("raised_exception"):
            observed = {"error": str(exception.get("exception_message", ""))[:500]}
        elif "observed_value" in res:
            observed = res["observed_value"]
        else:
            observed = {
                k: res[k] for k in ("unexpected_count", "unexpected_percent", "element_count", "missing_count")
                if k in res
            }
        if observed_rows is not None and isinstance(observed, dict) and "error" not in observed:
            observed = {**observed, "rows": observed_rows}
        sample = res.get("partial_unexpected_index_list") or res.get("partial_unexpected_list") or []
        found.append(
            ExpectationOutcome(
                suite=suite.name,
                batch=batch.name,
                table=suite.table,
                expectation=config.type,
                args=_jsonable(args),
                description=getattr(config, "description", None),
                success=bool(r.success),
                observed=_jsonable(observed),
                unexpected_count=res.get("unexpected_count"),
                element_count=res.get("element_count"),
                failing_sample=_jsonable(list(sample)) if not r.success else [],
            )
        )
    return found


def _per_row_outcomes(suite: Suite, item: BatchFrame) -> list[ExpectationOutcome]:
    spec = item.batch.per_row
    if spec is None or item.frame is None:
        return []
    frame = item.frame
    return [
        ExpectationOutcome(
            suite=suite.name,
            batch=item.batch.name,
            table=suite.table,
            expectation=spec.rule,
            args={},
            description=None,
            success=bool(row[spec.success]),
            observed=str(row[spec.observed]),
            subject=str(row[spec.subject]),
        )
        for row in frame[[spec.subject, spec.success, spec.observed]].to_dict("records")
    ]


# --------------------------------------------------------------------------- results table


def write_results(con, outcome: SuiteOutcome) -> int:
    """Append the suite's results to quality.validation_results; returns the rows written."""
    import pandas as pd

    con.execute(f"create schema if not exists {RESULTS_SCHEMA}")
    con.execute(RESULTS_DDL)
    rows = []
    for o in [*outcome.outcomes, *outcome.per_row]:
        rows.append(
            {
                "run_id": outcome.run_id,
                "suite": outcome.suite.name,
                "batch": o.batch,
                "table_name": outcome.suite.table,
                "expectation": o.expectation,
                "expectation_args": _dumps(o.args) if o.args else None,
                "description": o.description,
                "subject": o.subject,
                "success": bool(o.success),
                "blocking": bool(outcome.suite.blocking),
                "severity": outcome.suite.severity,
                "observed_value": None if o.observed is None else _dumps(o.observed),
                "unexpected_count": o.unexpected_count,
                "element_count": o.element_count,
                "failing_sample": _dumps(o.failing_sample) if o.failing_sample else None,
                "rows_validated": outcome.rows_validated.get(o.batch),
                "sampled": bool(outcome.sampled.get(o.batch, False)),
                "validated_at": outcome.validated_at,
            }
        )
    if not rows:
        return 0
    frame = pd.DataFrame(rows, columns=list(RESULT_COLUMNS))
    frame["unexpected_count"] = frame["unexpected_count"].astype("Int64")
    frame["element_count"] = frame["element_count"].astype("Int64")
    frame["rows_validated"] = frame["rows_validated"].astype("Int64")
    con.register("_validation_results_new", frame)
    try:
        con.execute(
            f"insert into {RESULTS_TABLE} ({', '.join(RESULT_COLUMNS)}) "
            f"select {', '.join(RESULT_COLUMNS)} from _validation_results_new"
        )
    finally:
        con.unregister("_validation_results_new")
    return len(rows)


# --------------------------------------------------------------------------- Data Docs

_BEACON = re.compile(r'src="https://great-expectations-web-assets\.s3[^"]*?/logo-long\.png[^"]*"')
_REMOTE_BACKGROUND = re.compile(r"url\('https://great-expectations-web-assets\.s3[^']*'\)")


def _strip_beacon(docs_dir: Path, since: float) -> None:
    """GX's page header loads its logo from a remote bucket with the context id in the URL:
    point it at the local copy instead, in the pages written by this build."""
    for page in [*docs_dir.rglob("*.html"), *docs_dir.rglob("*.css")]:
        try:
            if page.stat().st_mtime < since:
                continue
            text = page.read_text(encoding="utf-8")
        except OSError:
            continue
        if "great-expectations-web-assets" not in text:
            continue
        depth = len(page.relative_to(docs_dir).parts) - 1
        local = "../" * depth + "static/images/logo-long.png"
        text = _REMOTE_BACKGROUND.sub("none", _BEACON.sub(f'src="{local}"', text))
        page.write_text(text, encoding="utf-8")


def _prune(root: Path, docs_dir: Path, gx_suite_name: str, keep: int) -> None:
    """Keep the newest ``keep`` validation results (and their pages) of one GX suite."""
    parts = gx_suite_name.split(".")
    results_dir = root / "uncommitted" / "validations" / Path(*parts)
    if not results_dir.is_dir():
        return
    runs = [d for run_name in results_dir.iterdir() if run_name.is_dir() for d in run_name.iterdir() if d.is_dir()]
    runs.sort(key=lambda d: d.name, reverse=True)  # run times sort as text
    for old in runs[keep:]:
        relative = old.relative_to(root / "uncommitted" / "validations")
        shutil.rmtree(old, ignore_errors=True)
        shutil.rmtree(docs_dir / "validations" / relative, ignore_errors=True)
        for parent in (old.parent, (docs_dir / "validations" / relative).parent):
            if parent.is_dir() and not any(parent.iterdir()):
                parent.rmdir()


# while a run defers its Data Docs (data_docs_at_end): output folder -> (settings, identifiers to render)
_DEFERRED_DOCS: dict[str, tuple[Settings, list[Any]]] | None = None


@contextlib.contextmanager
def data_docs_at_end() -> Iterator[None]:
    """Within the block, suites store their results but leave their Data Docs to its end, where the pages of
    every result validated in the block, and the site's index, are built in one go (whatever the block's
    outcome): GX lists its stores and re-reads the kept results for the index once, instead of once per
    suite (16 s of a forced 10k run with 20 results kept per suite). Suites validated outside such a
    block build their pages at once, as before. A build that fails raises, unless the block is already
    raising: its own error is the one to report."""
    global _DEFERRED_DOCS
    outer, _DEFERRED_DOCS = _DEFERRED_DOCS, {}
    pending = _DEFERRED_DOCS
    block_failed = True
    try:
        yield
        block_failed = False
    finally:
        _DEFERRED_DOCS = outer
        try:
            for settings, identifiers in pending.values():
                build_docs(gx_context(settings), identifiers, settings, index=True)
        except Exception:
            if not block_failed:
                raise


def build_docs(context, identifiers: list[Any], settings: Settings, index: bool = True) -> Path:
    """Render the pages of ``identifiers``, and the site's index unless told not to (it lists every stored result)."""
    site = docs_dir(settings)
    started = time.time() - 1
    context.build_data_docs(site_names=["trustloop"], resource_identifiers=identifiers or None, build_index=index)
    _strip_beacon(site, started)
    return site / "index.html"


# --------------------------------------------------------------------------- running


def run_suite(
    suite: Suite,
    *,
    run_id: str | None = None,
    thresholds: Thresholds = THRESHOLDS,
    settings: Settings | None = None,
    warehouse: Path | None = None,
    store: bool = True,
    docs: bool = True,
    docs_index: bool = True,
) -> SuiteOutcome:
    """Validate one suite against the warehouse; store its results and Data Docs (unless told not to).

    ``docs_index=False`` renders the suite's pages but not the site's index: a caller validating several
    suites in a row rebuilds the index once, with the last.
    """
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    settings = settings or get_settings()
    run_id = run_id or f"manual-{uuid.uuid4()}"
    started = time.perf_counter()
    validated_at = _now()

    with connect(warehouse or settings.warehouse, read_only=True, settings=settings) as con:
        frames = fetch_batches(con, suite, thresholds)

    context = gx_context(settings)
    gx_run = RunIdentifier(run_name=run_id, run_time=validated_at.replace(tzinfo=dt.UTC))
    outcomes: list[ExpectationOutcome] = []
    per_row: list[ExpectationOutcome] = []
    identifiers: list[Any] = []
    for item in frames:
        batch = item.batch
        if item.error is not None:
            outcomes.append(
                ExpectationOutcome(suite=suite.name, batch=batch.name, table=suite.table,
                                   expectation="batch_can_be_read", args={}, description=batch.description,
                                   success=False, observed={"error": item.error})
            )
            continue
        name = suite.gx_suite_name(batch)
        definition, suite_changed = _validation_definition(context, name, batch.expectations(thresholds))
        index_columns = [c for c in batch.index_columns if c in item.frame.columns]
        result = None
        for result_format in RESULT_FORMATS:
            # BASIC first: the counts and observed values of every expectation, at about two thirds of
            # SUMMARY's cost; a batch with a failure is validated again in SUMMARY, for its failing rows
            # (the same run id: its stored result replaces the first)
            result = definition.run(
                batch_parameters={"dataframe": item.frame},
                result_format={
                    "result_format": result_format,
                    "partial_unexpected_count": int(thresholds.failing_sample_rows),
                    **({"unexpected_index_column_names": index_columns} if index_columns else {}),
                },
                run_id=gx_run,
            )
            if result.success:
                break
        outcomes.extend(_outcomes_from_result(suite, batch, result, item.frame))
        per_row.extend(_per_row_outcomes(suite, item))
        identifiers.append(
            ValidationResultIdentifier(
                expectation_suite_identifier=ExpectationSuiteIdentifier(name=name),
                run_id=gx_run,
                batch_identifier=f"{DATASOURCE}-{name}",
            )
        )
        if suite_changed or not _suite_page(settings, name).exists():  # an unchanged suite's page is as it was
            identifiers.append(ExpectationSuiteIdentifier(name=name))

    _forget_batches(context)

    outcome = SuiteOutcome(
        suite=suite,
        run_id=run_id,
        validated_at=validated_at,
        outcomes=outcomes,
        per_row=per_row,
        rows_validated={f.batch.name: int(len(f.frame)) if f.frame is not None else 0 for f in frames},
        sampled={f.batch.name: f.sampled for f in frames},
    )
    if docs and identifiers:
        root = settings.output_dir / "gx"
        for item in frames:
            _prune(root, docs_dir(settings), suite.gx_suite_name(item.batch), KEEP_RESULTS_PER_SUITE)
        if _DEFERRED_DOCS is not None:  # rendered at the end of the run (data_docs_at_end)
            _DEFERRED_DOCS.setdefault(str(settings.output_dir), (settings, []))[1].extend(identifiers)
            outcome.data_docs = docs_dir(settings) / "index.html"
        else:
            outcome.data_docs = build_docs(context, identifiers, settings, index=docs_index)
    if store:
        with connect(warehouse or settings.warehouse, settings=settings) as con:
            write_results(con, outcome)
    outcome.seconds = time.perf_counter() - started
    del frames  # the validated frames (GX's cache of them is gone too): their pages go back now
    release_memory()
    return outcome


def run_suites(suites=None, **kwargs) -> list[SuiteOutcome]:
    """Validate several suites (default: every suite whose table exists) with one run id."""
    from expectations.suites import SUITES

    settings = kwargs.pop("settings", None) or get_settings()
    run_id = kwargs.pop("run_id", None) or f"manual-{uuid.uuid4()}"
    warehouse = kwargs.get("warehouse") or settings.warehouse
    if suites is None:
        with connect(warehouse, read_only=True, settings=settings) as con:
            suites = [s for s in SUITES if table_exists(con, s.schema, s.table_name)]
    return [run_suite(s, run_id=run_id, settings=settings, docs_index=i == len(suites) - 1, **kwargs)
            for i, s in enumerate(suites)]
