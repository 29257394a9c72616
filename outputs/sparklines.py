"""The indicator table's trend sparklines, drawn here rather than by great-tables.

great-tables' ``fmt_nanoplot`` works out a worded summary of every plot's values, formatting
three numbers through a one-column table of its own each time, even when the plot is given
its own ``alt`` text (as ours is): that was over half of each report's rendering. This draws
the same static line plot, byte for byte but for the hatched fill's definition, given once a
page, the style rules for text a static plot has none of, and its coordinates, written to one
decimal (tests/test_sparklines.py compares the two), with gaps for missing values, the
page's own words as its accessible name, and nothing else.

great-tables writes each coordinate to 17 figures (``107.14285714285714``): a third of a
sparkline's bytes, and a sparkline is most of an indicator's row. A plot is drawn about
32 pixels high from 130 units, so a tenth of a unit is a fortieth of a pixel: one decimal
draws the same picture, and a large board's page is a fifth smaller to build, send, hash
and write.
"""

from __future__ import annotations

import html
import itertools
import math
import zlib
from collections.abc import Sequence

# great-tables' nanoplot geometry (SVG units): safe zones around a data area 100 high, points
# spaced by how many there are, data points of radius 10.
_SAFE_X, _SAFE_Y, _DATA_HEIGHT = 50, 15, 100
_BOTTOM = _SAFE_Y + _DATA_HEIGHT + _SAFE_Y
_RADIUS = 10
_LINE_COLOUR, _POINT_COLOUR, _AREA_COLOUR = "#4682B4", "#FF0000", "#FF0000"
# great-tables names each plot by the crc of its style rules; those rules style a plot's
# text and hover guides, which a static plot has none of, so each plot's copy of them (a
# quarter of a large board's page) is left out and only the name kept.
_CLASS = "gt-nanoplot-0c42926c"
_PATTERN = f"area_pattern_{zlib.crc32(_AREA_COLOUR.encode()):08x}"
_DEFS = (
    f'<defs><pattern id="{_PATTERN}" width="8" height="8" patternUnits="userSpaceOnUse">'
    '<path class="pattern-line" d="M 0,8 l 8,-8 M -1,1 l 4,-4 M 6,10 l 4,-4" '
    f'stroke="{_AREA_COLOUR}" stroke-width="1.5" stroke-linecap="round" '
    'shape-rendering="geometricPrecision"></path></pattern></defs>'
)

# The hatched fill is defined once on each page that has sparklines (before its indicator
# table) rather than in every sparkline: great-tables makes ids inside a cell's SVG unique
# with a few regular expressions per cell, a fifth of a page's rendering, and every row
# repeated the same pattern.
PATTERN_DEFINITION = (
    '<svg aria-hidden="true" focusable="false" width="0" height="0" '
    f'style="position: absolute;">{_DEFS}</svg>'
)

Value = float | None


def _missing(value: Value) -> bool:
    return value is None or math.isnan(value)


def _spacing(count: int) -> int:
    """Points are spaced closer the more of them there are."""
    for most, spacing in ((20, 50), (30, 40), (40, 30), (50, 25)):
        if count <= most:
            return spacing
    return 20


def _proportions(values: Sequence[Value]) -> list[float | None]:
    """Each value's height as a share of the data area. The arithmetic is great-tables' own,
    step by step, so that every coordinate comes out to the same last digit."""
    known = [v for v in values if v is not None and not math.isnan(v)]
    low, high = min(known), max(known)
    if low == high:  # a flat line sits in the middle of a range around it
        spread = 5 if low == 0 else (low / 10) * 2
        known += [low - spread, low + spread]
    mean = sum(known) / len(known)
    filled = [mean if v is None or math.isnan(v) else v for v in values]
    filled += known[len(known) - 2 :] if low == high else []
    least, most = min(filled), max(filled)
    shares = [(v - least) / (most - least) for v in filled]
    return [None if _missing(v) else s for v, s in zip(values, shares, strict=False)]


def _runs(ys: list[float | None]) -> list[slice]:
    """The runs of consecutive figures; the line breaks where one is missing."""
    runs, start = [], None
    for i, y in enumerate(ys):
        if y is not None and start is None:
            start = i
        elif y is None and start is not None:
            runs.append(slice(start, i))
            start = None
    if start is not None:
        runs.append(slice(start, len(ys)))
    return runs


