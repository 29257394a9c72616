"""Dates a department types in a register (SPEC §4): ``YYYY-MM-DD``, ``DD/MM/YYYY`` or an
Excel date; ``DD/MM/YY`` is 20YY. Anything else, a day that does not exist, or a year
outside :data:`EARLIEST_YEAR`..:data:`LATEST_YEAR` is not a date: its row is rejected with
the reason, never shown as "31 March 0026".

One reader for every register date column (``due_date``, ``revised_date``, ...).
"""

from __future__ import annotations

import polars as pl

EARLIEST_YEAR = 1900
LATEST_YEAR = 2999
# ISO, with the time a spreadsheet or database adds to a date (Excel's dates arrive so).
_ISO = r"^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:[ T]00:00(?::00(?:\.0+)?)?)?$"
_DAY_FIRST = r"^([0-9]{1,2})/([0-9]{1,2})/([0-9]{4}|[0-9]{2})$"
DATE_FORMS = "2026-03-31 or 31/03/2026"


def register_date(text: pl.Expr) -> pl.Expr:
    """The date ``text`` means (trimmed), or null when it is not a date in a register's
    forms."""
    cleaned = text.str.strip_chars()
    short_year = cleaned.str.extract(_DAY_FIRST, 3)
    year = pl.coalesce(
        cleaned.str.extract(_ISO, 1),
        pl.when(short_year.str.len_chars() == 2).then(pl.lit("20") + short_year),
        short_year,
    ).cast(pl.Int32, strict=False)
    month = pl.coalesce(cleaned.str.extract(_ISO, 2), cleaned.str.extract(_DAY_FIRST, 2))
    day = pl.coalesce(cleaned.str.extract(_ISO, 3), cleaned.str.extract(_DAY_FIRST, 1))
    iso = pl.format(
        "{}-{}-{}",
        year.cast(pl.String),
        month.cast(pl.String).str.zfill(2),
        day.cast(pl.String).str.zfill(2),
    )
    parsed = iso.str.to_date("%Y-%m-%d", strict=False)
    return pl.when(year.is_between(EARLIEST_YEAR, LATEST_YEAR)).then(parsed)


def date_problem(text: pl.Expr) -> pl.Expr:
    """Why ``text`` is not a register date, in plain words."""
    return pl.format(
        "'{}' is not a date: write it as {} (a two-digit year is 20YY), or enter it in Excel "
        "as a date",
        text,
        pl.lit(DATE_FORMS),
    )
