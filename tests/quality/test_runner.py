"""The runner's side effects on a small synthetic warehouse: the results table, the
Data Docs (offline, no tracking image), the GX context settings; and which suites
the code location registers."""

from __future__ import annotations

import json

import duckdb

from expectations.batches import gx, rows_batch
from expectations.core import Suite


def _suite() -> Suite:
    def expectations(_):
        x = gx()
        return [
            x.ExpectColumnValuesToBeBetween(column="value", min_value=0, max_value=1, description="rates within [0, 1]"),
            x.ExpectColumnValuesToNotBeNull(column="metric"),
        ]

    return Suite(
        name="tiny",
        table="marts.tiny",
        description="a tiny mart",
        batches=(rows_batch("marts.tiny", ("metric", "value"), expectations, index_columns=("metric",)),),
    )


def _tiny_warehouse(tmp_path, monkeypatch, rows_sql: str):
    """A warehouse holding marts.tiny (metric, value) from ``rows_sql``, with the output folder under tmp_path."""
    monkeypatch.setenv("TRUSTLOOP_OUTPUT_DIR", str(tmp_path / "output"))
    warehouse = tmp_path / "w.duckdb"
    con = duckdb.connect(str(warehouse))
    con.execute("create schema marts")
    con.execute(f"create table marts.tiny as {rows_sql}")
    con.close()
    return warehouse


def test_results_table_and_data_docs(tmp_path, monkeypatch):
    from expectations.runner import RESULT_COLUMNS, gx_context, run_suite

    warehouse = _tiny_warehouse(
        tmp_path, monkeypatch, "select * from (values ('a', 0.5), ('b', 1.5), ('c', 0.0)) t(metric, value)"
    )

    outcome = run_suite(_suite(), run_id="run-1", warehouse=warehouse)

    assert not outcome.success
    assert outcome.message.splitlines()[0] == "marts.tiny: 1 of 2 expectations of suite tiny failed"
    assert "rates within [0, 1]: 1 of 3 rows unexpected" in outcome.message
    assert outcome.failures[0].failing_sample == [{"value": 1.5, "metric": "b"}]

    con = duckdb.connect(str(warehouse), read_only=True)
    cursor = con.execute("select * from quality.validation_results order by expectation")
    assert tuple(d[0] for d in cursor.description) == RESULT_COLUMNS
    rows = [dict(zip(RESULT_COLUMNS, r, strict=True)) for r in cursor.fetchall()]
    con.close()
    assert [(r["run_id"], r["suite"], r["table_name"], r["expectation"], r["success"]) for r in rows] == [
        ("run-1", "tiny", "marts.tiny", "expect_column_values_to_be_between", False),
        ("run-1", "tiny", "marts.tiny", "expect_column_values_to_not_be_null", True),
    ]
    failed = rows[0]
    assert json.loads(failed["expectation_args"]) == {"column": "value", "min_value": 0.0, "max_value": 1.0}
    assert json.loads(failed["observed_value"])["unexpected_count"] == 1
    assert json.loads(failed["failing_sample"]) == [{"value": 1.5, "metric": "b"}]
    assert failed["blocking"] and failed["severity"] == "ERROR" and failed["rows_validated"] == 3

    index = tmp_path / "output" / "data_docs" / "index.html"
    assert outcome.data_docs == index and "tiny.rows" in index.read_text()
    pages = list((tmp_path / "output" / "data_docs" / "validations").rglob("*.html"))
    assert len(pages) == 1
    for page in [index, *pages]:
        html = page.read_text()
        assert "dataContextId" not in html and "great-expectations-web-assets" not in html

    context = gx_context()
    assert context.variables.analytics_enabled is False
    assert context.variables.progress_bars["globally"] is False


