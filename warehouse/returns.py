"""The returns register in the warehouse: rebuilt after each nightly from the figures every
run loaded (all versions are kept, so a restatement or a backfill loses no receipt)."""

from __future__ import annotations

import datetime as dt

import polars as pl
import sqlalchemy as sa

from core.settings import Council
from transforms.returns import REGISTER_COLUMNS, register_frame, source_register
from warehouse import store
from warehouse.bulk import select_frame
from warehouse.models import Observation, Rejection, ReturnRecord, Run, table_of

DELIVERY_COLUMNS = {
    "source_id": pl.String,
    "fy": pl.Int64,
    "fm": pl.Int64,
    "file": pl.String,
    "run_id": pl.Int64,
    "received": pl.Date,
    "rows": pl.Int64,
}


def deliveries(connection: sa.Connection, source_ids: list[str]) -> pl.DataFrame:
    """Every load of figures from these sources: per month, file and run, its row count,
    the run's as-of date and how many rows that file had rejected."""
    observations, runs = table_of(Observation), table_of(Run)
    load = [observations.c[name] for name in ("source_id", "fy", "fm", "file", "run_id")]
    query = (
        sa.select(*load, runs.c.as_of, sa.func.count())
        .join(runs, runs.c.id == observations.c.run_id)
        .where(observations.c.source_id.in_(source_ids))
        .group_by(*load, runs.c.as_of)
    )
    loads = select_frame(connection, query, DELIVERY_COLUMNS)
    # The rejections themselves (stored with the load), not the file's record of them, which
    # a run killed before its end leaves unwritten.
    rejections = table_of(Rejection)
    rejected = select_frame(
        connection,
        sa.select(rejections.c.source_id, rejections.c.file, rejections.c.run_id, sa.func.count())
        .where(rejections.c.source_id.in_(source_ids))
        .group_by(rejections.c.source_id, rejections.c.file, rejections.c.run_id),
        {"source_id": pl.String, "file": pl.String, "run_id": pl.Int64, "rejected": pl.Int64},
    )
    return loads.join(rejected, on=["source_id", "file", "run_id"], how="left").with_columns(
        pl.col("rejected").fill_null(0)
    )


def first_run_date(connection: sa.Connection) -> dt.date | None:
    runs = table_of(Run)
    found = connection.execute(sa.select(sa.func.min(runs.c.as_of))).scalar()
    if isinstance(found, str):  # SQLite hands back text
        return dt.date.fromisoformat(found)
    return found if isinstance(found, dt.date) else None


def build_register(connection: sa.Connection, council: Council, as_of: dt.date) -> pl.DataFrame:
    """The register as it stands at ``as_of`` (only sources with a ``due``)."""
    owed = [s for s in council.settings.sources if s.due is not None]
    if not owed:
        return register_frame([])
    loads = deliveries(connection, [s.id for s in owed])
    since = first_run_date(connection) or as_of
    rows = []
    for source in owed:
        mine = loads.filter(pl.col("source_id") == source.id)
        rows += source_register(source, mine, as_of, since, council.settings.year_start_month)
    return register_frame(rows)


def refresh_register(engine: sa.Engine, council: Council, as_of: dt.date) -> pl.DataFrame:
    """Rebuild the stored register at ``as_of``; returns it."""
    with engine.begin() as connection:
        register = build_register(connection, council, as_of)
        connection.execute(sa.delete(table_of(ReturnRecord)))
        if not register.is_empty():
            connection.execute(sa.insert(table_of(ReturnRecord)), register.to_dicts())
    return register


def stored_register(connection: sa.Connection) -> pl.DataFrame:
    frame = store.read_table(connection, ReturnRecord)
    return frame.select(list(REGISTER_COLUMNS)).sort("source_id", "fy", "first_fm")
