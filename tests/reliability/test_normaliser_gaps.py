"""Property tests of timestamp spellings that tests/unit/test_normalise.py does not draw.

That module draws full times with ``+hh:mm``, ``+hhmm`` or ``Z`` offsets and
millisecond fractions. The contract (docs/landing-contract.md) also accepts
hour-only offsets (``+01``), times without seconds, a date alone (midnight
UTC), fractions of any length (truncated to microseconds) and a comma as the
decimal sign. Each spelling is compared with this suite's own reading
(landing_tools.parse_ts). The last test checks that the product's connection
reads naive times as UTC whatever the process's TZ.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import textwrap

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import PROJECT
from tests.reliability.landing_tools import parse_ts
from trustloop.ingest.loader import install_macros


@pytest.fixture(scope="module")
def con():
    connection = duckdb.connect()
    connection.execute("set TimeZone = 'UTC'")
    install_macros(connection)
    yield connection
    connection.close()


SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@st.composite
def spellings(draw) -> str:
    day = draw(st.dates(min_value=dt.date(1995, 1, 1), max_value=dt.date(2090, 12, 31)))
    text = day.isoformat()
    shape = draw(st.sampled_from(["date", "minutes", "seconds", "fraction"]))
    if shape == "date":
        return text
    text += draw(st.sampled_from(["T", " "])) + f"{draw(st.integers(0, 23)):02d}:{draw(st.integers(0, 59)):02d}"
    if shape != "minutes":
        text += f":{draw(st.integers(0, 59)):02d}"
    if shape == "fraction":
        text += draw(st.sampled_from([".", ","])) + draw(st.text(alphabet="0123456789", min_size=1, max_size=9))
    hours, minutes = draw(st.integers(-14, 14)), draw(st.sampled_from([0, 15, 30, 45]))
    sign = "-" if hours < 0 else "+"
    offset = draw(st.sampled_from([
        "", "Z", f"{sign}{abs(hours):02d}", f"{sign}{abs(hours):02d}{minutes:02d}",
        f"{sign}{abs(hours):02d}:{minutes:02d}",
    ]))
    return text + offset


@SETTINGS
@given(text=spellings(), pad=st.sampled_from(["", " ", "\t"]))
def test_every_documented_spelling_is_the_instant_it_names(con, text, pad):
    expected = parse_ts(text)
    assert expected is not None, text
    got = con.execute("select tl_ts(?)", [pad + text + pad]).fetchone()[0]
    assert got == expected.replace(tzinfo=None), text


def test_naive_times_are_utc_whatever_the_process_time_zone(tmp_path):
    """The product's connection pins the session to UTC: a naive time is not read in the local zone."""
    script = textwrap.dedent(f"""
        import json
        from pathlib import Path
        from trustloop.ingest.loader import install_macros
        from trustloop.warehouse import open_connection
        con = open_connection(Path({str(tmp_path / 'w.duckdb')!r}))
        install_macros(con)
        print(json.dumps([str(v) for v in con.execute(
            "select tl_ts('2026-03-08 02:30:00'), tl_ts('2026-11-01 01:30:00'), "
            "cast(tl_ts('2026-03-29 23:30:00') as date), current_setting('TimeZone')").fetchone()]))
    """)
    for tz in ("America/New_York", "Asia/Kolkata", "Pacific/Chatham"):
        proc = subprocess.run([sys.executable, "-c", script], cwd=PROJECT, capture_output=True, text=True,
                              env={"PATH": "/usr/bin:/bin", "TZ": tz}, timeout=120)
        assert proc.returncode == 0, proc.stderr[-2000:]
        assert json.loads(proc.stdout) == ["2026-03-08 02:30:00", "2026-11-01 01:30:00", "2026-03-29", "UTC"], tz
