"""A page per council priority and period (SPEC §5): its indicators and milestones from
every board reporting that period, with its own summary. The rows come from functions, so
the Word and PDF copies can reuse them."""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
from great_tables import GT

from core.periods import fy_label
from outputs import registers
from outputs.board import (
    MILESTONE_LABELS,
    MILESTONE_SHOWN,
    BoardPage,
    html_document,
    indicator_rows,
    status_coloured,
    summary_sentence,
    with_owners,
)
from outputs.formatting import dated_period_title, period_title
from transforms.summary import largest_remainder_percentages

_INDICATOR_SHOWN = ("board", "code", "title", "target", "actual", "status", "direction")
# What the page (and its Word and PDF copies) say of a section with nothing in it.
NO_PRIORITY_INDICATORS = "No measures serving this priority are reported this period."
NO_PRIORITY_MILESTONES = "No milestones serving this priority were reported this period."


@dataclass(frozen=True)
class PriorityPage:
    """One priority's measures and milestones at one period, gathered from the boards."""

    council: str
    priority_id: str
    name: str
    fy: int
    suffix: str
    year_start_month: int
    indicators: pl.DataFrame  # board, code, ..., commentary, rag
    milestones: pl.DataFrame  # board, ref, ..., commentary
    as_at: str = ""  # the run's words for the figures' date, as its boards' pages have it
    data_as_at: str = ""  # the period's own data-as-at, as its boards' pages give it

    @property
    def title(self) -> str:
        heading = dated_period_title(self.fy, self.suffix, self.year_start_month)
        return f"{self.name} — {heading}"

    @property
    def summary(self) -> dict[str, int | None]:
        return priority_summary(self.indicators)


def _serves(priority: str) -> pl.Expr:
    """Rows whose ``priority`` cell names ``priority`` (ids separated by |)."""
    return (
        pl.col("priority")
        .fill_null("")
        .str.split("|")
        .list.eval(pl.element().str.strip_chars())
        .list.contains(priority)
    )


def board_rows(page: BoardPage) -> tuple[pl.DataFrame | None, pl.DataFrame]:
    """A page's indicator rows (None: its indicators name no priorities) and milestone rows
    as a priority page shows them, each with its board and the priorities it serves:
    worked out once a page, for every priority."""
    board = pl.lit(page.board_name)
    milestones = registers.milestone_rows(page.milestones, page.period_end).with_columns(
        board=board
    )
    if "priority" not in page.indicators.columns:
        return None, milestones
    # indicator_rows keeps the board's order (service, then code): their priorities in it.
    serves = page.indicators.sort("service", "code")["priority"]
    indicators = with_owners(indicator_rows(page)).with_columns(priority=serves, board=board)
    return indicators, milestones


def priority_indicators(rows: list[pl.DataFrame | None], priority: str) -> pl.DataFrame:
    """The indicators serving ``priority`` among boards' rows (one period's), by board."""
    columns = [*_INDICATOR_SHOWN, "commentary", "rag"]
    parts = [r.filter(_serves(priority)).select(columns) for r in rows if r is not None]
    return _concat([p for p in parts if not p.is_empty()], columns)


def priority_milestones(rows: list[pl.DataFrame], priority: str) -> pl.DataFrame:
    """The milestones serving ``priority`` among boards' rows, by board."""
    columns = ["board", *MILESTONE_SHOWN[1:]]
    parts = [r.filter(_serves(priority)).select(columns) for r in rows]
    return _concat([p for p in parts if not p.is_empty()], columns)


def _concat(parts: list[pl.DataFrame], columns: list[str]) -> pl.DataFrame:
    if not parts:
        return pl.DataFrame(schema=dict.fromkeys(columns, pl.String))
    return pl.concat(parts)


def priority_summary(indicators: pl.DataFrame) -> dict[str, int | None]:
    """Counts of each status among the priority's measures, and the rated shares."""
    statuses = ("green", "amber", "red", "no_target", "no_data", "incomplete")
    counts = pl.DataFrame({s: [int((indicators["rag"] == s).sum())] for s in statuses})
    shares = counts.with_columns(largest_remainder_percentages("green", "amber", "red"))
    return shares.row(0, named=True)


