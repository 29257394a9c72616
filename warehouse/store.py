"""Loading into and reading from the warehouse. Frames in, frames out; bulk statements."""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import polars as pl
import sqlalchemy as sa

from core.columns import OBSERVATION_KEY
from warehouse.bulk import Inserts, insert_frame, select_frame
from warehouse.models import (
    Board,
    BoardService,
    BoardSummary,
    Indicator,
    LoadedFile,
    Measure,
    Milestone,
    Narrative,
    Observation,
    PublishedReport,
    Rejection,
    Risk,
    Run,
    State,
    Target,
    table_of,
)

OBSERVATION_FIELDS = (
    "indicator_code",
    "fy",
    "fm",
    "period",
    "value",
    "numerator",
    "denominator",
    "commentary",
    "source_id",
    "file",
    "content_hash",
    "row_number",
    "forecast",
)
# A new version of a figure is stored only when one of these differs from the current one.
_VERSIONED = ("value", "numerator", "denominator", "commentary", "forecast")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _insert(
    connection: sa.Connection, table: sa.Table, rows: pl.DataFrame | list[dict[str, Any]]
) -> None:
    """Bulk insert; columns the table lacks are left out."""
    frame = rows if isinstance(rows, pl.DataFrame) else pl.DataFrame(rows, infer_schema_length=None)
    insert_frame(connection, table, frame)


def _replace_keyed(
    connection: sa.Connection,
    table: sa.Table,
    rows: pl.DataFrame,
    key: list[str],
    among: sa.ColumnElement[bool] | None = None,
) -> None:
    """Insert ``rows``, first deleting those already stored under the same key (among the
    rows ``among`` selects, when given: one ``executemany`` DELETE, an upsert that works the
    same on SQLite and PostgreSQL). ``rows`` must not repeat a key: validation rejects
    every copy of a repeated one before the load."""
    if rows.is_empty():
        return
    matches = sa.and_(*(table.c[k] == sa.bindparam(f"key_{k}") for k in key))
    if among is not None:
        matches = sa.and_(matches, among)
    keys = rows.select([pl.col(k).alias(f"key_{k}") for k in key]).unique()
    connection.execute(sa.delete(table).where(matches), keys.to_dicts())
    _insert(connection, table, rows)


def begin_run(engine: sa.Engine, kind: str, council: str, as_of: dt.date) -> int:
    with engine.begin() as connection:
        result = connection.execute(
            sa.insert(table_of(Run)).returning(table_of(Run).c.id),
            {
                "kind": kind,
                "council": council,
                "as_of": as_of,
                "started_at": _now(),
                "status": "running",
            },
        )
        return int(result.scalar_one())


def finish_run(engine: sa.Engine, run_id: int, status: str, **counts: Any) -> None:
    with engine.begin() as connection:
        connection.execute(
            sa.update(table_of(Run)).where(table_of(Run).c.id == run_id),
            {"status": status, "finished_at": _now(), **counts},
        )


def replace_catalogue(
    connection: sa.Connection,
    indicators: pl.DataFrame,
    boards: list[dict[str, Any]],
    board_services: pl.DataFrame,
    targets: pl.DataFrame,
) -> None:
    """The configuration is the truth: indicators, boards and config targets are replaced
    (when they differ from what the last load stored: a nightly rewrites nothing)."""
    catalogue = _catalogue_digest(indicators, boards, board_services, targets)
    if get_state(connection, CATALOGUE) == catalogue:
        return
    for table in (BoardService, Board, Indicator):
        connection.execute(sa.delete(table_of(table)))
    connection.execute(sa.delete(table_of(Target)).where(table_of(Target).c.source_id == ""))
    _insert(connection, table_of(Indicator), indicators)
    _insert(connection, table_of(Board), boards)
    _insert(connection, table_of(BoardService), board_services)
    _insert(connection, table_of(Target), targets.with_columns(source_id=pl.lit("")))
    set_state(connection, CATALOGUE, catalogue)


# A fingerprint of the configuration the catalogue tables last stored.
CATALOGUE = "catalogue"


