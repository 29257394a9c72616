"""Figures as departments write them (SPEC §2, §4): plain numbers, yes/no answers, and,
for a source with ``numbers: formatted``, numbers as a spreadsheet shows them.

Each figure column ``c`` gains ``c_clean`` (a plain number as text, or null) and ``c_bad``
(present but not a number), and ``value_problem`` says why a value is not a number when
there is more to say than the general rule.
"""

from __future__ import annotations

import polars as pl

from schemas.config import is_plain_number

FIGURE_COLUMNS = ("value", "numerator", "denominator", "forecast")
# sign, pound sign, digits (thousands in groups of three, then a decimal point), percent.
_FORMATTED = r"^([+-]?)(£?)((?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?|\.[0-9]+)(%?)$"
YES_NO = {"yes": "1", "no": "0"}


def _formatted(text: pl.Expr) -> tuple[pl.Expr, pl.Expr, pl.Expr, pl.Expr]:
    """(the plain number it shows, whether it matched, has a £, has a %)."""
    digits = pl.concat_str(
        text.str.extract(_FORMATTED, 1), text.str.extract(_FORMATTED, 3).str.replace_all(",", "")
    )
    matched = text.str.contains(_FORMATTED) & digits.cast(pl.Float64, strict=False).is_finite()
    return (
        digits,
        matched,
        text.str.extract(_FORMATTED, 2) == "£",
        text.str.extract(_FORMATTED, 4) == "%",
    )


def _sign_problem(text: pl.Expr, sign: str, unit: str) -> pl.Expr:
    return pl.format(
        f"'{{}}' has a {sign} sign, but {{}} is not measured in {unit}: send the plain number",
        text,
        pl.col("indicator_code"),
    )


# Excel's error values, and what each means, for a message that names the error.
EXCEL_ERRORS = {
    "#DIV/0!": "a division by zero",
    "#N/A": "a value not available",
    "#VALUE!": "a value of the wrong type in a formula",
    "#REF!": "a reference to a cell that no longer exists",
    "#NAME?": "a name Excel does not recognise",
    "#NUM!": "a number Excel cannot calculate",
    "#NULL!": "ranges that do not meet",
    "#SPILL!": "a result that cannot spill into its cells",
    "#CALC!": "a calculation Excel cannot do",
}


def excel_error_message(text: pl.Expr) -> pl.Expr:
    """For an Excel error value (``#DIV/0!``): the message naming it; else null."""
    meaning = text.str.strip_chars().str.to_uppercase().replace_strict(EXCEL_ERRORS, default=None)
    return pl.when(meaning.is_not_null()).then(
        pl.format(
            "'{}' is an Excel error ({}), not a number: correct the formula in the workbook, "
            "or enter the figure",
            text,
            meaning,
        )
    )


def not_a_number_message(text: pl.Expr, example: str = "") -> pl.Expr:
    """Why ``text`` is not a number: an Excel error named, a formula never calculated, or
    the general rule."""
    unsaved = pl.format(
        "'{}' is a formula with no saved value: open the workbook in Excel, let it "
        "calculate and save it",
        text,
    )
    plain = pl.format(
        "'{}' is not a plain number"
        + (f" {example}" if example else "")
        + ": write digits with an optional sign and decimal point, without thousands "
        "separators, currency or percent signs",
        text,
    )
    return pl.coalesce(
        excel_error_message(text),
        pl.when(text.str.starts_with("=")).then(unsaved),
        plain,
    )


def clean_figures(frame: pl.DataFrame, formatted: bool) -> pl.DataFrame:
    """Add ``c_clean`` and ``c_bad`` for each figure column, and ``value_problem``; the
    frame carries each row's indicator ``unit``."""
    unit = pl.col("unit")
    columns: list[pl.Expr] = []
    for column in FIGURE_COLUMNS:
        if column not in frame.columns:  # an optional column (forecast) not sent
            frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias(column))
        text = pl.col(column)
        digits, matched, pound, percent = _formatted(text)
        allowed = matched & (~pound | (unit == "gbp")) & (~percent | (unit == "percent"))
        choices: list[pl.Expr] = [pl.when(is_plain_number(text)).then(text)]
        if formatted:
            choices.append(pl.when(allowed).then(digits))
        clean = pl.coalesce(choices)
        if column in ("value", "forecast"):  # a yes/no measure's forecast is yes or no too
            answer = text.str.strip_chars().str.to_lowercase().replace_strict(YES_NO, default=None)
            clean = pl.when(unit == "yesno").then(answer).otherwise(clean)
        columns += [
            clean.alias(f"{column}_clean"),
            (text.is_not_null() & clean.is_null()).alias(f"{column}_bad"),
        ]
    digits, matched, pound, percent = _formatted(pl.col("value"))
    problems: list[pl.Expr] = [
        excel_error_message(pl.col("value")),
        pl.when(unit == "yesno").then(
            pl.format(
                "'{}' is not yes or no: {} is a yes/no measure",
                pl.col("value"),
                pl.col("indicator_code"),
            )
        ),
    ]
    if formatted:
        problems += [
            pl.when(matched & percent & (unit != "percent")).then(
                _sign_problem(pl.col("value"), "percent", "percent")
            ),
            pl.when(matched & pound & (unit != "gbp")).then(
                _sign_problem(pl.col("value"), "pound", "pounds (gbp)")
            ),
            pl.format(
                "'{}' is not a number: write it as 1204 or 1,204.5 (commas between "
                "thousands, a point before decimals), £ only for money and % only for "
                "percentages",
                pl.col("value"),
            ),
        ]
    problem = pl.coalesce(problems)
    return frame.with_columns(columns).with_columns(problem.alias("value_problem"))
