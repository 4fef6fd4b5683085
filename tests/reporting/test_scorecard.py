"""The weekly scorecard from the demo data: what it shows, where its numbers come from, and its fallbacks."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import duckdb
import pytest

from tests.conftest import query, run_trustloop
from tests.reporting.page_checks import check_numbers_against_marts, external_references, parse
from trustloop.reports.collect import collect_scorecard
from trustloop.reports.render import SECTIONS, render_scorecard

pytestmark = pytest.mark.slow

FIXED_NOW = dt.datetime(2026, 11, 26, 8, 0, tzinfo=dt.UTC)


def test_report_command_writes_scorecard_memos_and_finance_export(report_build):
    out = report_build.out
    assert report_build.scorecard.name == "scorecard_2026-W47.html"  # demo data ends Sunday 2026-11-22
    assert "scorecard for week 2026-W47 (2026-11-16 to 2026-11-22)" in report_build.stdout
    for name in ("roi_monthly.csv", "roi_total.csv", "roi_assumptions.csv", "roi.xlsx"):
        assert (out / "finance" / name).stat().st_size > 100
    assert f"control map: control_map.csv, control_map.html in {out / 'controls'}" in report_build.stdout
    case_types = query(report_build.warehouse, "select count(*) from marts.rpt_autonomy_recommendations")[0][0]
    assert (out / "controls" / "control_map.html").read_text().count("<tr data-control=") == 9 * case_types
    html = report_build.scorecard.read_text()
    links = [e.attrs["href"] for e in parse(html).elements if e.tag == "a" and e.attrs.get("href", "").startswith("memos/")]
    changes = query(report_build.warehouse, "select count(*) from marts.rpt_autonomy_recommendations "
                                            "where action in ('promote', 'demote')")[0][0]
    assert changes > 0  # the demo plants case types whose autonomy must change
    # each memo is written as .md and .html: the memos are counted, not their files
    assert f"approval memos: {changes} ({2 * changes} files) copied to {out / 'memos'}" in report_build.stdout
    assert len(list((out / "memos").rglob("*.md"))) == len(list((out / "memos").rglob("*.html"))) == changes
    assert len(links) == changes  # each recommended change links its approval memo...
    for link in links:  # ...which was copied beside the scorecard
        assert (out / link).is_file(), link


def test_scorecard_is_one_self_contained_printable_file(report_build):
    html = report_build.scorecard.read_text()
    assert external_references(html) == []
    assert "@media print" in html and "<style>" in html
    page = parse(html)
    ids = {e.attrs.get("id") for e in page.elements}
    assert {anchor for anchor, _ in SECTIONS} <= ids
    svgs = [e for e in page.elements if e.tag == "svg"]
    assert len(svgs) > 50 and all('class' in e.attrs and "chart" in e.attrs["class"] for e in svgs)
    kinds = {e.attrs["class"].split()[1] for e in svgs}
    assert {"spark", "interval", "bars"} <= kinds


def test_numbers_on_the_page_equal_the_marts(report_build):
    checked = check_numbers_against_marts(report_build.scorecard.read_text(), report_build.warehouse)
    for table in ("marts.fct_trust_metrics", "marts.rpt_roi_total", "marts.rpt_roi_assumptions",
                  "marts.rpt_judge_agreement", "marts.fct_incidents", "pooled"):
        assert checked.get(table, 0) > 0, checked
    assert sum(checked.values()) > 300


def test_every_case_type_agent_and_assumption_is_shown(report_build):
    w = report_build.warehouse
    html = report_build.scorecard.read_text()
    page = parse(html)
    rows = {(e.attrs.get("data-grain"), e.attrs.get("data-grain-value")) for e in page.elements if e.tag == "tr"}
    for (case_type,) in query(w, "select case_type from intermediate.int_case_types__policy"):
        assert ("case_type", case_type) in rows
    for (agent,) in query(w, "select distinct grain_value from marts.fct_trust_metrics where grain = 'agent' "
                             "and period = 'week' and period_start >= date '2026-09-21'"):
        assert ("agent", agent) in rows
    # each agent's Score and published tier for the week, as the trust lookup's mart holds them
    shown = {(e.attrs["data-score"], e.attrs["data-tier"]) for e in page.elements if "data-score" in e.attrs}
    scores = query(w, "select score, tier, score_tier, is_in_breach from marts.rpt_agent_scores "
                      "where week_start = date '2026-11-16'")
    assert shown == {(str(score), tier) for score, tier, *_ in scores} and scores
    capped = [(tier, score_tier) for _, tier, score_tier, breach in scores if breach and tier != score_tier]
    assert capped  # the demo's late handoffs breach the escalation minimum
    for tier, score_tier in capped:
        assert tier == "watch" and f"capped from {score_tier}" in html
    # the week's dispute rates are provisional: most of its disputes have not been filed yet
    [(p90,)] = query(w, """select quantile_cont(epoch(disputed_at - resolved_at) / 86400.0, 0.9)
                           from marts.fct_autonomous_resolutions where disputed_at >= resolved_at""")
    assert p90 > 7
    assert f"90% of disputes come within {p90:.0f} days of the resolution" in html
    assert html.count('class="tag provisional"') >= 2
    versions = {e.attrs.get("data-agent-version") for e in page.elements if e.tag == "tr"}
    for (version,) in query(w, "select distinct grain_value from marts.fct_trust_metrics where grain = 'agent_version'"):
        assert version in versions
    # every assumption, with its unit, is printed
    for name, case_type, unit in query(w, "select name, case_type, unit from marts.rpt_roi_assumptions"):
        key = f"{name}:{case_type or '(default)'}"
        row = next(e for e in page.elements if e.tag == "tr" and e.attrs.get("data-assumption") == key)
        assert unit in row.content
    # the week's cases by handling mode
    cases = query(w, """select count(*) from marts.fct_cases
                        where created_at >= timestamp '2026-11-16' and created_at < timestamp '2026-11-23'""")[0][0]
    glance = next(e for e in page.elements if e.attrs.get("data-glance") == "cases_total")
    assert glance.content == f"{cases:,}"
    # the landing files reconciliation is always shown
    assert {e.attrs.get("data-source") for e in page.elements} >= {"tickets", "agent_logs", "incidents"}


def test_a_chosen_week_and_its_trend(demo_warehouse):
    con = duckdb.connect(str(demo_warehouse), read_only=True)
    try:
        data = collect_scorecard(con, dt.date(2026, 10, 12), generated_at=FIXED_NOW)
    finally:
        con.close()
    meta = data["meta"]
    assert (meta["week_label"], meta["week_end"], meta["is_complete_week"]) == ("2026-W42", dt.date(2026, 10, 18), True)
    assert meta["trend_weeks"][0] == dt.date(2026, 8, 17) and meta["trend_weeks"][-1] == dt.date(2026, 10, 12)
    entry = next(e for e in data["headline"]["case_type"] if e["grain_value"] == "password_reset")
    week = entry["metrics"]["dispute_rate"]["week"]
    expected = query(demo_warehouse, """select value, value_lower, value_upper from marts.fct_trust_metrics
        where metric = 'dispute_rate' and grain = 'case_type' and grain_value = 'password_reset'
          and period = 'week' and period_start = date '2026-10-12'""")[0]
    assert (week["value"], week["lower"], week["upper"]) == expected
    html = render_scorecard(data)
    assert "week 2026-W42" in html and "2026-10-18" in data["meta"]["week_end"].isoformat()
    # five weeks before the data's end, the week's disputes have arrived
    assert not meta["dispute_lag"]["still_arriving"] and 'class="tag provisional"' not in html
    assert not data["incidents"]["open"] or all(i["detected_at"] < dt.datetime(2026, 10, 19) for i in data["incidents"]["open"])
    # a past week says which of its figures are the latest, not the week's own
    (as_of,) = {r["as_of_date"] for r in data["recommendations"]["rows"]}
    data_as_of = query(demo_warehouse, "select max(updated_at) from marts.fct_cases")[0][0]
    assert meta["is_past_week"] and not meta["is_before_data"]
    assert ("the recommendations and the ROI totals are the latest (data as of "
            f"{data_as_of.date().isoformat()})") in html
    assert f"autonomy changes recommended (as of {as_of.isoformat()})" in html
    assert f"savings vs all-human, whole history to {data_as_of.date().isoformat()}" in html


def test_a_week_before_the_data_says_so(demo_warehouse):
    con = duckdb.connect(str(demo_warehouse), read_only=True)
    try:
        data = collect_scorecard(con, dt.date(2020, 1, 6), generated_at=FIXED_NOW)
        latest = collect_scorecard(con, generated_at=FIXED_NOW)
    finally:
        con.close()
    first = query(demo_warehouse, "select min(created_at) from marts.fct_cases")[0][0]
    assert data["meta"]["is_before_data"] and data["meta"]["is_past_week"]
    assert f"(no data in this week: the cases start on {first.date().isoformat()})" in render_scorecard(data)
    # nor is a week after the data's end said to be partly covered
    data_end = query(demo_warehouse, "select max(updated_at) from marts.fct_cases")[0][0]
    con = duckdb.connect(str(demo_warehouse), read_only=True)
    try:
        after = collect_scorecard(con, dt.date(2027, 1, 4), generated_at=FIXED_NOW)
    finally:
        con.close()
    html = render_scorecard(after)
    assert after["meta"]["is_after_data"] and not after["meta"]["is_before_data"]
    assert f"(no data in this week: the data ends on {data_end.date().isoformat()})" in html
    assert "does not yet cover the whole week" not in html
    # the latest complete week is neither
    assert not latest["meta"]["is_past_week"] and not latest["meta"]["is_before_data"]
    assert "A past week" not in render_scorecard(latest)


def test_panels_fall_back_when_their_tables_are_missing(warehouse_copy, tmp_path):
    con = duckdb.connect(str(warehouse_copy))
    con.execute("drop table if exists marts.rpt_autonomy_recommendations")
    con.execute("drop schema if exists quality cascade")
    con.execute("delete from marts.rpt_roi_assumptions where policy_section = 'costs'")
    con.close()
    con = duckdb.connect(str(warehouse_copy), read_only=True)
    try:
        data = collect_scorecard(con, generated_at=FIXED_NOW, memo_dir=tmp_path / "no-memos")
    finally:
        con.close()
    html = render_scorecard(data)
    assert "Recommendations are not available: marts.rpt_autonomy_recommendations is not in the warehouse." in html
    assert "Data-quality results are not available: quality.validation_results is not in the warehouse." in html
    assert "The policy file has no cost assumptions (costs section)." in html
    assert "Landing files reconciliation" in html  # shown regardless
    assert external_references(html) == []


def _scorecard_with_results(warehouse, columns: str, rows: str) -> dict:
    """The scorecard's data after replacing quality.validation_results with ``rows`` (SQL values)."""
    con = duckdb.connect(str(warehouse))
    con.execute("create schema if not exists quality")
    con.execute(f"create or replace table quality.validation_results ({columns})")
    con.execute(f"insert into quality.validation_results values {rows}")
    con.close()
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return collect_scorecard(con, generated_at=FIXED_NOW)
    finally:
        con.close()


