"""Connections to departmental databases that cannot hang a run: a connect timeout and a
statement timeout on every SQL source, and a SQLite file that is only ever read.

PostgreSQL gets libpq's ``connect_timeout`` (which covers a server that accepts the
connection and then says nothing) and a server-side ``statement_timeout``; SQLite is
opened read-only (a missing file is "file not found", never an empty new database) with
a deadline checked while the query runs. Other databases get SQLAlchemy's defaults.
"""

from __future__ import annotations

import math
import sqlite3
import time
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from core.settings import SqlTimeouts

if TYPE_CHECKING:
    import sqlalchemy as sa

# How many SQLite virtual-machine steps pass between looks at the clock.
_SQLITE_CHECK_EVERY = 10_000


class SqlUnavailable(Exception):
    """The database could not be reached or did not answer in time; the text says which."""


def source_engine(url: str | sa.URL, timeouts: SqlTimeouts) -> sa.Engine:
    """An engine for one query against a source's database, with its timeouts."""
    import sqlalchemy as sa  # only for database sources: slow to import

    parsed = sa.make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite" and parsed.database and parsed.database != ":memory:":
        return _sqlite_read_only(Path(parsed.database), timeouts)
    if backend == "postgresql":
        connect_args = {
            "connect_timeout": max(2, math.ceil(timeouts.connect)),  # libpq's least is 2 s
            "options": f"-c statement_timeout={round(timeouts.statement * 1000)}",
        }
        return sa.create_engine(url, connect_args=connect_args, poolclass=sa.pool.NullPool)
    return sa.create_engine(url, poolclass=sa.pool.NullPool)


def _sqlite_read_only(path: Path, timeouts: SqlTimeouts) -> sa.Engine:
    import sqlalchemy as sa

    if not path.is_file():
        raise SqlUnavailable(f"file not found: {path}")
    location = f"file:{quote(str(path.resolve()))}?mode=ro"

    def opened() -> sqlite3.Connection:
        connection = sqlite3.connect(location, uri=True, timeout=timeouts.connect)
        deadline = time.monotonic() + timeouts.statement
        # A non-zero answer interrupts the query ("interrupted"); see statement_timed_out.
        connection.set_progress_handler(
            lambda: int(time.monotonic() > deadline), _SQLITE_CHECK_EVERY
        )
        return connection

    return sa.create_engine("sqlite://", creator=opened, poolclass=sa.pool.NullPool)


def timeout_message(message: str, timeouts: SqlTimeouts) -> str:
    """The driver's words for a timeout, with the setting that caused it named."""
    lowered = message.lower()
    if lowered.endswith(") interrupted") or "statement timeout" in lowered:
        return (
            f"the query did not finish within its statement timeout of "
            f"{timeouts.statement:g} s (timeout: statement in council.yaml)"
        )
    if "timeout expired" in lowered or "timed out" in lowered:
        return (
            f"the database did not answer within the connect timeout of "
            f"{timeouts.connect:g} s (timeout: connect in council.yaml)"
        )
    return message
