"""Run the whole pipeline in-process (what `trustloop run` does) and summarise it."""

from __future__ import annotations

import contextlib
import logging
import re
import shutil
import signal
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from orchestration.progress import StepProgress
from trustloop import state
from trustloop.locking import run_lock
from trustloop.settings import apply_environment
from trustloop.warehouse import connect, table_exists, wait_for_write_access


@dataclass
class RunSummary:
    run_id: str
    success: bool
    warehouse: str
    landing_dir: str
    sources: list[dict] = field(default_factory=list)
    marts: list[tuple[str, int]] = field(default_factory=list)
    checks_passed: int = 0
    checks_failed: list[str] = field(default_factory=list)
    # non-blocking checks (WARN severity) that failed: reported, but the run's evidence stands
    checks_warned: list[str] = field(default_factory=list)
    failed_steps: list[str] = field(default_factory=list)
    step_errors: dict[str, str] = field(default_factory=dict)  # failed step -> its error's message
    file_errors: list[str] = field(default_factory=list)
    up_to_date: bool = False  # nothing changed since run_id: nothing was run
    # the marts this run materialised (None: not known); the others in marts.* are an earlier run's
    built: set[str] | None = None
    # events kept but never counted (landing contract): of no known ticket, and of types it does not know
    orphan_events: int = 0
    unknown_type_events: int = 0
    unknown_event_types: list[str] = field(default_factory=list)

    def render(self) -> str:
        if self.up_to_date:
            return "\n".join([
                f"trustloop run: up to date - nothing changed since run {self.run_id} "
                "(landing files, policy, code, calendar week, warehouse)",
                f"  landing folder : {self.landing_dir}",
                f"  warehouse      : {self.warehouse}",
                "  (trustloop run --force runs anyway)",
            ])
        lines = [
            f"trustloop run {self.run_id}: {'OK' if self.success else 'FAILED'}",
            f"  landing folder : {self.landing_dir}",
            f"  warehouse      : {self.warehouse}",
            "",
            "  source       files  rows read  loaded (new + duplicate)  quarantined  stored total",
        ]
        for s in self.sources:
            lines.append(
                f"  {s['source']:<12} {s['files']:>5}  {s['rows_read']:>9}  {s['rows_loaded']:>8} "
                f"({s['rows_new']} + {s['rows_duplicate']}){'':<6} {s['rows_quarantined']:>11}  {s['stored']:>12}"
            )
        for err in self.file_errors:
            lines.append(f"  ! {err}")
        lines += self._render_uncounted()
        lines.append("")
        lines += self._render_marts()
        warned = f", {len(self.checks_warned)} warning(s)" if self.checks_warned else ""
        lines.append(f"  checks: {self.checks_passed} passed, {len(self.checks_failed)} failed{warned} "
                     "(dbt tests, data-quality suites and their gates, file reconciliation, ledger)")
        for name in self.checks_failed:
            lines.append(f"    FAILED {name}")
        for name in self.checks_warned:
            lines.append(f"    WARNING {name} (not blocking: `trustloop quality` shows why)")
        for step in self.failed_steps:
            error = self.step_errors.get(step)
            lines.append(f"  step failed: {step}" + (":" if error else ""))
            lines += [f"    {line}" for line in (error or "").splitlines()]
        if any(":gx_" in name for name in self.checks_failed):
            lines.append("  `trustloop quality` shows which rule failed and on which rows; rows already stored that "
                         "a rule rejects can be set aside (`trustloop set-aside --help`), then delivered again")
        return "\n".join(lines)

    def _render_uncounted(self) -> list[str]:
        kept = []
        if self.orphan_events:
            kept.append(f"{self.orphan_events} orphan event(s) (their ticket_id matches no ticket)")
        if self.unknown_type_events:
            types = self.unknown_event_types
            named = ", ".join(types[:UNKNOWN_TYPES_SHOWN]) + (
                f" and {len(types) - UNKNOWN_TYPES_SHOWN} more" if len(types) > UNKNOWN_TYPES_SHOWN else "")
            kept.append(f"{self.unknown_type_events} event(s) of unknown type ({named})")
        return [f"  kept, not counted in the metrics: {'; '.join(kept)}"] if kept else []

    def _render_marts(self) -> list[str]:
        built = [(n, r) for n, r in self.marts if self.built is None or n in self.built]
        others = len(self.marts) - len(built)
        lines = [f"  marts built: {len(built)}"
                 + (f" (the {'other ' if built else ''}{others} in the warehouse are an earlier run's)" if others else "")]
        return lines + [f"    {name:<40} {rows:>10} rows" for name, rows in built]


