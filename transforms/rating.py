"""Rounding, RAG status and direction of travel (SPEC §3) as polars expressions."""

from __future__ import annotations

import polars as pl

from core.rounding import EPSILON

RAG_STATUSES = ("green", "amber", "red", "no_target", "no_data", "incomplete")
UNRATED = ("no_target", "no_data", "incomplete")


def rag_expr(
    actual: pl.Expr,
    target: pl.Expr,
    polarity: pl.Expr,
    tolerance: pl.Expr,
    tolerance_type: pl.Expr,
) -> pl.Expr:
    """RAG of rounded actual vs rounded target (both already rounded to decimals)."""
    tol = pl.when(tolerance_type == "absolute").then(tolerance).otherwise(tolerance * target.abs())
    distance = (actual - target).abs()
    higher = (
        pl.when(actual >= target - EPSILON)
        .then(pl.lit("green"))
        .when(actual >= target - tol - EPSILON)
        .then(pl.lit("amber"))
        .otherwise(pl.lit("red"))
    )
    lower = (
        pl.when(actual <= target + EPSILON)
        .then(pl.lit("green"))
        .when(actual <= target + tol + EPSILON)
        .then(pl.lit("amber"))
        .otherwise(pl.lit("red"))
    )
    goldilocks = (
        pl.when(distance <= tol + EPSILON)
        .then(pl.lit("green"))
        .when(distance <= 2 * tol + EPSILON)
        .then(pl.lit("amber"))
        .otherwise(pl.lit("red"))
    )
    return (
        pl.when((polarity == "none") | target.is_null())
        .then(pl.lit("no_target"))
        .when(actual.is_null())
        .then(pl.lit("no_data"))
        .when(polarity == "higher")
        .then(higher)
        .when(polarity == "lower")
        .then(lower)
        .otherwise(goldilocks)
    )


def _movement(current: pl.Expr, previous: pl.Expr, up: str = "up", down: str = "down") -> pl.Expr:
    """``up``, ``down`` or ``unchanged``: how ``current`` moved from ``previous``, with the
    two moves named as the caller reads them."""
    return (
        pl.when(current > previous + EPSILON)
        .then(pl.lit(up))
        .when(current < previous - EPSILON)
        .then(pl.lit(down))
        .otherwise(pl.lit("unchanged"))
    )


def direction_expr(
    current: pl.Expr, previous: pl.Expr, polarity: pl.Expr, target: pl.Expr
) -> pl.Expr:
    """Direction of travel of rounded YTD values against the same period last year."""
    # Each polarity names the moves itself (for "lower", down is an improvement; for
    # "target", moving closer to this year's target is).
    closeness = ((previous - target).abs(), (current - target).abs())
    as_improvement = (
        pl.when(polarity == "higher")
        .then(_movement(current, previous, "improved", "worsened"))
        .when(polarity == "lower")
        .then(_movement(current, previous, "worsened", "improved"))
        .when(polarity == "target")
        .then(_movement(*closeness, "improved", "worsened"))
    )
    return (
        pl.when(current.is_null() | previous.is_null())
        .then(pl.lit("not_comparable"))
        .when((polarity == "none") | ((polarity == "target") & target.is_null()))
        .then(_movement(current, previous))
        .otherwise(as_improvement)
    )


def yesno_rag(rag: pl.Expr, unit: pl.Expr, actual: pl.Expr, target: pl.Expr) -> pl.Expr:
    """A yes/no measure is green when the answer is the target's, else red (SPEC §2)."""
    rated = rag.is_in(["green", "amber", "red"])
    same = (actual - target).abs() < EPSILON
    return (
        pl.when((unit == "yesno") & rated)
        .then(pl.when(same).then(pl.lit("green")).otherwise(pl.lit("red")))
        .otherwise(rag)
    )


