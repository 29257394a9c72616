"""Warehouse location and schema upgrades through Alembic."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.util.exc import CommandError

from core.database_urls import database_url, masked_url, without_password
from core.environment import WAREHOUSE_VARIABLE
from core.errors import RunFailed, UsageError
from warehouse.bulk import detach_scratch

MIGRATIONS = Path(__file__).parent / "migrations"
URL_VARIABLE = WAREHOUSE_VARIABLE
DEFAULT_FILE = Path("var") / "warehouse.sqlite"


def warehouse_url(explicit: str | None = None) -> str:
    """``--warehouse``, else ``$BOARDPACK_WAREHOUSE_URL``, else a SQLite file under ./var."""
    if explicit:
        return explicit
    if os.environ.get(URL_VARIABLE):
        return os.environ[URL_VARIABLE]
    DEFAULT_FILE.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{DEFAULT_FILE}"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    written = database_url(url).render_as_string(hide_password=False)
    config.set_main_option("sqlalchemy.url", written.replace("%", "%%"))
    return config


def shown(url: str | sa.URL) -> str:
    """A database URL fit to print: never its password, not even in part."""
    return masked_url(url)


def connect(url: str, create: bool = True) -> sa.Engine:
    """An engine on an up-to-date schema. Only ``create`` (the nightly run) may make a new
    warehouse; other commands on a missing one are a usage error, not an empty answer."""
    try:
        engine = sa.create_engine(database_url(url))
    except (sa.exc.ArgumentError, ValueError, ImportError) as error:
        problem = without_password(str(error), url)
        raise UsageError(f"--warehouse: {shown(url)} is not a database URL ({problem})") from None
    if engine.dialect.name == "sqlite":
        _sqlite_file_ready(engine, create)
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        sa.event.listen(engine, "begin", _sqlite_begin)
        sa.event.listen(engine, "checkin", _sqlite_checkin)
    try:
        with engine.begin() as connection:
            if not create and not sa.inspect(connection).has_table("alembic_version"):
                raise UsageError(
                    f"{shown(url)} holds no boardpack warehouse: 'boardpack run' creates one"
                )
            config = alembic_config(url)
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    except CommandError as error:  # a revision this version does not know: a newer boardpack?
        problem = without_password(str(error), url)
        raise RunFailed(f"the warehouse {shown(url)} cannot be used: {problem}") from None
    except sa.exc.SQLAlchemyError as error:
        problem = without_password(driver_message(error), url)
        raise RunFailed(f"the warehouse {shown(url)} cannot be used: {problem}") from None
    return engine


@contextmanager
def opened(url: str, create: bool = True) -> Iterator[sa.Engine]:
    """:func:`connect` for the length of a run: its connections are closed at the end."""
    engine = connect(url, create)
    try:
        yield engine
    finally:
        engine.dispose()


def _sqlite_file_ready(engine: sa.Engine, create: bool) -> None:
    database = engine.url.database
    if not database or database == ":memory:":
        return
    path = Path(database)
    if create:
        path.parent.mkdir(parents=True, exist_ok=True)
    elif not path.is_file():
        raise UsageError(f"there is no warehouse at {path}: 'boardpack run' creates one")


def driver_message(error: BaseException) -> str:
    """The driver's own first line, without SQLAlchemy's background link."""
    original = getattr(error, "orig", None) or error
    lines = str(original).strip().splitlines()
    return " ".join(lines[0].split()) if lines else type(original).__name__


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()
    # Python's sqlite3 commits before each CREATE TABLE on its own: a run killed while it
    # created a new warehouse left half a schema. SQLAlchemy's recipe: the driver does no
    # transaction handling, and every transaction (DDL included) is one BEGIN ... COMMIT.
    dbapi_connection.isolation_level = None  # type: ignore[attr-defined]


def _sqlite_begin(connection: sa.Connection) -> None:
    connection.exec_driver_sql("BEGIN")


def _sqlite_checkin(dbapi_connection: object, record: sa.pool.ConnectionPoolEntry) -> None:
    # A bulk load's scratch databases stay attached until its transaction ends.
    if dbapi_connection is not None:
        detach_scratch(dbapi_connection, record.info)
