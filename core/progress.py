"""Progress for people: what a run is doing, with counts on its long steps.

Any layer calls :func:`step` and :func:`counted`; they always log (the "boardpack" logger,
which the Prefect flows pass to the run's log). At a terminal the command line also shows
them as a progress bar with counts (rich); elsewhere nothing is drawn.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

logger = logging.getLogger("boardpack")
T = TypeVar("T")
_bar: tuple[Progress, TaskID] | None = None


def step(message: str) -> None:
    """The run has moved on to ``message``."""
    logger.info(message)
    if _bar is not None:
        progress, main = _bar
        progress.update(main, description=message)


def waiting(message: str) -> None:
    """The run is held up (``message`` says by what): a warning, so the command line shows it
    even without a log handler set up (Python's last-resort handler prints warnings), and on
    the bar."""
    logger.warning(message)
    if _bar is not None:
        progress, main = _bar
        progress.update(main, description=message)


def counted(items: Iterable[T], total: int, description: str) -> Iterator[T]:
    """``items`` as they are worked through, counted against ``total`` on the bar."""
    logger.info("%s: %d", description, total)
    if _bar is None:
        yield from items
        return
    progress, _ = _bar
    task = progress.add_task(description, total=total, count=f"0/{total}")
    try:
        for done, item in enumerate(items, start=1):
            yield item
            progress.update(task, completed=done, count=f"{done}/{total}")
    finally:
        progress.remove_task(task)


@contextmanager
def on_terminal(first: str) -> Iterator[None]:
    """Show the run's steps and counts while the block runs (only at a terminal)."""
    global _bar
    if not sys.stderr.isatty():
        yield
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    # "12/66" on counted steps; nothing on the line that names the current step.
    count = TextColumn("{task.fields[count]}")
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), count)
    with Progress(
        *columns, TimeElapsedColumn(), console=Console(stderr=True), transient=True
    ) as progress:
        _bar = (progress, progress.add_task(first, total=None, count=""))
        try:
            yield
        finally:
            _bar = None