def _catalogue_digest(
    indicators: pl.DataFrame,
    boards: list[dict[str, Any]],
    board_services: pl.DataFrame,
    targets: pl.DataFrame,
) -> str:
    """The configuration's fingerprint, with the tables' columns (a migration that adds one
    stores the catalogue again)."""
    digest = hashlib.sha256()
    for frame in (indicators, pl.DataFrame(boards), board_services, targets):
        digest.update(frame.write_csv().encode())
    for model in (Indicator, Board, BoardService, Target):
        digest.update(repr([c.name for c in table_of(model).columns]).encode())
    return digest.hexdigest()


def load_targets(connection: sa.Connection, targets: pl.DataFrame) -> None:
    """Targets from a source replace the earlier targets of any source for the same
    indicator, year and period: the latest to arrive is the target (a restatement), as a
    figure's is; targets.csv's stay, beneath every source's."""
    table = table_of(Target)
    _replace_keyed(connection, table, targets, ["code", "fy", "period"], table.c.source_id != "")


def current_targets(connection: sa.Connection) -> pl.DataFrame:
    """One target per indicator, year and period: a source's over targets.csv's."""
    return (
        read_table(connection, Target)
        .sort("code", "fy", "period", "source_id")
        .unique(["code", "fy", "period"], keep="last", maintain_order=True)
        .select("code", pl.col("fy").cast(pl.Int32), "period", "target")
    )


def loaded_hashes(
    connection: sa.Connection, readings: dict[str, str] | None = None
) -> set[tuple[str, str]]:
    """(source, content hash) of the files a run may skip as loaded before. A file that had
    rows for periods after its run's as-of date is read again: those rows are due now; so
    is one read under another configuration than its source's ``readings`` digest now."""
    return {key for key, same in _loaded(connection, readings).items() if same}


def loaded_and_reread(
    connection: sa.Connection, readings: dict[str, str]
) -> tuple[set[tuple[str, str]], dict[str, int]]:
    """:func:`loaded_hashes`, and per source how many of its loaded files are read again
    because the configuration that decides how they are read has changed since (one query
    for both)."""
    loaded = _loaded(connection, readings)
    counts: dict[str, int] = {}
    for (source_id, _), same in loaded.items():
        if not same and source_id in readings:
            counts[source_id] = counts.get(source_id, 0) + 1
    return {key for key, same in loaded.items() if same}, counts


def _loaded(
    connection: sa.Connection, readings: dict[str, str] | None
) -> dict[tuple[str, str], bool]:
    """Each loaded (source, content hash) not waiting for its future rows, and whether it
    was read under the configuration now in force (a file recorded before the digest was
    kept is taken to have been: ``--force`` reads everything again)."""
    files, rejected = table_of(LoadedFile), table_of(Rejection)
    waiting = (
        sa.select(rejected.c.id)
        .where(rejected.c.run_id == files.c.run_id)
        .where(rejected.c.source_id == files.c.source_id)
        .where(rejected.c.file == files.c.file)
        .where(rejected.c.reason_code == "future_period")
        .exists()
    )
    query = sa.select(files.c.source_id, files.c.content_hash, files.c.reading).where(~waiting)
    return {
        (r.source_id, r.content_hash): (
            readings is None or r.reading is None or readings.get(r.source_id) == r.reading
        )
        for r in connection.execute(query)
    }


def record_files(connection: sa.Connection, run_id: int, files: list[dict[str, Any]]) -> None:
    """The files a run read, by content: two files of one source with the same bytes are
    one content (their rows were rejected as sent twice), recorded once."""
    if not files:
        return
    rows = (
        pl.DataFrame(files, infer_schema_length=None)
        .with_columns(run_id=pl.lit(run_id))
        .unique(["content_hash", "source_id"], keep="last", maintain_order=True)
    )
    _replace_keyed(connection, table_of(LoadedFile), rows, ["content_hash", "source_id"])


def record_rejections(connection: sa.Connection, run_id: int, rejections: pl.DataFrame) -> None:
    _insert(connection, table_of(Rejection), rejections.with_columns(run_id=pl.lit(run_id)))