def test_quality_panel_shows_the_latest_run_and_its_failures(warehouse_copy):
    data = _scorecard_with_results(
        warehouse_copy,
        """run_id varchar, suite varchar, table_name varchar, expectation varchar, subject varchar,
        success boolean, observed_value varchar, validated_at timestamp""",
        """('old', 'raw_tickets', 'raw.tickets', 'expect_old_failure', null, false, '7', timestamp '2026-11-20 05:00'),
        ('new', 'raw_tickets', 'raw.tickets', 'expect_column_values_to_not_be_null', null, true, '0',
         timestamp '2026-11-23 05:00'),
        ('new', 'raw_tickets', 'raw.tickets', 'expect_column_values_to_be_between', null, false,
         '3 of 5375 rows', timestamp '2026-11-23 05:00'),
        ('new', 'raw_tickets', 'raw.tickets', 'file_reconciles', 'tickets/a.csv', true, '{}',
         timestamp '2026-11-23 05:00')""")
    validation = data["quality"]["validation"]
    # the latest run only; a per-file result details an expectation and is not counted as one
    assert validation["checked"] == 2 and len(validation["failed"]) == 1
    html = render_scorecard(data)
    assert "expect_column_values_to_be_between" in html and "3 of 5375 rows" in html
    assert "expect_old_failure" not in html