def test_a_run_builds_its_data_docs_once_at_its_end(tmp_path, monkeypatch):
    """Within data_docs_at_end (what `trustloop run` wraps its job in), suites leave their pages to the end
    of the block, which renders every one of them and the index in one build, also when the block fails;
    GX's page templates are compiled once per process, not at every build."""
    import jinja2
    import pytest

    from expectations.docs_views import TEMPLATES
    from expectations.runner import data_docs_at_end, run_suite

    warehouse = _tiny_warehouse(
        tmp_path, monkeypatch, "select * from (values ('a', 0.5), ('b', 0.25)) t(metric, value)"
    )
    docs = tmp_path / "output" / "data_docs"
    other = Suite(name="tiny_too", table="marts.tiny", description="the same mart again", batches=_suite().batches)
    with pytest.raises(RuntimeError), data_docs_at_end():
        first = run_suite(_suite(), run_id="run-1", warehouse=warehouse)
        second = run_suite(other, run_id="run-1", warehouse=warehouse)
        assert first.success and second.success and first.data_docs == docs / "index.html"
        assert not docs.exists(), "nothing is rendered before the block ends"
        raise RuntimeError("a step failed")
    html = (docs / "index.html").read_text()
    assert "tiny.rows" in html and "tiny_too.rows" in html
    pages = list((docs / "validations").rglob("*.html"))
    assert sorted(p.relative_to(docs / "validations").parts[:2] for p in pages) == [("tiny", "rows"), ("tiny_too", "rows")]
    for page in [docs / "index.html", *pages]:
        assert "great-expectations-web-assets" not in page.read_text()
    assert len(TEMPLATES) > 0

    compiled: list[str] = []
    original = jinja2.Environment._compile
    monkeypatch.setattr(jinja2.Environment, "_compile",
                        lambda env, source, filename: compiled.append(filename) or original(env, source, filename))
    third = run_suite(_suite(), run_id="run-2", warehouse=warehouse)  # outside a block: rendered at once
    assert third.data_docs == docs / "index.html"
    assert len(list((docs / "validations" / "tiny" / "rows").rglob("*.html"))) == 2
    assert compiled == [], "the templates came from the cache"


def test_a_suite_is_stored_again_only_when_its_expectations_change(tmp_path, monkeypatch):
    """Each run registers its suites in a new GX context: an unchanged suite is the stored one (same
    expectation ids, its page not rendered again), a changed one replaces it (and its page), and each
    run's result is validated against the expectations of that run."""
    import os

    from expectations.runner import _CONTEXTS as contexts
    from expectations.runner import FINGERPRINT, _suite_page, gx_context, run_suite
    from trustloop.settings import get_settings

    warehouse = _tiny_warehouse(
        tmp_path, monkeypatch, "select * from (values ('a', 0.5), ('b', 0.75)) t(metric, value)"
    )
    page = _suite_page(get_settings(), "tiny.rows")

    def stored():
        suite = gx_context().suites.get("tiny.rows")
        return [e.id for e in suite.expectations], suite.meta[FINGERPRINT]

    assert run_suite(_suite(), run_id="run-1", warehouse=warehouse).success
    ids, fingerprint = stored()
    assert len(ids) == 2 and page.exists()
    os.utime(page, (0, 0))
    contexts.clear()  # the next run's context, as in a new process

    assert run_suite(_suite(), run_id="run-2", warehouse=warehouse).success
    assert stored() == (ids, fingerprint)
    assert page.stat().st_mtime == 0, "the unchanged suite's page was not rendered again"
    assert gx_context().validation_definitions.get("tiny.rows").suite.name == "tiny.rows"

    contexts.clear()
    stricter = Suite(name="tiny", table="marts.tiny", description="a tiny mart", batches=(
        rows_batch("marts.tiny", ("metric", "value"),
                   lambda _: [gx().ExpectColumnValuesToBeBetween(column="value", min_value=0, max_value=0.6)],
                   index_columns=("metric",)),))
    outcome = run_suite(stricter, run_id="run-3", warehouse=warehouse)
    assert not outcome.success and outcome.failures[0].failing_sample == [{"value": 0.75, "metric": "b"}]
    ids_now, fingerprint_now = stored()
    assert len(ids_now) == 1 and fingerprint_now != fingerprint
    assert page.stat().st_mtime > 0 and "0.6" in page.read_text()


