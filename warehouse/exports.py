"""``boardpack export``: warehouse tables as CSV (SPEC §6 columns and order)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import polars as pl
import sqlalchemy as sa

from core.columns import REJECTION_COLUMNS, SOURCE_FAILURE
from core.spreadsheet import safe_csv
from warehouse import benchmarks, returns, signoffs, store
from warehouse.bulk import select_frame
from warehouse.models import BoardSummary, LoadedFile, Measure, Rejection, Run, table_of

MEASURE_EXPORT = (
    "indicator_code",
    "period",
    "period_type",
    "financial_year",
    "period_value",
    "ytd_value",
    "ytd_target",
    "previous_ytd_value",
    "months_expected",
    "months_present",
    "rag",
    "direction",
    "forecast_value",
)
SUMMARY_EXPORT = (
    "board_id",
    "period",
    "green",
    "amber",
    "red",
    "no_target",
    "no_data",
    "incomplete",
    "green_pct",
    "amber_pct",
    "red_pct",
)
REJECTION_EXPORT = ("source_id", "file", "row_number", "column", "reason_code", "message")
# ``export rejections --detail``: after SPEC §6's six, the offending value, and which run
# rejected it when (issue 22). Not by default: the SPEC's columns are a contract.
REJECTION_DETAIL = ("value", "run_id", "rejected_at")
RUN_EXPORT = (
    "run_id",
    "kind",
    "status",
    "started_at",
    "finished_at",
    "as_of",
    "rows_read",
    "rows_loaded",
    "rows_rejected",
    "files_skipped",
    "message",
)
BENCHMARK_EXPORT = (
    "indicator_code",
    "group_id",
    "period",
    "value",
    "median",
    "rank",
    "areas",
    "quartile",
)
_PERIOD_ORDER = {"quarter": 0, "half": 1, "year": 2}


def measures(connection: sa.Connection) -> pl.DataFrame:
    frame = store.read_table(connection, Measure)
    # Q1, Q2, H1, Q3, Q4, H2, year: the order a performance officer reads them in.
    order = pl.col("period_type").replace_strict(_PERIOD_ORDER, return_dtype=pl.Int32)
    return frame.sort(["indicator_code", "fy", "end_quarter", order]).select(MEASURE_EXPORT)


def summary(connection: sa.Connection) -> pl.DataFrame:
    return (
        store.read_table(connection, BoardSummary).sort("board_id", "period").select(SUMMARY_EXPORT)
    )


def standing_rejections(connection: sa.Connection) -> pl.DataFrame:
    """Every rejection that still stands: those of the latest run that read each file (an
    unchanged file skipped since keeps its rejections; one read again replaces them), with
    the rejected cell's ``value``, its run and when that run started. The data-quality page
    and ``export rejections`` both show these."""
    files, rejections, runs = table_of(LoadedFile), table_of(Rejection), table_of(Run)
    processed = sa.union_all(
        sa.select(files.c.source_id, files.c.file, files.c.run_id),
        sa.select(rejections.c.source_id, rejections.c.file, rejections.c.run_id),
    ).subquery()
    latest = (
        sa.select(
            processed.c.source_id, processed.c.file, sa.func.max(processed.c.run_id).label("run_id")
        )
        .group_by(processed.c.source_id, processed.c.file)
        .subquery()
    )
    # A whole source's failure is superseded by any later run that read the source (its
    # files then have their own names, never the failure's).
    read_since = (
        sa.select(processed.c.source_id, sa.func.max(processed.c.run_id).label("last_read"))
        .group_by(processed.c.source_id)
        .subquery()
    )
    kept = [rejections.c[name] for name in _STANDING]
    query = (
        sa.select(*kept, runs.c.started_at, read_since.c.last_read)
        .join(
            latest,
            (latest.c.source_id == rejections.c.source_id)
            & (latest.c.file == rejections.c.file)
            & (latest.c.run_id == rejections.c.run_id),
        )
        .join(read_since, read_since.c.source_id == rejections.c.source_id)
        .join(runs, runs.c.id == rejections.c.run_id)
        .order_by(rejections.c.id)
    )
    types = {**_STANDING, "rejected_at": pl.Datetime("us", "UTC"), "last_read": pl.Int64}
    failure = pl.col("row_number").is_null() & pl.col("message").str.starts_with(SOURCE_FAILURE)
    return (
        select_frame(connection, query, types)
        .filter(~failure | (pl.col("run_id") >= pl.col("last_read")))
        .with_columns(pl.col("rejected_at").dt.strftime(_SECONDS))
        .sort("source_id", "file", "row_number", nulls_last=False, maintain_order=True)
        .select(
            *REJECTION_EXPORT[:4],
            "value",
            *REJECTION_EXPORT[4:],
            "indicator_code",
            "run_id",
            "rejected_at",
        )
    )


# A standing rejection as stored, with the run that made it.
_STANDING = {**REJECTION_COLUMNS, "run_id": pl.Int64}
_SECONDS = "%Y-%m-%d %H:%M:%S"  # times in UTC to the second


def run_history(connection: sa.Connection) -> pl.DataFrame:
    """Every run, oldest first: what it was, how it ended, its counts and its as-of date
    (times in UTC to the second)."""
    return (
        store.read_table(connection, Run, ["id"])
        .rename({"id": "run_id"})
        .with_columns(pl.col("started_at", "finished_at").dt.strftime(_SECONDS))
        .select(RUN_EXPORT)
    )


def current_rejections(connection: sa.Connection, detail: bool = False) -> pl.DataFrame:
    """``export rejections``: the rejections that still stand, in the SPEC's columns; with
    ``detail``, each one's value, run and time too."""
    return standing_rejections(connection).select(
        *REJECTION_EXPORT, *(REJECTION_DETAIL if detail else ())
    )


def benchmark_positions(connection: sa.Connection) -> pl.DataFrame:
    """The council's position per indicator, comparator group and benchmark period."""
    return benchmarks.stored_results(connection).select(BENCHMARK_EXPORT)


RETURN_EXPORT = (
    "source_id",
    "department",
    "period",
    "period_end",
    "due_date",
    "status",
    "first_received",
    "first_file",
    "latest_received",
    "latest_file",
    "rows_loaded",
    "rows_rejected",
    "contact",
    "contact_email",
    "as_of",
)


def returns_register(connection: sa.Connection) -> pl.DataFrame:
    """The returns register as the last nightly judged it (status at its ``as_of``)."""
    return returns.stored_register(connection).select(RETURN_EXPORT)


def signoff_decisions(connection: sa.Connection) -> pl.DataFrame:
    """Every sign-off decision, oldest first, with the digest of the figures it covered."""
    return signoffs.signoffs(connection).select(signoffs.SIGNOFF_COLUMNS)


def export_csv(engine: sa.Engine, table: str, detail: bool = False) -> str:
    """A table as CSV; ``detail`` adds the rejections' value, run and time."""
    readers: dict[str, Callable[[sa.Connection], pl.DataFrame]] = {
        "measures": measures,
        "summary": summary,
        "rejections": partial(current_rejections, detail=detail),
        "benchmarks": benchmark_positions,
        "returns": returns_register,
        "signoffs": signoff_decisions,
        "runs": run_history,
    }
    with engine.connect() as connection:
        return safe_csv(readers[table](connection))