STEP_ERROR_LINES = 6  # of a failed step's error message, in the summary
UNKNOWN_TYPES_SHOWN = 5  # unknown event types named in the summary


def step_error_message(error) -> str:
    """What went wrong in a failed step, from its Dagster error (a SerializableErrorInfo): the message of
    the exception the step's own code raised (Dagster wraps it), without the exception's module path."""
    while error.cause is not None and error.cls_name.startswith("Dagster"):
        error = error.cause
    text = re.sub(r"^[\w.]+\.(\w+): ", r"\1: ", error.message.strip())
    lines = text.splitlines()
    if len(lines) > STEP_ERROR_LINES:
        lines = lines[:STEP_ERROR_LINES] + [f"... ({len(lines) - STEP_ERROR_LINES} more lines on stderr)"]
    return "\n".join(lines)


def _collect(summary: RunSummary) -> None:
    with connect(read_only=True) as con:
        if not table_exists(con, "raw", "file_ledger"):
            return
        for source, files, read, loaded, new, dup, quar in con.execute(
            """select source, count(*) filter (where status <> 'skipped_duplicate_file'),
                      coalesce(sum(rows_read), 0), coalesce(sum(rows_loaded), 0), coalesce(sum(rows_new), 0),
                      coalesce(sum(rows_duplicate), 0), coalesce(sum(rows_quarantined), 0)
               from raw.file_ledger where run_id = ? group by source order by source""",
            [summary.run_id],
        ).fetchall():
            summary.sources.append(
                dict(source=source, files=files, rows_read=read, rows_loaded=loaded, rows_new=new,
                     rows_duplicate=dup, rows_quarantined=quar, stored=0)
            )
        known = {s["source"] for s in summary.sources}
        for name in ("agent_logs", "incidents", "tickets"):
            if name not in known:
                summary.sources.append(dict(source=name, files=0, rows_read=0, rows_loaded=0, rows_new=0,
                                            rows_duplicate=0, rows_quarantined=0, stored=0))
        summary.sources.sort(key=lambda s: s["source"])
        for s in summary.sources:
            if table_exists(con, "raw", s["source"]):
                s["stored"] = con.execute(f"select count(*) from raw.{s['source']}").fetchone()[0]
        summary.file_errors = [
            row[0] for row in con.execute(
                "select error from raw.file_ledger where run_id = ? and error is not null order by file",
                [summary.run_id],
            ).fetchall()
        ]
        if table_exists(con, "intermediate", "int_events__on_cases"):
            summary.orphan_events, summary.unknown_type_events, types = con.execute(
                """select count(*) filter (where is_orphan), count(*) filter (where not is_known_event_type),
                          list_sort(list(distinct event_type) filter (where not is_known_event_type))
                   from intermediate.int_events__on_cases"""
            ).fetchone()
            summary.unknown_event_types = types or []
        tables = con.execute(
            """select table_schema, table_name from information_schema.tables
               where table_schema = 'marts' and table_type = 'BASE TABLE' order by table_name"""
        ).fetchall()
        summary.marts = [
            (f"{s}.{t}", con.execute(f'select count(*) from "{s}"."{t}"').fetchone()[0]) for s, t in tables
        ]


@contextlib.contextmanager
def sigterm_kept():
    """Keep this process's SIGTERM disposition across a Dagster job run in it.

    When a job run ends, Dagster sets SIGTERM to whatever SIGINT's handler is (its "SIGTERM as SIGINT",
    for Kubernetes). In a process started in the background of a shell script (``trustloop run &``, a
    scheduler's job), SIGINT is ignored, so SIGTERM became ignored too: for the rest of the command
    (an erasure's compaction, say) and in every process it started afterwards, since an ignored signal
    is inherited (a multiprocessing pool then hangs at its end, waiting for workers it cannot stop).
    """
    if threading.current_thread() is not threading.main_thread():  # only the main thread sets handlers
        yield
        return
    saved = signal.getsignal(signal.SIGTERM)
    try:
        yield
    finally:
        if saved is not None:  # None: a handler not set from Python, which cannot be put back
            signal.signal(signal.SIGTERM, saved)


