"""Warehouse location and schema upgrades through Alembic: the one place that knows a
warehouse's URL, its lock and its migrations.

Only commands that write (run, backfill, publish, ``db upgrade``) upgrade the schema, and
they do it holding the run lock (:func:`held`); commands that only read (export, validate,
template, ``db status``) refuse a schema that is not current and change nothing.
"""

from __future__ import annotations

import ast
import datetime as dt
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

from core.database_urls import database_url, masked_url, without_password
from core.environment import WAREHOUSE_VARIABLE
from core.errors import RunFailed, UsageError
from warehouse.bulk import detach_scratch, note_transaction_begun
from warehouse.lock import exclusive_run

MIGRATIONS = Path(__file__).parent / "migrations"
URL_VARIABLE = WAREHOUSE_VARIABLE
DEFAULT_FILE = Path("var") / "warehouse.sqlite"

if TYPE_CHECKING:
    from alembic.config import Config


class SchemaOutdated(RunFailed):
    """The warehouse's schema is older than this boardpack's and this command only reads
    (exit 3, like any warehouse that cannot be used as it stands)."""


def warehouse_url(explicit: str | None = None) -> str:
    """``--warehouse``, else ``$BOARDPACK_WAREHOUSE_URL``, else a SQLite file under ./var."""
    if explicit:
        return explicit
    if os.environ.get(URL_VARIABLE):
        return os.environ[URL_VARIABLE]
    DEFAULT_FILE.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{DEFAULT_FILE}"


def alembic_config(url: str) -> Config:
    from alembic.config import Config  # only to upgrade: alembic is slow to import

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    written = database_url(url).render_as_string(hide_password=False)
    config.set_main_option("sqlalchemy.url", written.replace("%", "%%"))
    return config


def shown(url: str | sa.URL) -> str:
    """A database URL fit to print: never its password, not even in part."""
    return masked_url(url)


def engine_for(url: str, create: bool = True) -> sa.Engine:
    """An engine on the warehouse as it stands (no upgrade). Only ``create`` (the nightly
    run, tests) may make a new SQLite file; otherwise a missing one is a usage error."""
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
    return engine


@dataclass(frozen=True)
class SchemaStatus:
    """Where a warehouse's schema stands against this boardpack's migrations."""

    current: str | None  # None: no boardpack schema yet
    head: str
    pending: tuple[str, ...]  # the revisions an upgrade would apply, oldest first

    @property
    def up_to_date(self) -> bool:
        return not self.pending

    def lines(self) -> list[str]:
        pending = ", ".join(self.pending) if self.pending else "none"
        return [
            f"current revision: {self.current or '(none: no boardpack warehouse yet)'}",
            f"head revision: {self.head}",
            f"pending: {pending}",
        ]


@cache
def _revisions() -> dict[str, tuple[str, ...]]:
    """Each migration's revision and those it follows, read from the files' own
    ``revision`` / ``down_revision`` lines (parsed, not imported: commands that only read
    check the schema without importing Alembic, which takes longer than the rest)."""
    chain: dict[str, tuple[str, ...]] = {}
    for path in sorted((MIGRATIONS / "versions").glob("*.py")):
        found: dict[str, object] = {}
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target = node.targets[0]
                if isinstance(target, ast.Name) and target.id in ("revision", "down_revision"):
                    found[target.id] = ast.literal_eval(node.value)
        down = found.get("down_revision")
        parents = tuple(down) if isinstance(down, tuple | list) else (down,) if down else ()
        chain[str(found["revision"])] = tuple(str(p) for p in parents)
    return chain


def _ancestry(revision: str, chain: dict[str, tuple[str, ...]]) -> set[str]:
    """``revision`` and every revision it follows."""
    seen: set[str] = set()
    waiting = [revision]
    while waiting:
        current = waiting.pop()
        if current not in seen:
            seen.add(current)
            waiting.extend(chain.get(current, ()))
    return seen


def _current_revision(engine: sa.Engine) -> str | None:
    with engine.connect() as connection:
        if not sa.inspect(connection).has_table("alembic_version"):
            return None
        return connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def schema_status(engine: sa.Engine) -> SchemaStatus:
    """The warehouse's revision, this boardpack's head and what lies between."""
    chain = _revisions()
    followed = {parent for parents in chain.values() for parent in parents}
    heads = sorted(set(chain) - followed)
    head = heads[-1] if len(heads) == 1 else "+".join(heads)
    try:
        current = _current_revision(engine)
    except sa.exc.SQLAlchemyError as error:
        raise RunFailed(
            f"the warehouse {shown(engine.url)} cannot be used: "
            f"{without_password(driver_message(error), engine.url)}"
        ) from None
    if current is not None and current not in chain:  # a newer boardpack's revision
        raise RunFailed(
            f"the warehouse {shown(engine.url)} cannot be used: it is at schema revision "
            f"{current}, which this boardpack (head {head}) does not know (a newer "
            "boardpack's?): use the boardpack that upgraded it"
        )
    done = _ancestry(current, chain) if current else set()
    wanted = set().union(*(_ancestry(h, chain) for h in heads)) if heads else set()
    pending = sorted(wanted - done, key=lambda r: len(_ancestry(r, chain)))
    return SchemaStatus(current, head, tuple(pending))


