"""CSV that a spreadsheet opens as data, never as formulas (SPEC §5).

A text cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a
leading ``'``, which spreadsheets read as "this is text". Numeric columns are left alone,
so numbers (negative ones too) stay numbers.
"""

from __future__ import annotations

import polars as pl

FORMULA_START = r"^[=+\-@\t\r]"


def neutralised(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with every formula-like text cell prefixed with ``'``."""
    text = [name for name, dtype in frame.schema.items() if dtype == pl.String]
    return frame.with_columns(
        pl.when(pl.col(name).str.contains(FORMULA_START))
        .then(pl.lit("'") + pl.col(name))
        .otherwise(pl.col(name))
        .alias(name)
        for name in text
    )


def safe_csv(frame: pl.DataFrame) -> str:
    """``frame`` as CSV text, neutralised."""
    return neutralised(frame).write_csv()