def test_report_command_rejects_a_bad_week(report_build, tmp_path):
    proc = run_trustloop(["report", "--out", str(tmp_path / "x"), "--week", "someday"], report_build.env, check=False)
    assert proc.returncode == 2 and "not a week" in proc.stderr


def test_pipeline_run_wrote_the_reports(demo_build):
    """`trustloop run` (the whole job) materialised the scorecard and the finance export assets."""
    _warehouse, env, stdout = demo_build
    reports = Path(env["TRUSTLOOP_OUTPUT_DIR"]) / "reports"
    assert (reports / "scorecard_2026-W47.html").is_file() and (reports / "scorecard_latest.html").is_file()
    # the control map beside it, with this run's dbt test outcomes, linked from the scorecard
    assert 'href="controls/control_map.html"' in (reports / "scorecard_latest.html").read_text()
    with open(reports / "controls" / "control_map.csv", newline="") as handle:
        checks = [r for r in csv.DictReader(handle) if r["check_framework"]]
    assert checks and {r["check_status"] for r in checks} == {"pass"}
    assert {p.name for p in (reports / "finance").iterdir()} >= {"roi_monthly.csv", "roi_total.csv",
                                                                "roi_assumptions.csv", "roi.xlsx"}
    assert "marts.rpt_roi_monthly" in stdout and "marts.rpt_judge_agreement" in stdout


