"""A board's chart page: each measure's year-to-date figure at the end of each of the last
eight quarters (years, for annual measures) against its target, drawn as a small SVG with
axis labels, and the same figures in words (rounded as the report rounds them).

The SVG is written by hand: it is a few lines and polylines, faster than great-tables'
nanoplots, and every coordinate is written to one decimal so the same figures give the
same bytes.
"""

from __future__ import annotations

import functools
import html
import re
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from core.rounding import round_half_away
from outputs.board import BoardPage, html_document
from outputs.formatting import format_figure, period_title

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 96, 16, 16, 56
ACTUAL_COLOUR, TARGET_COLOUR = "#1d4f91", "#a3262a"
TICKS = 4
CHARTS_CSS = """
figure.chart { margin: 1.5rem 0; break-inside: avoid; }
figure.chart svg { max-width: 100%; height: auto; }
figure.chart figcaption { font-weight: bold; }
.chart-key { margin: 0.25rem 0; }
.chart-key .actual { color: #1d4f91; } .chart-key .target { color: #a3262a; }
"""


@dataclass(frozen=True)
class Series:
    """One measure's chart: period labels, and its figures and targets already rounded."""

    code: str
    title: str
    unit: str
    decimals: int
    periods: list[str]
    values: list[float | None]
    targets: list[float | None]
    # A period whose year-to-date total is incomplete (part of the period's figures).
    incomplete: tuple[bool, ...] = ()

    def is_incomplete(self, i: int) -> bool:
        return i < len(self.incomplete) and self.incomplete[i]

    def figure(self, value: float | None) -> str:
        return "no data" if value is None else format_figure(value, self.unit, self.decimals)


def chart_path(report: Path) -> Path:
    """``2026-27/Q2/cyp-ppb.html`` -> ``2026-27/Q2/cyp-ppb-charts.html``."""
    return report.with_name(f"{report.stem}-charts.html")


def anchor(code: str) -> str:
    """An id for a measure's chart: ``CYP SC 01`` -> ``chart-cyp-sc-01``."""
    return "chart-" + re.sub(r"[^a-z0-9]+", "-", code.lower()).strip("-")


def _rounded(lists: list[list[float | None]], decimals: list[int]) -> list[list[float | None]]:
    """Each list's figures rounded at its measure's decimals, in one polars call for the
    whole page rather than one per list."""
    flat = pl.DataFrame(
        {
            "v": [v for values in lists for v in values],
            "d": [d for values, d in zip(lists, decimals, strict=True) for _ in values],
        },
        schema={"v": pl.Float64, "d": pl.Int32},
    )
    rounded = iter(flat.select(round_half_away(pl.col("v"), pl.col("d")))["v"].to_list())
    return [[next(rounded) for _ in values] for values in lists]


def series_of(page: BoardPage) -> list[Series]:
    """A chart per measure on the page, in board order (service, then code)."""
    columns = {"chart_periods", "chart_values", "chart_targets"}
    if not columns <= set(page.indicators.columns):  # a snapshot from before charts
        return []
    rows = list(page.indicators.sort("service", "code").iter_rows(named=True))
    decimals = [int(row["decimals"]) for row in rows]
    values = _rounded([list(row["chart_values"] or []) for row in rows], decimals)
    targets = _rounded([list(row["chart_targets"] or []) for row in rows], decimals)
    return [
        Series(
            code=row["code"],
            title=row["title"],
            unit=row["unit"],
            decimals=places,
            periods=list(row["chart_periods"] or []),
            values=value,
            targets=target,
            incomplete=tuple(bool(i) for i in row.get("chart_incomplete") or []),
        )
        for row, places, value, target in zip(rows, decimals, values, targets, strict=True)
    ]


def _scale(series: Series) -> tuple[float, float]:
    known = [v for v in series.values + series.targets if v is not None]
    low, high = (min(known), max(known)) if known else (0.0, 1.0)
    if low == high:
        low, high = low - 1, high + 1
    pad = (high - low) * 0.1
    return low - pad, high + pad


def _xy(i: int, value: float, count: int, low: float, high: float) -> tuple[float, float]:
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    x = LEFT + (plot_w * (i + 0.5) / count)
    y = TOP + plot_h * (high - value) / (high - low)
    return x, y


def _lines(
    values: list[float | None],
    low: float,
    high: float,
    colour: str,
    dash: str,
    hollow: tuple[bool, ...] = (),
) -> str:
    """A polyline per run of consecutive figures (a gap where one is missing), and a dot
    for each figure (a ring for an incomplete one, ``hollow``)."""
    count = len(values)
    runs: list[list[tuple[float, float, bool]]] = [[]]
    for i, value in enumerate(values):
        if value is None:
            runs.append([])
        else:
            x, y = _xy(i, value, count, low, high)
            runs[-1].append((x, y, i < len(hollow) and hollow[i]))
    parts = []
    for run in runs:
        if len(run) > 1:
            points = " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in run)
            parts.append(
                f'<polyline points="{points}" fill="none" stroke="{colour}" '
                f'stroke-width="2.5"{dash}/>'
            )
        parts += [
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="#ffffff" stroke="{colour}" '
            'stroke-width="2"/>'
            if ring
            else f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{colour}"/>'
            for x, y, ring in run
        ]
    return "".join(parts)


