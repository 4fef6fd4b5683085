"""Inline SVG charts, generated in Python: no script, no font, no file from anywhere.

Every chart is an ``<svg>`` element with a ``<title>`` (read by screen readers and shown as a
tooltip) and ``class="chart"``; colours come from the page's CSS variables so a printout
stays legible.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape


@dataclass(frozen=True)
class Point:
    label: str
    value: float | None
    lower: float | None = None
    upper: float | None = None


def _f(x: float) -> str:
    return f"{x:.1f}"


def _scale(value: float, lo: float, hi: float, out_lo: float, out_hi: float) -> float:
    if hi == lo:
        return (out_lo + out_hi) / 2
    value = min(max(value, lo), hi)
    return out_lo + (value - lo) / (hi - lo) * (out_hi - out_lo)


def _domain(points: Sequence[Point], domain: tuple[float, float] | None) -> tuple[float, float]:
    if domain is not None:
        return domain
    values = [v for p in points for v in (p.value, p.lower, p.upper) if v is not None]
    if not values:
        return 0.0, 1.0
    lo, hi = min(values), max(values)
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    return min(lo, 0.0), hi


def high_rate_domain(points: Sequence[Point], step: float = 0.1) -> tuple[float, float]:
    """The axis of a rate that sits near 100 % (pass and agreement rates): from the lowest value or
    lower bound, rounded down to a multiple of ``step``, to 1. On a 0-100 % axis rates of 92-97 % and
    their intervals would be one blot; the axis labels its start, so the zoom is never hidden."""
    values = [v for p in points for v in (p.value, p.lower) if v is not None]
    if not values:
        return 0.0, 1.0
    lo = math.floor(min(values) / step + 1e-9) * step
    return max(0.0, min(lo, 1.0 - step)), 1.0


def high_rate_spark_domain(points: Sequence[Point], threshold: float | None = None) -> tuple[float, float]:
    """A sparkline's axis for a rate near 100 %: high_rate_domain, low enough to show the threshold too."""
    marks = [*points, Point("threshold", threshold)] if threshold is not None else points
    return high_rate_domain(marks)


def sparkline(
    points: Sequence[Point],
    title: str,
    *,
    width: int = 150,
    height: int = 36,
    domain: tuple[float, float] | None = (0.0, 1.0),
    threshold: float | None = None,
) -> str:
    """A trend line with its confidence band; weeks without data break the line."""
    pad = 3
    lo, hi = _domain(points, domain)
    n = len(points)

    def x(i: int) -> float:
        return pad if n <= 1 else pad + i * (width - 2 * pad) / (n - 1)

    def y(v: float) -> float:
        return _scale(v, lo, hi, height - pad, pad)

    parts = [
        f'<svg class="chart spark" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>'
    ]
    if domain is not None and domain[0] > 0 and domain[1] == 1.0:  # a zoomed rate axis says where it starts
        parts.append(f'<text class="axis-start" x="0.5" y="{height - 1}" font-size="7" fill="#888">'
                     f'{round(100 * domain[0])}%</text>')
    if threshold is not None:
        ty = _f(y(threshold))
        parts.append(f'<line class="threshold" x1="0" x2="{width}" y1="{ty}" y2="{ty}"/>')
    # confidence band, one polygon per run of consecutive points with bounds
    runs: list[list[int]] = [[]]
    for i, p in enumerate(points):
        if p.value is None:
            runs.append([])
        else:
            runs[-1].append(i)
    for run in runs:
        banded = [i for i in run if points[i].lower is not None and points[i].upper is not None]
        if len(banded) >= 2:
            upper = " ".join(f"{_f(x(i))},{_f(y(points[i].upper))}" for i in banded)
            lower = " ".join(f"{_f(x(i))},{_f(y(points[i].lower))}" for i in reversed(banded))
            parts.append(f'<polygon class="band" points="{upper} {lower}"/>')
        elif len(banded) == 1:
            i = banded[0]
            parts.append(
                f'<line class="whisker" x1="{_f(x(i))}" x2="{_f(x(i))}" '
                f'y1="{_f(y(points[i].lower))}" y2="{_f(y(points[i].upper))}"/>'
            )
        if len(run) >= 2:
            line = " ".join(f"{_f(x(i))},{_f(y(points[i].value))}" for i in run)
            parts.append(f'<polyline class="line" points="{line}"/>')
    for i, p in enumerate(points):
        if p.value is not None:
            last = " last" if i == n - 1 else ""
            parts.append(
                f'<circle class="dot{last}" cx="{_f(x(i))}" cy="{_f(y(p.value))}" r="{2.6 if last else 1.6}">'
                f"<title>{escape(p.label)}: {p.value:.4g}</title></circle>"
            )
    parts.append("</svg>")
    return "".join(parts)