def test_scorecard_asset_takes_the_schedules_week(warehouse_copy, tmp_path, monkeypatch):
    """The assets materialised by Dagster with the weekly schedule's run config cover that week."""
    from dagster import materialize

    from orchestration.assets.reporting import finance_export, scorecard_run_config, weekly_scorecard
    from orchestration.resources import WarehouseResource

    monkeypatch.setenv("TRUSTLOOP_OUTPUT_DIR", str(tmp_path / "output"))
    result = materialize(
        [weekly_scorecard, finance_export],
        resources={"warehouse": WarehouseResource(path=str(warehouse_copy))},
        run_config=scorecard_run_config(dt.date(2026, 10, 12)),
        raise_on_error=True,
    )
    assert result.success
    reports = tmp_path / "output" / "reports"
    html = (reports / "scorecard_2026-W42.html").read_text()
    assert "week 2026-W42" in html and external_references(html) == []
    assert (reports / "finance" / "roi.xlsx").is_file()
    materializations = result.asset_materializations_for_node("reports__weekly_scorecard")
    assert [m.asset_key.to_user_string() for m in materializations] == ["reports/weekly_scorecard"]
    assert materializations[0].metadata["week"].value == "2026-W42"


def test_quality_panel_tells_blocking_failures_from_warnings(warehouse_copy):
    data = _scorecard_with_results(
        warehouse_copy,
        """run_id varchar, suite varchar, table_name varchar, expectation varchar, subject varchar,
        success boolean, blocking boolean, severity varchar, observed_value varchar, validated_at timestamp""",
        """('r', 'raw_agent_logs_coverage', 'raw.agent_logs', 'null_rates', null, false, false, 'WARN',
         '1.0', timestamp '2026-11-23 05:00'),
        ('r', 'raw_tickets', 'raw.tickets', 'expect_column_values_to_be_between', null, false, true,
         'ERROR', '3 of 5375 rows', timestamp '2026-11-23 05:00'),
        ('r', 'raw_incidents', 'raw.incidents', 'expect_column_values_to_not_be_null', null, true, true,
         'ERROR', '0', timestamp '2026-11-23 05:00')""")
    validation = data["quality"]["validation"]
    assert [r["suite"] for r in validation["blocking_failed"]] == ["raw_tickets"]
    assert [r["suite"] for r in validation["warnings"]] == ["raw_agent_logs_coverage"]
    html = render_scorecard(data)
    assert "failed data-quality expectations (of 3)" in html and "data-quality warnings (not blocking)" in html
    assert "WARN" in html and "raw_agent_logs_coverage" in html


