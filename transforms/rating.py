"""Rounding, RAG status and direction of travel (SPEC §3) as polars expressions."""

from __future__ import annotations

import polars as pl

# Differences smaller than this are equal (SPEC §3).
EPSILON = 1e-9
# Values are taken to this many places past the indicator's decimals before rounding, which
# removes binary floating-point error (10.15 held as 10.1499999…) without touching any value
# written in an extract to fewer than decimals + 6 places.
_GUARD_PLACES = 6

RAG_STATUSES = ("green", "amber", "red", "no_target", "no_data")


def round_half_away(value: pl.Expr, decimals: pl.Expr) -> pl.Expr:
    """Round as Excel's ROUND does: half away from zero, on the decimal the extract wrote."""
    scale = pl.lit(10.0).pow(decimals.cast(pl.Float64))
    scaled = (value * scale).round(_GUARD_PLACES)
    return scaled.round(0, mode="half_away_from_zero") / scale


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
