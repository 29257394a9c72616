"""Bulk movement of polars frames in and out of the warehouse.

PostgreSQL: ``COPY … FROM STDIN`` / ``COPY (…) TO STDOUT`` in CSV through psycopg, inside
the caller's transaction. SQLite: the driver's ``executemany`` with plain tuples, in
chunks. No ORM objects and no per-row statements on the hot path.
"""

from __future__ import annotations

import io
from typing import Any

import polars as pl
import sqlalchemy as sa

CHUNK = 100_000


def _is_postgres(connection: sa.Connection) -> bool:
    return connection.dialect.name == "postgresql"


def _as_text_dates(frame: pl.DataFrame) -> pl.DataFrame:
    dates = [c for c, t in frame.schema.items() if t == pl.Date]
    return frame.with_columns(pl.col(dates).dt.to_string("%Y-%m-%d")) if dates else frame


def insert_frame(connection: sa.Connection, table: sa.Table, frame: pl.DataFrame) -> None:
    """Insert every row of ``frame`` (its columns named as the table's) into ``table``."""
    if frame.is_empty():
        return
    columns = [c.name for c in table.columns if c.name in frame.columns]
    frame = _as_text_dates(frame.select(columns))
    quoted = ", ".join(connection.dialect.identifier_preparer.quote(c) for c in columns)
    name = connection.dialect.identifier_preparer.format_table(table)
    driver = connection.connection.driver_connection
    if _is_postgres(connection):
        with driver.cursor() as cursor:  # type: ignore[union-attr]
            statement = f"COPY {name} ({quoted}) FROM STDIN WITH (FORMAT csv)"
            with cursor.copy(statement) as copy:
                for offset in range(0, frame.height, CHUNK):
                    copy.write(frame.slice(offset, CHUNK).write_csv(include_header=False))
        return
    if connection.dialect.name == "sqlite":
        statement = f"INSERT INTO {name} ({quoted}) VALUES ({', '.join('?' * len(columns))})"
        cursor = driver.cursor()  # type: ignore[union-attr]
        for offset in range(0, frame.height, CHUNK):
            cursor.executemany(statement, frame.slice(offset, CHUNK).iter_rows())
        cursor.close()
        return
    connection.execute(sa.insert(table), frame.to_dicts())


def select_frame(
    connection: sa.Connection, query: sa.Select[Any], schema: dict[str, Any]
) -> pl.DataFrame:
    """The rows of ``query`` as a frame with ``schema`` (names in the query's order)."""
    if _is_postgres(connection):
        sql = str(query.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
        buffer = io.BytesIO()
        driver = connection.connection.driver_connection
        statement = f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)"
        with driver.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[union-attr]
            for block in copy:
                buffer.write(block)
        if buffer.tell() == 0:
            return pl.DataFrame(schema=schema)
        return (
            pl.read_csv(
                buffer.getvalue(),
                has_header=False,
                new_columns=list(schema),
                schema_overrides=_csv_types(schema),
            )
            .with_columns(_booleans(schema))
            .select([pl.col(name).cast(dtype) for name, dtype in schema.items()])
        )
    result = connection.execute(query)
    chunks = []
    while rows := result.fetchmany(CHUNK):
        chunks.append(pl.DataFrame([tuple(r) for r in rows], schema=schema, orient="row"))
    return pl.concat(chunks) if chunks else pl.DataFrame(schema=schema)


def _csv_types(schema: dict[str, Any]) -> dict[str, Any]:
    """CSV from COPY writes booleans as t/f: read them as text, convert after."""
    return {name: (pl.String if dtype == pl.Boolean else dtype) for name, dtype in schema.items()}


def _booleans(schema: dict[str, Any]) -> list[pl.Expr]:
    return [pl.col(name) == "t" for name, dtype in schema.items() if dtype == pl.Boolean]
