"""The exceptions page of a board and period (SPEC §5): what members are asked to look
at — red, incomplete and no-data indicators, overdue or off-track milestones, and high
risks, each with its commentary. Each section's rows come from a function of the page, so
the Word and PDF copies can show the same."""

from __future__ import annotations

import html
from pathlib import Path

import polars as pl

from outputs import registers
from outputs.board import (
    MILESTONE_SHOWN,
    BoardPage,
    html_document,
    indicator_table,
    milestones_table,
    risk_rows,
    risks_table,
)

# The ratings members are asked to look at ("incomplete": a part-year total, SPEC §3).
EXCEPTION_RATINGS = ("red", "incomplete", "no_data")

# The page's words, which its Word and PDF copies (outputs.documents) say too.
EXCEPTIONS_INTRO = (
    "What members are asked to look at: measures rated red, incomplete or without data, "
    "milestones overdue or off track, and high risks, each with the service's commentary."
)
# Each section: its anchor, heading, and what it says when it has nothing in it.
EXCEPTION_SECTIONS = {
    "indicators": (
        "exception-indicators",
        "Measures needing attention",
        "No measures are red, incomplete or without data this period.",
    ),
    "milestones": (
        "exception-milestones",
        "Milestones overdue or off track",
        "No milestones are overdue or off track this period.",
    ),
    "risks": ("exception-risks", "High risks", "No high risks were reported for this period."),
}


def exception_indicators(rows: pl.DataFrame) -> pl.DataFrame:
    """Those of a page's indicator rows (:func:`outputs.board.indicator_rows`) rated red,
    incomplete or without data."""
    return rows.filter(pl.col("rag").is_in(EXCEPTION_RATINGS))


def exception_milestones(page: BoardPage) -> pl.DataFrame:
    """The board's milestones this period that are overdue or off track."""
    rows = registers.milestone_rows(page.milestones, page.period_end)
    return rows.filter(pl.col("overdue") | (pl.col("state") == "off_track")).select(MILESTONE_SHOWN)


def exception_risks(page: BoardPage) -> pl.DataFrame:
    """The board's high risks this period, highest score first."""
    return risk_rows(page)


def exceptions_counts(indicators: int, milestones: int, risks: int) -> str:
    """``This period: 4 measures need attention, 1 milestone is overdue or off track and
    there are 3 high risks.``"""
    measures = "1 measure needs" if indicators == 1 else f"{indicators} measures need"
    late = "1 milestone is" if milestones == 1 else f"{milestones} milestones are"
    high = "is 1 high risk" if risks == 1 else f"are {risks} high risks"
    return f"This period: {measures} attention, {late} overdue or off track and there {high}."


def exceptions_path(page_path: Path) -> Path:
    """``2019-20/Q2/<board>-exceptions.html`` beside the board's page."""
    return page_path.with_name(f"{page_path.stem}-exceptions.html")


def _section(part: str, table: str | None) -> str:
    """One of :data:`EXCEPTION_SECTIONS` with its table (None: it says it has nothing)."""
    anchor, heading, empty = EXCEPTION_SECTIONS[part]
    shown = table if table is not None else f"<p>{html.escape(empty, quote=False)}</p>"
    return (
        f'<section aria-labelledby="{anchor}"><h2 id="{anchor}">{html.escape(heading)}</h2>'
        f"{shown}</section>"
    )


def exceptions_document(page: BoardPage, rows: pl.DataFrame) -> str:
    """The exceptions page (``rows``: the page's :func:`outputs.board.indicator_rows`); a
    section with nothing in it says so."""
    indicators = exception_indicators(rows)
    milestones = exception_milestones(page)
    risks = exception_risks(page)
    board_page = f"{page.board_id}.html"
    body = "\n".join(
        [
            f'<p class="council">{html.escape(page.council)}</p>',
            f"<p>{html.escape(EXCEPTIONS_INTRO, quote=False)}</p>",
            f"<p>{exceptions_counts(indicators.height, milestones.height, risks.height)}</p>",
            _section(
                "indicators", None if indicators.is_empty() else indicator_table(page, indicators)
            ),
            _section(
                "milestones", None if milestones.is_empty() else milestones_table(page, milestones)
            ),
            _section("risks", None if risks.is_empty() else risks_table(page, risks)),
            f"<p>Data as at {html.escape(page.data_as_at)}.</p>",
            f'<p class="nav"><a href="{html.escape(board_page)}">The full report</a> · '
            '<a href="../../index.html">All board reports</a></p>',
        ]
    )
    return html_document(exceptions_title(page), body, landscape=True)


def exceptions_title(page: BoardPage) -> str:
    return f"{page.board_name} — exceptions, {page.period_heading}"
