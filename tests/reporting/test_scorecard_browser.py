"""The scorecard in headless Chromium: it loads offline, shows its charts and numbers, prints, and a
screenshot is kept as a test artifact (tests/artifacts/, or $TRUSTLOOP_TEST_ARTIFACTS).

Without Chromium these tests skip with a message; with the environment variable CI set they fail instead.
"""

from __future__ import annotations

import re
import struct
import zlib

import pytest

from tests.reporting.conftest import ARTIFACTS, bytes_sent, page_requests, run_chromium
from tests.reporting.page_checks import check_numbers_against_marts, parse

pytestmark = pytest.mark.slow


def _png_size_and_variety(path) -> tuple[int, int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    idat, pos = b"", 8
    while pos < len(data):
        length = struct.unpack(">I", data[pos:pos + 4])[0]
        kind = data[pos + 4:pos + 8]
        if kind == b"IDAT":
            idat += data[pos + 8:pos + 8 + length]
        pos += 12 + length
    pixels = zlib.decompress(idat)
    return width, height, len(set(pixels[: 4_000_000]))


def test_scorecard_loads_offline_with_charts_and_the_marts_numbers(chromium, report_build, tmp_path):
    source = report_build.scorecard.read_text()
    run = run_chromium(report_build.scorecard.as_uri(), tmp_path / "load", "--dump-dom")
    # nothing the page asked for went anywhere, and no byte left through any socket
    assert page_requests(run.netlog) == []
    assert bytes_sent(run.netlog) == []
    dom = parse(run.dom)
    # it rendered completely: every section, every chart, the footer
    ids = {e.attrs.get("id") for e in dom.elements}
    assert {"glance", "case-types", "agents", "versions", "pacts", "judges", "incidents", "recommendations",
            "quality", "roi", "assumptions"} <= ids
    assert dom.tags.get("svg", 0) == source.count("<svg ") > 50
    assert dom.tags.get("polyline", 0) > 20 and dom.tags.get("rect", 0) > 10
    assert "every number on this page carries the table and key" in run.dom
    # the numbers the browser shows are the marts'
    checked = check_numbers_against_marts(run.dom, report_build.warehouse)
    assert sum(checked.values()) > 300


def test_offline_check_catches_a_page_that_fetches(chromium, tmp_path):
    """The network check is not vacuous: a page with remote references is caught, and still sends nothing."""
    canary = tmp_path / "canary.html"
    canary.write_text('<!DOCTYPE html><html><body><p>canary</p><img src="https://cdn.example.com/x.png">'
                      '<link rel="stylesheet" href="http://fonts.example.org/a.css"></body></html>')
    run = run_chromium(canary.as_uri(), tmp_path / "canary", "--dump-dom")
    assert {url for _, url in page_requests(run.netlog)} == {"https://cdn.example.com/x.png",
                                                             "http://fonts.example.org/a.css"}
    assert bytes_sent(run.netlog) == []


def test_screenshot_and_print_are_saved_as_artifacts(chromium, report_build, tmp_path):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / report_build.scorecard.with_suffix(".png").name
    pdf = ARTIFACTS / report_build.scorecard.with_suffix(".pdf").name
    for path in (shot, pdf):
        path.unlink(missing_ok=True)
    run_chromium(report_build.scorecard.as_uri(), tmp_path / "shot", f"--screenshot={shot}",
                 "--window-size=1400,5000")
    width, height, variety = _png_size_and_variety(shot)
    assert (width, height) == (1400, 5000)
    assert shot.stat().st_size > 50_000 and variety > 50  # a real page, not a blank or one-colour image
    run_chromium(report_build.scorecard.as_uri(), tmp_path / "pdf", f"--print-to-pdf={pdf}", "--no-pdf-header-footer")
    data = pdf.read_bytes()
    pages = max(int(n) for n in re.findall(rb"/Count (\d+)", data))
    assert data[:5] == b"%PDF-" and pages >= 2  # printable: it paginates


def test_the_control_map_beside_the_scorecard_loads_offline(chromium, report_build, tmp_path):
    """The page the scorecard links as its control map renders in the browser, every control and check of it."""
    page = report_build.out / "controls" / "control_map.html"
    assert 'href="controls/control_map.html"' in report_build.scorecard.read_text()
    run = run_chromium(page.as_uri(), tmp_path / "controls", "--dump-dom")
    assert page_requests(run.netlog) == [] and bytes_sent(run.netlog) == []
    dom = parse(run.dom)
    rows = [e for e in dom.elements if e.tag == "tr" and "data-control" in e.attrs]
    case_types = {e.attrs["id"] for e in dom.elements if e.tag == "h2" and e.attrs.get("id", "").startswith("c-")}
    assert len(rows) == 9 * len(case_types) > 0
    # each table a control names is on the page with its checks, and the links between them resolve
    targets = {e.attrs["href"][1:] for e in dom.elements if e.tag == "a" and e.attrs.get("href", "").startswith("#t-")}
    anchors = {e.attrs.get("id") for e in dom.elements if e.tag == "h3"}
    assert targets and targets <= anchors
    assert "No check guards this table." not in run.dom
