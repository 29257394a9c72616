"""Progress for people at a terminal: one status line that follows the run's steps.

Flows call :func:`step`; it always logs, and when the command line runs at a terminal it
also updates a spinner on standard error. Under a Prefect worker or in CI it only logs.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

logger = logging.getLogger("boardpack")
_show: Callable[[str], None] | None = None


def step(message: str) -> None:
    logger.info(message)
    if _show is not None:
        _show(message)


@contextmanager
def on_terminal(first: str) -> Iterator[None]:
    """Show a spinner with the current step while the block runs (only at a terminal)."""
    global _show
    if not sys.stderr.isatty():
        yield
        return
    from rich.console import Console

    with Console(stderr=True).status(first) as status:
        _show = status.update
        try:
            yield
        finally:
            _show = None
