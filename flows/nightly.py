"""Prefect flows: the nightly run, backfills and publishing.

Thin: the work is done by boardpack.pipeline's plain functions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE

from boardpack import pipeline
from boardpack.config import Council, Source, load_council
from boardpack.outcome import RunOutcome, default_out
from boardpack.progress import step
from outputs.quality import write_quality_page
from transforms.periods import REPORTING_PERIODS, ReportingPeriod, parse_reporting_period
from warehouse import store
from warehouse.lock import exclusive_run
from warehouse.schema import connect, warehouse_url

# Sources and the database can blip: retry twice, after 2 s then 10 s.
RETRIES = 2
RETRY_DELAYS: list[float] = [2, 10]


@task(
    name="open warehouse", retries=RETRIES, retry_delay_seconds=RETRY_DELAYS, cache_policy=NO_CACHE
)
def open_warehouse(url: str) -> sa.Engine:
    return connect(url)


@task(
    name="read source",
    task_run_name="read source {source.id}",
    retries=RETRIES,
    retry_delay_seconds=RETRY_DELAYS,
    cache_policy=NO_CACHE,
)
def read_source(
    council: Council, source: Source, as_of: dt.date, skip: frozenset[tuple[str, str]]
) -> pipeline.Batch:
    batch = pipeline.ingest_source(council, source, as_of, skip)
    get_run_logger().info(
        "%s: %d file(s), %d row(s) read",
        source.id,
        len(batch.files),
        sum(f.rows_read for f in batch.files),
    )
    return batch


@task(
    name="load and compute",
    retries=RETRIES,
    retry_delay_seconds=RETRY_DELAYS,
    cache_policy=NO_CACHE,
)
def load_and_compute(
    engine: sa.Engine, run_id: int, council: Council, batch: pipeline.Batch, as_of: dt.date
) -> pipeline.LoadResult:
    result = pipeline.load_and_compute(engine, run_id, council, batch, as_of)
    get_run_logger().info(
        "%d measures %s", result.measures, "recomputed" if result.recomputed else "unchanged"
    )
    return result


@task(
    name="recompute measures",
    retries=RETRIES,
    retry_delay_seconds=RETRY_DELAYS,
    cache_policy=NO_CACHE,
)
def recompute_only(engine: sa.Engine, council: Council, as_of: dt.date) -> int:
    with engine.begin() as connection:
        return pipeline.recompute(connection, council, as_of)


@task(name="publish changed reports", cache_policy=NO_CACHE)
def publish_changed_reports(
    engine: sa.Engine,
    council: Council,
    out: Path,
    as_of: dt.date,
    loaded: pipeline.LoadResult,
    run_id: int,
) -> list[dict[str, Any]]:
    return pipeline.publish_after_load(engine, council, out, as_of, loaded, run_id)


@task(name="publish reports", cache_policy=NO_CACHE)
def publish_reports(
    engine: sa.Engine,
    council: Council,
    out: Path,
    as_of: dt.date,
    periods: set[tuple[int, str]] | None,
    boards: list[str] | None = None,
    run_id: int | None = None,
    final: bool = False,
) -> list[dict[str, Any]]:
    return pipeline.publish(engine, council, out, as_of, periods, boards, run_id, final)


def _publish_artifacts(outcome: RunOutcome) -> None:
    create_table_artifact(
        key="boardpack-sources",
        table=[
            {
                "source": f.source_id,
                "file": Path(f.file).name,
                "read": f.rows_read,
                "loaded": f.rows_loaded,
                "rejected": f.rows_rejected,
                "skipped": f.skipped,
            }
            for f in outcome.files
        ],
        description="Rows read, loaded and rejected per file",
    )
    if outcome.rejections:
        create_table_artifact(
            key="boardpack-data-quality",
            table=outcome.rejections,
            description="Rejected rows and files, with reasons",
        )
    create_markdown_artifact(key="boardpack-run-summary", markdown=outcome.markdown())


@flow(name="boardpack-nightly", log_prints=True)
def nightly(
    config: str,
    warehouse: str | None = None,
    out: str | None = None,
    as_of: dt.date | None = None,
    force: bool = False,
    wait_seconds: float = 0,
) -> RunOutcome:
    """Ingest every source, validate, load, compute and publish the board reports."""
    council = load_council(config)
    as_of = as_of or dt.date.today()
    engine = open_warehouse(warehouse_url(warehouse))
    with exclusive_run(engine, wait_seconds):
        run_id = store.begin_run(engine, "nightly", council.settings.name, as_of)
        with engine.connect() as connection:
            skip = frozenset() if force else frozenset(store.loaded_hashes(connection))
        step(f"Reading {len(council.settings.sources)} sources")
        batch, failed = _read_sources(council, as_of, skip)
        outcome = RunOutcome.begin(run_id, as_of, out or str(default_out()), batch, failed)
        with _recorded(engine, run_id, outcome, pipeline.run_totals(batch)):
            step(f"Loading {sum(f.rows_loaded for f in batch.files):,} rows and computing measures")
            loaded = load_and_compute(engine, run_id, council, batch, as_of)
            batch.close()  # the staged rows are in the warehouse now
            outcome.measures = loaded.measures
            step("Publishing the board reports that changed")
            outcome.reports = publish_changed_reports(
                engine, council, Path(outcome.out), as_of, loaded, run_id
            )
            write_quality_page(
                Path(outcome.out),
                council.settings.name,
                pipeline.as_at_text(as_of),
                [vars(f) for f in batch.files],
                batch.frame("rejections"),
                pipeline.coverage(engine, council, as_of),
            )
    _publish_artifacts(outcome)
    return outcome


def _read_sources(
    council: Council, as_of: dt.date, skip: frozenset[tuple[str, str]]
) -> tuple[pipeline.Batch, dict[str, str]]:
    """Every source as its own task: one that fails (after retries) fails alone."""
    futures = {s.id: read_source.submit(council, s, as_of, skip) for s in council.settings.sources}
    batches, failed = [], {}
    for source_id, future in futures.items():
        state = future.wait() or future.state
        if state.is_completed():
            batches.append(future.result())
        else:
            failed[source_id] = str(state.message or "failed")
            get_run_logger().error("source %s failed: %s", source_id, failed[source_id])
    return pipeline.merge(batches), failed


@contextmanager
def _recorded(
    engine: sa.Engine, run_id: int, outcome: RunOutcome, totals: dict[str, Any]
) -> Iterator[None]:
    """Record the run's end in the runs table, as failed if the work raised."""
    try:
        yield
    except Exception as error:
        store.finish_run(engine, run_id, "failed", message=str(error), **totals)
        raise
    store.finish_run(engine, run_id, outcome.status, message=outcome.message(), **totals)