def require_current(engine: sa.Engine) -> None:
    """For commands that only read: a warehouse at this boardpack's schema, else one line
    saying what to run. Nothing is changed."""
    status = schema_status(engine)
    if status.current is None:
        raise UsageError(
            f"{shown(engine.url)} holds no boardpack warehouse: 'boardpack run' creates one"
        )
    if not status.up_to_date:
        raise SchemaOutdated(
            f"the warehouse {shown(engine.url)} is at schema revision {status.current} and this "
            f"boardpack needs {status.head}: run 'boardpack db upgrade' with the same "
            "--warehouse (add --backup for a copy of a SQLite file first)"
        )


def upgrade(engine: sa.Engine) -> SchemaStatus:
    """Apply the pending migrations in one transaction; call it holding the run lock.
    Returns the status before the upgrade."""
    before = schema_status(engine)
    if before.up_to_date:
        return before
    from alembic import command
    from alembic.util.exc import CommandError

    try:
        with engine.begin() as connection:
            config = alembic_config(engine.url.render_as_string(hide_password=False))
            config.attributes["connection"] = connection
            command.upgrade(config, "heads")
    except CommandError as error:
        problem = without_password(str(error), engine.url)
        raise RunFailed(f"the warehouse {shown(engine.url)} cannot be used: {problem}") from None
    except sa.exc.SQLAlchemyError as error:
        raise RunFailed(
            f"the warehouse {shown(engine.url)} cannot be upgraded: "
            f"{without_password(driver_message(error), engine.url)}"
        ) from None
    return before


def connect(url: str, create: bool = True) -> sa.Engine:
    """An engine on an up-to-date schema. ``create`` (tests, benchmarks, tools that write)
    makes or upgrades the warehouse, holding the run lock while it upgrades; otherwise
    (commands that only read) a missing or older warehouse is refused, unchanged."""
    engine = engine_for(url, create)
    if not create:
        require_current(engine)
    elif not schema_status(engine).up_to_date:
        with exclusive_run(engine, prepare=upgrade):
            pass
    return engine


@contextmanager
def opened(url: str, create: bool = True) -> Iterator[sa.Engine]:
    """:func:`connect` for the length of a run: its connections are closed at the end."""
    engine = connect(url, create)
    try:
        yield engine
    finally:
        engine.dispose()


@contextmanager
def held(
    url: str, create: bool = True, wait_seconds: float = 0, wait_hint: str = "--wait SECONDS"
) -> Iterator[sa.Engine]:
    """A warehouse held for one writing run: opened, locked (waiting up to
    ``wait_seconds``), upgraded to this boardpack's schema under the lock, then released."""
    engine = engine_for(url, create)
    entered = False
    try:
        if not create:
            _has_warehouse(engine)
        with exclusive_run(engine, wait_seconds, wait_hint, prepare=upgrade):
            entered = True
            yield engine
    except sa.exc.SQLAlchemyError as error:
        if entered:  # the run's own failure: its caller says what it was doing
            raise
        problem = without_password(driver_message(error), engine.url)
        raise RunFailed(f"the warehouse {shown(engine.url)} cannot be used: {problem}") from None
    finally:
        engine.dispose()


@dataclass(frozen=True)
class Upgraded:
    """What ``boardpack db upgrade`` did."""

    before: SchemaStatus
    backup: Path | None


def upgrade_warehouse(url: str, backup: bool = False, wait_seconds: float = 0) -> Upgraded:
    """``boardpack db upgrade``: hold the warehouse, copy a SQLite file beside it if asked
    (only when there is something to apply), then apply the pending migrations."""
    engine = engine_for(url, create=False)
    done: list[Upgraded] = []

    def backed_up_then_upgraded(held_engine: sa.Engine) -> None:
        status = schema_status(held_engine)
        copy = None
        if backup and not status.up_to_date:
            copy = backup_sqlite(held_engine, status.current)
        upgrade(held_engine)
        done.append(Upgraded(status, copy))

    try:
        if backup and engine.dialect.name != "sqlite":
            backup_sqlite(engine, None)  # refuses, naming the database's own tools
        _has_warehouse(engine)
        with exclusive_run(engine, wait_seconds, "--wait SECONDS", backed_up_then_upgraded):
            pass
    finally:
        engine.dispose()
    return done[0]


def _has_warehouse(engine: sa.Engine) -> None:
    if schema_status(engine).current is None:
        raise UsageError(
            f"{shown(engine.url)} holds no boardpack warehouse: 'boardpack run' creates one"
        )


def backup_sqlite(engine: sa.Engine, revision: str | None) -> Path:
    """A consistent copy of a SQLite warehouse beside it (SQLite's online backup), named
    after the revision it holds and the time; call it holding the run lock."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        raise UsageError(
            f"--backup copies a SQLite warehouse file; back up {shown(engine.url)} with the "
            "database's own tools (pg_dump) first, then run 'boardpack db upgrade' without it"
        )
    source = Path(database)
    stamp = dt.datetime.now().strftime("%Y%m%dT%H%M%S")
    copy = source.with_name(f"{source.name}.{revision or 'new'}-{stamp}.backup")
    with sqlite3.connect(source) as live, sqlite3.connect(copy) as kept:
        live.backup(kept)
    live.close()
    kept.close()
    return copy


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
    note_transaction_begun(connection)


def _sqlite_checkin(dbapi_connection: object, record: sa.pool.ConnectionPoolEntry) -> None:
    # A bulk load's scratch databases stay attached until its transaction ends.
    if dbapi_connection is not None:
        detach_scratch(dbapi_connection, record.info)
