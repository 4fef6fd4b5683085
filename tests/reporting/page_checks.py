"""Reading a rendered scorecard back: its numbers (data-* attributes) and what it references."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest

from trustloop.reports import render

VOID = {"br", "meta", "img", "hr", "input", "link", "source", "wbr"}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    text: list[str] = field(default_factory=list)

    @property
    def content(self) -> str:
        return "".join(self.text).strip()


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[Element] = []
        self.elements: list[Element] = []
        self.tags: dict[str, int] = {}

    def handle_starttag(self, tag, attrs):
        self.tags[tag] = self.tags.get(tag, 0) + 1
        element = Element(tag, {k: v or "" for k, v in attrs})
        self.elements.append(element)
        if tag not in VOID:
            self.stack.append(element)

    def handle_startendtag(self, tag, attrs):
        self.tags[tag] = self.tags.get(tag, 0) + 1
        self.elements.append(Element(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                break

    def handle_data(self, data):
        for element in self.stack:
            element.text.append(data)


def parse(html: str) -> _Parser:
    parser = _Parser()
    parser.feed(html)
    parser.close()
    return parser


def _same(page: str, mart) -> bool:
    if mart is None:
        return page == ""
    if isinstance(mart, bool):
        return page == str(mart)
    try:
        return float(page) == pytest.approx(float(mart), rel=1e-12, abs=1e-12)
    except (TypeError, ValueError):
        return page == str(mart)


def _formatted(table: str, column: str, value: float | None, currency: str | None) -> str | None:
    """How the page prints a mart value (None: not checked as text)."""
    if value is None:
        return None
    if table == "marts.rpt_roi_total":
        if column.endswith("_cost") or column in ("savings", "cost_per_durable_resolution"):
            return render.money(value, currency)
        if column == "roi":
            return render.ratio(value)
        return render.count(value)
    if table == "marts.fct_trust_metrics" and column == "value":
        return None  # rates print as %, hours as h: checked below by metric
    if table == "marts.rpt_judge_agreement" and column == "pairs":
        return render.count(value)
    if table == "marts.fct_incidents":
        return render.money(value, currency) if column == "remediation_cost" else render.hours(value)
    return None


def check_numbers_against_marts(html: str, warehouse: Path) -> dict[str, int]:
    """Every number the page ties to a mart row equals that row; every pooled rate equals its rows' sum.

    Returns how many were checked per table.
    """
    page = parse(html)
    checked: dict[str, int] = {}
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        currency = con.execute("select max(currency) from marts.rpt_roi_assumptions").fetchone()[0]
        for element in page.elements:
            attrs = element.attrs
            if "data-table" in attrs:
                table, column = attrs["data-table"], attrs["data-column"]
                key = json.loads(attrs["data-key"])
                where = " and ".join(f'"{k}" is not distinct from ?' for k in key)
                rows = con.execute(f'select "{column}" from {table} where {where}', list(key.values())).fetchall()
                assert len(rows) == 1, (table, key, rows)
                mart = rows[0][0]
                assert _same(attrs["data-value"], mart), (table, key, column, attrs["data-value"], mart)
                expected = _formatted(table, column, mart, currency)
                if expected is not None:
                    assert element.content == expected, (table, key, column, element.content, expected)
                if table == "marts.fct_trust_metrics" and column == "value":
                    metric = key["metric"]
                    text = render.hours(mart) if metric.startswith(("recovery", "detection")) else render.pct(mart)
                    assert element.content == text, (key, element.content, text)
                if table == "marts.fct_trust_metrics" and column == "value_lower":
                    assert f"95% CI {max(mart, 0.0) * 100:.1f}–" in element.content, (key, element.content, mart)
                checked[table] = checked.get(table, 0) + 1
            if "data-pool" in attrs:
                pool = json.loads(attrs["data-pool"])
                where = pool["where"]
                clauses = " and ".join(f'"{k}" is not distinct from ?' for k in where)
                num, den = con.execute(
                    f"select sum(numerator), sum(denominator) from {pool['table']} "
                    f"where {clauses} and period_start between ? and ?",
                    [*where.values(), pool["from"], pool["to"]],
                ).fetchone()
                assert (int(attrs["data-numerator"]), int(attrs["data-denominator"])) == (num, den), (pool, num, den)
                assert float(attrs["data-value"]) == pytest.approx(num / den, rel=1e-12)
                assert element.content.startswith(render.pct(num / den)) or render.pct(num / den) in element.content
                checked["pooled"] = checked.get("pooled", 0) + 1
    finally:
        con.close()
    return checked


URL = re.compile(r"(?i)\b(?:https?|ftp|wss?):|//[a-z0-9.-]+\.[a-z]{2,}")


def external_references(html: str) -> list[str]:
    """Anything that would make a browser fetch something: scripts, stylesheets, images, fonts, URLs."""
    problems = []
    page = parse(html)
    for tag in ("script", "link", "img", "iframe", "object", "embed", "audio", "video", "source", "base", "form"):
        if page.tags.get(tag):
            problems.append(f"<{tag}> element(s): {page.tags[tag]}")
    for element in page.elements:
        for name, value in element.attrs.items():
            if name in ("src", "srcset", "data", "poster", "action", "xlink:href") and value:
                problems.append(f"{name}={value!r}")
            # links to the files `report` writes beside the page (memos, the control map) are not fetched
            if name == "href" and not value.startswith(("#", "memos/", "controls/")):
                problems.append(f"href={value!r}")
    for pattern in ("@import", "url(", "@font-face"):
        if pattern in html:
            problems.append(pattern)
    problems += [f"URL {m.group(0)!r}" for m in URL.finditer(html)]
    return problems
