"""Publishing: the reports a run writes, read back from the warehouse, and their snapshots."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import polars as pl
import sqlalchemy as sa

from core.errors import ConfigError, UsageError
from core.periods import PERIODS_BY_SUFFIX, fy_label, latest_periods
from core.settings import Council
from outputs.approval import with_approvals
from outputs.board import BoardPage
from outputs.documents import document_plan
from outputs.site import (
    Mapper,
    PageKey,
    SiteInputs,
    already_published,
    board_pages,
    clear_pending,
    manifest_entries,
    mark_pending,
    page_from_snapshot,
    page_key,
    pending_pages,
    periods_drawing_on,
    published_figures,
    snapshot_of,
    write_site,
    years_drawing_on,
    years_drawn_on,
)
from transforms.coverage import latest_quarter
from warehouse import benchmarks, bulk, store
from warehouse.load import FIGURES_AS_OF, LoadResult
from warehouse.models import BoardSummary, Measure, Milestone, Narrative, Risk
from warehouse.signoffs import latest_decisions


def periods_to_publish(
    council: Council, as_of: dt.date, result: LoadResult
) -> set[tuple[int, str]] | None:
    """The latest period of each cadence, and every period whose pages draw on figures that
    changed (their own, the same period next year, the eight-quarter trends after them): by
    quarter when the load knows which changed, else every period of those years and the
    years after them. None means all of them."""
    if result.changed_years is None:
        return None
    latest = latest_quarter(as_of, council.settings.year_start_month)
    wanted: set[tuple[int, str]] = set()
    if latest is not None:
        wanted |= latest_periods(*latest)
    if result.changed_quarters is not None:
        for fy, quarter in result.changed_quarters:
            wanted |= periods_drawing_on(fy, quarter)
        return wanted
    for fy in result.changed_years:
        wanted |= {(year, s) for year in years_drawing_on(fy) for s in PERIODS_BY_SUFFIX}
    return wanted


def figures_as_at(connection: sa.Connection, as_of: dt.date) -> str:
    """The "data as at" the reports show: the as-of date of the run that last computed the
    measures (so a run that changed nothing leaves every report byte for byte as it was);
    ``as_of`` for a warehouse that has not recorded one."""
    return as_at_text(figures_as_of(connection, as_of))


def figures_as_of(connection: sa.Connection, as_of: dt.date) -> dt.date:
    """The date :func:`figures_as_at` words."""
    stored = store.get_state(connection, FIGURES_AS_OF)
    return dt.date.fromisoformat(stored) if stored else as_of


def as_at_text(as_of: dt.date) -> str:
    return f"{as_of.day} {as_of:%B %Y} (figures for periods ended on or before this date)"


def site_inputs(
    connection: sa.Connection,
    council: Council,
    as_of: dt.date,
    periods: set[tuple[int, str]] | None = None,
) -> SiteInputs:
    """Everything the reports show, read back from the warehouse (for ``periods``' pages
    only the years they draw on, so a nightly run does not read every year's measures)."""
    tolerance = council.settings.tolerance
    years = None if periods is None else years_drawn_on(periods)
    # Only the figures with commentary: the reports show nothing else of a month's figure.
    observations = store.current_observations(
        connection, ["indicator_code", "fy", "fm", "commentary"], years=years, commented=True
    )
    return SiteInputs(
        council=council.settings.name,
        as_at=figures_as_at(connection, as_of),
        figures_as_of=figures_as_of(connection, as_of).isoformat(),
        year_start_month=council.settings.year_start_month,
        narrative=store.read_table(connection, Narrative),
        default_tolerance=(tolerance.type, tolerance.value),
        boards=pl.DataFrame(
            [{"id": b.id, "name": b.name, "cadence": b.cadence} for b in council.settings.boards]
        ),
        board_services=council.boards,
        indicators=council.indicators,
        status_labels=council.settings.status_labels.model_dump(exclude_none=True),
        status_definitions=council.settings.status_definitions.model_dump(exclude_none=True),
        rating=council.settings.rating,
        measures=store.read_table(connection, Measure, years=years),
        summaries=store.read_table(connection, BoardSummary),
        observations=observations,
        milestones=store.read_table(connection, Milestone),
        risks=store.read_table(connection, Risk),
        benchmarks=benchmarks.stored_results(connection),
        published=published_figures(
            [
                (r["board_id"], r["fy"], r["period_suffix"], r["snapshot"])
                for r in store.latest_snapshots(connection, final_only=True).iter_rows(named=True)
            ]
        ),
    )


def require_boards(council: Council, boards: Iterable[str] | None) -> None:
    """Every board asked for is one of council.yaml's, or a configuration error naming it."""
    known = {b.id for b in council.settings.boards}
    unknown = sorted(set(boards or []) - known)
    if unknown:
        have = ", ".join(sorted(known))
        raise ConfigError(
            council.folder / "council.yaml", f"no board '{unknown[0]}' (its boards: {have})"
        )


def publish(
    engine: sa.Engine,
    council: Council,
    out: Path,
    as_of: dt.date,
    periods: set[tuple[int, str]] | None = None,
    boards: list[str] | None = None,
    run_id: int | None = None,
    final: bool = False,
    mapper: Mapper | None = None,
    document_periods: set[tuple[int, str]] | None = None,
) -> list[dict[str, Any]]:
    """Render the board reports (all, or only ``periods`` / ``boards``) and the site files.

    With a ``run_id`` each report's snapshot is kept in the warehouse (``final`` marks the
    versions formally published to the committee). The council's documents are made for
    the reports of ``document_periods`` when given; otherwise for every report of the
    ``periods`` asked for (a backfill, a single report), or, when every period is published,
    as a nightly makes them (the latest periods, unless the council asks for all).
    """
    require_boards(council, boards)
    with engine.connect() as connection:
        inputs = site_inputs(bulk.in_columns(connection), council, as_of, periods)
        decisions = latest_decisions(connection)
    pages = with_approvals(board_pages(inputs, periods, boards), decisions)
    keys = {page_key(p) for p in pages}
    manifest_entries(out)  # a foreign manifest is refused before anything is written
    mark_pending(out, keys)
    if document_periods is None and periods is None:  # everything: documents as a nightly's
        document_periods = nightly_document_periods(council, as_of)
    plan = document_plan(council, document_periods)
    # A priority page gathers every board's rows: rewritten only when every board is.
    priorities = None if boards else {p.id: p.name for p in council.settings.priorities}
    written = write_site(pages, out, inputs.council, inputs.as_at, plan, mapper, priorities)
    if run_id is not None:
        _keep_snapshots(engine, run_id, pages, written, final)
    # Pending pages within this publish's scope are done too (written, or without data now).
    clear_pending(out, keys | _within(pending_pages(out), periods, boards))
    return written


def _within(
    pages: set[PageKey], periods: set[tuple[int, str]] | None, boards: list[str] | None
) -> set[PageKey]:
    return {
        (board, fy, suffix)
        for board, fy, suffix in pages
        if (periods is None or (fy, suffix) in periods) and (boards is None or board in boards)
    }


def publish_after_load(
    engine: sa.Engine,
    council: Council,
    out: Path,
    as_of: dt.date,
    loaded: LoadResult,
    run_id: int | None = None,
    mapper: Mapper | None = None,
) -> list[dict[str, Any]]:
    """The nightly's reports: the latest periods, every year whose figures changed and any
    an interrupted publish left unfinished; nothing when nothing was recomputed or left
    unfinished and ``out`` already holds the latest reports."""
    periods = periods_to_publish(council, as_of, loaded)
    documents = nightly_document_periods(council, as_of)
    unfinished = {(fy, suffix) for _, fy, suffix in pending_pages(out)}
    if unfinished:
        periods = None if periods is None else periods | unfinished
    else:
        with engine.connect() as connection:
            as_at = figures_as_at(connection, as_of)
        wanted = periods or set()
        if not loaded.recomputed and already_published(out, wanted, as_at, documents):
            return []
    return publish(
        engine,
        council,
        out,
        as_of,
        periods,
        None,
        run_id,
        mapper=mapper,
        document_periods=documents,
    )


def nightly_document_periods(council: Council, as_of: dt.date) -> set[tuple[int, str]] | None:
    """The periods whose reports the nightly makes documents for: the latest of each cadence
    (``documents: {periods: latest}``, the default), or all it writes (None)."""
    options = council.settings.documents
    if options is None or options.periods == "all":
        return None
    latest = latest_quarter(as_of, council.settings.year_start_month)
    return set() if latest is None else latest_periods(*latest)


def _keep_snapshots(
    engine: sa.Engine,
    run_id: int,
    pages: list[BoardPage],
    written: list[dict[str, Any]],
    final: bool,
) -> None:
    snapshots = (  # made as they are stored, not all at once
        {
            "board_id": p.board_id,
            "fy": p.fy,
            "period_suffix": p.suffix,
            "path": w["path"],
            "content_hash": w["sha256"],
            "snapshot": snapshot_of(p),
        }
        for p, w in zip(pages, written, strict=True)
    )
    with engine.begin() as connection:
        store.record_snapshots(connection, run_id, snapshots, final)


def republish_as_published(
    engine: sa.Engine, council: Council, out: Path, board: str, fy: int, suffix: str
) -> list[dict[str, Any]]:
    """Re-render a report exactly as it was last formally published (byte for byte)."""
    with engine.connect() as connection:
        finals = store.latest_snapshots(connection, final_only=True).filter(
            (pl.col("board_id") == board)
            & (pl.col("fy") == fy)
            & (pl.col("period_suffix") == suffix)
        )
    if finals.is_empty():
        raise UsageError(f"{board} {fy_label(fy)} {suffix} has not been published as final")
    page = page_from_snapshot(finals["snapshot"][0])
    return write_site([page], out, page.council, page.as_at, document_plan(council))
