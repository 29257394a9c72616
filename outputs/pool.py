"""The render pool: a process per core for work that is pure Python (great-tables building
tables, WeasyPrint laying out pages), each process ending with the run that started it."""

from __future__ import annotations

import gc
import multiprocessing
import multiprocessing.connection
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from typing import TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

POLARS_THREADS_VARIABLE = "POLARS_MAX_THREADS"


def in_processes(
    function: Callable[[Item], Result], items: Iterable[Item], workers: int
) -> Iterator[Result]:
    """``function`` of each of ``items``, in order, over ``workers`` processes started with
    "spawn" (forking a process that has started polars' threads can deadlock); in this process
    when fewer than two are wanted or it may not have children (a daemonic process: a Dask
    worker running a whole council's nightly)."""
    if workers < 2 or multiprocessing.current_process().daemon:
        yield from map(function, items)
        return
    context = multiprocessing.get_context("spawn")
    with (
        one_polars_thread_each(),
        ProcessPoolExecutor(
            workers, mp_context=context, initializer=start_worker, initargs=(function,)
        ) as pool,
    ):
        yield from pool.map(function, items, chunksize=4)


# A worker's collections of cyclic garbage: the first generation's at this many new objects
# (Python's default, 700, ran one every few table cells), the older ones' as Python does.
COLLECT_AFTER = 20_000


def start_worker(function: Callable[..., object]) -> None:
    """Run first in each worker, given the work it is for (unpickling it imported its
    modules): the worker ends with the run (:func:`end_with_the_run`), and the collector
    leaves those modules' objects alone. A page makes a few hundred thousand short-lived
    objects; each collection of the oldest generation walked every object the libraries
    made at import as well, and collections took a tenth of a page's rendering."""
    del function  # only needed unpickled, for its imports
    end_with_the_run()
    gc.freeze()
    gc.set_threshold(COLLECT_AFTER, *gc.get_threshold()[1:])


@contextmanager
def one_polars_thread_each() -> Iterator[None]:
    """Processes started meanwhile (the render pool's) give polars one thread each: the pool
    is a process per core already, and a page's queries are of a few dozen rows, where
    handing each to a pool of threads costs more than the query (on busy cores a page took
    40% longer). Polars sizes its threads once, at import, from the environment it is started
    with; this process's own are as they were."""
    before = os.environ.get(POLARS_THREADS_VARIABLE)
    os.environ[POLARS_THREADS_VARIABLE] = "1"
    try:
        yield
    finally:
        if before is None:
            del os.environ[POLARS_THREADS_VARIABLE]
        else:
            os.environ[POLARS_THREADS_VARIABLE] = before


def end_with_the_run() -> None:
    """Run first in each worker: end it as soon as the process that started it has ended,
    however it ended. A run that is killed (a scheduler's time limit, an operator's kill -9)
    cannot stop its workers, and a worker handing back a page, or waiting for the next, waits
    on pipes that the pool's other workers also hold open: it would wait for ever, holding
    its memory."""
    parent = multiprocessing.parent_process()
    if parent is None:  # not started by multiprocessing: nothing to watch
        return
    sentinel = parent.sentinel
    threading.Thread(target=_exit_when_ready, args=(sentinel,), daemon=True).start()


def _exit_when_ready(sentinel: int) -> None:
    multiprocessing.connection.wait([sentinel])
    os._exit(1)  # at once: the run that wanted this worker's pages is gone
