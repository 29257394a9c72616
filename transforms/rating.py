"""Rounding, RAG status and direction of travel (SPEC §3) as polars expressions."""

from __future__ import annotations

import polars as pl

from core.rounding import EPSILON

RAG_STATUSES = ("green", "amber", "red", "no_target", "no_data")


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