_OBSERVATION_TYPES = {
    "indicator_code": pl.String,
    "fy": pl.Int32,
    "fm": pl.Int32,
    "period": pl.String,
    "value": pl.Float64,
    "numerator": pl.Float64,
    "denominator": pl.Float64,
    "commentary": pl.String,
    "source_id": pl.String,
    "file": pl.String,
    "content_hash": pl.String,
    "row_number": pl.Int64,
    "forecast": pl.Float64,
}


def current_observations(
    connection: sa.Connection,
    columns: Iterable[str] = OBSERVATION_FIELDS,
    codes: Sequence[str] | None = None,
    years: Iterable[int] | None = None,
    distinct: bool = False,
    commented: bool = False,
) -> pl.DataFrame:
    """The current version of every figure (only ``columns``, and only the indicators
    ``codes`` and financial ``years`` when given, to keep big reads small; ``distinct``:
    each combination of ``columns`` once, counted by the database; ``commented``: only
    the figures that came with commentary)."""
    table = table_of(Observation)
    wanted = list(columns)
    query = sa.select(*(table.c[name] for name in wanted)).where(table.c.is_current)
    if distinct:
        query = query.group_by(*(table.c[name] for name in wanted))
    if codes is not None:
        query = query.where(table.c.indicator_code.in_(codes))
    if years is not None:
        query = query.where(table.c.fy.in_(sorted(years)))
    if commented:
        query = query.where(table.c.commentary.is_not(None))
    return select_frame(connection, query, observation_schema(wanted))


def observation_schema(columns: Iterable[str]) -> dict[str, Any]:
    """The types of the observations' ``columns`` as frames hold them."""
    return {name: _OBSERVATION_TYPES[name] for name in columns}


def holds_figures(connection: sa.Connection) -> bool:
    """Whether the warehouse holds any figure, current or superseded."""
    table = table_of(Observation)
    return connection.execute(sa.select(table.c.id).limit(1)).first() is not None


# What each source has sent, as the returns page's coverage needs it, kept in the state
# table (thousands of rows however many millions of figures) and brought up to date by each
# load that changes figures: the months each source has current figures for, and the
# indicators (whose finest frequency sets the months a source owes).
SOURCE_MONTHS = "source_months"
_SOURCE_MONTHS_SCHEMA = pl.Schema({"source_id": pl.String, "fy": pl.Int32, "fm": pl.Int32})
SOURCE_INDICATORS = "source_indicators"
_SOURCE_INDICATORS_SCHEMA = pl.Schema({"source_id": pl.String, "indicator_code": pl.String})


def source_months(connection: sa.Connection) -> pl.DataFrame:
    """Each source's months with a current figure (``source_id, fy, fm``): as remembered
    by the last load, or counted afresh when nothing is remembered."""
    return _remembered(connection, SOURCE_MONTHS, _SOURCE_MONTHS_SCHEMA)


def source_indicators(connection: sa.Connection) -> pl.DataFrame:
    """Each source's indicators with a current figure (``source_id, indicator_code``): as
    remembered by the last load, or counted afresh when nothing is remembered."""
    return _remembered(connection, SOURCE_INDICATORS, _SOURCE_INDICATORS_SCHEMA)


def _remembered(connection: sa.Connection, key: str, schema: pl.Schema) -> pl.DataFrame:
    remembered = get_state(connection, key)
    if remembered is not None:
        return pl.DataFrame(json.loads(remembered), schema=schema, orient="row")
    return _counted(connection, schema)


def _remember(connection: sa.Connection, key: str, frame: pl.DataFrame) -> None:
    set_state(connection, key, json.dumps(frame.sort(frame.columns).rows()))


# What each source has sent is remembered as these columns' distinct combinations.
SOURCES_SENT = (_SOURCE_MONTHS_SCHEMA, _SOURCE_INDICATORS_SCHEMA)