def run_pipeline(job_name: str = "trustloop_job", log_level: str = "WARNING", force: bool = False,
                 progress: bool = False) -> RunSummary:
    """Materialise every asset in-process, under the run lock; return what happened.

    When nothing a run reads changed since the last successful run (trustloop.state), return at once
    with ``up_to_date`` set, unless ``force``. With ``progress``, each step is reported on stderr as it
    ends (``orchestration.progress``).
    """
    settings = apply_environment()
    with run_lock(settings.lock_file, settings.lock_timeout):
        fingerprint = state.inputs_fingerprint(settings)
        last_run = None if force else state.up_to_date(settings, fingerprint)
        if last_run:
            return RunSummary(run_id=last_run, success=True, warehouse=str(settings.warehouse),
                              landing_dir=str(settings.landing_dir), up_to_date=True)
        state.forget(settings)
        # a process that is not a trustloop run may hold the DuckDB file: wait as long as for a run, then
        # fail with one clear error (not every step retrying and failing in turn)
        wait_for_write_access(settings.lock_timeout, settings)
        from dagster import AssetCheckSeverity, DagsterInstance

        from expectations.runner import data_docs_at_end
        from orchestration import dbt_in_process
        from orchestration.definitions import defs

        job = defs.resolve_job_def(job_name)
        instance = DagsterInstance.get()
        log_dir = settings.output_dir / "logs"
        log_dir.mkdir(parents=True, exist_ok=True)
        log_path = log_dir / "last_run_dbt.log"
        # dbt's own log lines go to a file unless asked for; the summary stays readable
        with open(log_path, "w") as log, contextlib.ExitStack() as stack:
            if log_level != "DEBUG":
                stack.enter_context(contextlib.redirect_stdout(log))
            # the checks' Data Docs pages and the site index are built once, when the run ends
            stack.enter_context(data_docs_at_end())
            run_id = str(uuid.uuid4())
            # one step per node: the job has no dynamic outputs
            listener = StepProgress([node.name for node in job.nodes_in_topological_order]) if progress else None
            if listener:
                listener.begin(run_id)
                instance.add_event_listener(run_id, listener)
            result = None
            try:
                with sigterm_kept():
                    result = job.execute_in_process(
                        instance=instance,
                        run_id=run_id,
                        raise_on_error=False,
                        run_config={"loggers": {"console": {"config": {"log_level": log_level}}}},
                    )
            finally:  # an interrupted dbt step may have left its in-process dbt running: stopped first
                dbt_in_process.stop_all()
                if listener:
                    listener.finish(completed=result is not None)
        summary = RunSummary(
            run_id=result.run_id,
            success=result.success,
            warehouse=str(settings.warehouse),
            landing_dir=str(settings.landing_dir),
        )
        for evaluation in result.get_asset_check_evaluations():
            name = f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}"
            if evaluation.passed:
                summary.checks_passed += 1
            elif evaluation.severity == AssetCheckSeverity.WARN:
                summary.checks_warned.append(name)
            else:
                summary.checks_failed.append(name)
        failures = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
        summary.failed_steps = [e.step_key for e in failures]
        summary.step_errors = {
            e.step_key: step_error_message(e.step_failure_data.error) for e in failures if e.step_failure_data.error
        }
        summary.built = {
            e.asset_key.to_user_string().replace("/", ".") for e in result.get_asset_materialization_events()
        }
        # a failed ERROR check that does not block (the ledger's verification) lets the job finish, but the
        # run did not pass: its header says FAILED and `trustloop run` exits 1
        summary.success = summary.success and not summary.checks_failed
        _collect(summary)
        if summary.success and not summary.failed_steps:
            state.record_success(settings, fingerprint, summary.run_id)
        prune_run_history(instance, settings.keep_runs, settings.dagster_home)
    return summary


def prune_run_history(instance, keep: int, dagster_home: Path) -> list[str]:
    """Delete every finished Dagster run but the newest ``keep`` (0 keeps all): its record, its events (and
    event file) and its compute logs. A run's history is about 2 MB, so a daily build kept everything it
    ever ran. The warehouse keeps its own records of every run (file ledger, quality results, model runs,
    ledger checkpoints); Dagster keeps the latest materialisation of every asset. Returns the deleted ids."""
    from dagster import DagsterRunStatus, RunsFilter

    if keep <= 0:
        return []
    finished = RunsFilter(statuses=[DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED])
    records = sorted(instance.get_run_records(filters=finished), key=lambda r: r.create_timestamp, reverse=True)
    deleted = []
    for record in records[keep:]:
        run_id = record.dagster_run.run_id
        try:
            instance.delete_run(run_id)
        except Exception as exc:  # a history that cannot be pruned must not fail the run
            logging.getLogger(__name__).warning("could not delete Dagster run %s: %s", run_id, exc)
            continue
        logs = dagster_home / "storage" / run_id
        if logs.is_dir():
            shutil.rmtree(logs, ignore_errors=True)
        deleted.append(run_id)
    return deleted
