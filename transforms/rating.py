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


def _movement(current: pl.Expr, previous: pl.Expr) -> pl.Expr:
    return (
        pl.when(current > previous + EPSILON)
        .then(pl.lit("up"))
        .when(current < previous - EPSILON)
        .then(pl.lit("down"))
        .otherwise(pl.lit("unchanged"))
    )


def direction_expr(
    current: pl.Expr, previous: pl.Expr, polarity: pl.Expr, target: pl.Expr
) -> pl.Expr:
    """Direction of travel of rounded YTD values against the same period last year."""
    movement = _movement(current, previous)
    # For "target" polarity, moving closer to this year's target is an improvement.
    closeness = _movement((previous - target).abs(), (current - target).abs())
    judged = {
        "higher": movement,
        "lower": movement.replace({"up": "down", "down": "up"}),
        "target": closeness,
    }
    as_improvement = pl.lit(None, dtype=pl.String)
    for polarity_name, moved in judged.items():
        as_improvement = (
            pl.when(polarity == polarity_name)
            .then(moved.replace({"up": "improved", "down": "worsened"}))
            .otherwise(as_improvement)
        )
    return (
        pl.when(current.is_null() | previous.is_null())
        .then(pl.lit("not_comparable"))
        .when((polarity == "none") | ((polarity == "target") & target.is_null()))
        .then(movement)
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


def rated_measure() -> tuple[pl.Expr, pl.Expr]:
    """(rag, direction) by the tolerance rule (SPEC §3), from the rounded ``_actual``,
    ``_target`` and ``_previous`` and the ``_incomplete`` flags of this year and last."""
    actual, target, previous = (_finite(pl.col(c)) for c in ("_actual", "_target", "_previous"))
    tolerance_rag = yesno_rag(
        rag_expr(
            actual,
            target,
            pl.col("polarity"),
            pl.col("tolerance"),
            pl.col("tolerance_type"),
        ),
        pl.col("unit"),
        actual,
        target,
    )
    rag = (
        pl.when(tolerance_rag.is_in(["no_target", "no_data"]).not_() & pl.col("_incomplete"))
        .then(pl.lit("incomplete"))
        .otherwise(tolerance_rag)
    )
    direction = (
        pl.when(pl.col("_incomplete") | pl.col("_previous_incomplete"))
        .then(pl.lit("not_comparable"))
        .otherwise(direction_expr(actual, previous, pl.col("polarity"), target))
    )
    return rag, direction


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