def interval_plot(
    rows: Sequence[Point],
    title: str,
    *,
    width: int = 420,
    row_height: int = 22,
    label_width: int = 170,
    domain: tuple[float, float] = (0.0, 1.0),
    threshold: float | None = None,
    fmt=lambda v: f"{v:.1%}",
) -> str:
    """One row per item: a dot for the value and a line for its confidence interval."""
    height = row_height * max(len(rows), 1) + 22
    left, right = label_width, width - 60
    lo, hi = domain

    def x(v: float) -> float:
        return _scale(v, lo, hi, left, right)

    parts = [
        f'<svg class="chart interval" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>'
    ]
    for tick in (lo, (lo + hi) / 2, hi):
        tx = _f(x(tick))
        parts.append(f'<line class="grid" x1="{tx}" x2="{tx}" y1="4" y2="{height - 18}"/>')
        parts.append(f'<text class="axis" x="{tx}" y="{height - 5}" text-anchor="middle">{escape(fmt(tick))}</text>')
    if threshold is not None:
        tx = _f(x(threshold))
        parts.append(f'<line class="threshold" x1="{tx}" x2="{tx}" y1="2" y2="{height - 18}"/>')
    for i, row in enumerate(rows):
        cy = 4 + row_height * i + row_height / 2
        parts.append(
            f'<text class="label" x="{left - 6}" y="{_f(cy + 4)}" text-anchor="end">{escape(row.label)}</text>'
        )
        if row.value is None:
            parts.append(f'<text class="axis" x="{left + 4}" y="{_f(cy + 4)}">no data</text>')
            continue
        if row.lower is not None and row.upper is not None:
            parts.append(
                f'<line class="ci" x1="{_f(x(row.lower))}" x2="{_f(x(row.upper))}" y1="{_f(cy)}" y2="{_f(cy)}"/>'
            )
        parts.append(f'<circle class="dot" cx="{_f(x(row.value))}" cy="{_f(cy)}" r="4"/>')
        parts.append(f'<text class="value" x="{right + 6}" y="{_f(cy + 4)}">{escape(fmt(row.value))}</text>')
    parts.append("</svg>")
    return "".join(parts)


def grouped_bars(
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    title: str,
    *,
    width: int = 640,
    height: int = 220,
    fmt=lambda v: f"{v:,.0f}",
) -> str:
    """Grouped vertical bars (one group per category, one bar per series) with a legend."""
    left, right, top, bottom = 56, 8, 26, 26
    values = [v for _, vals in series for v in vals if v is not None]
    hi = max(values + [0.0])
    lo = min(values + [0.0])
    if hi == lo:
        hi = lo + 1
    plot_w = width - left - right
    group_w = plot_w / max(len(categories), 1)
    bar_w = group_w * 0.8 / max(len(series), 1)

    def y(v: float) -> float:
        return _scale(v, lo, hi, height - bottom, top)

    parts = [
        f'<svg class="chart bars" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>'
    ]
    for tick in (lo, (lo + hi) / 2, hi):
        ty = _f(y(tick))
        parts.append(f'<line class="grid" x1="{left}" x2="{width - right}" y1="{ty}" y2="{ty}"/>')
        parts.append(f'<text class="axis" x="{left - 4}" y="{ty}" text-anchor="end">{escape(fmt(tick))}</text>')
    zero = _f(y(0.0))
    parts.append(f'<line class="axisline" x1="{left}" x2="{width - right}" y1="{zero}" y2="{zero}"/>')
    for gi, category in enumerate(categories):
        gx = left + gi * group_w + group_w * 0.1
        for si, (name, vals) in enumerate(series):
            v = vals[gi]
            if v is None:
                continue
            y0, y1 = sorted((y(0.0), y(v)))
            parts.append(
                f'<rect class="s{si}" x="{_f(gx + si * bar_w)}" y="{_f(y0)}" width="{_f(bar_w * 0.92)}" '
                f'height="{_f(max(y1 - y0, 0.5))}"><title>{escape(category)} - {escape(name)}: {escape(fmt(v))}'
                "</title></rect>"
            )
        parts.append(
            f'<text class="axis" x="{_f(left + gi * group_w + group_w / 2)}" y="{height - 8}" '
            f'text-anchor="middle">{escape(category)}</text>'
        )
    lx = left
    for si, (name, _) in enumerate(series):
        parts.append(f'<rect class="s{si}" x="{lx}" y="6" width="10" height="10"/>')
        parts.append(f'<text class="legend" x="{lx + 14}" y="15">{escape(name)}</text>')
        lx += 14 + 7 * len(name) + 18
    parts.append("</svg>")
    return "".join(parts)
