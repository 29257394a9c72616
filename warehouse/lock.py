"""One run at a time per warehouse.

PostgreSQL: a session advisory lock; SQLite: an exclusive ``flock`` on a file beside the
database. Both are released by the server or the operating system if the process dies, so
a killed run never leaves the warehouse locked.
"""

from __future__ import annotations

import fcntl
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import sqlalchemy as sa

from core.database_urls import masked_url
from core.errors import BoardpackError
from core.progress import waiting
from warehouse.models import Run, table_of

# Any constant will do; this one spells "boardpak" in ASCII.
_ADVISORY_KEY = 0x626F617264706B


class WarehouseBusy(BoardpackError):
    """Another run holds the warehouse."""


def _holder(engine: sa.Engine) -> str:
    """The run holding the warehouse, as the runs table has it."""
    try:
        with engine.connect() as connection:
            table = table_of(Run)
            row = connection.execute(
                sa.select(table.c.id, table.c.kind, table.c.started_at)
                .where(table.c.status == "running")
                .order_by(table.c.id.desc())
                .limit(1)
            ).first()
    except sa.exc.SQLAlchemyError:
        row = None  # the message is still right without the detail
    if row is None:
        return "another boardpack run"
    return f"run {row.id} ({row.kind}, started {row.started_at:%Y-%m-%d %H:%M:%S})"


def _busy(engine: sa.Engine, waited: float, wait_hint: str) -> WarehouseBusy:
    after = f" after waiting {waited:.0f} s" if waited else ""
    return WarehouseBusy(
        f"the warehouse {masked_url(engine.url)} is busy: "
        f"{_holder(engine)} is using it{after}; try again when it finishes, or wait longer "
        f"({wait_hint})"
    )


# A run waiting for the warehouse says so this often (the run's log under Prefect, the
# terminal on the command line), so a long wait is never mistaken for a hang.
PROGRESS_SECONDS = 60.0


def _poll(engine: sa.Engine, try_once: Callable[[], bool], wait_seconds: float) -> float | None:
    """Call ``try_once`` until it returns True; the seconds waited, or None on timeout."""
    started = time.monotonic()
    next_report = started + PROGRESS_SECONDS
    while True:
        if try_once():
            return time.monotonic() - started
        now = time.monotonic()
        if now - started >= wait_seconds:
            return None
        if now >= next_report:
            waiting(
                f"Waiting for the warehouse: {_holder(engine)} is using it "
                f"({now - started:.0f} s of up to {wait_seconds:.0f} s)"
            )
            next_report = now + PROGRESS_SECONDS
        time.sleep(min(1.0, max(wait_seconds / 20, 0.05)))


@contextmanager
def exclusive_run(
    engine: sa.Engine,
    wait_seconds: float = 0.0,
    wait_hint: str = "--wait SECONDS",
    prepare: Callable[[sa.Engine], object] | None = None,
) -> Iterator[None]:
    """Hold the warehouse for one run; wait up to ``wait_seconds``, then refuse (``wait_hint``
    says how the caller asks to wait longer). ``prepare`` (the schema upgrade) runs first
    once the warehouse is held, before the runs a killed process left are marked."""
    if engine.dialect.name == "postgresql":
        with _advisory_lock(engine, wait_seconds, wait_hint):
            _held(engine, prepare)
            yield
        return
    database = engine.url.database
    if engine.dialect.name == "sqlite" and database and database != ":memory:":
        with _file_lock(engine, Path(f"{database}.lock"), wait_seconds, wait_hint):
            _held(engine, prepare)
            yield
        return
    if prepare is not None:  # an in-memory database: nothing else can reach it
        prepare(engine)
    yield


def _held(engine: sa.Engine, prepare: Callable[[sa.Engine], object] | None) -> None:
    if prepare is not None:
        prepare(engine)
    _mark_interrupted(engine)


@contextmanager
def _advisory_lock(engine: sa.Engine, wait_seconds: float, wait_hint: str) -> Iterator[None]:
    connection = engine.connect()
    try:

        def attempt() -> bool:
            acquired = connection.execute(sa.select(sa.func.pg_try_advisory_lock(_ADVISORY_KEY)))
            connection.commit()
            return bool(acquired.scalar())

        if _poll(engine, attempt, wait_seconds) is None:
            raise _busy(engine, wait_seconds, wait_hint)
        try:
            yield
        finally:
            connection.execute(sa.select(sa.func.pg_advisory_unlock(_ADVISORY_KEY)))
            connection.commit()
    finally:
        connection.close()


@contextmanager
def _file_lock(
    engine: sa.Engine, path: Path, wait_seconds: float, wait_hint: str
) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle: IO[bytes] = path.open("ab")
    try:

        def attempt() -> bool:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
            return True

        if _poll(engine, attempt, wait_seconds) is None:
            raise _busy(engine, wait_seconds, wait_hint)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
    finally:
        handle.close()


def _mark_interrupted(engine: sa.Engine) -> None:
    """Runs still 'running' when the lock is free were killed: say so in the runs table."""
    table = table_of(Run)
    with engine.begin() as connection:
        connection.execute(
            sa.update(table)
            .where(table.c.status == "running")
            .values(status="interrupted", message="the run stopped before it finished")
        )
