"""Validation of observation extracts (SPEC §4) with pandera's polars backend.

The canonical frame arrives as text. It is typed explicitly in polars (numbers by a
strict pattern, periods by :mod:`core.periods`), then validated lazily by one
named check per rejection rule, so every problem of a file is found in one pass. A
row's reason is its first failing check in the SPEC's order.
"""

from __future__ import annotations

import datetime as dt

import pandera.polars as pa
import polars as pl

from core.columns import CANONICAL, OBSERVATION_KEY, REJECTION_COLUMNS
from core.periods import FREQUENCY_GRANULARITY, parse_period_labels, period_end_expr
from core.rounding import EPSILON, round_half_away
from schemas.config import resolve_aliases
from schemas.numbers import clean_figures, not_a_number_message
from schemas.rules import Rule, reject_repeats, schema_for, split_by_rules
from sources.readers import printable

TEXT_COLUMNS = CANONICAL["observations"]

_is_ratio = pl.col("aggregation") == "ratio"
# A period that ended this many years before the as-of date is taken as a typo (1925-05 for
# 2025-05) and rejected, not loaded as the start of a century of empty measures
# (docs/decisions.md, issue 21).
PLAUSIBLE_YEARS = 50
_EARLIEST_END = pl.col("as_of").dt.offset_by(f"-{PLAUSIBLE_YEARS}y")
_FREQUENCY_WORD = {
    "monthly": "a month such as 2019-07",
    "quarterly": "a quarter such as 2019/20 Q2",
    "annual": "a financial year such as 2019/20",
}


def _number_ok(column: str) -> pl.Expr:
    return ~pl.col(f"{column}_bad")


def _quoted(column: str) -> pl.Expr:
    return pl.format("'{}'", pl.col(column).fill_null(""))


def _number_text(number: pl.Expr) -> pl.Expr:
    """100.0 -> '100', 56.25 -> '56.25': numbers as a person writes them."""
    return number.cast(pl.String).str.replace(r"\.0$", "")


def _figure() -> pl.Expr:
    """The figure as the department wrote it, else the one its parts give."""
    return pl.coalesce(
        pl.when(pl.col("value").is_not_null()).then(_quoted("value")),
        _number_text(pl.col("computed_value")),
    )


def _first_bad_number() -> pl.Expr:
    """The first of value, numerator, denominator that is present but not a plain number."""
    checked = ("value", "numerator", "denominator")
    choice = pl.lit(None, dtype=pl.String)
    for column in reversed(checked):
        judged = _is_ratio if column != "value" else pl.lit(True)
        choice = pl.when(judged & ~_number_ok(column)).then(pl.lit(column)).otherwise(choice)
    return choice