@contextmanager
def _run(
    engine: sa.Engine,
    kind: str,
    council: Council,
    as_of: dt.date,
    out: str | None,
    wait_seconds: float,
) -> Iterator[RunOutcome]:
    """A run that reads no sources: hold the warehouse, record its start and its end."""
    with exclusive_run(engine, wait_seconds):
        run_id = store.begin_run(engine, kind, council.settings.name, as_of)
        outcome = RunOutcome.begin(run_id, as_of, out or str(default_out()), pipeline.Batch(), {})
        with _recorded(engine, run_id, outcome, {}):
            yield outcome


def _reporting_period(label: str) -> tuple[int, ReportingPeriod]:
    parsed = parse_reporting_period(label)
    if parsed is None:
        raise ValueError(f"'{label}' is not a period such as 2019/20 Q2")
    return parsed


def period_range(start: str, end: str) -> list[tuple[int, ReportingPeriod]]:
    """Every quarter and half from ``start`` to ``end`` inclusive (labels as in SPEC §1)."""
    first, last = _reporting_period(start), _reporting_period(end)
    return [
        (fy, period)
        for fy in range(first[0], last[0] + 1)
        for period in REPORTING_PERIODS
        if (first[0], first[1].end_fm) <= (fy, period.end_fm) <= (last[0], last[1].end_fm)
        and period.period_type != "year"
    ]


@flow(name="boardpack-backfill", log_prints=True)
def backfill(
    config: str,
    start: str,
    end: str,
    warehouse: str | None = None,
    out: str | None = None,
    boards: list[str] | None = None,
    as_of: dt.date | None = None,
    wait_seconds: float = 0,
) -> RunOutcome:
    """Recompute the measures and republish the reports of a range of periods."""
    council = load_council(config)
    as_of = as_of or dt.date.today()
    wanted = {(fy, p.suffix) for fy, p in period_range(start, end)}
    engine = open_warehouse(warehouse_url(warehouse))
    with _run(engine, "backfill", council, as_of, out, wait_seconds) as outcome:
        step("Recomputing the measures")
        outcome.measures = recompute_only(engine, council, as_of)
        step(f"Republishing {len(wanted)} periods")
        outcome.reports = publish_reports(
            engine, council, Path(outcome.out), as_of, wanted, boards, outcome.run_id
        )
    _publish_artifacts(outcome)
    return outcome


@flow(name="boardpack-publish", log_prints=True)
def publish(
    config: str,
    board: str,
    period: str,
    warehouse: str | None = None,
    out: str | None = None,
    as_of: dt.date | None = None,
    wait_seconds: float = 0,
    final: bool = False,
    as_published: bool = False,
) -> RunOutcome:
    """Render one board's report for one period: from the warehouse as it stands (``final``
    marks it as formally published), or exactly as it was last published (``as_published``)."""
    council = load_council(config)
    as_of = as_of or dt.date.today()
    fy, reporting = _reporting_period(period)
    suffix = reporting.suffix
    engine = open_warehouse(warehouse_url(warehouse))
    with _run(engine, "publish", council, as_of, out, wait_seconds) as outcome:
        if as_published:
            outcome.reports = pipeline.republish_as_published(
                engine, council, Path(outcome.out), board, fy, suffix
            )
        else:
            outcome.reports = publish_reports(
                engine,
                council,
                Path(outcome.out),
                as_of,
                {(fy, suffix)},
                [board],
                outcome.run_id,
                final,
            )
    return outcome
