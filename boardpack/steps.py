"""How a run's steps are carried out: directly, with retries (the command line), or as
Prefect tasks (``flows/nightly.py`` builds its own :class:`Steps`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from tenacity import Retrying, stop_after_attempt, wait_chain, wait_fixed, wait_none

from core.progress import counted
from core.settings import Council, Source
from outputs.publish import publish, publish_after_load
from schemas.ingest import Batch, ingest_source, merge, source_failure
from warehouse.load import LoadResult, load_and_compute, recompute

Skip = frozenset[tuple[str, str]]
# The database can blip: loading and computing are tried three times, 2 s then 10 s apart
# (a source's tries are its own, ``retries`` in council.yaml).
RETRY_DELAYS: tuple[float, ...] = (2, 10)


def read_source(
    council: Council, source: Source, as_of: dt.date, skip: Skip, staging: Path
) -> Batch:
    """One source's files, tried again after a failure (a database that is down, say) as
    often as its ``retries`` say."""
    delays = source.retries.delays()
    waits = wait_chain(*(wait_fixed(d) for d in delays)) if delays else wait_none()
    retrying = Retrying(stop=stop_after_attempt(source.retries.attempts), wait=waits, reraise=True)
    return retrying(ingest_source, council, source, as_of, staging, skip)


def read_sources(
    council: Council, as_of: dt.date, skip: Skip, staging: Path
) -> tuple[Batch, dict[str, str]]:
    """Every source in turn; one that still fails after its retries fails alone (SPEC §6)."""
    reads = (
        (source, partial(read_source, council, source, as_of, skip, staging))
        for source in council.settings.sources
    )
    return gathered(council, reads)


def gathered(
    council: Council, reads: Iterable[tuple[Source, Callable[[], Batch]]]
) -> tuple[Batch, dict[str, str]]:
    """Each source's batch (``read`` returns it, or raises the failure that outlived its
    retries), merged in the configuration's order; the failed sources with their reasons."""
    batches, failed = [], {}
    for source, read in counted(reads, len(council.settings.sources), "Sources"):
        try:
            batches.append(read())
        except Exception as error:  # any failure of one source must not stop the others
            failed[source.id] = one_line(error)
            batches.append(source_failure(source, failed[source.id]))
    return merge(batches), failed


def one_line(error: BaseException | str) -> str:
    """An exception (or a message) as one line of text, for messages and the runs table."""
    text = " ".join(str(error).split())
    return text[:500] if text else type(error).__name__


@dataclass(frozen=True)
class Steps:
    """How a run's steps are carried out: directly (here), or as Prefect tasks (flows)."""

    read_sources: Callable[[Council, dt.date, Skip, Path], tuple[Batch, dict[str, str]]]
    load_and_compute: Callable[[sa.Engine, int, Council, Batch, dt.date], LoadResult]
    recompute: Callable[[sa.Engine, Council, dt.date], int]
    publish_after_load: Callable[..., list[dict[str, Any]]]
    publish: Callable[..., list[dict[str, Any]]]
    wait_hint: str = "--wait SECONDS"  # how the caller asks to wait for a busy warehouse


def recompute_all(engine: sa.Engine, council: Council, as_of: dt.date) -> int:
    with engine.begin() as connection:
        return recompute(connection, council, as_of)


DIRECT = Steps(read_sources, load_and_compute, recompute_all, publish_after_load, publish)