def test_a_failing_deferred_build_does_not_hide_the_runs_own_error(monkeypatch):
    """The end-of-run build raises its error when the run itself went through; when the run is already
    raising, the run's error is the one that reaches the caller."""
    import pytest

    from expectations import runner

    def broken_build(*_args, **_kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(runner, "build_docs", broken_build)
    monkeypatch.setattr(runner, "gx_context", lambda settings: None)

    def validated_in_block():
        runner._DEFERRED_DOCS.setdefault("out", (object(), []))[1].append("a result")

    with pytest.raises(OSError, match="disk full"), runner.data_docs_at_end():
        validated_in_block()
    with pytest.raises(RuntimeError, match="a step failed"), runner.data_docs_at_end():
        validated_in_block()
        raise RuntimeError("a step failed")
    assert runner._DEFERRED_DOCS is None
    with runner.data_docs_at_end():
        pass  # nothing validated: nothing to build


def test_optional_suites_follow_the_dbt_project(tmp_path, quality_env):
    from orchestration.assets.quality import available_suites  # imported with the settings of quality_env

    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"nodes": {"model.x.fct_cases": {"name": "fct_cases", "resource_type": "model"}}}))
    names = {s.name for s in available_suites(manifest)}
    assert "rpt_autonomy_recommendations" not in names and {"raw_tickets", "fct_trust_metrics"} <= names
    manifest.write_text(json.dumps({"nodes": {"m": {"name": "rpt_autonomy_recommendations", "resource_type": "model"}}}))
    assert "rpt_autonomy_recommendations" in {s.name for s in available_suites(manifest)}


def test_validated_frames_are_not_kept_by_gx(tmp_path, monkeypatch):
    """GX caches each batch's data in its execution engine; the runner drops it after each suite,
    so a run does not hold every suite's last frame until it ends."""
    from expectations.runner import DATASOURCE, gx_context, run_suite

    warehouse = _tiny_warehouse(tmp_path, monkeypatch, "select 'm' || range as metric, 0.5 as value from range(5000)")

    outcome = run_suite(_suite(), run_id="run-1", warehouse=warehouse, docs=False)

    assert outcome.success and outcome.rows_validated == {"rows": 5000}
    manager = gx_context().data_sources.get(DATASOURCE).get_execution_engine().batch_manager
    assert manager.batch_data_cache == {}
    assert manager.active_batch is None


def test_sampled_rows_are_table_rows_bounded_and_repeatable(tmp_path):
    """A large table's row batch is a sample picked by rowid: exactly ``sample_rows`` distinct rows of the
    table with their own values, the same rows on every fetch, and only rows the batch's filter keeps."""
    from expectations.config import Thresholds
    from expectations.runner import fetch_batches

    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("create schema raw")
    con.execute("create table raw.big as select i as id, i * 2 as twice, 'r' || i as label from range(5000) t(i)")

    def expectations(_):
        return [gx().ExpectColumnValuesToNotBeNull(column="id")]

    suite = Suite(name="big", table="raw.big", description="a large table", batches=(
        rows_batch("raw.big", ("id", "twice", "label"), expectations, index_columns=("id",), sampled=True,
                   where="id % 2 = 0"),
    ))
    thresholds = Thresholds(sample_rows=300, sample_seed=7)
    [first] = fetch_batches(con, suite, thresholds)
    [again] = fetch_batches(con, suite, thresholds)

    assert first.error is None and first.sampled and first.rows_total == 2500
    frame = first.frame
    assert len(frame) == 300 and frame["id"].is_unique
    assert (frame["id"] % 2 == 0).all()
    assert (frame["twice"] == frame["id"] * 2).all() and (frame["label"] == "r" + frame["id"].astype(str)).all()
    assert sorted(again.frame["id"]) == sorted(frame["id"])
    # the sample is spread over the table, not its first rows
    assert frame["id"].max() > 4000 and frame["id"].min() < 1000
    [whole] = fetch_batches(con, suite, Thresholds(sample_rows=5000))
    assert not whole.sampled and len(whole.frame) == 2500
    con.close()