def remember_what_sources_sent(
    connection: sa.Connection, counted: Callable[[pl.Schema], pl.DataFrame] | None = None
) -> None:
    """Count each source's months and indicators once after a load (in its transaction)
    when nothing is remembered, so that nightly runs with nothing new scan no figures.
    ``counted``, when given, gives each of :data:`SOURCES_SENT`'s distinct combinations
    among the current figures instead (a first load's, from the figures it stored)."""
    for key, schema in zip((SOURCE_MONTHS, SOURCE_INDICATORS), SOURCES_SENT, strict=True):
        if get_state(connection, key) is None:
            combinations = _counted(connection, schema) if counted is None else counted(schema)
            _remember(connection, key, combinations)


def _counted(
    connection: sa.Connection,
    schema: pl.Schema,
    codes: Sequence[str] | None = None,
    years: Iterable[int] | None = None,
) -> pl.DataFrame:
    """Each distinct combination of ``schema``'s columns among the current figures (of
    ``codes`` and ``years`` only, when given), counted by the database; ``codes`` are read a
    query's worth at a time, so only with ``indicator_code`` among the columns (no
    combination is then in two queries' answers)."""
    columns = list(schema)
    found = (
        [current_observations(connection, columns, None, years, distinct=True)]
        if codes is None
        else _current_in_chunks(connection, columns, codes, years, distinct=True)
    )
    return pl.concat([pl.DataFrame(schema=schema), *(f.cast(schema) for f in found)])


def _recount_source_months(connection: sa.Connection, months: pl.DataFrame) -> None:
    """After figures of ``months`` (``fy, fm``) changed, count those months again and keep
    the rest as remembered: whether a source has a month depends only on that month's
    current figures (a new month's file counts its own year, not every figure)."""
    if get_state(connection, SOURCE_MONTHS) is None:
        return  # counted whole after the load (remember_what_sources_sent)
    keep = source_months(connection).join(months, on=["fy", "fm"], how="anti")
    years = months["fy"].unique().to_list()
    counted = _counted(connection, _SOURCE_MONTHS_SCHEMA, years=years)
    recounted = counted.join(months, on=["fy", "fm"], how="semi")
    _remember(connection, SOURCE_MONTHS, pl.concat([keep, recounted]))


def _recount_source_indicators(
    connection: sa.Connection, sent: pl.DataFrame, restated: list[str]
) -> None:
    """After a load stored the figures ``sent`` (``source_id, indicator_code``), add their
    pairs, and count again those of the indicators ``restated``: only a restatement (by
    another source) can take an indicator from a source, so a new month's files read none."""
    if get_state(connection, SOURCE_INDICATORS) is None:
        return  # counted whole after the load (remember_what_sources_sent)
    again = pl.DataFrame({"indicator_code": restated}, schema={"indicator_code": pl.String})
    keep = source_indicators(connection).join(again, on="indicator_code", how="anti")
    recounted = _counted(connection, _SOURCE_INDICATORS_SCHEMA, codes=restated)
    both = pl.concat([keep, sent.select(list(_SOURCE_INDICATORS_SCHEMA)), recounted])
    _remember(connection, SOURCE_INDICATORS, both.unique())


def first_observed_year(connection: sa.Connection) -> int | None:
    """The earliest financial year with a current figure (None when there are none)."""
    table = table_of(Observation)
    query = sa.select(sa.func.min(table.c.fy)).where(table.c.is_current)
    year = connection.execute(query).scalar()
    return None if year is None else int(year)


# Which figures a load changed: one row per indicator, financial year and month.
CHANGED_SCHEMA = pl.Schema({"indicator_code": pl.String, "fy": pl.Int32, "fm": pl.Int32})
# The figures a file stored: which months changed, and who sent them.
_STORED_SCHEMA = pl.Schema([*CHANGED_SCHEMA.items(), ("source_id", pl.String)])


