"""Financial-year periods (SPEC §1) and parsing of every period label form (SPEC §1, §4).

A financial year (FY) is identified by the calendar year it starts in: FY 2019 is
``2019/20``. Inside an FY, months are numbered 1..12 from ``year_start_month``
(fm), quarters 1..4 and halves 1..2. Every observation is placed at the FY month
its period ends in: a month at itself, a quarter at its last month, a year at fm 12.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal

import polars as pl

from core.errors import UsageError

PeriodType = Literal["quarter", "half", "year"]
Granularity = Literal["month", "quarter", "year"]

FREQUENCY_GRANULARITY: dict[str, Granularity] = {
    "monthly": "month",
    "quarterly": "quarter",
    "annual": "year",
}

_MONTHS = {
    name: number
    for number, name in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"],
        start=1,
    )
}
# A month's three-letter abbreviation or its full name (and "Sept"), nothing else: "Junk 2019"
# is not June.
_MONTH_NAME = (
    r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
# An FY written as 2019/20, 2019-20, 2019/2020 or 2019-2020.
_FY = r"(\d{4})[/-](\d{2}|\d{4})"

# The years a period label may name (SPEC §4): outside them a label is not a period (year 0
# would otherwise reach date arithmetic that cannot hold it).
EARLIEST_FY = 1900
LATEST_FY = 2998
# Characters a spreadsheet pads cells with that are not spaces: zero-width ones and the BOM.
INVISIBLE = r"[\u200b\u200c\u200d\u2060\ufeff]"


def tidy_label(label: pl.Expr) -> pl.Expr:
    """A label as the department means it: padding and invisible characters removed, runs
    of spaces inside made one (``2019/20    Q1`` is ``2019/20 Q1``)."""
    return label.str.replace_all(INVISIBLE, "").str.replace_all(r"\s+", " ").str.strip_chars()


# Named patterns tried in order; each captures what it needs. Labels are trimmed and
# lower-cased before matching.
_MONTH_ISO = r"^(\d{4})-(\d{1,2})(?:-01)?$"
_MONTH_NAMED = rf"^{_MONTH_NAME}[\s\-]*(\d{{2}}|\d{{4}})$"
_QUARTER_FY_FIRST = rf"^{_FY}[\s;,]*q([1-4])$"
_QUARTER_Q_FIRST = rf"^q([1-4])[\s;,]*{_FY}$"
_YEAR = rf"^(?:fy\s*)?{_FY}$"
# A span of months, "Apr 2019 - Mar 2020" or "Apr-19 to Jun-19": a quarter or the year.
_MONTH_AT = rf"{_MONTH_NAME}[\s\-]*(\d{{2}}|\d{{4}})"
_RANGE = rf"^{_MONTH_AT}\s*(?:-|–|—|to)\s*{_MONTH_AT}$"


@dataclass(frozen=True)
class ReportingPeriod:
    """One reporting period kind inside an FY: where it starts and ends (FY months)."""

    period_type: PeriodType
    number: int  # quarter 1..4, half 1..2, year 0
    start_fm: int
    end_fm: int

    @property
    def k(self) -> int:
        """The quarter the period ends in (SPEC §1)."""
        return self.end_fm // 3

    @property
    def suffix(self) -> str:
        return {"quarter": f"Q{self.number}", "half": f"H{self.number}", "year": ""}[
            self.period_type
        ]

    @property
    def measured_for_annual_indicators(self) -> bool:
        """Annual indicators have measures for H2 and the year only (SPEC §3): the periods
        that end with the year and span more than its last quarter."""
        return self.end_fm == 12 and self.period_type != "quarter"


REPORTING_PERIODS: tuple[ReportingPeriod, ...] = (
    ReportingPeriod("quarter", 1, 1, 3),
    ReportingPeriod("quarter", 2, 4, 6),
    ReportingPeriod("quarter", 3, 7, 9),
    ReportingPeriod("quarter", 4, 10, 12),
    ReportingPeriod("half", 1, 1, 6),
    ReportingPeriod("half", 2, 7, 12),
    ReportingPeriod("year", 0, 1, 12),
)

# Quarters and halves by their suffix ("Q2", "H1"): what a board's cadence reports.
PERIODS_BY_SUFFIX: dict[str, ReportingPeriod] = {p.suffix: p for p in REPORTING_PERIODS if p.suffix}

CADENCE_PERIODS: dict[str, tuple[str, ...]] = {
    "quarterly": ("Q1", "Q2", "Q3", "Q4"),
    "half-yearly": ("H1", "H2"),
}


def fy_label(fy: int) -> str:
    """``2019`` -> ``2019/20``."""
    return f"{fy}/{(fy + 1) % 100:02d}"


def period_label(fy: int, suffix: str) -> str:
    """``(2019, "Q2")`` -> ``2019/20 Q2``; an empty suffix is the year itself."""
    return f"{fy_label(fy)} {suffix}".rstrip()


def fy_of(day: dt.date, year_start_month: int = 4) -> int:
    """The FY a calendar date falls in."""
    return day.year if day.month >= year_start_month else day.year - 1


def fy_month_start(fy: int, fm: int, year_start_month: int = 4) -> dt.date:
    """First calendar day of FY month ``fm`` of ``fy`` (``fm`` 13 is next April)."""
    months = fy * 12 + (year_start_month - 1) + (fm - 1)
    return dt.date(months // 12, months % 12 + 1, 1)


def fy_month_end(fy: int, fm: int, year_start_month: int = 4) -> dt.date:
    """Last calendar day of FY month ``fm`` of ``fy``."""
    return fy_month_start(fy, fm + 1, year_start_month) - dt.timedelta(days=1)


def parse_reporting_period(text: str) -> tuple[int, ReportingPeriod] | None:
    """``2019/20 Q2``, ``Q2 2019/20``, ``2019/20 H1`` or ``2019/20`` -> (fy, period)."""
    cleaned = text.strip().lower()
    found = re.fullmatch(rf"{_FY}[\s;,]*([qh][1-4])?", cleaned) or re.fullmatch(
        rf"([qh][1-4])[\s;,]*{_FY}", cleaned
    )
    if found is None:
        return None
    groups = found.groups()
    suffix, start, end = (groups[2], groups[0], groups[1]) if groups[0][0].isdigit() else groups
    fy = _valid_fy(start, end)
    matching = [p for p in REPORTING_PERIODS if p.suffix.lower() == (suffix or "")]
    return (fy, matching[0]) if fy is not None and matching else None


def latest_periods(fy: int, quarter: int) -> set[tuple[int, str]]:
    """The latest quarter and the latest half ended with quarter ``quarter`` of ``fy``:
    what a nightly publishes for each cadence."""
    half = {1: (fy - 1, "H2"), 2: (fy, "H1"), 3: (fy, "H1"), 4: (fy, "H2")}[quarter]
    return {(fy, f"Q{quarter}"), half}


def require_reporting_period(label: str, what: str) -> tuple[int, ReportingPeriod]:
    """:func:`parse_reporting_period`, or a usage error naming the option ``what``."""
    parsed = parse_reporting_period(label)
    if parsed is None:
        raise UsageError(f"{what}: '{label}' is not a period such as 2019/20 Q2")
    return parsed


def period_range(
    start: str, end: str, names: tuple[str, str] = ("start", "end")
) -> list[tuple[int, ReportingPeriod]]:
    """Every quarter and half from ``start`` to ``end`` inclusive (a backfill's periods);
    ``names`` are the caller's names for the two, for messages."""
    first = require_reporting_period(start, names[0])
    last = require_reporting_period(end, names[1])
    if (first[0], first[1].end_fm) > (last[0], last[1].end_fm):
        raise UsageError(f"the range '{start}' to '{end}' is reversed: it ends before it starts")
    return [
        (fy, period)
        for fy in range(first[0], last[0] + 1)
        for period in REPORTING_PERIODS
        if (first[0], first[1].end_fm) <= (fy, period.end_fm) <= (last[0], last[1].end_fm)
        and period.period_type != "year"
    ]


def _valid_fy(start: str, end: str) -> int | None:
    first = int(start)
    ok = int(end) == first + 1 if len(end) == 4 else int(end) == (first + 1) % 100
    return first if ok else None


def _fy_expr(start: pl.Expr, end: pl.Expr) -> pl.Expr:
    """FY start year when ``end`` is the year after ``start`` (2 or 4 digits), else null."""
    start_i = start.cast(pl.Int32)
    end_i = end.cast(pl.Int32)
    valid = (
        pl.when(end.str.len_chars() == 4)
        .then(end_i == start_i + 1)
        .otherwise(end_i == (start_i + 1) % 100)
    )
    return pl.when(valid).then(start_i)


def _month_span(text: pl.Expr, year_start_month: int) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """For a span of months: the FY and FY month it ends in, and how many months it has."""

    def month_number(part: int) -> pl.Expr:
        name = text.str.extract(_RANGE, part).str.slice(0, 3)
        year = text.str.extract(_RANGE, part + 1)
        full = pl.when(year.str.len_chars() == 2).then(pl.lit("20") + year).otherwise(year)
        month = name.replace_strict(_MONTHS, default=None, return_dtype=pl.Int32)
        return full.cast(pl.Int32, strict=False) * 12 + month - 1

    start, end = month_number(1), month_number(3)
    fy_start_offset = year_start_month - 1
    end_fy = (end - fy_start_offset) // 12
    end_fm = (end - fy_start_offset) % 12 + 1
    return end_fy, end_fm, end - start + 1


def parse_period_labels(labels: pl.Series, year_start_month: int = 4) -> pl.DataFrame:
    """Parse period labels into ``granularity`` (month/quarter/year), ``fy`` and ``fm``.

    ``fm`` is the FY month the period ends in. Unparseable labels give nulls in all three.
    Accepts ``2019-07``, ``Jul-19``, ``July 2019``, ``2019/20 Q1``, ``Q1 2019/20``,
    ``2018-19;Q1`` and ``2019/20`` / ``2019-20``, and spans of months that are a quarter
    or the year: ``Apr 2019 - Jun 2019``, ``Apr 2019 - Mar 2020``.
    """
    frame = pl.DataFrame({"label": labels.cast(pl.String)})
    # An extract repeats a few dozen labels over millions of rows: parse each label once.
    distinct = _parse_distinct(frame.select(pl.col("label").unique()), year_start_month)
    joined = frame.join(distinct, on="label", how="left", nulls_equal=True, maintain_order="left")
    return joined.drop("label")


def _parse_distinct(frame: pl.DataFrame, year_start_month: int) -> pl.DataFrame:
    """:func:`parse_period_labels` of a frame of distinct labels, keeping the label."""
    # Tidied once: each pattern below reads the column, not an expression compiled again.
    frame = frame.with_columns(tidy_label(pl.col("label")).str.to_lowercase().alias("_text"))
    text = pl.col("_text")

    iso_year = text.str.extract(_MONTH_ISO, 1).cast(pl.Int32, strict=False)
    iso_month = text.str.extract(_MONTH_ISO, 2).cast(pl.Int32, strict=False)
    named_month = (
        text.str.extract(_MONTH_NAMED, 1).str.slice(0, 3).replace_strict(_MONTHS, default=None)
    )
    named_year_raw = text.str.extract(_MONTH_NAMED, 2)
    named_year = (
        pl.when(named_year_raw.str.len_chars() == 2)
        .then(2000 + named_year_raw.cast(pl.Int32, strict=False))
        .otherwise(named_year_raw.cast(pl.Int32, strict=False))
    )
    cal_year = pl.coalesce(iso_year, named_year)
    cal_month = pl.coalesce(
        pl.when(iso_month.is_between(1, 12)).then(iso_month),
        pl.when(iso_year.is_null()).then(named_month.cast(pl.Int32)),
    )

    q_fy_first = _fy_expr(
        text.str.extract(_QUARTER_FY_FIRST, 1), text.str.extract(_QUARTER_FY_FIRST, 2)
    )
    q_first_fy = _fy_expr(
        text.str.extract(_QUARTER_Q_FIRST, 2), text.str.extract(_QUARTER_Q_FIRST, 3)
    )
    quarter = pl.coalesce(
        pl.when(q_fy_first.is_not_null()).then(text.str.extract(_QUARTER_FY_FIRST, 3)),
        pl.when(q_first_fy.is_not_null()).then(text.str.extract(_QUARTER_Q_FIRST, 1)),
    ).cast(pl.Int32)
    quarter_fy = pl.coalesce(q_fy_first, q_first_fy)
    year_fy = _fy_expr(text.str.extract(_YEAR, 1), text.str.extract(_YEAR, 2))
    span_fy, span_fm, span_months = _month_span(text, year_start_month)
    quarter_fy = pl.coalesce(
        quarter_fy, pl.when((span_months == 3) & (span_fm % 3 == 0)).then(span_fy)
    )
    quarter = pl.coalesce(quarter, pl.when(span_months == 3).then(span_fm // 3))
    year_fy = pl.coalesce(year_fy, pl.when((span_months == 12) & (span_fm == 12)).then(span_fy))

    month_fm = (cal_month - year_start_month) % 12 + 1
    month_fy = pl.when(cal_month >= year_start_month).then(cal_year).otherwise(cal_year - 1)
    is_month = cal_month.is_not_null() & cal_year.is_not_null()

    parsed = frame.select(
        "label",
        granularity=pl.when(is_month)
        .then(pl.lit("month"))
        .when(quarter_fy.is_not_null())
        .then(pl.lit("quarter"))
        .when(year_fy.is_not_null())
        .then(pl.lit("year")),
        fy=pl.when(is_month).then(month_fy).otherwise(pl.coalesce(quarter_fy, year_fy)),
        fm=pl.when(is_month)
        .then(month_fm)
        .when(quarter_fy.is_not_null())
        .then(quarter * 3)
        .when(year_fy.is_not_null())
        .then(pl.lit(12)),
    )
    plausible = pl.col("fy").is_between(EARLIEST_FY, LATEST_FY)
    return parsed.select(
        "label",
        *(pl.when(plausible).then(pl.col(c)).alias(c) for c in ("granularity", "fy", "fm")),
    ).with_columns(pl.col("fy").cast(pl.Int32), pl.col("fm").cast(pl.Int32))


def reporting_periods_frame(
    first_fy: int, as_of: dt.date, year_start_month: int = 4
) -> pl.DataFrame:
    """Every reporting period (quarter, half, year) of FYs first_fy..FY(as_of) ended by as_of."""
    rows = []
    for fy in range(first_fy, fy_of(as_of, year_start_month) + 1):
        for period in REPORTING_PERIODS:
            if fy_month_end(fy, period.end_fm, year_start_month) <= as_of:
                rows.append(
                    {
                        "fy": fy,
                        "period_type": period.period_type,
                        "period_number": period.number,
                        "period_suffix": period.suffix,
                        "start_fm": period.start_fm,
                        "end_fm": period.end_fm,
                        "k": period.k,
                        "annual_indicators": period.measured_for_annual_indicators,
                    }
                )
    schema = {
        "fy": pl.Int32,
        "period_type": pl.String,
        "period_number": pl.Int8,
        "period_suffix": pl.String,
        "start_fm": pl.Int8,
        "end_fm": pl.Int8,
        "k": pl.Int8,
        "annual_indicators": pl.Boolean,
    }
    return pl.DataFrame(rows, schema=schema)


def period_label_expr(fy: pl.Expr, suffix: pl.Expr) -> pl.Expr:
    """Vectorised :func:`period_label`."""
    fy_text = pl.format("{}/{}", fy, ((fy + 1) % 100).cast(pl.String).str.zfill(2))
    return pl.when(suffix == "").then(fy_text).otherwise(pl.format("{} {}", fy_text, suffix))


def calendar_month_expr(fy: pl.Expr, fm: pl.Expr, year_start_month: int = 4) -> pl.Expr:
    """FY month ``fm`` of ``fy`` as months since year 0 (year × 12 + calendar month − 1)."""
    return fy * 12 + (year_start_month - 1) + (fm - 1)


def period_end_expr(fy: pl.Expr, fm: pl.Expr, year_start_month: int = 4) -> pl.Expr:
    """Vectorised :func:`fy_month_end`: the last calendar day of FY month ``fm``."""
    months = calendar_month_expr(fy, fm, year_start_month)
    return pl.date(months // 12, months % 12 + 1, 1).dt.month_end()
