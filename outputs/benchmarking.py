"""Benchmarking in board reports (SPEC §7): a line per indicator and comparator group in
each report, and a benchmarking page per board and period with the council's position
against the group's spread (a chart, with its figures in words beside it).

Everything from extracts or configuration (titles, group names) is escaped, by
great-tables for table cells and by :func:`html.escape` elsewhere.
"""

from __future__ import annotations

import functools
import html

import polars as pl
from great_tables import GT

from outputs.formatting import format_figure
from transforms.benchmarks import latest_positions

PAGE_BENCHMARKS = {
    "code": pl.String,
    "title": pl.String,
    "unit": pl.String,
    "decimals": pl.Int32,
    "group_id": pl.String,
    "group_name": pl.String,
    "period": pl.String,
    "value": pl.Float64,
    "median": pl.Float64,
    "rank": pl.Int32,
    "areas": pl.Int32,
    "quartile": pl.Int32,
    "lowest": pl.Float64,
    "highest": pl.Float64,
}
ORDINALS = {1: "1st", 2: "2nd", 3: "3rd", 4: "4th"}
CHART_WIDTH = 300
_MARGIN = 10


# The page's table: rows kept whole in print; on a phone each row stacks, each cell named.
BENCHMARKING_CSS = """
table.benchmarking { border-collapse: collapse; }
table.benchmarking th, table.benchmarking td {
  border-bottom: 1px solid #a8a8a8; padding: 0.3rem; text-align: left; vertical-align: top;
}
table.benchmarking svg { max-width: 100%; height: auto; }
@media print {
  table.benchmarking thead { display: table-header-group; }
  table.benchmarking tr { break-inside: avoid; }
}
@media screen and (max-width: 40rem) {
  table.benchmarking, table.benchmarking caption, table.benchmarking tbody,
  table.benchmarking tr, table.benchmarking td { display: block; width: auto; }
  table.benchmarking thead {
    position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%);
  }
  table.benchmarking td { border: none; padding: 0.1rem 0.3rem; }
  table.benchmarking tr { border-top: 1px solid #a8a8a8; padding: 0.4rem 0; }
  table.benchmarking td:nth-child(2) { font-weight: bold; }
  table.benchmarking td:nth-child(3)::before { content: "Comparator group: "; font-weight: bold; }
  table.benchmarking td:nth-child(4)::before { content: "Period: "; font-weight: bold; }
  table.benchmarking td:nth-child(5)::before { content: "Our figure: "; font-weight: bold; }
  table.benchmarking td:nth-child(6)::before { content: "Position: "; font-weight: bold; }
  table.benchmarking td:nth-child(7)::before {
    content: "Our place in the group's range: "; font-weight: bold;
  }
}
"""


@functools.cache  # asked for by every page of a council without benchmarks; never changed
def empty_benchmarks() -> pl.DataFrame:
    return pl.DataFrame(schema=PAGE_BENCHMARKS)


def page_benchmarks(
    results: pl.DataFrame, indicators: pl.DataFrame, codes: pl.Series, fy: int, end_fm: int
) -> pl.DataFrame:
    """The positions a report shows: for each of its indicators (``codes``) and each group,
    the latest benchmark period ended by the report's period (FY month ``end_fm`` of ``fy``)."""
    if results.is_empty():
        return empty_benchmarks()
    latest = latest_positions(
        results.filter(pl.col("indicator_code").is_in(codes.implode())), fy, end_fm
    )
    details = indicators.select("code", "title", "unit", "decimals")
    return (
        latest.rename({"indicator_code": "code"})
        .join(details, on="code")
        .select([pl.col(name).cast(dtype) for name, dtype in PAGE_BENCHMARKS.items()])
        .sort("code", "group_id")
    )


def _figure(value: float | None, unit: str, decimals: int) -> str:
    """A figure rounded half away from zero at the indicator's decimals, for its unit."""
    if value is None:
        return "–"
    shown = pl.select(
        pl.lit(value).mul(10.0**decimals).round(6).round(0, mode="half_away_from_zero")
        / 10.0**decimals
    ).item()
    return format_figure(shown, unit, decimals)


def position_words(row: dict[str, object]) -> str:
    """``2023/24, CIPFA nearest neighbours: rank 5 of 16, 2nd quartile; median 61.2%``;
    for a measure with no better or worse direction, ``…: 16 areas; median 61.2%``."""
    unit, decimals = str(row["unit"]), int(row["decimals"])  # type: ignore[call-overload]
    median = _figure(row["median"], unit, decimals)  # type: ignore[arg-type]
    head = f"{row['period']}, {row['group_name']}: "
    if row["rank"] is None:
        return f"{head}{_count(row['areas'], 'area')}; median {median}"
    quartile = ORDINALS[int(row["quartile"])]  # type: ignore[call-overload]
    return f"{head}rank {row['rank']} of {row['areas']}, {quartile} quartile; median {median}"


