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
    observations: pl.DataFrame,
    sources: pl.DataFrame,
    as_of: dt.date,
    year_start_month: int = 4,
    frequencies: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """One row per observations source: its latest figure's period and whether it covers
    the latest quarter. ``observations`` has source_id, fy, fm; ``sources`` id, department;
    ``frequencies`` (source_id, frequency: the finest its indicators have) words the latest
    period in the source's own terms: a month, a quarter (``2026/27 Q1``) or a year."""
    latest = latest_quarter(as_of, year_start_month)
    if latest is None:
        return sources.with_columns(latest_received=pl.lit(None, pl.String), current=pl.lit(False))
    fy, quarter = latest
    received = observations.group_by("source_id").agg(
        calendar_month_expr(pl.col("fy"), pl.col("fm"), year_start_month).max().alias("slot"),
        (pl.col("fy") * 12 + pl.col("fm") - 1).max().alias("fy_slot"),
        ((pl.col("fy") == fy) & ((pl.col("fm") - 1) // 3 + 1 == quarter)).any().alias("current"),
    )
    if frequencies is None:
        frequencies = pl.DataFrame(schema={"source_id": pl.String, "frequency": pl.String})
    latest_fy = pl.col("fy_slot") // 12
    year = pl.format("{}/{}", latest_fy, ((latest_fy + 1) % 100).cast(pl.String).str.zfill(2))
    month = pl.format(
        "{}-{}", pl.col("slot") // 12, (pl.col("slot") % 12 + 1).cast(pl.String).str.zfill(2)
    )
    return (
        sources.join(received, left_on="id", right_on="source_id", how="left")
        .join(frequencies, left_on="id", right_on="source_id", how="left")
        .with_columns(
            latest_received=pl.when(pl.col("slot").is_null())
            .then(pl.lit(None, dtype=pl.String))
            .when(pl.col("frequency") == "quarterly")
            .then(pl.format("{} Q{}", year, (pl.col("fy_slot") % 12) // 3 + 1))
            .when(pl.col("frequency") == "annual")
            .then(year)
            .otherwise(month),
            current=pl.col("current").fill_null(False),
            expected=pl.lit(period_label(fy, f"Q{quarter}")),
        )
        .drop("slot", "fy_slot", "frequency")
        .sort("id")
    )


FREQUENCY_ORDER = {"monthly": 0, "quarterly": 1, "annual": 2}


def finest_frequencies(sent: pl.DataFrame, indicators: pl.DataFrame) -> pl.DataFrame:
    """Each source's finest indicator frequency (``sent``: source_id, indicator_code)."""
    return (
        sent.join(
            indicators.select(pl.col("code").alias("indicator_code"), "frequency"),
            on="indicator_code",
        )
        .with_columns(order=pl.col("frequency").replace_strict(FREQUENCY_ORDER))
        .sort("order")
        .group_by("source_id", maintain_order=True)
        .agg(pl.col("frequency").first())
    )
