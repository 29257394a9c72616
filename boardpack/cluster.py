"""A run's steps on a Dask cluster: each source read, and the pages rendered, on any of its
workers; the load and the writing of files stay with the run (``boardpack run --cluster``).

Under Prefect the same work is done by tasks on prefect-dask's ``DaskTaskRunner``
(``flows/nightly.py``); this module serves the command line, which never needs a Prefect
server.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypeVar

from boardpack.steps import DIRECT, Skip, Steps, gathered, read_source
from core.errors import RunFailed
from core.settings import Council
from outputs.publish import publish, publish_after_load
from schemas.ingest import Batch

if TYPE_CHECKING:
    from distributed import Client

# Chunks of pages in flight per worker: enough to keep every worker busy while the run
# writes the finished ones, few enough that a 60,000-page run never holds them all.
AHEAD_PER_WORKER = 2
CONNECT_TIMEOUT = "20s"

In = TypeVar("In")
Out = TypeVar("Out")
Out_co = TypeVar("Out_co", covariant=True)


@contextmanager
def connected(address: str) -> Iterator[Client]:
    """A client of the Dask scheduler at ``address`` (e.g. tcp://10.0.0.5:8786)."""
    from distributed import Client

    try:
        client = Client(address, timeout=CONNECT_TIMEOUT, set_as_default=False)  # type: ignore[no-untyped-call]
    except (OSError, TimeoutError) as error:
        raise RunFailed(f"the Dask cluster at {address} could not be reached: {error}") from None
    with client:
        yield client


def cluster_steps(client: Client) -> Steps:
    """The run's steps with sources read and pages rendered on the cluster's workers."""
    mapper = partial(on_client, client)
    return dataclasses.replace(
        DIRECT,
        read_sources=partial(read_sources_on, client),
        publish_after_load=partial(publish_after_load, mapper=mapper),
        publish=partial(publish, mapper=mapper),
    )


def read_sources_on(
    client: Client, council: Council, as_of: dt.date, skip: Skip, staging: Path
) -> tuple[Batch, dict[str, str]]:
    """Every source at once, each on a worker (with its retries there); one that fails
    fails alone, as when run in one process."""
    submitted = [
        (s, client.submit(read_source, council, s, as_of, skip, staging, pure=False))
        for s in council.settings.sources
    ]
    return gathered(council, ((s, future.result) for s, future in submitted))


def on_client(client: Client, function: Callable[[In], Out], items: Iterable[In]) -> Iterator[Out]:
    """``function`` over ``items`` on the cluster's workers, results in order."""
    threads: dict[str, int] = client.nthreads()  # type: ignore[no-untyped-call]
    ahead = max(1, sum(threads.values())) * AHEAD_PER_WORKER
    return in_order(partial(client.submit, function, pure=False), items, ahead)


class Pending(Protocol[Out_co]):
    def result(self) -> Out_co: ...


def in_order(
    submit: Callable[[In], Pending[Out]], items: Iterable[In], ahead: int
) -> Iterator[Out]:
    """Each item submitted, its result yielded in order, at most ``ahead`` results waiting
    (finished pages are written while the workers render the next)."""
    window: deque[Pending[Out]] = deque()
    for item in items:
        window.append(submit(item))
        if len(window) > ahead:
            yield window.popleft().result()
    while window:
        yield window.popleft().result()
