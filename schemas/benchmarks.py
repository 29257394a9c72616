"""Validation of benchmark extracts (SPEC §7): figures for many areas, checked like
observations (same reasons, same order, the as-of rule), one figure per indicator, area and
period. An area in no comparator group is not an error: its figures are simply unused.
"""

from __future__ import annotations

import datetime as dt

import pandera.polars as pa
import polars as pl

from core.columns import BENCHMARK_KEY, CANONICAL
from schemas.duplicates import reject_across_files as across_files
from schemas.observations import RULES, type_observations
from schemas.rules import Rule, reject_repeats, schema_for, split_by_rules

TEXT_COLUMNS = CANONICAL["benchmarks"]

_AREA_RULE = Rule(
    "missing_value",
    pl.col("area_code").is_not_null(),
    pl.lit("area_code"),
    pl.lit("the area code is empty: give the area's code (such as E08000009) on every row"),
    name="missing_value:area_code",
)


def _rules() -> tuple[Rule, ...]:
    """The observation rules, with the area code checked just before the value."""
    at = next(i for i, rule in enumerate(RULES) if rule.check_name == "missing_value")
    return (*RULES[:at], _AREA_RULE, *RULES[at:])


BENCHMARK_RULES = _rules()
BENCHMARKS_SCHEMA = schema_for(
    BENCHMARK_RULES,
    {
        "row_number": pa.Column(pl.Int64),
        **{name: pa.Column(pl.String, nullable=True) for name in TEXT_COLUMNS},
    },
    "benchmarks",
)


def _quoted(column: str) -> pl.Expr:
    return pl.format("'{}'", pl.col(column).fill_null(""))


def type_benchmarks(
    frame: pl.DataFrame, indicators: pl.DataFrame, as_of: dt.date, year_start_month: int
) -> pl.DataFrame:
    """Typed like observations; a benchmark is a published figure, so a ratio indicator's
    benchmark is its value alone (no numerator or denominator)."""
    parts = frame.with_columns(
        pl.lit(None, dtype=pl.String).alias(c) for c in ("numerator", "denominator", "commentary")
    )
    typed = type_observations(parts, indicators, as_of, year_start_month)
    return typed.with_columns(
        aggregation=pl.when(pl.col("aggregation").is_not_null()).then(pl.lit("benchmark"))
    )


def split_benchmarks(
    frame: pl.DataFrame, indicators: pl.DataFrame, as_of: dt.date, year_start_month: int = 4
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """One file's rows (``row_number`` and the text columns) split into (accepted, rejected);
    duplicates of an indicator, area and period are judged among otherwise valid rows."""
    typed = type_benchmarks(frame, indicators, as_of, year_start_month)
    passed, rejected = split_by_rules(typed, BENCHMARKS_SCHEMA, BENCHMARK_RULES)
    key = list(BENCHMARK_KEY)
    places = pl.col("row_number").sort().cast(pl.String).str.join(", ").over(key)
    passed, repeated = reject_repeats(
        passed,
        key,
        pl.format(
            "{} for area {} {} appears more than once in this file (rows {}); send one figure",
            pl.col("indicator_code"),
            _quoted("area_code"),
            _quoted("period"),
            places,
        ),
    )
    accepted = passed.select(
        "row_number",
        "indicator_code",
        "area_code",
        "area_name",
        "period",
        "fy",
        "fm",
        pl.col("value_num").alias("value"),
    )
    return accepted, pl.concat([rejected, repeated], how="diagonal_relaxed").sort("row_number")


def reject_across_files(frames: list[pl.DataFrame]) -> tuple[list[pl.DataFrame], pl.DataFrame]:
    """Every copy of a figure that arrives in more than one file of a run, rejected
    ``duplicate_across_sources``; the other rows of each file are kept."""
    return across_files(
        frames,
        list(BENCHMARK_KEY),
        "period",
        lambda files: pl.format(
            "{} for area {} {} arrives in more than one file in this run ({}); it must come "
            "from one",
            pl.col("indicator_code"),
            _quoted("area_code"),
            _quoted("period"),
            files,
        ),
    )