def load_observations(
    connection: sa.Connection,
    run_id: int,
    files: Iterable[pl.DataFrame],
    keep: Callable[[pl.DataFrame], None] | None = None,
    into_empty: bool = False,
) -> pl.DataFrame:
    """Store accepted figures, one file's frame at a time; a changed figure supersedes the
    current one, which is kept. No key may appear in two of the frames. ``keep``, when
    given, is handed each file's stored rows (every column of the observations).
    ``into_empty``: the warehouse holds no figures, so no file's has a current version (none
    is looked up: the earlier files' rows may be there, unindexed, on PostgreSQL).

    Returns the indicators and months that gained new versions (:data:`CHANGED_SCHEMA`;
    unchanged figures are not stored).
    """
    changed = [pl.DataFrame(schema=CHANGED_SCHEMA)]
    sent = [pl.DataFrame(schema=_SOURCE_INDICATORS_SCHEMA)]
    restated: set[str] = set()
    # The new versions are inserted together after the last file: keys are not shared
    # between files, so no file's restatements touch another's new rows.
    table = table_of(Observation)
    with Inserts(connection) as inserts:
        for accepted in files:
            if accepted.is_empty():
                continue
            current = _NO_CURRENT if into_empty else _current_of(connection, accepted)
            rows = store_versions(
                connection,
                run_id,
                table,
                accepted,
                current,
                OBSERVATION_FIELDS,
                _VERSIONED,
                inserts,
            )
            if keep is not None:
                keep(rows)
            stored = rows.select(list(_STORED_SCHEMA)).cast(_STORED_SCHEMA)
            changed.append(stored.select(list(CHANGED_SCHEMA)).unique())
            sent.append(stored.select(list(_SOURCE_INDICATORS_SCHEMA)).unique())
            restatements = stored.join(current, on=list(OBSERVATION_KEY), how="semi")
            restated.update(restatements["indicator_code"])
    # Unique already (no key is in two files): a unique or a sort of a first load's ten
    # million keys would double the load's memory.
    keys = pl.concat(changed)
    if not keys.is_empty():
        _recount_source_months(connection, keys.select("fy", "fm").unique())
        _recount_source_indicators(connection, pl.concat(sent), sorted(restated))
    return keys


# Indicators named in one query (well under SQLite's limit on bound values).
CODES_PER_QUERY = 4_000
# The current versions a file's figures may restate, when there are none.
_NO_CURRENT = pl.DataFrame(schema=observation_schema([*OBSERVATION_KEY, *_VERSIONED]))


def _current_of(connection: sa.Connection, accepted: pl.DataFrame) -> pl.DataFrame:
    """The current versions of the figures ``accepted`` may restate: its indicators' in its
    financial years, found through the index (a month's file reads a month's neighbours,
    not every figure the warehouse holds)."""
    codes = accepted["indicator_code"].unique().sort().to_list()
    years = accepted["fy"].unique().to_list()
    columns = [*OBSERVATION_KEY, *_VERSIONED]
    return pl.concat(_current_in_chunks(connection, columns, codes, years))


def _current_in_chunks(
    connection: sa.Connection,
    columns: list[str],
    codes: Sequence[str],
    years: Iterable[int] | None,
    distinct: bool = False,
) -> list[pl.DataFrame]:
    """:func:`current_observations` of ``codes``, a query's worth of indicators at a time,
    each query through the index (see :func:`through_the_index`)."""
    with through_the_index(connection):
        return [
            current_observations(connection, columns, chunk, years, distinct=distinct)
            for chunk in _chunks(codes)
        ]


@contextmanager
def indexed_after(connection: sa.Connection, model: type[Any], empty: bool) -> Iterator[None]:
    """When ``empty`` (the table holds no rows: a first load), the table's indexes are
    dropped for the block and built again after it, in the caller's transaction: building an
    index once over ten million figures took SQLite 3.8 s, keeping it up to date as they
    were inserted 15.6 s. On PostgreSQL its foreign keys are too: added back, each is
    checked with one query over the rows, not a query a row (a third of `COPY`'s time).
    Other connections see the table as it was, empty, indexed and constrained, until the
    transaction commits (PostgreSQL has them wait for the commit)."""
    if not empty:
        yield
        return
    table = table_of(model)
    indexes = sorted(table.indexes, key=lambda index: str(index.name))
    keys = _plain_foreign_keys(connection, table)
    for index in indexes:
        index.drop(connection)
    name = connection.dialect.identifier_preparer.format_table(table)
    quote = connection.dialect.identifier_preparer.quote
    for key in keys:
        connection.exec_driver_sql(f"ALTER TABLE {name} DROP CONSTRAINT {quote(key['name'])}")
    yield
    for index in indexes:
        index.create(connection)
    for key in keys:
        columns = ", ".join(quote(c) for c in key["constrained_columns"])
        referred = ", ".join(quote(c) for c in key["referred_columns"])
        connection.exec_driver_sql(
            f"ALTER TABLE {name} ADD CONSTRAINT {quote(key['name'])} FOREIGN KEY ({columns}) "
            f"REFERENCES {quote(key['referred_table'])} ({referred})"
        )


