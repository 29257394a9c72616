"""Rounding as the SPEC says (§3): half away from zero, on the decimal the extract wrote."""

from __future__ import annotations

import polars as pl

# Differences smaller than this are equal (SPEC §3).
EPSILON = 1e-9
# Values are taken to this many places past the indicator's decimals before rounding, which
# removes binary floating-point error (10.15 held as 10.1499999…) without touching any value
# written in an extract to fewer than decimals + 6 places.
_GUARD_PLACES = 6


def round_half_away(value: pl.Expr, decimals: pl.Expr) -> pl.Expr:
    """Round as Excel's ROUND does: half away from zero, on the decimal the extract wrote."""
    scale = pl.lit(10.0).pow(decimals.cast(pl.Float64))
    scaled = (value * scale).round(_GUARD_PLACES)
    return scaled.round(0, mode="half_away_from_zero") / scale
