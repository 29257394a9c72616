"""A run from start to finish: the nightly, a backfill, publishing one report.

Ordinary functions: the command line calls them directly, the Prefect flows call them
with each step run as a task (``flows/nightly.py``), and tests and benchmarks call them too.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

from boardpack.config import load_council
from boardpack.outcome import RunOutcome, default_out, recorded, recorded_run, run_totals
from boardpack.steps import DIRECT, Steps
from core.periods import period_range, require_reporting_period
from core.progress import step
from outputs.publish import as_at_text, republish_as_published, require_boards
from outputs.quality import write_quality_page
from schemas.ingest import staging_area
from warehouse import store
from warehouse.load import coverage
from warehouse.lock import exclusive_run
from warehouse.schema import opened, warehouse_url

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
) -> RunOutcome:
    """Ingest every source, validate, load, compute and publish the reports that changed.

    Accepted rows wait for the load in a folder under ``staging`` ($BOARDPACK_STAGING, else
    the system's temporary folder): on a cluster of several machines, a shared folder.
    """
    council = load_council(config)
    as_of = as_of or dt.date.today()
    folder = Path(out) if out else default_out()
    with (
        opened(warehouse_url(warehouse)) as engine,
        exclusive_run(engine, wait_seconds, steps.wait_hint),
        staging_area(staging) as staged,
    ):
        run_id = store.begin_run(engine, "nightly", council.settings.name, as_of)
        with engine.connect() as connection:
            skip = frozenset() if force else frozenset(store.loaded_hashes(connection))
        step(f"Reading {len(council.settings.sources)} sources")
        batch, failed = steps.read_sources(council, as_of, skip, staged)
        outcome = RunOutcome.begin(run_id, as_of, str(folder), batch, failed)
        outcome.council = council.settings.name
        with recorded(engine, run_id, outcome, run_totals(batch)):
            step(f"Loading {sum(f.rows_loaded for f in batch.files):,} rows and computing measures")
            loaded = steps.load_and_compute(engine, run_id, council, batch, as_of)
            batch.close()  # the staged rows are in the warehouse now
            outcome.measures = loaded.measures
            step("Publishing the board reports that changed")
            outcome.reports = steps.publish_after_load(
                engine, council, folder, as_of, loaded, run_id
            )
            write_quality_page(
                folder,
                council.settings.name,
                as_at_text(as_of),
                [vars(f) for f in batch.files],
                batch.frame("rejections"),
                coverage(engine, council, as_of),
            )
    return outcome


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
        opened(warehouse_url(warehouse), create=False) as engine,
        recorded_run(
            engine, "backfill", council, as_of, out, wait_seconds, steps.wait_hint
        ) as outcome,
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
) -> RunOutcome:
    """One board's report for one period: from the warehouse as it stands (``final`` marks
    it as formally published), or exactly as it was last published (``as_published``)."""
    council = load_council(config)
    fy, reporting = require_reporting_period(period, "period")
    require_boards(council, [board])
    with (
        opened(warehouse_url(warehouse), create=False) as engine,
        recorded_run(
            engine, "publish", council, as_of, out, wait_seconds, steps.wait_hint
        ) as outcome,
    ):
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