def _plain_foreign_keys(connection: sa.Connection, table: sa.Table) -> list[dict[str, Any]]:
    """A PostgreSQL table's named foreign keys with no options (ON DELETE and the like),
    which can be added back as they were; none elsewhere (SQLite cannot drop one)."""
    if connection.dialect.name != "postgresql":
        return []
    keys = sa.inspect(connection).get_foreign_keys(table.name)
    return [dict(key) for key in keys if key["name"] and not key.get("options")]


@contextmanager
def through_the_index(connection: sa.Connection) -> Iterator[None]:
    """Statements inside find their rows through an index rather than read the whole table,
    on PostgreSQL as SQLite does, for reads of a few thousand indicators' figures. Inside a
    load the planner cannot tell how few rows those are: the table grows in the transaction
    with no statistics, and an IN list of thousands of codes looks like a large share of it.
    So it read every figure loaded so far once for each file's current versions (in a first
    load, none: 12 s of a 10^7 load), and every figure once for each slice of indicators the
    measures are computed from (21 slices at 10^7, each 5% of the figures); the restated
    indicators' sources are counted again the same way. The setting is
    the transaction's, put back after the block; not after an error, which the callers let
    end the transaction (a failed statement has aborted it: it could not be put back), and
    the setting with it."""
    if connection.dialect.name != "postgresql":
        yield
        return
    planner = "SELECT set_config('enable_seqscan', %s, true)"
    before = connection.exec_driver_sql("SELECT current_setting('enable_seqscan')").scalar_one()
    connection.exec_driver_sql(planner, ("off",))
    yield
    connection.exec_driver_sql(planner, (before,))


def _chunks(codes: Sequence[str]) -> Iterator[Sequence[str]]:
    """``codes`` a query's worth at a time."""
    return (codes[i : i + CODES_PER_QUERY] for i in range(0, len(codes), CODES_PER_QUERY))


def store_versions(
    connection: sa.Connection,
    run_id: int,
    table: sa.Table,
    accepted: pl.DataFrame,
    current: pl.DataFrame,
    fields: Iterable[str],
    versioned: tuple[str, ...],
    inserts: Inserts | None = None,
) -> pl.DataFrame:
    """Store the rows of ``accepted`` that are new or differ from ``current`` in a
    ``versioned`` column; a changed row supersedes the current version, which is kept.
    ``current`` holds the key columns and the versioned ones; the new rows go in through
    ``inserts`` when given (else at once). Returns the rows stored."""
    key = [c for c in current.columns if c not in versioned]
    changed = accepted.select(list(fields))
    if not current.is_empty():  # else every row is new (a first load's): nothing to compare
        joined = changed.join(
            current.with_columns(existed=pl.lit(True)), on=key, how="left", suffix="_old"
        )
        same = pl.all_horizontal([pl.col(c).eq_missing(pl.col(f"{c}_old")) for c in versioned])
        changed = joined.filter(~(pl.col("existed").fill_null(False) & same))
        restated = changed.filter(pl.col("existed"))
        if not restated.is_empty():
            supersede(connection, run_id, table, restated.select(key))
    new_rows = changed.select(list(fields)).with_columns(
        run_id=pl.lit(run_id), is_current=pl.lit(True)
    )
    if inserts is None:
        _insert(connection, table, new_rows)
    else:
        inserts.add(table, new_rows)
    return new_rows


