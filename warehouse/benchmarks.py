"""Benchmark figures in the warehouse (SPEC §7): every version kept with its lineage, a
restatement retiring the figure it replaces; the council's positions derived from them."""

from __future__ import annotations

import polars as pl
import sqlalchemy as sa

from core.columns import BENCHMARK_KEY
from core.settings import Council
from transforms.benchmarks import BENCHMARK_RESULTS, compute_benchmarks
from warehouse.bulk import insert_frame, select_frame
from warehouse.models import BenchmarkResult, BenchmarkValue, table_of
from warehouse.store import store_versions

BENCHMARK_FIELDS = {
    "indicator_code": pl.String,
    "area_code": pl.String,
    "area_name": pl.String,
    "fy": pl.Int32,
    "fm": pl.Int32,
    "period": pl.String,
    "value": pl.Float64,
    "source_id": pl.String,
    "file": pl.String,
    "content_hash": pl.String,
    "row_number": pl.Int64,
}
_VERSIONED = ("value", "area_name")


def current_values(connection: sa.Connection, columns: list[str] | None = None) -> pl.DataFrame:
    """The current version of every area's figure."""
    table = table_of(BenchmarkValue)
    wanted = columns or list(BENCHMARK_FIELDS)
    query = sa.select(*(table.c[name] for name in wanted)).where(table.c.is_current)
    return select_frame(connection, query, {name: BENCHMARK_FIELDS[name] for name in wanted})


def load_values(connection: sa.Connection, run_id: int, accepted: pl.DataFrame) -> int:
    """Store a run's accepted figures (no key twice); a changed figure supersedes the
    current one, which is kept. Returns how many new versions were stored."""
    if accepted.is_empty():
        return 0
    current = current_values(connection, [*BENCHMARK_KEY, *_VERSIONED])
    table = table_of(BenchmarkValue)
    stored = store_versions(
        connection, run_id, table, accepted, current, BENCHMARK_FIELDS, _VERSIONED
    )
    return stored.height


def refresh_results(connection: sa.Connection, council: Council) -> pl.DataFrame:
    """Recompute the council's positions from the current figures and store them whole."""
    results = compute_benchmarks(
        current_values(connection, ["indicator_code", "area_code", "fy", "fm", "value"]),
        council.comparators,
        council.indicators,
        council.settings.area_code,
        council.settings.year_start_month,
    )
    connection.execute(sa.delete(table_of(BenchmarkResult)))
    insert_frame(connection, table_of(BenchmarkResult), results)
    return results


def stored_results(connection: sa.Connection) -> pl.DataFrame:
    """The stored positions, in ``BENCHMARK_RESULTS`` order of columns."""
    table = table_of(BenchmarkResult)
    query = sa.select(*(table.c[name] for name in BENCHMARK_RESULTS)).order_by(
        table.c.indicator_code, table.c.group_id, table.c.fy, table.c.fm
    )
    return select_frame(connection, query, BENCHMARK_RESULTS)