def test_negative_money_and_ratios_share_one_minus_sign():
    from trustloop.reports.render import money, ratio

    assert (money(-1146.77, "USD"), ratio(-14.55), ratio(2.5)) == ("−USD 1,146.77", "−14.55×", "2.50×")


def test_rates_near_one_are_plotted_on_an_axis_that_starts_near_them():
    from trustloop.reports.charts import Point, high_rate_domain, interval_plot

    releases = [Point("2026.05.1", 0.969, 0.961, 0.975), Point("2026.07.2", 0.923, 0.914, 0.931)]
    assert high_rate_domain(releases) == pytest.approx((0.9, 1.0))
    assert high_rate_domain([Point("a", 0.55, 0.41, 0.68)]) == pytest.approx((0.4, 1.0))
    assert high_rate_domain([Point("a", 1.0, 1.0, 1.0)]) == pytest.approx((0.9, 1.0))  # never a zero-width axis
    assert high_rate_domain([Point("a", 0.02, 0.0, 0.1)]) == (0.0, 1.0)
    assert high_rate_domain([Point("a", None)]) == (0.0, 1.0)
    svg = interval_plot(releases, "pass rate by release", domain=high_rate_domain(releases))
    assert [t.split(">")[-1] for t in svg.split("</text>") if 'class="axis"' in t] == ["90.0%", "95.0%", "100.0%"]


def test_a_rate_trend_zooms_to_its_values_and_threshold_and_says_where_its_axis_starts():
    from trustloop.reports.charts import Point, high_rate_spark_domain, sparkline

    weeks = [Point("w1", 0.93, 0.88, 0.96), Point("w2", 0.97, 0.93, 0.99), Point("w3", None)]
    assert high_rate_spark_domain(weeks) == pytest.approx((0.8, 1.0))
    assert high_rate_spark_domain(weeks, threshold=0.75) == pytest.approx((0.7, 1.0))  # the threshold line shows
    svg = sparkline(weeks, "tone pass rate", threshold=0.9, domain=high_rate_spark_domain(weeks, 0.9))
    assert '<text class="axis-start"' in svg and svg.split('class="axis-start"')[1].split(">")[1].startswith("80%<")
    # the threshold line sits half-way up the 36-pixel box (80-100 %), not in its top pixels
    y = float(svg.split('class="threshold"')[1].split('y1="')[1].split('"')[0])
    assert 15 < y < 21
    assert '<text class="axis-start"' not in sparkline(weeks, "on 0-100 %")  # the full axis needs no label


def test_the_scorecard_zooms_its_pass_rate_and_agreement_plots(report_build):
    html = report_build.scorecard.read_text()
    for title in ("Pact pass rate by release of", "agreement rate by pact dimension"):
        at = html.index(f'aria-label="{title}')
        svg = html[at:html.index("</svg>", at)]
        first_tick = svg.split('class="axis"')[1].split(">")[1].split("<")[0]
        assert first_tick != "0.0%" and first_tick.endswith("0.0%"), first_tick
    # the weekly trends of pass rates zoom too
    at = html.index('aria-label="tone pass rate, ')
    spark = html[at:html.index("</svg>", at)]
    assert 'class="axis-start"' in spark