def supersede(connection: sa.Connection, run_id: int, table: sa.Table, keys: pl.DataFrame) -> None:
    """Mark the current versions of the rows ``keys`` names as superseded by ``run_id``: the
    keys copied in bulk to a temporary table, then one statement (not one per restated
    figure) that looks each key up in the table's index."""
    staged = sa.Table(
        f"boardpack_superseded_{table.name}",
        sa.MetaData(),
        *(sa.Column(k, table.c[k].type, primary_key=True) for k in keys.columns),
        prefixes=["TEMPORARY"],
    )
    staged.create(connection)
    try:
        insert_frame(connection, staged, keys)
        if connection.dialect.name != "sqlite":
            connection.exec_driver_sql(f"ANALYZE {staged.name}")  # the planner's row count
        connection.execute(_superseding(connection, table, staged), {"superseding_run": run_id})
    finally:
        staged.drop(connection)


def _superseding(connection: sa.Connection, table: sa.Table, staged: sa.Table) -> sa.Executable:
    key = [column.name for column in staged.columns]
    matches = [table.c[k] == staged.c[k] for k in key]
    values = {"is_current": False, "superseded_by_run": sa.bindparam("superseding_run")}
    if connection.dialect.name != "sqlite":
        return sa.update(table).where(table.c.is_current, *matches).values(values)
    # SQLite, without statistics, would scan the whole table's index and probe the keys;
    # CROSS JOIN makes it walk the keys and probe the index (a few rows, not millions).
    name = connection.dialect.identifier_preparer.format_table(table)
    on = " AND ".join(f"o.{k} = k.{k}" for k in key)
    return sa.text(
        f"UPDATE {name} SET is_current = 0, superseded_by_run = :superseding_run WHERE id IN "
        f"(SELECT o.id FROM {staged.name} AS k CROSS JOIN {name} AS o ON {on} "
        "WHERE o.is_current)"
    )


def replace_register(
    connection: sa.Connection,
    model: type[Milestone] | type[Risk] | type[Narrative],
    run_id: int,
    rows: pl.DataFrame,
) -> None:
    """Milestones, risks and narrative: a source's latest return of an entry (a ref, or a
    service's heading, for a quarter: the table's primary key) replaces its earlier one
    (another source's same entry is another entry)."""
    if rows.is_empty():
        return
    table = table_of(model)
    key = [column.name for column in table.primary_key.columns]
    _replace_keyed(connection, table, rows.with_columns(run_id=pl.lit(run_id)), key)


def clear_measures(connection: sa.Connection) -> None:
    """Measures and summaries are derived: each compute replaces them whole."""
    connection.execute(sa.delete(table_of(Measure)))
    connection.execute(sa.delete(table_of(BoardSummary)))


def insert_measures(inserts: Inserts, measures: pl.DataFrame) -> None:
    inserts.add(table_of(Measure), measures)


def delete_measures(connection: sa.Connection, codes: Sequence[str], years: Sequence[int]) -> int:
    """Delete the measures of indicators ``codes`` in financial ``years`` (to be computed
    again); how many there were."""
    table = table_of(Measure)
    deleted = connection.execute(
        sa.delete(table).where(table.c.indicator_code.in_(codes), table.c.fy.in_(years))
    )
    return int(deleted.rowcount)


def measures_of(
    connection: sa.Connection, codes: Sequence[str], years: Sequence[int], columns: list[str]
) -> list[pl.DataFrame]:
    """The stored measures (only ``columns``) of indicators ``codes`` in financial
    ``years``, a query's worth of indicators at a time, each through the index."""
    with through_the_index(connection):
        return [
            read_table(
                connection, Measure, years=years, columns=columns, among={"indicator_code": chunk}
            )
            for chunk in _chunks(codes)
        ]


def insert_summaries(connection: sa.Connection, summaries: pl.DataFrame) -> None:
    _insert(connection, table_of(BoardSummary), summaries)


