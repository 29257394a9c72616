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


def exceptions_path(page_path: Path) -> Path:
    """``2019-20/Q2/<board>-exceptions.html`` beside the board's page."""
    return page_path.with_name(f"{page_path.stem}-exceptions.html")


def _section(anchor: str, heading: str, table: str) -> str:
    return (
        f'<section aria-labelledby="{anchor}"><h2 id="{anchor}">{html.escape(heading)}</h2>'
        f"{table}</section>"
    )


def exceptions_document(page: BoardPage, rows: pl.DataFrame) -> str:
    """The exceptions page (``rows``: the page's :func:`outputs.board.indicator_rows`); a
    section with nothing in it says so."""
    indicators = exception_indicators(rows)
    milestones = exception_milestones(page)
    risks = exception_risks(page)
    indicator_part = (
        indicator_table(page, indicators)
        if not indicators.is_empty()
        else "<p>No measures are red, incomplete or without data this period.</p>"
    )
    milestone_part = (
        milestones_table(page, milestones)
        if not milestones.is_empty()
        else "<p>No milestones are overdue or off track this period.</p>"
    )
    risk_part = (
        risks_table(page, risks)
        if not risks.is_empty()
        else "<p>No high risks were reported for this period.</p>"
    )
    board_page = f"{page.board_id}.html"
    body = "\n".join(
        [
            f'<p class="council">{html.escape(page.council)}</p>',
            "<p>What members are asked to look at: measures rated red, incomplete or "
            "without data, milestones overdue or off track, and high risks, each with "
            "the service's commentary.</p>",
            _section("exception-indicators", "Measures needing attention", indicator_part),
            _section("exception-milestones", "Milestones overdue or off track", milestone_part),
            _section("exception-risks", "High risks", risk_part),
            f"<p>Data as at {html.escape(page.data_as_at)}.</p>",
            f'<p class="nav"><a href="{html.escape(board_page)}">The full report</a> · '
            '<a href="../../index.html">All board reports</a></p>',
        ]
    )
    title = f"{page.board_name} — exceptions, {page.period_heading}"
    return html_document(title, body, landscape=True)