def _points(values: Sequence[Value]) -> tuple[int, int, list[float], list[float | None]]:
    """The points' spacing, the line's width, and each point's x and y (None: missing)."""
    count = len(values)
    spacing = _spacing(count)
    width = count * spacing
    xs = [width * (i / (count - 1) if count > 1 else 0) + _SAFE_X for i in range(count)]
    ys = [None if p is None else _SAFE_Y + ((1 - p) * _DATA_HEIGHT) for p in _proportions(values)]
    return spacing, width, xs, ys


def _run_points(xs: list[float], ys: list[float | None], run: slice) -> list[tuple[float, float]]:
    """A run's points (a run has every figure)."""
    return [(x, y) for x, y in zip(xs[run], ys[run], strict=True) if y is not None]


def _curve(points: list[tuple[float, float]], spacing: int) -> list[str]:
    """A run of points as a smooth path's commands, each coordinate to one decimal."""
    return [f"M {points[0][0]:.1f},{points[0][1]:.1f}"] + [
        f"C {x0 + spacing / 2:.1f},{y0:.1f} {x1 - spacing / 2:.1f},{y1:.1f} {x1:.1f},{y1:.1f}"
        for (x0, y0), (x1, y1) in itertools.pairwise(points)
    ]


def sparkline(values: Sequence[Value], label: str) -> str:
    """A static line plot of ``values`` (a gap for each missing one) named ``label`` for
    screen readers; "" when there is nothing to plot. Its hatched area is filled with the
    page's :data:`PATTERN_DEFINITION`."""
    if not values or all(_missing(v) for v in values):
        return ""
    spacing, width, xs, ys = _points(values)
    areas, lines = [], []
    bottom = f"{_BOTTOM - _SAFE_Y + _RADIUS:.1f}"
    for run in _runs(ys):
        points = _run_points(xs, ys, run)
        outline = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        first, last = points[0][0], points[-1][0]
        areas.append(
            f'<path class="area-closed" d="M {outline} {last:.1f},{bottom} {first:.1f},{bottom} Z" '
            f'stroke="transparent" stroke-width="2" fill="url(#{_PATTERN})" '
            'fill-opacity="0.7"></path>'
        )
        curve = " ".join(_curve(points, spacing))
        lines.append(
            f'<path d="{curve}" stroke="{_LINE_COLOUR}" stroke-width="8" fill="none"></path>'
        )
    dots = "".join(
        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{_RADIUS}" stroke="#FFFFFF" stroke-width="4" '
        f'fill="{_POINT_COLOUR}"></circle>'
        for x, y in zip(xs, ys, strict=True)
        if y is not None
    )
    return (
        f'<div><svg class="{_CLASS}" role="img" aria-label="{html.escape(label)}" '
        f'viewBox="0 0 {_SAFE_X + width + _SAFE_X} {_BOTTOM}" '
        'style="height: 2em; margin-left: auto; margin-right: auto; font-size: inherit; '
        'overflow: visible; vertical-align: middle; position:relative;">'
        f"{' '.join(areas)}{chr(10).join(lines)}{dots}</svg></div>"
    )


_PRINTED_COLOUR = "#1d4f91"


def printed_sparkline(values: Sequence[Value], label: str) -> str:
    """The same line for paper (the PDF copies): in one neutral blue, with no hatched area
    or red points, which on paper read as "off target" whatever the measure's status, and
    only the latest point marked. Fewer shapes, too: a PDF draws each one."""
    if not values or all(_missing(v) for v in values):
        return ""
    spacing, width, xs, ys = _points(values)
    curves = []
    for run in _runs(ys):
        curves += _curve(_run_points(xs, ys, run), spacing)
    last = max(i for i, y in enumerate(ys) if y is not None)
    return (
        f'<svg role="img" aria-label="{html.escape(label)}" '
        f'viewBox="0 0 {_SAFE_X + width + _SAFE_X} {_BOTTOM}" preserveAspectRatio="none">'
        f'<path d="{" ".join(curves)}" stroke="{_PRINTED_COLOUR}" stroke-width="8" fill="none"/>'
        f'<circle cx="{xs[last]:.1f}" cy="{ys[last]:.1f}" r="{_RADIUS * 1.4}" '
        f'fill="{_PRINTED_COLOUR}"/></svg>'
    )
