"""Which sources have delivered figures for the latest quarter (for the data-quality page)."""

from __future__ import annotations

import datetime as dt

import polars as pl

from core.periods import calendar_month_expr, fy_month_end, fy_of, period_label


def latest_quarter(as_of: dt.date, year_start_month: int = 4) -> tuple[int, int] | None:
    """(fy, quarter) of the latest quarter ended on or before ``as_of``."""
    fy = fy_of(as_of, year_start_month)
    for candidate_fy, quarter in [(fy, q) for q in (4, 3, 2, 1)] + [(fy - 1, 4)]:
        if fy_month_end(candidate_fy, quarter * 3, year_start_month) <= as_of:
            return candidate_fy, quarter
    return None


def source_coverage(
    observations: pl.DataFrame, sources: pl.DataFrame, as_of: dt.date, year_start_month: int = 4
) -> pl.DataFrame:
    """One row per observations source: its latest figure's period and whether it covers
    the latest quarter. ``observations`` has source_id, fy, fm; ``sources`` id, department."""
    latest = latest_quarter(as_of, year_start_month)
    if latest is None:
        return sources.with_columns(latest_received=pl.lit(None, pl.String), current=pl.lit(False))
    fy, quarter = latest
    received = observations.group_by("source_id").agg(
        calendar_month_expr(pl.col("fy"), pl.col("fm"), year_start_month).max().alias("slot"),
        ((pl.col("fy") == fy) & ((pl.col("fm") - 1) // 3 + 1 == quarter)).any().alias("current"),
    )
    return (
        sources.join(received, left_on="id", right_on="source_id", how="left")
        .with_columns(
            latest_received=pl.when(pl.col("slot").is_not_null()).then(
                pl.format(
                    "{}-{}",
                    pl.col("slot") // 12,
                    (pl.col("slot") % 12 + 1).cast(pl.String).str.zfill(2),
                )
            ),
            current=pl.col("current").fill_null(False),
            expected=pl.lit(period_label(fy, f"Q{quarter}")),
        )
        .drop("slot")
        .sort("id")
    )
