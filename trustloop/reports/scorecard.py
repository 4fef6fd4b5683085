"""Write the weekly scorecard of a warehouse to a folder (what the CLI and the Dagster asset call)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from trustloop.controls.control_map import LINK as CONTROL_MAP
from trustloop.reports.collect import collect_scorecard
from trustloop.reports.render import render_scorecard
from trustloop.settings import Settings, get_settings
from trustloop.warehouse import connect


@dataclass
class ScorecardResult:
    path: Path
    week_start: dt.date
    week_label: str
    data: dict


def scorecard_filename(week_label: str) -> str:
    return f"scorecard_{week_label}.html"


def write_scorecard(
    out_dir: Path,
    week_start: dt.date | None = None,
    *,
    settings: Settings | None = None,
    today: dt.date | None = None,
    memo_dir: Path | None = None,
    generated_at: dt.datetime | None = None,
) -> ScorecardResult:
    """Collect from the warehouse (read-only), render, and write ``scorecard_<YYYY-Www>.html``."""
    settings = settings or get_settings()
    memo_dir = memo_dir if memo_dir is not None else settings.reports_dir / "memos"
    with connect(settings.warehouse, read_only=True, settings=settings) as con:
        data = collect_scorecard(con, week_start, today=today, memo_dir=memo_dir, generated_at=generated_at)
    out_dir = Path(out_dir)
    if (out_dir / CONTROL_MAP).is_file():  # written beside it (`trustloop report`, the scorecard asset): linked
        data["recommendations"]["control_map"] = CONTROL_MAP
    html = render_scorecard(data)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / scorecard_filename(data["meta"]["week_label"])
    tmp = path.with_suffix(".html.tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(path)
    return ScorecardResult(path, data["meta"]["week_start"], data["meta"]["week_label"], data)
