"""Which week a scorecard covers, and the pooled-rate statistics the page computes."""

from __future__ import annotations

import datetime as dt

import pytest

from trustloop.reports.stats import pooled_rate, wilson
from trustloop.reports.weeks import iso_label, latest_complete_week, monday, parse_week, previous_weeks

D = dt.date


def test_monday_and_labels():
    assert monday(D(2026, 11, 22)) == D(2026, 11, 16)  # Sunday -> its Monday
    assert monday(D(2026, 11, 16)) == D(2026, 11, 16)
    assert iso_label(D(2026, 11, 16)) == "2026-W47"
    assert iso_label(D(2026, 12, 28)) == "2026-W53"
    assert parse_week("2026-11-19") == D(2026, 11, 16)
    assert parse_week("2026-W47") == D(2026, 11, 16)
    assert previous_weeks(D(2026, 11, 16), 3) == [D(2026, 11, 2), D(2026, 11, 9), D(2026, 11, 16)]
    with pytest.raises(ValueError, match="not a week"):
        parse_week("next week")


@pytest.mark.parametrize(
    ("today", "data_end", "expected"),
    [
        (D(2026, 11, 23), D(2026, 11, 23), D(2026, 11, 16)),  # Monday run: the week that just ended
        (D(2026, 11, 26), D(2026, 11, 22), D(2026, 11, 16)),  # data reaches Sunday: that week is complete
        (D(2026, 11, 26), D(2026, 11, 21), D(2026, 11, 9)),  # data stops on Saturday: the week before
        (D(2027, 6, 1), D(2026, 11, 22), D(2026, 11, 16)),  # old data (a demo): its last complete week
        (D(2026, 11, 26), None, D(2026, 11, 16)),  # no data: the calendar decides
    ],
)
def test_latest_complete_week(today, data_end, expected):
    assert latest_complete_week(today, data_end) == expected


def test_wilson_matches_the_reference_values():
    # 8/10 at z = 1.96: the textbook interval 0.4902 .. 0.9433
    lower, upper = wilson(8, 10)
    assert lower == pytest.approx(0.49016, abs=1e-4) and upper == pytest.approx(0.94332, abs=1e-4)
    lower, upper = wilson(0, 5)
    assert lower == pytest.approx(0.0, abs=1e-12) and upper == pytest.approx(0.43448, abs=1e-4)
    assert wilson(0, 0) == (None, None)


def test_pooled_rate_sums_numerators_and_denominators():
    pooled = pooled_rate([{"numerator": 3, "denominator": 4}, {"numerator": 5, "denominator": 6}])
    assert pooled["numerator"] == 8 and pooled["denominator"] == 10 and pooled["value"] == 0.8
    assert (pooled["lower"], pooled["upper"]) == wilson(8, 10)
    assert pooled_rate([]) is None