def incomplete_sum(present: pl.Expr) -> pl.Expr:
    """A ``sum`` indicator's year to date with some, but not all, of its slots (SPEC §3):
    a part-year total, comparable with neither a full period's target nor last year's."""
    return (
        (pl.col("aggregation") == "sum") & (present > 0) & (present < pl.col("months_expected"))
    ).fill_null(False)


def _finite(value: pl.Expr) -> pl.Expr:
    """A figure that is a finite number, else null: an overflowing sum or mean, or a ratio
    of extreme parts, is never rated (SPEC §4) and is treated as no figure at all."""
    return pl.when(value.is_finite()).then(value)


def rated_measure(measured: pl.LazyFrame, rating: str = "tolerance") -> pl.LazyFrame:
    """``measured`` with its ``rag`` and ``direction``, by the tolerance rule (SPEC §3) or,
    for ``rating="forecast"``, the forecast rule, from the rounded ``_actual``, ``_target``
    and ``_previous`` (and ``_forecast`` and ``_year_target``) and the ``_incomplete``
    flags of this year and last.

    Each status read again by the next rule is a column of its own, worked out once:
    polars evaluates an expression again wherever it is repeated inside another.
    """
    figures = ("_actual", "_target", "_previous")
    actual, target, previous = (pl.col(f"_finite{c}") for c in figures)
    tolerance_rag = pl.col("_tolerance_rag")
    rated = (
        measured.with_columns(_finite(pl.col(c)).alias(f"_finite{c}") for c in figures)
        .with_columns(
            _tolerance_rag=rag_expr(
                actual,
                target,
                pl.col("polarity"),
                pl.col("tolerance"),
                pl.col("tolerance_type"),
            )
        )
        .with_columns(_tolerance_rag=yesno_rag(tolerance_rag, pl.col("unit"), actual, target))
        .with_columns(
            rag=pl.when(
                tolerance_rag.is_in(["no_target", "no_data"]).not_() & pl.col("_incomplete")
            )
            .then(pl.lit("incomplete"))
            .otherwise(tolerance_rag),
            direction=pl.when(pl.col("_incomplete") | pl.col("_previous_incomplete"))
            .then(pl.lit("not_comparable"))
            .otherwise(direction_expr(actual, previous, pl.col("polarity"), target)),
        )
    )
    if rating == "forecast":
        rated = rated.with_columns(rag=forecast_rag(pl.col("rag")))
    return rated


def forecast_meets(forecast: pl.Expr, year_target: pl.Expr) -> pl.Expr:
    """Whether the rounded year-end forecast meets the rounded year target (SPEC §3):
    ``higher`` F ≥ Y, ``lower`` F ≤ Y, ``target`` within the tolerance of Y."""
    polarity = pl.col("polarity")
    tol = (
        pl.when(pl.col("tolerance_type") == "absolute")
        .then(pl.col("tolerance"))
        .otherwise(pl.col("tolerance") * year_target.abs())
    )
    return (
        pl.when(polarity == "higher")
        .then(forecast >= year_target - EPSILON)
        .when(polarity == "lower")
        .then(forecast <= year_target + EPSILON)
        .when(polarity == "target")
        .then((forecast - year_target).abs() <= tol + EPSILON)
        .otherwise(pl.lit(False))
        .fill_null(False)
    )


def forecast_rag(tolerance_rag: pl.Expr) -> pl.Expr:
    """``rating: forecast`` (SPEC §3, Colchester's definitions): unrated and green as the
    tolerance rule says; else, before the year's last quarter, amber when the year-end
    forecast meets the year's target, and red otherwise (no forecast included); at k = 4
    the year is over, so green or red."""
    forecast, year_target = (_finite(pl.col(c)) for c in ("_forecast", "_year_target"))
    return (
        pl.when(tolerance_rag.is_in([*UNRATED, "green"]))
        .then(tolerance_rag)
        .when((pl.col("k") < 4) & forecast_meets(forecast, year_target))
        .then(pl.lit("amber"))
        .otherwise(pl.lit("red"))
    )