def _rules() -> tuple[Rule, ...]:
    known = pl.col("unit").is_not_null()
    expected_granularity = pl.col("frequency").replace_strict(FREQUENCY_GRANULARITY, default=None)
    effective = pl.coalesce(pl.col("value_num"), pl.col("computed_value"))
    decimals = pl.col("decimals")
    return (
        Rule(
            "unknown_code",
            known,
            pl.lit("indicator_code"),
            pl.when(pl.col("indicator_code").is_null())
            .then(
                pl.lit(
                    "the indicator code is empty: give it on every row (a merged cell keeps "
                    "it only on its first row)"
                )
            )
            .otherwise(
                pl.format(
                    "{} is not an indicator code in indicators.csv", _quoted("indicator_code")
                )
            ),
        ),
        Rule(
            "bad_period",
            pl.col("granularity").is_not_null() & (pl.col("period_end") > _EARLIEST_END),
            pl.lit("period"),
            pl.when(pl.col("granularity").is_null())
            .then(
                pl.format(
                    "{} is not a period: use a month such as 2019-07 or Apr-19, a quarter such "
                    "as 2019/20 Q2, or a financial year such as 2019/20",
                    _quoted("period"),
                )
            )
            .otherwise(
                pl.format(
                    "{} ended more than {} years before the run's as-of date {}: is the year "
                    "a typo? (figures so old are not read)",
                    _quoted("period"),
                    pl.lit(PLAUSIBLE_YEARS),
                    pl.col("as_of"),
                )
            ),
        ),
        Rule(
            "frequency_mismatch",
            pl.col("granularity") == expected_granularity,
            pl.lit("period"),
            pl.format(
                "{} is a {} but {} is reported {}: use {}",
                _quoted("period"),
                pl.col("granularity"),
                pl.col("indicator_code"),
                pl.col("frequency"),
                pl.col("frequency").replace_strict(_FREQUENCY_WORD, default=""),
            ),
        ),
        Rule(
            "future_period",
            pl.col("period_end") <= pl.col("as_of"),
            pl.lit("period"),
            pl.format(
                "{} ends on {}, after the run's as-of date {}",
                _quoted("period"),
                pl.col("period_end"),
                pl.col("as_of"),
            ),
        ),
        Rule(
            "ratio_missing_parts",
            ~_is_ratio | (pl.col("numerator").is_not_null() & pl.col("denominator").is_not_null()),
            pl.when(pl.col("numerator").is_null())
            .then(pl.lit("numerator"))
            .otherwise(pl.lit("denominator")),
            pl.format(
                "{} is a ratio indicator: both numerator and denominator are needed",
                pl.col("indicator_code"),
            ),
        ),
        Rule(
            "not_a_number",
            _first_bad_number().is_null(),
            _first_bad_number(),
            pl.when(pl.col("value_bad") & pl.col("value_problem").is_not_null())
            .then(pl.col("value_problem"))
            .otherwise(
                not_a_number_message(
                    pl.coalesce(
                        pl.when(~_number_ok("value")).then(pl.col("value")),
                        pl.when(~_number_ok("numerator")).then(pl.col("numerator")),
                        pl.col("denominator"),
                    )
                )
            ),
        ),
        Rule(
            "ratio_bad_denominator",
            ~_is_ratio | (pl.col("denominator_num") > 0),
            pl.lit("denominator"),
            pl.format("denominator {} must be greater than 0", _quoted("denominator")),
        ),
        Rule(
            "ratio_negative_numerator",
            ~_is_ratio | (pl.col("numerator_num") >= 0),
            pl.lit("numerator"),
            pl.format("numerator {} must not be negative", _quoted("numerator")),
        ),
        Rule(
            "missing_value",
            _is_ratio | pl.col("value").is_not_null(),
            pl.lit("value"),
            pl.lit("the value is empty: enter the figure, or leave the row out"),
        ),
        Rule(
            "ratio_inconsistent",
            ~_is_ratio
            | pl.col("value_num").is_null()
            | (
                (
                    round_half_away(pl.col("value_num"), decimals)
                    - round_half_away(pl.col("computed_value"), decimals)
                ).abs()
                < EPSILON
            ),
            pl.lit("value"),
            pl.format(
                "value {} disagrees with numerator / denominator × {} = {} (to {} decimal {})",
                _quoted("value"),
                _number_text(pl.col("scale")),
                _number_text(round_half_away(pl.col("computed_value"), decimals)),
                decimals,
                pl.when(decimals == 1).then(pl.lit("place")).otherwise(pl.lit("places")),
            ),
        ),
        Rule(
            "percent_out_of_range",
            (pl.col("unit") != "percent") | effective.is_between(0, 100),
            pl.lit("value"),
            pl.format("{} is outside 0–100 for a percentage", _figure()),
        ),
        Rule(
            "negative_value",
            ~pl.col("unit").is_in(["count", "days"]) | (effective >= 0),
            pl.lit("value"),
            pl.format("{} is negative; a {} cannot be", _figure(), pl.col("unit")),
        ),
        *_forecast_rules(),
    )


