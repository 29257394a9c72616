"""``boardpack export``: warehouse tables as CSV (SPEC §6 columns and order)."""

from __future__ import annotations

import polars as pl
import sqlalchemy as sa

from core.columns import SOURCE_FAILURE
from core.spreadsheet import safe_csv
from warehouse import benchmarks, store
from warehouse.models import BoardSummary, LoadedFile, Measure, Rejection

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
)
SUMMARY_EXPORT = (
    "board_id",
    "period",
    "green",
    "amber",
    "red",
    "no_target",
    "no_data",
    "green_pct",
    "amber_pct",
    "red_pct",
)
REJECTION_EXPORT = ("source_id", "file", "row_number", "column", "reason_code", "message")
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
    the rejected cell's ``value``. The data-quality page and ``export rejections`` both
    show these."""
    rejections = store.read_table(connection, Rejection, ["id"])
    processed = pl.concat(
        [
            store.read_table(connection, LoadedFile).select("source_id", "file", "run_id"),
            rejections.select("source_id", "file", "run_id"),
        ]
    )
    latest = processed.group_by("source_id", "file").agg(pl.col("run_id").max())
    # A whole source's failure is superseded by any later run that read the source (its
    # files then have their own names, never the failure's).
    read_since = processed.group_by("source_id").agg(pl.col("run_id").max().alias("last_read"))
    failure = pl.col("row_number").is_null() & pl.col("message").str.starts_with(SOURCE_FAILURE)
    return (
        rejections.join(latest, on=["source_id", "file", "run_id"], how="semi")
        .join(read_since, on="source_id", how="left")
        .filter(~failure | (pl.col("run_id") >= pl.col("last_read")))
        .sort("source_id", "file", "row_number", nulls_last=False, maintain_order=True)
        .select(*REJECTION_EXPORT[:4], "value", *REJECTION_EXPORT[4:])
    )


def current_rejections(connection: sa.Connection) -> pl.DataFrame:
    """``export rejections``: the rejections that still stand, in the SPEC's columns."""
    return standing_rejections(connection).select(REJECTION_EXPORT)


def benchmark_positions(connection: sa.Connection) -> pl.DataFrame:
    """The council's position per indicator, comparator group and benchmark period."""
    return benchmarks.stored_results(connection).select(BENCHMARK_EXPORT)


def export_csv(engine: sa.Engine, table: str) -> str:
    readers = {
        "measures": measures,
        "summary": summary,
        "rejections": current_rejections,
        "benchmarks": benchmark_positions,
    }
    with engine.connect() as connection:
        return safe_csv(readers[table](connection))
