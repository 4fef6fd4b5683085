"""Finance's export: the ROI tables as CSV files and as one .xlsx workbook.

Written to a folder:

- ``roi_monthly.csv``  marts.rpt_roi_monthly (case type x month)
- ``roi_total.csv``    marts.rpt_roi_total (case type, and the '(total)' row)
- ``roi_assumptions.csv`` marts.rpt_roi_assumptions (every assumption with its unit)
- ``roi.xlsx``         the three as sheets, plus a sheet of column definitions taken from the
  dbt YAML that documents the marts (one description, everywhere)

CSV values are written at full precision (money as exact decimals); the workbook formats
money and ratios for reading and keeps the full value in each cell.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import yaml

from trustloop.settings import Settings, get_settings
from trustloop.warehouse import connect

TABLES = {
    "roi_monthly": ("marts.rpt_roi_monthly", "ROI by month", "case_type, month_start"),
    "roi_total": ("marts.rpt_roi_total", "ROI total", "is_total, case_type"),
    "roi_assumptions": ("marts.rpt_roi_assumptions", "Assumptions", "name, case_type nulls first"),
}
ROI_YAML = Path("models") / "marts" / "reporting" / "_reporting__roi.yml"
MONEY_FORMAT = "#,##0.00;[Red]-#,##0.00"


@dataclass
class FinanceExport:
    folder: Path
    files: list[Path] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        text = format(value.normalize(), "f")
        return "0" if text in ("-0", "") else text
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value)


def read_tables(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[list[str], list[tuple]]]:
    """The three ROI tables as (columns, rows), in a stable order."""
    out = {}
    for name, (table, _sheet, order) in TABLES.items():
        schema, table_name = table.split(".")
        exists = con.execute(
            "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
            [schema, table_name],
        ).fetchone()[0]
        if not exists:
            raise LookupError(f"{table} is not in the warehouse: run `trustloop run` first")
        cur = con.execute(f"select * from {table} order by {order}")
        out[name] = ([d[0] for d in cur.description], cur.fetchall())
    return out


def column_descriptions(dbt_project_dir: Path) -> dict[str, dict[str, str]]:
    """model -> column -> description, from the dbt YAML of the ROI marts (empty when absent)."""
    path = dbt_project_dir / ROI_YAML
    if not path.is_file():
        return {}
    doc = yaml.safe_load(path.read_text()) or {}
    out: dict[str, dict[str, str]] = {}
    for model in doc.get("models", []):
        out[model["name"]] = {
            c["name"]: " ".join(str(c.get("description", "")).split()) for c in model.get("columns", [])
        }
    return out


def write_csv(path: Path, columns: list[str], rows: list[tuple]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_csv_value(v) for v in row])


def _xlsx_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    return value


def write_workbook(path: Path, tables: dict[str, tuple[list[str], list[tuple]]],
                   descriptions: dict[str, dict[str, str]]) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    header_font = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="DDE3EA")
    wb = Workbook()
    wb.remove(wb.active)
    for name, (table, sheet_name, _order) in TABLES.items():
        columns, rows = tables[name]
        ws = wb.create_sheet(sheet_name)
        ws.append(columns)
        for cell in ws[1]:
            cell.font, cell.fill = header_font, header_fill
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        for row in rows:
            ws.append([_xlsx_value(v) for v in row])
        for idx, column in enumerate(columns, start=1):
            letter = get_column_letter(idx)
            fmt = None
            if column.endswith("_cost") or column in ("savings", "cost_per_durable_resolution") or (
                name == "roi_assumptions" and column == "value"
            ):
                fmt = MONEY_FORMAT if name != "roi_assumptions" else "#,##0.00"
            elif column in ("roi",):
                fmt = "0.00"
            elif column.endswith("_rate"):
                fmt = "0.0%"
            elif column.endswith(("month", "month_start")):
                fmt = "yyyy-mm"
            if fmt:
                for cell in ws[letter][1:]:
                    cell.number_format = fmt
            width = max([len(column)] + [len(_csv_value(r[idx - 1])) for r in rows[:200]]) + 2
            ws.column_dimensions[letter].width = min(max(width, 9), 48)
            description = descriptions.get(table.split(".")[1], {}).get(column)
            if description:
                from openpyxl.comments import Comment

                ws.cell(row=1, column=idx).comment = Comment(description, "trustloop")
        ws.freeze_panes = "B2" if name != "roi_assumptions" else "A2"
        ws.auto_filter.ref = ws.dimensions
    ws = wb.create_sheet("Definitions")
    ws.append(["sheet", "column", "meaning"])
    for cell in ws[1]:
        cell.font, cell.fill = header_font, header_fill
    for name, (table, sheet_name, _order) in TABLES.items():
        for column in tables[name][0]:
            ws.append([sheet_name, column, descriptions.get(table.split(".")[1], {}).get(column, "")])
    ws.column_dimensions["A"].width = 16
    ws.column_dimensions["B"].width = 30
    ws.column_dimensions["C"].width = 120
    wb.save(path)


def write_finance_export(out_dir: Path, *, settings: Settings | None = None,
                         con: duckdb.DuckDBPyConnection | None = None) -> FinanceExport:
    """Write the CSV files and the workbook to ``out_dir`` (created); returns what was written."""
    settings = settings or get_settings()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if con is None:
        with connect(settings.warehouse, read_only=True, settings=settings) as own:
            tables = read_tables(own)
    else:
        tables = read_tables(con)
    result = FinanceExport(out_dir)
    for name, (columns, rows) in tables.items():
        path = out_dir / f"{name}.csv"
        write_csv(path, columns, rows)
        result.files.append(path)
        result.rows[name] = len(rows)
    workbook = out_dir / "roi.xlsx"
    write_workbook(workbook, tables, column_descriptions(settings.dbt_project_dir))
    result.files.append(workbook)
    return result
