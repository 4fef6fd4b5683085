"""ISO weeks (Monday start, UTC) and the choice of the week a scorecard covers."""

from __future__ import annotations

import datetime as dt


def monday(day: dt.date) -> dt.date:
    """The Monday of the ISO week containing ``day``."""
    return day - dt.timedelta(days=day.weekday())


def iso_label(week_start: dt.date) -> str:
    year, week, _ = week_start.isocalendar()
    return f"{year}-W{week:02d}"


def parse_week(text: str) -> dt.date:
    """A week given as any date in it (YYYY-MM-DD) or as YYYY-Www; returns its Monday."""
    text = text.strip()
    try:
        if "W" in text.upper():
            year, week = text.upper().split("-W")
            return dt.date.fromisocalendar(int(year), int(week), 1)
        return monday(dt.date.fromisoformat(text))
    except ValueError as exc:
        raise ValueError(f"not a week: {text!r} (give a date YYYY-MM-DD or an ISO week YYYY-Www)") from exc


def latest_complete_week(today: dt.date, data_end: dt.date | None) -> dt.date:
    """The Monday of the latest ISO week that is over, both by the calendar and by the data.

    By the calendar: the week before ``today``'s week. By the data: the latest week whose Sunday
    the data reaches (``data_end`` = the date of the latest snapshot). The earlier of the two, so a
    scorecard of old data (a demo, a late export) still covers a week the data fully contains.
    """
    calendar_week = monday(today) - dt.timedelta(days=7)
    if data_end is None:
        return calendar_week
    data_week = monday(data_end + dt.timedelta(days=1)) - dt.timedelta(days=7)
    return min(calendar_week, data_week)


def previous_weeks(week_start: dt.date, count: int) -> list[dt.date]:
    """``count`` Mondays ending with ``week_start`` (oldest first)."""
    return [week_start - dt.timedelta(days=7 * i) for i in range(count - 1, -1, -1)]
