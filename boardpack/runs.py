"""A run from start to finish: the nightly, a backfill, publishing one report.

Ordinary functions: the command line calls them directly, the Prefect flows call them
with each step run as a task (``flows/nightly.py``), and tests and benchmarks call them too.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl
import sqlalchemy as sa

from boardpack.config import load_council
from boardpack.digest import nightly_digest
from boardpack.outcome import (
    RunOutcome,
    default_out,
    recorded,
    recorded_run,
    reread_lines,
    run_totals,
)
from boardpack.signoff import require_approval
from boardpack.steps import DIRECT, Steps
from core.errors import UsageError
from core.periods import period_range, require_reporting_period
from core.progress import step
from core.settings import Council
from outputs.publish import as_at_text, republish_as_published, require_boards
from outputs.quality import write_quality_page
from outputs.returns import write_returns_page
from schemas.ingest import staging_area
from schemas.reading import reading_digest
from transforms.returns import LATE
from warehouse import store
from warehouse.exports import standing_rejections
from warehouse.load import coverage
from warehouse.returns import refresh_register
from warehouse.schema import held, warehouse_url

# The day a nightly reports up to is the day it was due in the UK, wherever the worker runs.
REPORTING_TIMEZONE = ZoneInfo("Europe/London")


def day_due(scheduled: dt.datetime) -> dt.date:
    """The as-of date of a run scheduled at ``scheduled``: its day in the UK, so a run that
    starts late, after midnight, still reports the day it was due."""
    return scheduled.astimezone(REPORTING_TIMEZONE).date()


def nightly(
    config: Path | str,
    warehouse: str | None = None,
    out: Path | str | None = None,
    as_of: dt.date | None = None,
    force: bool = False,
    wait_seconds: float = 0,
    steps: Steps = DIRECT,
    staging: Path | str | None = None,
    only_source: str | None = None,
) -> RunOutcome:
    """Ingest every source, validate, load, compute and publish the reports that changed.

    Accepted rows wait for the load in a folder under ``staging`` ($BOARDPACK_STAGING, else
    the system's temporary folder): on a cluster of several machines, a shared folder.
    ``only_source``: re-read that source alone, its files loaded before included; the
    other sources are not read and what they loaded stands.
    """
    council = load_council(config)
    reading = one_source(council, only_source) if only_source else council
    as_of = as_of or dt.date.today()
    folder = Path(out) if out else default_out()
    with (
        held(warehouse_url(warehouse), True, wait_seconds, steps.wait_hint) as engine,
        staging_area(staging) as staged,
    ):
        run_id = store.begin_run(engine, "nightly", council.settings.name, as_of)
        skip: set[tuple[str, str]] = set()
        reread: dict[str, int] = {}
        if not (force or only_source):  # else every file (of the one source) is read
            readings = {s.id: reading_digest(council, s) for s in council.settings.sources}
            with engine.connect() as connection:
                skip, reread = store.loaded_and_reread(connection, readings)
        for line in reread_lines(reread):
            step(line)
        step(f"Reading {len(reading.settings.sources)} sources")
        batch, failed = steps.read_sources(reading, as_of, frozenset(skip), staged)
        outcome = RunOutcome.begin(run_id, as_of, str(folder), batch, failed)
        outcome.reread = reread
        outcome.council = council.settings.name
        with recorded(engine, run_id, outcome, run_totals(batch)):
            step(f"Loading {sum(f.rows_loaded for f in batch.files):,} rows and computing measures")
            loaded = steps.load_and_compute(engine, run_id, council, batch, as_of)
            batch.close()  # the staged rows are in the warehouse now
            outcome.measures = loaded.measures
            register = refresh_register(engine, council, as_of)
            outcome.returns = register.filter(pl.col("status").is_in(LATE)).to_dicts()
            write_returns_page(folder, council.settings.name, as_at_text(as_of), register)
            step("Publishing the board reports that changed")
            outcome.reports = steps.publish_after_load(
                engine, council, folder, as_of, loaded, run_id
            )
            write_quality_page(
                folder,
                council.settings.name,
                as_at_text(as_of),
                [vars(f) for f in batch.files],
                standing(engine),
                coverage(engine, council, as_of),
                outcome.failed_sources,
            )
            outcome.digest = nightly_digest(engine, council, as_of, register)
    return outcome


def standing(engine: sa.Engine) -> pl.DataFrame:
    """The rejections that still stand, as ``boardpack export rejections`` lists them."""
    with engine.connect() as connection:
        return standing_rejections(connection)


def one_source(council: Council, source_id: str) -> Council:
    """The council as a run that reads only ``source_id`` sees it."""
    chosen = [s for s in council.settings.sources if s.id == source_id]
    if not chosen:
        known = ", ".join(s.id for s in council.settings.sources)
        raise UsageError(
            f"--source: no source '{source_id}' in {council.folder / 'council.yaml'} "
            f"(its sources: {known})"
        )
    settings = council.settings.model_copy(update={"sources": chosen})
    return dataclasses.replace(council, settings=settings)


def backfill(
    config: Path | str,
    start: str,
    end: str,
    warehouse: str | None = None,
    out: Path | str | None = None,
    boards: list[str] | None = None,
    as_of: dt.date | None = None,
    wait_seconds: float = 0,
    steps: Steps = DIRECT,
) -> RunOutcome:
    """Recompute the measures and republish the reports of a range of periods."""
    council = load_council(config)
    # Mistakes in the request are refused before the warehouse is touched.
    wanted = {(fy, p.suffix) for fy, p in period_range(start, end)}
    require_boards(council, boards)
    with (
        held(warehouse_url(warehouse), False, wait_seconds, steps.wait_hint) as engine,
        recorded_run(engine, "backfill", council, as_of, out) as outcome,
    ):
        step("Recomputing the measures")
        outcome.measures = steps.recompute(engine, council, outcome.as_of)
        step(f"Republishing {len(wanted)} periods")
        outcome.reports = steps.publish(
            engine, council, Path(outcome.out), outcome.as_of, wanted, boards, outcome.run_id
        )
    return outcome


def publish_one(
    config: Path | str,
    board: str,
    period: str,
    warehouse: str | None = None,
    out: Path | str | None = None,
    as_of: dt.date | None = None,
    wait_seconds: float = 0,
    final: bool = False,
    as_published: bool = False,
    steps: Steps = DIRECT,
    without_approval: bool = False,
) -> RunOutcome:
    """One board's report for one period: from the warehouse as it stands (``final`` marks
    it as formally published: only figures signed off, unless ``without_approval``, which
    is recorded), or exactly as it was last published (``as_published``)."""
    council = load_council(config)
    fy, reporting = require_reporting_period(period, "period")
    require_boards(council, [board])
    with (
        held(warehouse_url(warehouse), False, wait_seconds, steps.wait_hint) as engine,
    ):
        if final:
            require_approval(engine, council, board, fy, reporting.suffix, without_approval)
        with recorded_run(engine, "publish", council, as_of, out) as outcome:
            folder = Path(outcome.out)
            if as_published:
                outcome.reports = republish_as_published(
                    engine, council, folder, board, fy, reporting.suffix
                )
            else:
                wanted = {(fy, reporting.suffix)}
                outcome.reports = steps.publish(
                    engine, council, folder, outcome.as_of, wanted, [board], outcome.run_id, final
                )
    return outcome
