"""A run from start to finish: the nightly, a backfill, publishing one report.

Ordinary functions: the command line calls them directly, the Prefect flows call them
with each step run as a task (``flows/nightly.py``), and tests and benchmarks call them too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from tenacity import Retrying, stop_after_attempt, wait_chain, wait_fixed

from boardpack.config import load_council
from boardpack.outcome import RunOutcome, default_out, run_totals
from boardpack.progress import step
from core.periods import period_range, require_reporting_period
from core.settings import Council, Source
from outputs.publish import as_at_text, publish, publish_after_load, republish_as_published
from outputs.quality import write_quality_page
from schemas.ingest import Batch, ingest_source, merge, source_failure
from warehouse import store
from warehouse.load import LoadResult, coverage, load_and_compute, recompute
from warehouse.lock import exclusive_run
from warehouse.schema import connect, warehouse_url

Skip = frozenset[tuple[str, str]]
# Sources and the database can blip: a source is tried three times, 2 s then 10 s apart.
RETRY_DELAYS: tuple[float, ...] = (2, 10)


def read_source(council: Council, source: Source, as_of: dt.date, skip: Skip) -> Batch:
    """One source's files, tried again after a failure (a database that is down, say)."""
    waits = wait_chain(*(wait_fixed(d) for d in RETRY_DELAYS))
    retrying = Retrying(stop=stop_after_attempt(len(RETRY_DELAYS) + 1), wait=waits, reraise=True)
    return retrying(ingest_source, council, source, as_of, skip)


def read_sources(council: Council, as_of: dt.date, skip: Skip) -> tuple[Batch, dict[str, str]]:
    """Every source in turn; one that still fails after its retries fails alone (SPEC §6)."""
    batches, failed = [], {}
    for source in council.settings.sources:
        try:
            batches.append(read_source(council, source, as_of, skip))
        except Exception as error:  # any failure of one source must not stop the others
            failed[source.id] = one_line(error)
            batches.append(source_failure(source, failed[source.id]))
    return merge(batches), failed


def one_line(error: BaseException) -> str:
    """An exception as one line of text, for messages and the runs table."""
    text = " ".join(str(error).split())
    return text[:500] if text else type(error).__name__


@dataclass(frozen=True)
class Steps:
    """How a run's steps are carried out: directly (here), or as Prefect tasks (flows)."""

    read_sources: Callable[[Council, dt.date, Skip], tuple[Batch, dict[str, str]]]
    load_and_compute: Callable[[sa.Engine, int, Council, Batch, dt.date], LoadResult]
    recompute: Callable[[sa.Engine, Council, dt.date], int]
    publish_after_load: Callable[..., list[dict[str, Any]]]
    publish: Callable[..., list[dict[str, Any]]]
    wait_hint: str = "--wait SECONDS"  # how the caller asks to wait for a busy warehouse


def recompute_all(engine: sa.Engine, council: Council, as_of: dt.date) -> int:
    with engine.begin() as connection:
        return recompute(connection, council, as_of)


DIRECT = Steps(read_sources, load_and_compute, recompute_all, publish_after_load, publish)


def nightly(
    config: Path | str,
    warehouse: str | None = None,
    out: Path | str | None = None,
    as_of: dt.date | None = None,
    force: bool = False,
    wait_seconds: float = 0,
    steps: Steps = DIRECT,
) -> RunOutcome:
    """Ingest every source, validate, load, compute and publish the reports that changed."""
    council = load_council(config)
    as_of = as_of or dt.date.today()
    folder = Path(out) if out else default_out()
    engine = connect(warehouse_url(warehouse))
    with exclusive_run(engine, wait_seconds, steps.wait_hint):
        run_id = store.begin_run(engine, "nightly", council.settings.name, as_of)
        with engine.connect() as connection:
            skip = frozenset() if force else frozenset(store.loaded_hashes(connection))
        step(f"Reading {len(council.settings.sources)} sources")
        batch, failed = steps.read_sources(council, as_of, skip)
        outcome = RunOutcome.begin(run_id, as_of, str(folder), batch, failed)
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
    wanted = {(fy, p.suffix) for fy, p in period_range(start, end)}
    engine = connect(warehouse_url(warehouse), create=False)
    with _recorded_run(engine, "backfill", council, as_of, out, wait_seconds, steps) as outcome:
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
    engine = connect(warehouse_url(warehouse), create=False)
    with _recorded_run(engine, "publish", council, as_of, out, wait_seconds, steps) as outcome:
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


@contextmanager
def recorded(
    engine: sa.Engine, run_id: int, outcome: RunOutcome, totals: dict[str, Any]
) -> Iterator[None]:
    """Record the run's end in the runs table, as failed if the work raised."""
    try:
        yield
    except BaseException as error:
        store.finish_run(engine, run_id, "failed", message=one_line(error), **totals)
        raise
    store.finish_run(engine, run_id, outcome.status, message=outcome.message(), **totals)


@contextmanager
def _recorded_run(
    engine: sa.Engine,
    kind: str,
    council: Council,
    as_of: dt.date | None,
    out: Path | str | None,
    wait_seconds: float,
    steps: Steps,
) -> Iterator[RunOutcome]:
    """A run that reads no sources: hold the warehouse, record its start and its end."""
    as_of = as_of or dt.date.today()
    folder = str(Path(out) if out else default_out())
    with exclusive_run(engine, wait_seconds, steps.wait_hint):
        run_id = store.begin_run(engine, kind, council.settings.name, as_of)
        outcome = RunOutcome.begin(run_id, as_of, folder, Batch(), {})
        with recorded(engine, run_id, outcome, {}):
            yield outcome