def report_rows(benchmarks: pl.DataFrame) -> pl.DataFrame:
    """The report's benchmarking table: code, measure and the position in words."""
    words = [position_words(row) for row in benchmarks.iter_rows(named=True)]
    return benchmarks.select("code", "title", pl.Series("position", words, dtype=pl.String))


def benchmark_section(board_id: str, benchmarks: pl.DataFrame) -> str:
    """The report's benchmarking section ("" when no indicator has a benchmark)."""
    if benchmarks.is_empty():
        return ""
    table = (
        GT(report_rows(benchmarks), id=f"{board_id}-benchmarks")
        .tab_header(title="Benchmarking against comparator groups")
        .cols_label(code="Code", title="Measure", position="Latest comparison")
    )
    link = html.escape(f"{board_id}-benchmarking.html")
    return (
        '<section aria-labelledby="benchmarking"><h2 id="benchmarking">Benchmarking</h2>'
        "<p>Each measure's latest published comparison with similar councils, for periods "
        "ended by this report's; rank 1 is the best, councils on equal figures share a rank. "
        f'<a href="{link}">Our position against each group\'s range</a>.</p>'
        + table.as_raw_html(inline_css=False)
        + "</section>"
    )


def _count(number: object, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _x(value: float, lowest: float, highest: float) -> float:
    if highest - lowest < 1e-12:
        return _MARGIN + CHART_WIDTH / 2
    return round(_MARGIN + CHART_WIDTH * (value - lowest) / (highest - lowest), 1)


def chart_words(row: dict[str, object]) -> str:
    """The chart's text alternative: the group's range and median, and our figure."""
    unit, decimals = str(row["unit"]), int(row["decimals"])  # type: ignore[call-overload]
    names = ("lowest", "median", "highest", "value")
    shown = {k: _figure(row[k], unit, decimals) for k in names}  # type: ignore[arg-type]
    return (
        f"{row['group_name']}, {row['period']}: figures from "
        f"{_count(row['areas'], 'council')} range from "
        f"{shown['lowest']} to {shown['highest']}, median {shown['median']}; "
        f"this council {shown['value']}"
    )


def chart_svg(row: dict[str, object]) -> str:
    """A strip: the group's range as a line, its median as a tick, the council as a dot."""
    lowest, highest = float(row["lowest"]), float(row["highest"])  # type: ignore[arg-type]
    median = _x(float(row["median"]), lowest, highest)  # type: ignore[arg-type]
    own = _x(float(row["value"]), lowest, highest)  # type: ignore[arg-type]
    width = CHART_WIDTH + 2 * _MARGIN
    return (
        f'<svg role="img" aria-label="{html.escape(chart_words(row))}" width="{width}" '
        f'height="28" viewBox="0 0 {width} 28" xmlns="http://www.w3.org/2000/svg">'
        f'<line x1="{_MARGIN}" y1="14" x2="{_MARGIN + CHART_WIDTH}" y2="14" '
        'stroke="#555555" stroke-width="4"/>'
        f'<line x1="{median}" y1="3" x2="{median}" y2="25" stroke="#1a1a1a" stroke-width="3"/>'
        f'<circle cx="{own}" cy="14" r="7" fill="#1d4f91" stroke="#ffffff" stroke-width="2"/>'
        "</svg>"
    )


def benchmarking_body(council: str, report_link: str, benchmarks: pl.DataFrame) -> str:
    """The benchmarking page's content (wrapped into a document by outputs.site)."""
    rows = []
    for row in benchmarks.iter_rows(named=True):
        unit, decimals = row["unit"], row["decimals"]
        cells = [
            row["code"],
            row["title"],
            row["group_name"],
            row["period"],
            _figure(row["value"], unit, decimals),
            position_words(row).split(": ", 1)[1],
        ]
        escaped = "".join(f"<td>{html.escape(str(c))}</td>" for c in cells)
        rows.append(
            f'<tr>{escaped}<td>{chart_svg(row)}<br><span class="chart-words">'
            f"{html.escape(chart_words(row))}</span></td></tr>"
        )
    headers = "".join(
        f'<th scope="col">{h}</th>'
        for h in (
            "Code",
            "Measure",
            "Comparator group",
            "Period",
            "Our figure",
            "Position",
            "Our place in the group's range",
        )
    )
    return (
        f'<p class="council">{html.escape(council)}</p>'
        "<p>For each measure, the latest comparison ended by this report's period. In each "
        "chart the grey line runs from the group's lowest figure to its highest, the black "
        "tick marks the median and the blue dot is this council; the same figures are given "
        "in words under each chart.</p>"
        '<table class="benchmarking"><caption>Position against comparator groups</caption>'
        f"<thead><tr>{headers}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        f'<p><a href="{html.escape(report_link)}">Back to the board report</a></p>'
    )
