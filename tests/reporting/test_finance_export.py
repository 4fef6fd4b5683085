"""Finance's export: the ROI tables as CSV and .xlsx equal the marts, with an assumptions sheet."""

from __future__ import annotations

import csv
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from tests.conftest import query

pytestmark = pytest.mark.slow


def _csv(path):
    with open(path, newline="") as handle:
        return list(csv.reader(handle))


@pytest.mark.parametrize(
    ("name", "table", "key"),
    [("roi_monthly", "marts.rpt_roi_monthly", ("case_type", "month_start")),
     ("roi_total", "marts.rpt_roi_total", ("case_type",)),
     ("roi_assumptions", "marts.rpt_roi_assumptions", ("assumption_key",))],
)
def test_csv_equals_the_mart(report_build, name, table, key):
    rows = _csv(report_build.out / "finance" / f"{name}.csv")
    header, body = rows[0], rows[1:]
    mart_columns = [r[0] for r in query(report_build.warehouse, f"describe {table}")]
    assert header == mart_columns
    mart = {tuple(str(v) for v in r[: len(key)]): r for r in query(
        report_build.warehouse, f"select {', '.join(key)}, * from {table}")}
    assert len(body) == len(mart)
    for row in body:
        record = dict(zip(header, row, strict=True))
        expected = mart[tuple(record[k] for k in key)][len(key):]
        for column, value, want in zip(header, row, expected, strict=True):
            if want is None:
                assert value == "", column
            elif isinstance(want, Decimal):
                assert Decimal(value) == want, column  # money to the last digit
            elif isinstance(want, float):
                assert float(value) == want, column
            elif isinstance(want, bool):
                assert value == ("true" if want else "false"), column
            else:
                assert value == (want.isoformat() if hasattr(want, "isoformat") else str(want)), column


def test_workbook_has_the_roi_tables_an_assumptions_sheet_and_definitions(report_build):
    wb = load_workbook(report_build.out / "finance" / "roi.xlsx")
    assert wb.sheetnames == ["ROI by month", "ROI total", "Assumptions", "Definitions"]
    total = wb["ROI total"]
    header = [c.value for c in total[1]]
    rows = [dict(zip(header, r, strict=True)) for r in total.iter_rows(min_row=2, values_only=True)]
    grand = next(r for r in rows if r["case_type"] == "(total)")
    expected = query(report_build.warehouse, "select cases_total, total_cost, baseline_cost, savings, roi "
                                             "from marts.rpt_roi_total where is_total")[0]
    assert grand["cases_total"] == expected[0]
    assert grand["total_cost"] == pytest.approx(float(expected[1]))
    assert grand["savings"] == pytest.approx(float(expected[3])) and grand["roi"] == pytest.approx(expected[4])
    assert total["A1"].comment is not None  # column meanings from the dbt YAML ride along as comments
    assumptions = wb["Assumptions"]
    a_header = [c.value for c in assumptions[1]]
    a_rows = [dict(zip(a_header, r, strict=True)) for r in assumptions.iter_rows(min_row=2, values_only=True)]
    assert {r["name"] for r in a_rows} >= {"ai_cost_per_case", "human_cost_per_case", "review_cost_per_suggestion",
                                          "dispute_cost", "durable_window_days"}
    assert all(r["unit"] for r in a_rows) and all(r["value"] is not None for r in a_rows)
    monthly = wb["ROI by month"]
    assert monthly.max_row - 1 == query(report_build.warehouse, "select count(*) from marts.rpt_roi_monthly")[0][0]
    definitions = {(r[0], r[1]): r[2] for r in wb["Definitions"].iter_rows(min_row=2, values_only=True)}
    assert "savings" in (definitions[("ROI total", "roi")] or "")