def _forecast_rules() -> tuple[Rule, ...]:
    """A forecast is checked as a value is, after all of the value's checks (SPEC §4)."""
    given = pl.col("forecast").is_null()
    forecast = pl.col("forecast_num")
    text = _quoted("forecast")
    return (
        Rule(
            "not_a_number",
            given | _number_ok("forecast"),
            pl.lit("forecast"),
            pl.when(pl.col("unit") == "yesno")
            .then(
                pl.format(
                    "forecast {} is not yes or no: {} is a yes/no measure",
                    text,
                    pl.col("indicator_code"),
                )
            )
            .otherwise(pl.format("forecast {}", not_a_number_message(pl.col("forecast")))),
            name="forecast_not_a_number",
        ),
        Rule(
            "percent_out_of_range",
            given | (pl.col("unit") != "percent") | forecast.is_between(0, 100),
            pl.lit("forecast"),
            pl.format("forecast {} is outside 0–100 for a percentage", text),
            name="forecast_percent_out_of_range",
        ),
        Rule(
            "negative_value",
            given | ~pl.col("unit").is_in(["count", "days"]) | (forecast >= 0),
            pl.lit("forecast"),
            pl.format("forecast {} is negative; a {} cannot be", text, pl.col("unit")),
            name="forecast_negative_value",
        ),
    )


RULES = _rules()
OBSERVATIONS_SCHEMA = schema_for(
    RULES,
    {
        "row_number": pa.Column(pl.Int64),
        **{name: pa.Column(pl.String, nullable=True) for name in TEXT_COLUMNS},
    },
    "observations",
)


def type_observations(
    frame: pl.DataFrame,
    indicators: pl.DataFrame,
    as_of: dt.date,
    year_start_month: int,
    formatted: bool = False,
) -> pl.DataFrame:
    """Parse the text columns and join each row to its indicator's definition (an
    indicator named by an alias is given its code)."""
    periods = parse_period_labels(frame["period"], year_start_month)
    number = {
        c: pl.col(f"{c}_clean").cast(pl.Float64, strict=False)
        for c in ("value", "numerator", "denominator", "forecast")
    }
    frame = frame.with_columns(resolve_aliases(pl.col("indicator_code"), indicators))
    joined = pl.concat([frame, periods], how="horizontal").join(
        indicators.select(
            pl.col("code").alias("indicator_code"),
            "unit",
            "frequency",
            "aggregation",
            "decimals",
            "scale",
        ),
        on="indicator_code",
        how="left",
        maintain_order="left",
    )
    typed = clean_figures(joined, formatted).with_columns(
        value_num=number["value"],
        numerator_num=number["numerator"],
        denominator_num=number["denominator"],
        forecast_num=number["forecast"],
        period_end=period_end_expr(pl.col("fy"), pl.col("fm"), year_start_month),
        as_of=pl.lit(as_of),
    )
    return typed.with_columns(
        computed_value=pl.when(pl.col("denominator_num") > 0).then(
            pl.col("numerator_num") / pl.col("denominator_num") * pl.col("scale")
        )
    )