def _axes(series: Series, low: float, high: float) -> str:
    plot_bottom = HEIGHT - BOTTOM
    parts = [
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{plot_bottom}" stroke="#595959"/>',
        f'<line x1="{LEFT}" y1="{plot_bottom}" x2="{WIDTH - RIGHT}" y2="{plot_bottom}" '
        'stroke="#595959"/>',
    ]
    for t in range(TICKS + 1):
        value = low + (high - low) * t / TICKS
        _, y = _xy(0, value, 1, low, high)
        label = format_figure(value, series.unit, series.decimals)
        parts.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" stroke="#e0e0e0"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{html.escape(label)}</text>'
        )
    return "".join(parts) + _period_labels(tuple(series.periods))


# A board's charts mostly share their periods (the last eight quarters): labelled once each.
@functools.lru_cache(maxsize=256)
def _period_labels(periods: tuple[str, ...]) -> str:
    """Each period's label under its point ("Q2" over "2024-25")."""
    plot_bottom = HEIGHT - BOTTOM
    parts = []
    for i, period in enumerate(periods):
        x, _ = _xy(i, 0.0, len(periods), 0.0, 1.0)  # x alone: the scale is not used
        year, _, part = period.partition(" ")
        parts.append(
            f'<text x="{x:.1f}" y="{plot_bottom + 18}" text-anchor="middle">'
            f'<tspan x="{x:.1f}">{html.escape(part or year)}</tspan>'
            f'<tspan x="{x:.1f}" dy="16">{html.escape(year if part else "")}</tspan></text>'
        )
    return "".join(parts)


def chart_svg(series: Series) -> str:
    """The chart; screen readers get the figures from the text that follows it instead."""
    low, high = _scale(series)
    return (
        f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" '
        'aria-hidden="true" focusable="false" font-family="Arial, Helvetica, sans-serif" '
        'font-size="13" fill="#1a1a1a">'
        + _axes(series, low, high)
        + _lines(series.targets, low, high, TARGET_COLOUR, ' stroke-dasharray="7 5"')
        + _lines(series.values, low, high, ACTUAL_COLOUR, "", series.incomplete)
        + "</svg>"
    )


def chart_text(series: Series) -> str:
    """The chart in words: each period's figure and target, oldest first."""
    points = [
        f"{period}: {series.figure(value)}"
        + (" (incomplete: part of the period's figures)" if series.is_incomplete(i) else "")
        + ("" if target is None else f" (target {series.figure(target)})")
        for i, (period, value, target) in enumerate(
            zip(series.periods, series.values, series.targets, strict=True)
        )
    ]
    return "Year to date at the end of each period, oldest first: " + "; ".join(points) + "."


def chart_figure(series: Series) -> str:
    caption = f"{series.code} {series.title}"
    if not series.periods:
        return f"<p>{html.escape(caption)}: no figures yet.</p>"
    return (
        f'<figure class="chart" id="{anchor(series.code)}">'
        f"<figcaption>{html.escape(caption)}</figcaption>"
        f"{chart_svg(series)}"
        '<p class="chart-key"><span class="actual">━ Actual (year to date)</span> · '
        '<span class="target">╍ Target</span>'
        + (' · <span class="actual">○ Incomplete</span>' if any(series.incomplete) else "")
        + "</p>"
        f"<p>{html.escape(chart_text(series))}</p></figure>"
    )


def render_charts(page: BoardPage, report: Path) -> str:
    """The chart page of a board report, grouped by service, linking back to the report."""
    title = f"{page.board_name} — trends to {period_title(page.fy, page.suffix)}"
    by_service: dict[str, list[str]] = {}
    services = dict(zip(page.indicators["code"], page.indicators["service"], strict=True))
    for series in series_of(page):
        by_service.setdefault(services[series.code], []).append(chart_figure(series))
    sections = [
        f"<section><h2>{html.escape(service)}</h2>{''.join(figures)}</section>"
        for service, figures in sorted(by_service.items())
    ]
    body = [
        f'<p class="council">{html.escape(page.council)}</p>',
        f'<p class="nav"><a href="{html.escape(report.name)}">Back to the report</a></p>',
        *sections,
        f"<p>Data as at {html.escape(page.as_at)}.</p>",
    ]
    return html_document(title, "\n".join(body), extra_css=CHARTS_CSS)
