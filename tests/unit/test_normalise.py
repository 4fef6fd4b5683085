"""Property tests of the contract normalisers (DuckDB macros in trustloop/ingest/normalise.sql)
against an independent Python reading of the landing contract."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import duckdb
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from trustloop.ingest.loader import install_macros

CHANNELS = ["email", "chat", "voice", "social", "web"]


@pytest.fixture(scope="module")
def con():
    connection = duckdb.connect()
    connection.execute("set TimeZone = 'UTC'")
    install_macros(connection)
    yield connection
    connection.close()


def scalar(con, sql, *params):
    return con.execute(sql, list(params)).fetchone()[0]


SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

instants = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1)).map(
    lambda d: d.replace(microsecond=(d.microsecond // 1000) * 1000)
)
offsets = st.integers(min_value=-14 * 60, max_value=14 * 60).map(lambda m: m - m % 15)


def spell(instant_utc: datetime, offset_minutes: int | None, sep: str, style: str) -> str:
    """Write a UTC instant as an ISO 8601 string with the given offset and style."""
    if offset_minutes is None:
        local, suffix = instant_utc, ""
    else:
        local = instant_utc + timedelta(minutes=offset_minutes)
        sign = "+" if offset_minutes >= 0 else "-"
        hh, mm = divmod(abs(offset_minutes), 60)
        suffix = {"colon": f"{sign}{hh:02d}:{mm:02d}", "compact": f"{sign}{hh:02d}{mm:02d}", "z": "Z"}[style]
        if style == "z":
            local, suffix = instant_utc, "Z"
    text = local.strftime(f"%Y-%m-%d{sep}%H:%M:%S")
    if local.microsecond:
        text += f".{local.microsecond:06d}"
    return text + suffix


@SETTINGS
@given(instant=instants, offset=st.one_of(st.none(), offsets), sep=st.sampled_from(["T", " "]),
       style=st.sampled_from(["colon", "compact", "z"]), pad=st.sampled_from(["", " ", "  "]))
def test_timestamps_mean_the_same_instant(con, instant, offset, sep, style, pad):
    text = pad + spell(instant, offset, sep, style) + pad
    # independent reading: Python's ISO parser; naive means UTC
    parsed = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    expected = parsed.astimezone(UTC).replace(tzinfo=None) if parsed.tzinfo else parsed
    assert scalar(con, "select tl_ts(?)", text) == expected


@SETTINGS
@given(st.text(max_size=30))
def test_timestamp_garbage_is_null_never_an_error(con, text):
    value = scalar(con, "select tl_ts(?)", text)
    if value is not None:  # only ISO-looking text may parse
        assert re.match(r"\s*\d{4}-\d{2}-\d{2}", text)


@pytest.mark.parametrize("text", ["epoch", "now", "2026-03-02T10:00:00 Europe/Paris", "2026-02-30", "10:00", "",
                                  "2026-03-02T10:00:00 +01:00", "2026-03-02T10:00:00 Z",
                                  # offsets beyond RFC 3339's hours 00-23 and minutes 00-59 (DuckDB's cast alone
                                  # reads them, shifting the instant by a day or by the excess minutes)
                                  "2026-03-02T10:00:00+25:00", "2026-03-02T10:00:00+01:75", "2026-03-02T10:00:00+24:00",
                                  "2026-03-02 10:00:00-2400", "2026-03-02T10:00:00-99", "2026-03-02T10:00+01:60"])
def test_non_iso_timestamps_are_rejected(con, text):
    assert scalar(con, "select tl_ts(?)", text) is None


@pytest.mark.parametrize("text, expected", [
    # RFC 3339 allows a lower-case separator and zone designator
    ("2026-03-02t10:00:00z", datetime(2026, 3, 2, 10, 0)),
    ("2026-03-02t10:00:00+01:00", datetime(2026, 3, 2, 9, 0)),
    ("2026-03-02 10:00:00Z", datetime(2026, 3, 2, 10, 0)),
])
def test_lower_case_separator_and_zone_are_read(con, text, expected):
    assert scalar(con, "select tl_ts(?)", text) == expected


# tl_ts casts its usual shape (YYYY-MM-DDThh:mm:ss, up to six digits of fraction, Z or +hh:mm) without the
# general reading's rewriting: for any digits (impossible dates and times too), fraction and zone, and
# near misses of the shape, both readings agree
near_usual = st.builds(
    lambda stamp, fraction, zone, pad: pad + stamp + fraction + zone + pad,
    st.one_of(st.from_regex(r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}\Z"),
              instants.map(lambda d: d.strftime("%Y-%m-%dT%H:%M:%S"))),
    st.sampled_from(["", ".5", ",5", ".123", ".123456", ".1234567", ".123456789", "."]),
    st.sampled_from(["", "Z", "z", "+00:00", "-00:00", "-14:00", "+05:30", "+0530", "+05", "+5:30", "+24:00"]),
    st.sampled_from(["", " "]),
)


@SETTINGS
@given(text=near_usual)
@example("2026-05-25T00:00:29.Z")  # one near miss of each part of the shape
@example("2026-05-25T00:00:29z")
@example("2026-05-25t00:00:29+05:30")
@example("2026-05-25T00:00:29,5+05:30")
@example("2026-05-25T00:00:29.1234567+05:30")
def test_the_usual_shape_reads_as_the_general_reading(con, text):
    assert scalar(con, "select tl_ts(?)", text) == scalar(con, "select tl_ts_general(?)", text)


@SETTINGS
@given(value=st.sampled_from(CHANNELS + ["pigeon", "e-mail", ""]), case=st.sampled_from(["lower", "upper", "title"]),
       pad=st.sampled_from(["", " ", "\t "]))
def test_enums_are_case_and_space_insensitive(con, value, case, pad):
    text = pad + getattr(value, case)() + pad
    expected = value if value in CHANNELS else None
    assert scalar(con, "select tl_enum(?, ['email', 'chat', 'voice', 'social', 'web'])", text) == expected


# the white space the contract's trimming removes (tl_trim), and characters it must keep at either end
WHITE_SPACE = " \t\n\x0b\x0c\r\x85\xa0\u2007\u202f\u3000"
KEPT_AT_EDGES = "\x00\x01\x1f!_a\u00e9\u0301\u2028\u200b"


@SETTINGS
@given(text=st.text(alphabet=WHITE_SPACE + KEPT_AT_EDGES, max_size=8))
def test_trimming_removes_exactly_the_white_space_set_at_both_ends(con, text):
    """tl_trim against str.strip of the set (its shortcut for values that need no trimming included)."""
    assert scalar(con, "select tl_trim(?)", text) == text.strip(WHITE_SPACE)
    assert scalar(con, "select tl_blank(?)", text) == (text.strip(WHITE_SPACE) or None)


def test_each_white_space_is_trimmed_at_either_end(con):
    for char in WHITE_SPACE:
        for text in (char + "Web", "Web" + char, char + char + "Web" + char):
            assert scalar(con, "select tl_blank(?)", text) == "Web", repr(text)
            assert scalar(con, "select tl_enum(?, ['web'])", text) == "web", repr(text)
    assert scalar(con, "select tl_blank(?)", None) is None


@SETTINGS
@given(words=st.lists(st.text(alphabet="abcxyz", min_size=1, max_size=6), min_size=1, max_size=4),
       seps=st.lists(st.sampled_from([" ", "-", "  ", " - ", "_", "--", "\u00a0", "\t", "\u3000", " \u2009-"]),
                     min_size=3, max_size=3),
       upper=st.booleans())
def test_case_type_normalisation(con, words, seps, upper):
    text = words[0]
    for i, word in enumerate(words[1:]):
        text += seps[i % len(seps)] + word
    if upper:
        text = text.upper()
    expected = re.sub(r"[\s\-]+", "_", text.strip().lower()).strip("_")
    assert scalar(con, "select tl_case_type(?)", "  " + text + " ") == expected


ids = st.text(alphabet="ABCDEFGHIJ0123456789-", min_size=1, max_size=8)


@SETTINGS
@given(items=st.lists(ids, max_size=5), as_json=st.booleans(), pad=st.sampled_from(["", " "]))
def test_lists_from_json_or_semicolons(con, items, as_json, pad):
    text = json.dumps(items) if as_json else ";".join(pad + i + pad for i in items)
    assert scalar(con, "select tl_list(?)", text) == items


@pytest.mark.parametrize("text, items", [
    ('[101, 2.5, true, " T1 ", "", null]', ["101", "2.5", "true", "T1"]),
    ("[]", []),
    (" ; ", []),
    ('{"T1": true}', None),  # an object is not a list
    ('[["T1"]]', None),  # nor an array of arrays
    ('["T1", {"id": "T2"}]', None),
])
def test_a_list_holds_scalars_only(con, text, items):
    assert scalar(con, "select tl_list(?)", text) == items


json_scalars = st.one_of(st.none(), st.booleans(), st.integers(-1000, 1000), st.text(max_size=8),
                         st.floats(allow_nan=False, allow_infinity=False, width=32))


@SETTINGS
@given(obj=st.dictionaries(st.text(alphabet="abcdefgh_", min_size=1, max_size=6), json_scalars, max_size=6),
       as_string=st.booleans())
def test_json_objects_are_canonical(con, obj, as_string):
    text = json.dumps(obj)
    if as_string:  # a CSV cell may hold the object as a JSON string
        text = json.dumps(text)
    canonical = scalar(con, "select tl_object(?)", text)
    present = {k: v for k, v in obj.items() if v is not None}  # a null value is a missing one
    assert json.loads(canonical) == present
    assert list(json.loads(canonical)) == sorted(present)
    # the same object with keys in another order canonicalises identically
    reordered = json.dumps(dict(reversed(list(obj.items()))))
    assert scalar(con, "select tl_object(?)", reordered) == canonical


@pytest.mark.parametrize("text", ["[1, 2]", "42", '"text"', "{bad json", "null"])
def test_non_objects_are_rejected(con, text):
    assert scalar(con, "select tl_object(?)", text) is None


def test_offsets_across_dst_boundaries(con):
    # 2026-03-29 01:30 UTC is after the EU switch; the offset in the text, not the zone rules, decides
    assert scalar(con, "select tl_ts(?)", "2026-03-29T03:30:00+02:00") == datetime(2026, 3, 29, 1, 30)
    assert scalar(con, "select tl_ts(?)", "2026-03-29T01:30:00+01:00") == datetime(2026, 3, 29, 0, 30)
    assert scalar(con, "select tl_ts(?)", "2026-11-01T01:30:00-04:00") == datetime(2026, 11, 1, 5, 30)
    assert scalar(con, "select tl_ts(?)", "2026-11-01T01:30:00-05:00") == datetime(2026, 11, 1, 6, 30)
    assert datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize("text, number", [
    ("42", 42.0), (" -3.5\t", -3.5), ("+.25", 0.25), ("12.", 12.0), ("1e3", 1000.0), ("1E-2", 0.01),
    ("1e308", 1e308),
    # not a finite number as the contract spells one, though DuckDB's own cast reads some of them
    ("1e400", None), ("-1e400", None), ("NaN", None), ("inf", None), ("Infinity", None), ("1_000", None),
    ("0x10", None), ("1,5", None), ("", None), ("-", None), (".", None),
])
def test_numbers_are_finite_and_spelled_as_the_contract_says(con, text, number):
    assert scalar(con, "select tl_number(?)", text) == number
    whole = number if number is not None and number == int(number) and abs(number) < 2**31 - 1 else None
    assert scalar(con, "select tl_int(?)", text) == whole
