"""Board summaries (SPEC §3): RAG counts per board and period, largest-remainder percentages."""

from __future__ import annotations

import polars as pl

from core.periods import CADENCE_PERIODS, period_label_expr
from transforms.rating import RAG_STATUSES

SUMMARY_COLUMNS = {
    "board_id": pl.String,
    "fy": pl.Int32,
    "period_suffix": pl.String,
    "period": pl.String,
    **{status: pl.Int32 for status in RAG_STATUSES},
    "green_pct": pl.Int32,
    "amber_pct": pl.Int32,
    "red_pct": pl.Int32,
}
_RATED = ("green", "amber", "red")
_SUMMARY_KEY = ["board_id", "fy", "period_suffix"]


def board_measures(
    measures: pl.LazyFrame, indicators: pl.DataFrame, boards: pl.DataFrame
) -> pl.LazyFrame:
    """The measures each board reports, one row per board × indicator × cadence period, as
    a query (a report collects only the periods and columns it shows).

    ``boards`` has ``board_id``, ``service`` (one row per service) and ``cadence``. A
    quarterly board reports annual indicators at Q4 from their year measure.
    """
    period = period_label_expr(pl.col("fy"), pl.col("period_suffix"))
    return _reported(measures, indicators, boards).with_columns(period=period)


def _reported(
    measures: pl.LazyFrame, indicators: pl.DataFrame, boards: pl.DataFrame
) -> pl.LazyFrame:
    """:func:`board_measures` without the period labels, as a query (so that a summary
    reads only the columns it counts, and no join's result is held whole)."""
    suffix = pl.col("period_suffix").replace("", "Y")  # the year, as its cadence row names it
    cadence_rows = pl.LazyFrame(
        [
            {"cadence": cadence, "period_suffix": p, "source_suffix": p}
            for cadence, periods in CADENCE_PERIODS.items()
            for p in periods
        ]
        + [{"cadence": "quarterly", "period_suffix": "Q4", "source_suffix": "Y"}]
    )
    with_board = (
        measures.with_columns(source_suffix=suffix)
        .drop("period_suffix")  # the board's own period, from its cadence, replaces it
        .join(
            indicators.lazy().select("code", "service", "frequency"),
            left_on="indicator_code",
            right_on="code",
        )
        .join(boards.lazy(), on="service")
        .join(cadence_rows, on=["cadence", "source_suffix"])
    )
    # The year measure stands in at Q4 only for annual indicators (others have a real Q4).
    return with_board.filter((pl.col("source_suffix") != "Y") | (pl.col("frequency") == "annual"))


def board_summary(
    measures: pl.DataFrame, indicators: pl.DataFrame, boards: pl.DataFrame
) -> pl.DataFrame:
    """One row per board and cadence period that has ended: counts and percentages."""
    return summary_of_counts(rag_counts(measures, indicators, boards))


def rag_counts(
    measures: pl.DataFrame, indicators: pl.DataFrame, boards: pl.DataFrame
) -> pl.DataFrame:
    """How many of ``measures`` each board reports in each period, by RAG status: counts of
    separate sets of indicators add up, so a warehouse's can be counted a slice at a time."""
    columns = measures.lazy().select("indicator_code", "fy", "period_suffix", "rag")
    counted = _reported(columns, indicators, boards).group_by(_SUMMARY_KEY)
    return counted.agg([(pl.col("rag") == s).sum().alias(s) for s in RAG_STATUSES]).collect()


def summary_of_counts(counts: pl.DataFrame) -> pl.DataFrame:
    """The board summaries from :func:`rag_counts` (of one or several slices)."""
    return (
        counts.group_by(_SUMMARY_KEY)
        .agg(pl.col(status).sum() for status in RAG_STATUSES)
        .with_columns(
            period_label_expr(pl.col("fy"), pl.col("period_suffix")).alias("period"),
            *largest_remainder_percentages(*_RATED),
        )
        .select([pl.col(name).cast(dtype) for name, dtype in SUMMARY_COLUMNS.items()])
        .sort(_SUMMARY_KEY)
    )


def largest_remainder_percentages(*columns: str) -> list[pl.Expr]:
    """Whole percentages of the columns' total that sum to 100 (null when the total is 0).

    Each gets the floor of its share; the points left go to the largest remainders, ties
    to the earlier column (green, then amber, then red).
    """
    total = pl.sum_horizontal([pl.col(c) for c in columns])
    floors = {c: (pl.col(c) * 100) // total for c in columns}
    remainders = {c: (pl.col(c) * 100) % total for c in columns}
    left_over = 100 - pl.sum_horizontal(list(floors.values()))
    shares = []
    for i, c in enumerate(columns):
        ahead = [
            (remainders[other] >= remainders[c]) if j < i else (remainders[other] > remainders[c])
            for j, other in enumerate(columns)
            if other != c
        ]
        rank = pl.sum_horizontal([a.cast(pl.Int32) for a in ahead])
        share = floors[c] + (rank < left_over).cast(pl.Int32)
        shares.append(pl.when(total > 0).then(share).alias(f"{c}_pct"))
    return shares