def replace_summaries(
    connection: sa.Connection, years: Sequence[int], summaries: pl.DataFrame
) -> None:
    """The board summaries of financial ``years``, replaced by ``summaries``."""
    table = table_of(BoardSummary)
    connection.execute(sa.delete(table).where(table.c.fy.in_(years)))
    insert_summaries(connection, summaries)


def read_table(
    connection: sa.Connection,
    model: type[Any],
    order_by: Iterable[str] = (),
    years: Iterable[int] | None = None,
    columns: Iterable[str] | None = None,
    among: Mapping[str, Iterable[Any]] | None = None,
) -> pl.DataFrame:
    """A table as a frame, typed from the model's columns (only the rows of financial
    ``years``, when given, for tables with an ``fy`` column; only ``columns``, when given;
    only the rows whose columns named in ``among`` hold one of its values)."""
    table: sa.Table = table_of(model)
    types = {
        sa.Integer: pl.Int64,
        sa.SmallInteger: pl.Int64,
        sa.BigInteger: pl.Int64,
        sa.Float: pl.Float64,
        sa.Boolean: pl.Boolean,
        sa.Date: pl.Date,
        sa.DateTime: pl.Datetime("us", "UTC"),
    }

    def dtype(column: sa.Column[Any]) -> Any:
        for sql_type, polars_type in types.items():
            if isinstance(column.type, sql_type):
                return polars_type
        return pl.String

    shown = list(table.columns) if columns is None else [table.c[c] for c in columns]
    query = sa.select(*shown).order_by(*(table.c[c] for c in order_by))
    wanted = dict(among or {}) | ({} if years is None else {"fy": years})
    for name, values in wanted.items():
        query = query.where(table.c[name].in_(sorted(values)))
    return select_frame(connection, query, {c.name: dtype(c) for c in shown})


def get_state(connection: sa.Connection, key: str) -> str | None:
    table = table_of(State)
    return connection.execute(sa.select(table.c.value).where(table.c.key == key)).scalar()


def set_state(connection: sa.Connection, key: str, value: str) -> None:
    forget_state(connection, key)
    connection.execute(sa.insert(table_of(State)), {"key": key, "value": value})


def forget_state(connection: sa.Connection, key: str) -> None:
    table = table_of(State)
    connection.execute(sa.delete(table).where(table.c.key == key))


def latest_snapshots(
    connection: sa.Connection, final_only: bool = False, with_text: bool = True
) -> pl.DataFrame:
    """The newest snapshot of each board and period (the newest final one, if asked);
    ``with_text=False`` leaves out the snapshots themselves when only hashes are wanted."""
    table = table_of(PublishedReport)
    schema = {
        "id": pl.Int64,
        "board_id": pl.String,
        "fy": pl.Int32,
        "period_suffix": pl.String,
        "content_hash": pl.String,
        "final": pl.Boolean,
    } | ({"snapshot": pl.String} if with_text else {})
    query = sa.select(*(table.c[name] for name in schema))
    if final_only:
        query = query.where(table.c.final)
    frame = select_frame(connection, query, schema)
    return frame.sort("id").unique(["board_id", "fy", "period_suffix"], keep="last").sort("id")


# Report snapshots inserted at a time: a national council's 2,083 reports' snapshots held
# at once, with their frame, were a new month's peak memory (a few hundred MB of JSON).
SNAPSHOTS_PER_INSERT = 100


def record_snapshots(
    connection: sa.Connection, run_id: int, snapshots: Iterable[dict[str, Any]], final: bool
) -> None:
    """Keep each rendered report whose content changed, and every one marked final
    (``snapshots`` are taken a hundred at a time, so may be made as they are asked for)."""
    latest = latest_snapshots(connection, with_text=False)
    known = {
        (r["board_id"], r["fy"], r["period_suffix"]): r["content_hash"]
        for r in latest.iter_rows(named=True)
    }
    fresh = (
        {**s, "run_id": run_id, "final": final}
        for s in snapshots
        if final or known.get((s["board_id"], s["fy"], s["period_suffix"])) != s["content_hash"]
    )
    while chunk := list(itertools.islice(fresh, SNAPSHOTS_PER_INSERT)):
        _insert(connection, table_of(PublishedReport), chunk)