def split_observations(
    frame: pl.DataFrame,
    indicators: pl.DataFrame,
    as_of: dt.date,
    year_start_month: int = 4,
    formatted: bool = False,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split one file's canonical rows into (accepted, rejected).

    ``frame`` has ``row_number`` and the text columns. Accepted rows come back typed, with
    ``fy`` and ``fm``; rejected rows gain ``reason_code``, ``column`` and ``message``.
    Duplicates within the file are judged among the rows that pass every other check.
    """
    typed = type_observations(frame, indicators, as_of, year_start_month, formatted)
    passed, rejected = split_by_rules(typed, OBSERVATIONS_SCHEMA, RULES)
    key = list(OBSERVATION_KEY)
    places = pl.col("row_number").sort().cast(pl.String).str.join(", ").over(key)
    passed, repeated = reject_repeats(
        passed,
        key,
        pl.format(
            "{} {} appears more than once in this file (rows {}); send one figure per period",
            pl.col("indicator_code"),
            _quoted("period"),
            places,
        ),
    )
    rejected = pl.concat([rejected, repeated], how="diagonal_relaxed")
    accepted = passed.select(
        "row_number",
        "indicator_code",
        "period",
        "fy",
        "fm",
        pl.col("value_num").alias("value"),
        pl.col("numerator_num").alias("numerator"),
        pl.col("denominator_num").alias("denominator"),
        "commentary",
        pl.col("forecast_num").alias("forecast"),
    )
    return accepted, rejected.sort("row_number")


def duplicates_across_files(keys: pl.DataFrame, files: pl.DataFrame) -> pl.DataFrame:
    """Every copy of an indicator and period that arrives in more than one file, rejected.

    ``keys`` has the key, ``period``, ``row_number`` and ``part`` (the file's index in
    ``files``, which has ``part``, ``source_id`` and ``file``): only what the check needs,
    so that a national run's millions of rows stay small here.
    """
    key = list(OBSERVATION_KEY)
    clashing = keys.filter(pl.col("part").n_unique().over(key) > 1).join(files, on="part")
    others = pl.col("file").unique().sort().str.join("; ").over(key)
    return clashing.with_columns(
        reason_code=pl.lit("duplicate_across_sources"),
        column=pl.lit("period"),
        message=pl.format(
            "{} {} arrives in more than one file in this run ({}); it must come from one",
            pl.col("indicator_code"),
            _quoted("period"),
            others,
        ),
    )


def rejection_frame(rejected: pl.DataFrame) -> pl.DataFrame:
    """The warehouse's rejection columns (rows carry ``source_id`` and ``file``)."""
    cells = [
        c
        for c in rejected.columns
        if c not in ("column", "message", "row_number") and rejected.schema[c] == pl.String
    ]
    choices: list[pl.Expr] = [
        pl.when(pl.col("column") == name).then(pl.col(name)) for name in cells
    ]
    value = pl.coalesce(choices or [pl.lit(None, dtype=pl.String)])
    if {"header", "value"} <= set(
        rejected.columns
    ):  # a wide sheet's cell sits under its period header
        under_header = pl.col("header").is_not_null() & pl.col("column").is_in(["period", "value"])
        value = pl.when(under_header).then(pl.col("value")).otherwise(value)
    return rejected.select(
        "source_id",
        "file",
        pl.col("row_number").cast(pl.Int64),
        "column",
        value.alias("value"),
        "reason_code",
        one_line(pl.col("message")),
    )


def one_line(message: pl.Expr) -> pl.Expr:
    """A message quoting an extract's text, made one printable line: control characters
    and line breaks from a cell become ``?`` (a message never carries raw bytes)."""
    return message.str.replace_all(r"[\x00-\x1f\x7f-\x9f\x{FFFD}]", "?")


def malformed_rejections(source_id: str, file: str, malformed: pl.DataFrame) -> pl.DataFrame:
    """Rows that could not be split into cells: rejected ``malformed_row``, cells unread."""
    return malformed.select(
        pl.lit(source_id).alias("source_id"),
        pl.lit(file).alias("file"),
        pl.col("row_number").cast(pl.Int64),
        pl.lit(None, dtype=pl.String).alias("column"),
        pl.lit(None, dtype=pl.String).alias("value"),
        pl.lit("malformed_row").alias("reason_code"),
        one_line(pl.col("message")),
    )


def whole_file_rejection(source_id: str, file: str, reason: str, message: str) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                "source_id": source_id,
                "file": file,
                "row_number": None,
                "column": None,
                "value": None,
                "reason_code": reason,
                "message": printable(message),
            }
        ],
        schema=REJECTION_COLUMNS,
    )
