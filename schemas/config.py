"""pandera model for the council's indicator catalogue (SPEC §2); targets.csv is checked
by the targets rules in :mod:`schemas.registers`.

The CSVs are read as text so that every cell can be judged as the officer typed it;
each failed check becomes a problem naming the row (as the spreadsheet shows it) and
the column.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandera.polars as pa
import polars as pl

# Plain ASCII digits only: a regex's \d matches every script's digits (١٢ too).
NUMBER_PATTERN = r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$"


def is_plain_number(text: pl.Expr) -> pl.Expr:
    """A plain ASCII number that is finite (1e400 overflows to infinity: not a number)."""
    return text.str.contains(NUMBER_PATTERN) & text.cast(pl.Float64, strict=False).is_finite()


UNITS = ("percent", "count", "days", "gbp", "rate", "score", "yesno")
POLARITIES = ("higher", "lower", "target", "none")
AGGREGATIONS = ("sum", "mean", "last", "ratio")
FREQUENCIES = ("monthly", "quarterly", "annual")
TOLERANCE_TYPES = ("relative", "absolute")
BOOLEANS = ("true", "false")

# What a valid cell looks like, by column, for messages.
EXPECTED: dict[str, str] = {
    "code": "a unique code of 1 to 32 characters",
    "title": "a title",
    "service": "a service name",
    "unit": "one of " + ", ".join(UNITS),
    "polarity": "one of " + ", ".join(POLARITIES),
    "aggregation": "one of " + ", ".join(AGGREGATIONS),
    "frequency": "one of " + ", ".join(FREQUENCIES),
    "decimals": "a whole number from 0 to 3",
    "scale": "empty or a positive number",
    "tolerance": "empty or a number of at least 0",
    "tolerance_type": "empty, relative or absolute",
    "key": "true or false",
    "unit_label": "empty or a few words shown with figures, such as weeks",
    "aliases": "empty or other names separated by |",
    "priority": "empty or ids of the council's priorities separated by |",
    "owner": "empty or the lead officer (a role or name)",
}


def _number_at_least(lowest: float, inclusive: bool) -> pa.Check:
    """A finite number of at least ``lowest`` (above it, when not ``inclusive``): a negative
    tolerance rated a figure exactly on target red, a scale of 0 made every ratio 0."""

    def passes(data: pa.PolarsData) -> pl.LazyFrame:
        number = pl.col(data.key).cast(pl.Float64, strict=False)
        big_enough = number >= lowest if inclusive else number > lowest
        fits = (number.is_finite() & big_enough).fill_null(False)
        return data.lazyframe.select(pl.col(data.key).is_null() | fits)  # empty: the default

    return pa.Check(passes, name=f"at_least_{lowest}" if inclusive else f"above_{lowest}")


def _text(
    *,
    required: bool = True,
    isin: tuple[str, ...] | None = None,
    matches: str | None = None,
    unique: bool = False,
    number: pa.Check | None = None,
) -> pa.Column:
    checks = []
    if isin is not None:
        checks.append(pa.Check.isin(list(isin)))
    if matches is not None:
        checks.append(pa.Check.str_matches(matches))
    if number is not None:
        checks.append(number)
    return pa.Column(pl.String, checks=checks, nullable=not required, unique=unique)


INDICATORS_SCHEMA = pa.DataFrameSchema(
    {
        "code": _text(matches=r"^.{1,32}$", unique=True),
        "title": _text(),
        "service": _text(),
        "unit": _text(isin=UNITS),
        "polarity": _text(isin=POLARITIES),
        "aggregation": _text(isin=AGGREGATIONS),
        "frequency": _text(isin=FREQUENCIES),
        "decimals": _text(isin=("0", "1", "2", "3")),
        "scale": _text(
            required=False, matches=NUMBER_PATTERN, number=_number_at_least(0, inclusive=False)
        ),
        "tolerance": _text(
            required=False, matches=NUMBER_PATTERN, number=_number_at_least(0, inclusive=True)
        ),
        "tolerance_type": _text(required=False, isin=TOLERANCE_TYPES),
        "key": _text(required=False, isin=BOOLEANS),
        "unit_label": _text(required=False, matches=r"^[^|<>]{1,40}$"),
        "aliases": _text(required=False),
        "priority": _text(required=False, matches=r"^[A-Za-z0-9_|\- ]+$"),
        "owner": _text(required=False, matches=r"^.{1,200}$"),
    },
    name="indicators",
)


@dataclass(frozen=True)
class Problem:
    """One failed check on one cell of a configuration table."""

    row: int | None
    column: str
    value: str | None
    problem: str


def table_problems(frame: pl.DataFrame, schema: pa.DataFrameSchema) -> list[Problem]:
    """Every failed check of ``frame`` (text columns plus ``row_number``), first row first."""
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as errors:
        return _problems_from(errors.failure_cases, frame)
    return []


def _problems_from(failures: pl.DataFrame, frame: pl.DataFrame) -> list[Problem]:
    problems = []
    for failure in failures.iter_rows(named=True):
        column = failure["column"]
        index = failure["index"]
        row = None if index is None else int(frame["row_number"][index])
        value = failure["failure_case"]
        if failure["check"] == "column_in_dataframe":
            problems.append(Problem(None, value, None, "the column is missing"))
            continue
        if failure["check"] == "field_uniqueness":
            detail = f"'{value}' appears more than once; codes must be unique"
        elif value is None:
            detail = f"the cell is empty; expected {EXPECTED.get(column, 'a value')}"
        else:
            detail = f"'{value}' is not valid; expected {EXPECTED.get(column, 'a value')}"
        problems.append(Problem(row, column, value, detail))
    ordered = sorted(
        problems,
        key=lambda p: (p.row or 0, list(EXPECTED).index(p.column) if p.column in EXPECTED else 99),
    )
    # A cell that fails two checks (not a number, so not a positive one) is one problem.
    first: dict[tuple[int | None, str], Problem] = {}
    for problem in ordered:
        first.setdefault((problem.row, problem.column), problem)
    return list(first.values())


def priority_ids(text: str | None) -> list[str]:
    """The priority ids a cell names (``corporate|place``), in the order written."""
    return [part.strip() for part in (text or "").split("|") if part.strip()]


def alias_key(name: str) -> str:
    """How a name is matched: case and runs of spaces do not matter."""
    return " ".join(name.split()).lower()


def resolve_aliases(codes: pl.Expr, indicators: pl.DataFrame) -> pl.Expr:
    """An extract's indicator names as codes: a code stays itself, an alias becomes its
    indicator's code, and anything else is left as written (to be rejected unknown)."""
    mapping: dict[str, str] = {}
    if "aliases" not in indicators.columns:
        return codes
    for code, aliases in zip(indicators["code"], indicators["aliases"], strict=True):
        for alias in (aliases or "").split("|"):
            if alias:
                mapping[alias_key(alias)] = code
    if not mapping:
        return codes
    key = codes.str.strip_chars().str.replace_all(r"\s+", " ").str.to_lowercase()
    return (
        pl.when(codes.is_in(indicators["code"].implode()))
        .then(codes)
        .otherwise(key.replace_strict(mapping, default=codes))
    )
