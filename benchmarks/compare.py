"""Check that two implementations give the same measures (numbers to 1e-9, labels exactly)."""

from __future__ import annotations

import polars as pl

KEYS = ["indicator_code", "fy", "period_type", "period_number"]
NUMBERS = ["period_value", "ytd_value", "ytd_target", "previous_ytd_value"]
EXACT = ["months_expected", "months_present", "rag", "direction"]


def differences(ours: pl.DataFrame, theirs: pl.DataFrame, limit: int = 5) -> list[str]:
    """Up to ``limit`` rows where the two disagree; empty when they agree everywhere."""
    left = ours.select(*KEYS, *NUMBERS, *EXACT).with_columns(
        pl.col("fy").cast(pl.Int64), pl.col("period_number").cast(pl.Int64)
    )
    right = theirs.select(*KEYS, *NUMBERS, *EXACT).with_columns(
        pl.col("fy").cast(pl.Int64),
        pl.col("period_number").cast(pl.Int64),
        pl.col("months_expected").cast(pl.Int32),
        pl.col("months_present").cast(pl.Int32),
    )
    problems = []
    if left.height != right.height:
        problems.append(f"{left.height} rows against {right.height}")
    joined = left.join(right, on=KEYS, how="full", suffix="_ref", coalesce=True)
    disagree = pl.lit(False)
    for column in NUMBERS:
        a, b = pl.col(column), pl.col(f"{column}_ref")
        close = (a - b).abs() <= 1e-9 * pl.max_horizontal(a.abs(), b.abs(), pl.lit(1.0))
        disagree = disagree | ~(close.fill_null(a.is_null() & b.is_null()))
    for column in EXACT:
        disagree = disagree | pl.col(column).ne_missing(pl.col(f"{column}_ref"))
    for row in joined.filter(disagree).head(limit).iter_rows(named=True):
        problems.append(str(row))
    return problems