def priority_pages(pages: list[BoardPage], priorities: dict[str, str]) -> list[PriorityPage]:
    """A page for each priority and each period the pages cover that has any of its
    measures or milestones."""
    made: list[PriorityPage] = []
    if not priorities:  # nor any rows to work out
        return made
    by_period: dict[tuple[int, str], list[BoardPage]] = {}
    for page in pages:
        by_period.setdefault((page.fy, page.suffix), []).append(page)
    for (fy, suffix), group in sorted(by_period.items()):
        group = sorted(group, key=lambda p: p.board_name)
        indicator_parts, milestone_parts = zip(*map(board_rows, group), strict=True)
        for priority, name in priorities.items():
            indicators = priority_indicators(list(indicator_parts), priority)
            milestones = priority_milestones(list(milestone_parts), priority)
            if indicators.is_empty() and milestones.is_empty():
                continue
            made.append(
                PriorityPage(
                    council=group[0].council,
                    priority_id=priority,
                    name=name,
                    fy=fy,
                    suffix=suffix,
                    year_start_month=group[0].year_start_month,
                    indicators=indicators,
                    milestones=milestones,
                    as_at=group[0].as_at,
                    data_as_at=group[0].data_as_at,
                )
            )
    return made


def priority_path(page: PriorityPage) -> Path:
    """``2019-20/Q2/priority-<id>.html``."""
    return (
        Path(fy_label(page.fy).replace("/", "-"))
        / page.suffix
        / f"priority-{page.priority_id}.html"
    )


def _table(frame: pl.DataFrame, table_id: str, title: str, labels: dict[str, Any]) -> str:
    table = GT(frame, id=table_id, groupname_col="board").tab_header(title=title).cols_label(labels)
    if "rag" in frame.columns:
        table = status_coloured(table.cols_hide("rag"), list(frame["rag"]))
    return table.as_raw_html(inline_css=False)


def priority_document(page: PriorityPage) -> str:
    """The priority's page: its summary, then its measures and milestones by board."""
    label = dated_period_title(page.fy, page.suffix, page.year_start_month)
    indicators = (
        _table(
            page.indicators.select(*_INDICATOR_SHOWN, "commentary", "rag"),
            f"priority-{page.priority_id}-indicators",
            f"Performance indicators, {label}",
            {
                "code": "Code",
                "title": "Measure",
                "target": "Target to date",
                "actual": "Actual to date",
                "status": "Status",
                "direction": "Direction of travel",
                "commentary": "Commentary",
            },
        )
        if not page.indicators.is_empty()
        else f"<p>{NO_PRIORITY_INDICATORS}</p>"
    )
    milestones = (
        _table(
            page.milestones,
            f"priority-{page.priority_id}-milestones",
            f"Objectives and milestones, {label}",
            MILESTONE_LABELS,
        )
        if not page.milestones.is_empty()
        else f"<p>{NO_PRIORITY_MILESTONES}</p>"
    )
    body = "\n".join(
        [
            f'<p class="council">{html.escape(page.council)}</p>',
            '<section aria-labelledby="summary"><h2 id="summary">Summary</h2>',
            f'<p class="summary">{html.escape(summary_sentence(page.summary))}</p></section>',
            '<section aria-labelledby="indicators"><h2 id="indicators">Performance '
            f"indicators</h2>{indicators}</section>",
            '<section aria-labelledby="milestones"><h2 id="milestones">Objectives and '
            f"milestones</h2>{milestones}</section>",
            f"<p>Data as at {html.escape(page.data_as_at)}.</p>",
            '<p class="nav"><a href="../../index.html">All board reports</a></p>',
        ]
    )
    return html_document(page.title, body, landscape=True)


def priority_entry(page: PriorityPage) -> dict[str, Any]:
    """The manifest's record of a priority page."""
    return {
        "priority_id": page.priority_id,
        "name": page.name,
        "period": f"{fy_label(page.fy)} {page.suffix}",
        "title": page.title,
        "label": period_title(page.fy, page.suffix),  # under the priority's name, in the index
        "path": priority_path(page).as_posix(),
    }
