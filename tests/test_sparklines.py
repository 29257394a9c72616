"""The trend sparklines look, and read to a screen reader, exactly as great-tables drew them.

outputs.sparklines draws them itself (great-tables' nanoplots formatted an unused summary
of every plot through tables of their own); a reader must not see the difference, so each
case is drawn both ways in the same table and the HTML compared byte for byte, but for the
hatched fill's definition (great-tables repeats it in every plot, a page defines it once),
each plot's style rules, which style text and guides a static plot has none of, and the
figures coordinates are written to (great-tables' 17 rounded to one decimal: a fortieth of a
pixel at the size a plot is drawn).
"""

from __future__ import annotations

import re

import polars as pl
from great_tables import GT, from_column, nanoplot_options
from hypothesis import given, settings
from hypothesis import strategies as st

from outputs.sparklines import PATTERN_DEFINITION, sparkline

Trend = list[float | None] | None


def _great_tables(trends: list[Trend], alts: list[str]) -> str:
    frame = pl.DataFrame(
        {"trend": trends, "trend_alt": alts},
        schema={"trend": pl.List(pl.Float64), "trend_alt": pl.String},
    )
    table = (
        GT(frame, id="t")
        .cols_hide("trend_alt")
        .fmt_nanoplot(
            "trend",
            plot_type="line",
            missing_vals="gap",
            alt=from_column("trend_alt"),
            options=nanoplot_options(
                show_vertical_guides=False, show_y_axis_guide=False, interactive_data_values=False
            ),
        )
    )
    return table.as_raw_html(inline_css=False)


# What each plot's style rules apply to: text, and the guides of interactive plots.
STYLED = re.compile(r"<text|vert-line|horizontal-line|ref-line|y-axis-line")


def _pattern_given_once(table: str) -> str:
    """great-tables' table with each plot's own copy of the hatched fill's definition taken
    out and its fill pointed at the page's one, having checked that each copy is the page's
    (but for the prefix great-tables gives its id in each cell), and each plot's style rules
    taken out, having checked that nothing in the plots is what they style."""

    def taken(match: re.Match[str]) -> str:
        assert re.sub(r'id="t-trend-\d+-', 'id="', match.group(0)) in PATTERN_DEFINITION
        return ""

    unstyled = re.sub(r"<style> \.gt-nanoplot-.*?</style>", "", table, flags=re.S)
    assert STYLED.search(unstyled) is None
    stripped = re.sub(r"<defs>.*?</defs>", taken, unstyled, flags=re.S)
    return _to_one_decimal(re.sub(r"url\(#t-trend-\d+-", "url(#", stripped))


def _to_one_decimal(table: str) -> str:
    """Each coordinate of great-tables' plots (its paths' and points' numbers, written to 17
    figures) written to one decimal, as outputs.sparklines writes them."""

    def rounded(attribute: re.Match[str]) -> str:
        return re.sub(r"-?\d+(?:\.\d+)?(?:e-?\d+)?", lambda n: f"{float(n[0]):.1f}", attribute[0])

    return re.sub(r'\b(?:d|cx|cy)="[^"]*"', rounded, table)


def _ours(trends: list[Trend], alts: list[str]) -> str:
    drawn = [None if t is None else sparkline(t, a) for t, a in zip(trends, alts, strict=True)]
    frame = pl.DataFrame(
        {"trend": drawn, "trend_alt": alts}, schema={"trend": pl.String, "trend_alt": pl.String}
    )
    table = (
        GT(frame, id="t")
        .cols_hide("trend_alt")
        .cols_align("center", columns="trend")
        .fmt(lambda markup: markup, columns="trend")
    )
    return table.as_raw_html(inline_css=False)


def test_edge_cases_match_great_tables() -> None:
    trends: list[Trend] = [
        [12.0, 47.0, 30.0, None, 8.5, 9.0, 10.0, 11.0],  # a gap splits the line
        [None, 3.0, None, 4.0, 5.0, None, None, 6.0],  # single points between gaps
        [5.0, 5.0, 5.0],  # flat: centred in a range around it
        [0.0, 0.0],  # flat at zero
        [-2.5, -2.5, None],  # flat and negative
        [0.1, 0.1, 0.1],  # flat where the mean is not exactly the value
        [7.0],  # one figure
        [None, None],  # nothing to plot
        None,  # no history at all
        [-1e6, 2e9, 0.0, 1e-9],
        [float(i) for i in range(60)],  # closer spacing the more points there are
    ]
    alts = [f"Quarterly values <{i}> & “words”" for i in range(len(trends))]
    assert _ours(trends, alts) == _pattern_given_once(_great_tables(trends, alts))


# Figures as measures hold them (great-tables itself fails on subnormal numbers).
values = st.one_of(st.none(), st.integers(-(10**11), 10**11).map(lambda i: i / 100))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(values, min_size=1, max_size=9), min_size=1, max_size=5))
def test_any_trend_matches_great_tables(trends: list[Trend]) -> None:
    alts = [f"Yearly values, oldest first: {i}" for i in range(len(trends))]
    assert _ours(trends, alts) == _pattern_given_once(_great_tables(trends, alts))
