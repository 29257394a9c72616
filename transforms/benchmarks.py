"""The council's position in each comparator group (SPEC §7). Pure polars.

For each indicator, group and benchmark period where the council has a figure: how many
members have one (``areas``, the council always among them), their ``median`` and, for
polarity ``higher`` or ``lower``, the council's ``rank`` (1 = best; ties share the best
rank, "1224", judged on values rounded to the indicator's decimals) and ``quartile``.
"""

from __future__ import annotations

import polars as pl

from core.periods import calendar_month_expr, period_label_expr
from core.rounding import EPSILON, round_half_away

BENCHMARK_RESULTS = {
    "indicator_code": pl.String,
    "group_id": pl.String,
    "group_name": pl.String,
    "fy": pl.Int32,
    "fm": pl.Int32,
    "period": pl.String,
    "value": pl.Float64,
    "median": pl.Float64,
    "rank": pl.Int32,
    "areas": pl.Int32,
    "quartile": pl.Int32,
    "lowest": pl.Float64,  # the group's spread, for the benchmarking page's chart
    "highest": pl.Float64,
}
_CELL = ["indicator_code", "group_id", "fy", "fm"]
_RANKED = ("higher", "lower")


def compute_benchmarks(
    values: pl.DataFrame,
    groups: pl.DataFrame,
    indicators: pl.DataFrame,
    area_code: str | None,
    year_start_month: int = 4,
) -> pl.DataFrame:
    """``values`` (indicator_code, area_code, fy, fm, value), ``groups`` (group_id,
    group_name, area_code) and ``indicators`` (code, polarity, decimals, frequency) -> one
    row per indicator, group and period the council has a figure for (BENCHMARK_RESULTS)."""
    if area_code is None or groups.is_empty() or values.is_empty():
        return pl.DataFrame(schema=BENCHMARK_RESULTS)
    listed = groups.select("group_id", "group_name", "area_code")
    own_membership = listed.select("group_id", "group_name").with_columns(
        area_code=pl.lit(area_code)
    )
    members = pl.concat([listed, own_membership]).unique()  # the council always counts
    rows = (
        values.select("indicator_code", "area_code", "fy", "fm", "value")
        .join(members, on="area_code")
        .join(
            indicators.select(
                pl.col("code").alias("indicator_code"), "polarity", "decimals", "frequency"
            ),
            on="indicator_code",
        )
        .with_columns(
            rounded=round_half_away(pl.col("value"), pl.col("decimals")),
            period=_label(year_start_month),
        )
    )
    own = rows.filter(pl.col("area_code") == area_code).select(
        *_CELL, pl.col("rounded").alias("own_rounded"), pl.col("value").alias("own_value")
    )
    return _positions(rows.join(own, on=_CELL))


def _label(year_start_month: int) -> pl.Expr:
    """The period as labelled in SPEC §1: ``2023/24``, ``2023/24 Q2`` or ``2023-07``."""
    month = calendar_month_expr(pl.col("fy"), pl.col("fm"), year_start_month)
    quarter = pl.format("Q{}", (pl.col("fm") // 3).cast(pl.String))
    return (
        pl.when(pl.col("frequency") == "monthly")
        .then(
            pl.format(
                "{}-{}",
                (month // 12).cast(pl.String),
                (month % 12 + 1).cast(pl.String).str.zfill(2),
            )
        )
        .otherwise(
            period_label_expr(
                pl.col("fy"),
                pl.when(pl.col("frequency") == "quarterly").then(quarter).otherwise(pl.lit("")),
            )
        )
    )


def _positions(rows: pl.DataFrame) -> pl.DataFrame:
    """Each cell's areas, median, rank and quartile from its members' rows."""
    difference = pl.col("rounded") - pl.col("own_rounded")
    better = (
        pl.when(pl.col("polarity") == "higher")
        .then(difference > EPSILON)
        .otherwise(difference < -EPSILON)
    )
    summary = rows.group_by(_CELL).agg(
        pl.col("group_name").first(),
        pl.col("period").first(),
        pl.col("own_value").first().alias("value"),
        # 15 significant figures: the mean of 45.1 and 45.14 is 45.12, not 45.120000000000005
        pl.col("value").median().round_sig_figs(15).alias("median"),
        pl.len().cast(pl.Int32).alias("areas"),
        pl.col("value").min().alias("lowest"),
        pl.col("value").max().alias("highest"),
        (better.sum() + 1).cast(pl.Int32).alias("position"),
        pl.col("polarity").first(),
    )
    ranked = pl.col("polarity").is_in(_RANKED)
    rank = pl.when(ranked).then(pl.col("position"))
    quartile = (4 * rank / pl.col("areas")).ceil().cast(pl.Int32)
    return (
        summary.with_columns(rank=rank, quartile=quartile)
        .select([pl.col(name).cast(dtype) for name, dtype in BENCHMARK_RESULTS.items()])
        .sort("indicator_code", "group_id", "fy", "fm")
    )


def latest_positions(results: pl.DataFrame, fy: int, end_fm: int) -> pl.DataFrame:
    """Per indicator and group, the latest benchmark period that has ended by the end of FY
    month ``end_fm`` of ``fy`` (a report's period): later periods are not yet shown."""
    ended = (pl.col("fy") < fy) | ((pl.col("fy") == fy) & (pl.col("fm") <= end_fm))
    return (
        results.filter(ended)
        .sort("indicator_code", "group_id", "fy", "fm")
        .unique(["indicator_code", "group_id"], keep="last", maintain_order=True)
    )
