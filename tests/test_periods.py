"""Period labels, financial-year arithmetic, backfill ranges and what a nightly run publishes.

Every label form that docs/decisions.md ("Periods") promises is parsed to the exact FY and
FY month (fm: the month the period ends in, 1 = the first month of the FY); forms that are
not periods are refused, so a department's typo is rejected rather than guessed at.
tests/test_measures.py covers what the measures do with parsed periods; here are the
periods themselves.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from core.errors import UsageError
from core.periods import (
    ReportingPeriod,
    fy_label,
    fy_month_end,
    fy_month_start,
    fy_of,
    parse_period_labels,
    parse_reporting_period,
    period_label,
    period_range,
    reporting_periods_frame,
)
from core.settings import Board, Council, CouncilSettings
from outputs.publish import periods_to_publish
from transforms.coverage import latest_quarter
from warehouse.load import LoadResult

Parsed = tuple[str | None, int | None, int | None]  # (granularity, fy, fm)


def parsed(label: str, year_start_month: int = 4) -> Parsed:
    frame = parse_period_labels(pl.Series([label]), year_start_month)
    granularity, fy, fm = frame.row(0)
    return granularity, fy, fm


# --- Extract labels (docs/decisions.md, "Periods"), with the default April year start ---

MONTH_FORMS = {
    "2019-07": ("month", 2019, 4),
    "2019-07-01": ("month", 2019, 4),
    "Jul-19": ("month", 2019, 4),
    "Jul 2019": ("month", 2019, 4),
    "July 2019": ("month", 2019, 4),
    "Sept 2019": ("month", 2019, 6),
    "Sep-19": ("month", 2019, 6),
    "Apr-19": ("month", 2019, 1),
    "April 2019": ("month", 2019, 1),
    "2019-04": ("month", 2019, 1),
    "Dec-19": ("month", 2019, 9),
    "Jan-20": ("month", 2019, 10),  # January is in the FY that began the April before
    "March 2020": ("month", 2019, 12),
    "2020-03": ("month", 2019, 12),
}

QUARTER_FORMS = {
    "2019/20 Q1": ("quarter", 2019, 3),
    "Q1 2019/20": ("quarter", 2019, 3),
    "2019-20 Q1": ("quarter", 2019, 3),
    "2018-19;Q1": ("quarter", 2018, 3),  # Scottish LGBF
    "2019/2020 Q1": ("quarter", 2019, 3),
    "2019/20 Q2": ("quarter", 2019, 6),
    "Q2 2019/20": ("quarter", 2019, 6),
    "2019/20 Q3": ("quarter", 2019, 9),
    "Q4 2019/20": ("quarter", 2019, 12),
}

YEAR_FORMS = {
    "2019/20": ("year", 2019, 12),
    "2019-20": ("year", 2019, 12),
    "2019/2020": ("year", 2019, 12),
    "FY 2019/20": ("year", 2019, 12),
    "1999/00": ("year", 1999, 12),  # across a century
    "1999/2000": ("year", 1999, 12),
}

# Case and surrounding spaces do not matter.
SPELLING_VARIANTS = {
    "  JULY 2019 ": ("month", 2019, 4),
    "jul-19": ("month", 2019, 4),
    "q2 2019/20": ("quarter", 2019, 6),
    " 2019/20 q3 ": ("quarter", 2019, 9),
    "fy 2019/20": ("year", 2019, 12),
    "\t2019-20\t": ("year", 2019, 12),
}


@pytest.mark.parametrize(
    ("label", "expected"),
    [*MONTH_FORMS.items(), *QUARTER_FORMS.items(), *YEAR_FORMS.items(), *SPELLING_VARIANTS.items()],
)
def test_every_documented_label_form_parses_to_its_fy_and_month(
    label: str, expected: Parsed
) -> None:
    assert parsed(label) == expected


NOT_PERIODS = [
    "2019/21",  # the halves of a year label must be consecutive
    "2019/2021",
    "2019-21 Q1",
    "2019/20 Q5",
    "2019/20 Q0",
    "2019-13",
    "2019-00",
    "2019-07-15",  # a day other than the first is a date, not a month
    "2019",
    "Q1",
    "July",
    "Ju 2019",
    "2019/20 Q1 x",
    "2019/20 H1",  # halves are reporting periods, not observation periods
    "",
    "   ",
]


@pytest.mark.parametrize("label", NOT_PERIODS)
def test_labels_that_are_not_periods_do_not_parse(label: str) -> None:
    assert parsed(label) == (None, None, None)


# decisions.md lists abbreviations, full names and "Sept" only: a word that merely begins
# with a month's name is refused (bad_period) rather than guessed at.
@pytest.mark.parametrize("label", ["Junk 2019", "Julember 2019", "Marching 2019"])
def test_a_word_that_merely_begins_with_a_month_name_is_not_a_month(label: str) -> None:
    assert parsed(label) == (None, None, None)


def test_a_column_of_labels_parses_row_by_row_with_nulls_for_the_bad_ones() -> None:
    frame = parse_period_labels(pl.Series(["Apr-19", "nonsense", "2019/20 Q4", None]))
    assert frame.rows() == [
        ("month", 2019, 1),
        (None, None, None),
        ("quarter", 2019, 12),
        (None, None, None),
    ]


# --- Reporting periods: backfill --from / --to and the nightly's choice ---

REPORTING_FORMS = {
    "2019/20 Q2": (2019, "Q2", "quarter", 4, 6),
    "Q2 2019/20": (2019, "Q2", "quarter", 4, 6),
    "2019-20 Q4": (2019, "Q4", "quarter", 10, 12),
    "2018-19;Q1": (2018, "Q1", "quarter", 1, 3),
    "2019/2020 Q3": (2019, "Q3", "quarter", 7, 9),
    "2019/20 H1": (2019, "H1", "half", 1, 6),
    "H2 2019/20": (2019, "H2", "half", 7, 12),
    "2019/20  h2": (2019, "H2", "half", 7, 12),
    "2019/20": (2019, "", "year", 1, 12),
}


@pytest.mark.parametrize(("label", "expected"), REPORTING_FORMS.items())
def test_reporting_period_labels_parse_to_fy_and_period(
    label: str, expected: tuple[int, str, str, int, int]
) -> None:
    found = parse_reporting_period(label)
    assert found is not None
    fy, period = found
    assert (fy, period.suffix, period.period_type, period.start_fm, period.end_fm) == expected


@pytest.mark.parametrize(
    "label", ["2019/20 H3", "2019/20 Q5", "2019/21", "2019/20 Y", "2019-07", "Q2", ""]
)
def test_labels_that_are_not_reporting_periods_do_not_parse(label: str) -> None:
    assert parse_reporting_period(label) is None


def test_labels_are_written_as_the_spec_shows_them() -> None:
    assert fy_label(2019) == "2019/20"
    assert fy_label(1999) == "1999/00"
    assert period_label(2019, "Q2") == "2019/20 Q2"
    assert period_label(2019, "H1") == "2019/20 H1"
    assert period_label(2019, "") == "2019/20"


def spans(periods: list[tuple[int, ReportingPeriod]]) -> list[str]:
    return [period_label(fy, p.suffix) for fy, p in periods]


def test_a_backfill_range_within_a_year_covers_its_quarters_and_halves() -> None:
    assert spans(period_range("2019/20 Q1", "2019/20 Q4")) == [
        "2019/20 Q1",
        "2019/20 Q2",
        "2019/20 Q3",
        "2019/20 Q4",
        "2019/20 H1",
        "2019/20 H2",
    ]


def test_a_backfill_range_across_a_year_boundary_includes_both_ends() -> None:
    assert spans(period_range("2018/19 Q3", "Q1 2019/20")) == [
        "2018/19 Q3",
        "2018/19 Q4",
        "2018/19 H2",
        "2019/20 Q1",
    ]


def test_a_backfill_over_years_covers_every_quarter_and_half_but_not_the_years() -> None:
    periods = spans(period_range("2018/19 Q1", "2020/21 Q4"))
    assert len(periods) == 3 * 6
    assert not any(label in periods for label in ("2018/19", "2019/20", "2020/21"))


def test_a_range_of_halves_covers_what_ends_between_the_halves_ends() -> None:
    # decisions.md: every quarter and half whose end falls between the two periods' ends.
    assert spans(period_range("2019/20 H2", "2020/21 H1")) == [
        "2019/20 Q4",
        "2019/20 H2",
        "2020/21 Q1",
        "2020/21 Q2",
        "2020/21 H1",
    ]


def test_a_single_quarter_is_republished_with_the_half_that_ends_with_it() -> None:
    assert spans(period_range("2019/20 Q3", "2019/20 Q3")) == ["2019/20 Q3"]
    assert spans(period_range("2019/20 Q2", "2019/20 Q2")) == ["2019/20 Q2", "2019/20 H1"]


def test_a_reversed_range_is_a_usage_error_in_the_callers_words() -> None:
    with pytest.raises(UsageError, match="'2019/20 Q4' to '2019/20 Q1' is reversed"):
        period_range("2019/20 Q4", "2019/20 Q1")
    with pytest.raises(UsageError, match="reversed"):
        period_range("2020/21 Q1", "2019/20 Q4", ("--from", "--to"))


def test_a_backfill_label_that_is_not_a_period_is_refused_with_an_example() -> None:
    with pytest.raises(UsageError, match="start: '2019/20 Q5' is not a period such as 2019/20 Q2"):
        period_range("2019/20 Q5", "2019/20 Q4")
    with pytest.raises(UsageError, match="--to: 'Q5' is not a period"):
        period_range("2019/20 Q1", "Q5", ("--from", "--to"))


def council_starting_in(year_start_month: int) -> Council:
    settings = CouncilSettings(
        name="Test Borough Council",
        year_start_month=year_start_month,
        boards=[Board(id="b", name="Board", services=["S"], cadence="quarterly")],
    )
    return Council(Path("."), settings, pl.DataFrame(), pl.DataFrame())


NOTHING_CHANGED = LoadResult(measures=0, recomputed=False, changed_years=set())


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        # Q1 has ended: its quarter, and the last half to end (last year's H2).
        (dt.date(2026, 6, 30), {(2026, "Q1"), (2025, "H2")}),
        (dt.date(2026, 8, 15), {(2026, "Q1"), (2025, "H2")}),
        # Q2 has ended: Q2 and H1 end together.
        (dt.date(2026, 9, 30), {(2026, "Q2"), (2026, "H1")}),
        # Q3: H1 is still the latest half.
        (dt.date(2027, 1, 10), {(2026, "Q3"), (2026, "H1")}),
        # Q4 and H2 end together; they stay the latest until next June ends.
        (dt.date(2027, 3, 31), {(2026, "Q4"), (2026, "H2")}),
        (dt.date(2027, 4, 1), {(2026, "Q4"), (2026, "H2")}),
        # The day before a quarter ends, the previous quarter is still the latest.
        (dt.date(2026, 9, 29), {(2026, "Q1"), (2025, "H2")}),
    ],
)
def test_a_quiet_nightly_publishes_the_latest_quarter_and_half(
    as_of: dt.date, expected: set[tuple[int, str]]
) -> None:
    assert periods_to_publish(council_starting_in(4), as_of, NOTHING_CHANGED) == expected


def every_quarter_and_half(fy: int) -> set[tuple[int, str]]:
    return {(fy, suffix) for suffix in ("Q1", "Q2", "Q3", "Q4", "H1", "H2")}


def test_changed_years_are_republished_with_the_years_that_draw_on_them() -> None:
    # A restated 2024/25 changes 2025/26's comparisons with the previous year too, and the
    # eight-quarter trends of 2025/26 and 2026/27.
    changed = LoadResult(measures=10, recomputed=True, changed_years={2022, 2024})
    assert periods_to_publish(council_starting_in(4), dt.date(2026, 9, 30), changed) == (
        every_quarter_and_half(2022)
        | every_quarter_and_half(2023)
        | every_quarter_and_half(2024)
        | every_quarter_and_half(2025)
        | every_quarter_and_half(2026)  # 2024's figures are in its eight-quarter trends
    )


def test_a_new_month_republishes_only_the_periods_that_draw_on_its_quarter() -> None:
    # September 2024 (2024/25 Q2) arrives: Q1 2024/25 and earlier do not include it; the
    # rest of 2024/25 has it to date, 2025/26 as last year's, and 2026/27 to Q3 in its
    # trends (whose year-to-date points for 2024/25 Q2 to Q4 changed).
    changed = LoadResult(
        measures=10, recomputed=True, changed_years={2024}, changed_quarters=frozenset({(2024, 2)})
    )
    assert periods_to_publish(council_starting_in(4), dt.date(2026, 9, 30), changed) == (
        {(2024, s) for s in ("Q2", "H1", "Q3", "Q4", "H2")}
        | every_quarter_and_half(2025)
        | {(2026, "Q1"), (2026, "Q2"), (2026, "H1"), (2026, "Q3")}
    )


def test_a_changed_basis_republishes_everything() -> None:
    rebased = LoadResult(measures=10, recomputed=True, changed_years=None)
    assert periods_to_publish(council_starting_in(4), dt.date(2026, 9, 30), rebased) is None


@pytest.mark.parametrize(
    ("year_start_month", "expected"),
    [
        (1, {(2026, "Q3"), (2026, "H1")}),  # FY 2026 is January to December 2026
        (7, {(2026, "Q1"), (2025, "H2")}),  # FY 2026 began in July 2026
    ],
)
def test_the_nightly_choice_follows_the_councils_year_start(
    year_start_month: int, expected: set[tuple[int, str]]
) -> None:
    council = council_starting_in(year_start_month)
    assert periods_to_publish(council, dt.date(2026, 9, 30), NOTHING_CHANGED) == expected


# --- A year that does not start in April (docs/decisions.md: labels keep the 2019/20 form,
# naming the calendar year the FY starts in) ---


@pytest.mark.parametrize(
    ("year_start_month", "label", "expected"),
    [
        (1, "2019-01", ("month", 2019, 1)),
        (1, "Dec-19", ("month", 2019, 12)),
        (1, "2020-01", ("month", 2020, 1)),
        (1, "2019/20 Q1", ("quarter", 2019, 3)),
        (1, "2019/20", ("year", 2019, 12)),
        (7, "Jul-19", ("month", 2019, 1)),
        (7, "2019-06", ("month", 2018, 12)),
        (7, "2020-06", ("month", 2019, 12)),
        (7, "January 2020", ("month", 2019, 7)),
        (7, "Q4 2019/20", ("quarter", 2019, 12)),
        (7, "2019-20", ("year", 2019, 12)),
    ],
)
def test_months_are_numbered_from_the_councils_year_start(
    year_start_month: int, label: str, expected: Parsed
) -> None:
    assert parsed(label, year_start_month) == expected


@pytest.mark.parametrize(
    ("year_start_month", "day", "fy"),
    [
        (4, dt.date(2020, 3, 31), 2019),
        (4, dt.date(2020, 4, 1), 2020),
        (1, dt.date(2020, 1, 1), 2020),
        (1, dt.date(2019, 12, 31), 2019),
        (7, dt.date(2020, 6, 30), 2019),
        (7, dt.date(2020, 7, 1), 2020),
    ],
)
def test_a_date_belongs_to_the_fy_it_falls_in(year_start_month: int, day: dt.date, fy: int) -> None:
    assert fy_of(day, year_start_month) == fy


@pytest.mark.parametrize(
    ("year_start_month", "fm", "start", "end"),
    [
        (4, 1, dt.date(2019, 4, 1), dt.date(2019, 4, 30)),
        (4, 11, dt.date(2020, 2, 1), dt.date(2020, 2, 29)),  # a leap February
        (4, 12, dt.date(2020, 3, 1), dt.date(2020, 3, 31)),
        (1, 1, dt.date(2019, 1, 1), dt.date(2019, 1, 31)),
        (1, 12, dt.date(2019, 12, 1), dt.date(2019, 12, 31)),
        (7, 1, dt.date(2019, 7, 1), dt.date(2019, 7, 31)),
        (7, 6, dt.date(2019, 12, 1), dt.date(2019, 12, 31)),
        (7, 8, dt.date(2020, 2, 1), dt.date(2020, 2, 29)),
        (7, 12, dt.date(2020, 6, 1), dt.date(2020, 6, 30)),
    ],
)
def test_fy_months_start_and_end_on_calendar_days(
    year_start_month: int, fm: int, start: dt.date, end: dt.date
) -> None:
    assert fy_month_start(2019, fm, year_start_month) == start
    assert fy_month_end(2019, fm, year_start_month) == end


@pytest.mark.parametrize(
    ("year_start_month", "quarter_ends"),
    [
        (4, ["2019-06-30", "2019-09-30", "2019-12-31", "2020-03-31"]),
        (1, ["2019-03-31", "2019-06-30", "2019-09-30", "2019-12-31"]),
        (7, ["2019-09-30", "2019-12-31", "2020-03-31", "2020-06-30"]),
    ],
)
def test_quarters_end_three_six_nine_and_twelve_months_into_the_year(
    year_start_month: int, quarter_ends: list[str]
) -> None:
    ends = [fy_month_end(2019, 3 * q, year_start_month).isoformat() for q in (1, 2, 3, 4)]
    assert ends == quarter_ends


@pytest.mark.parametrize(
    ("year_start_month", "as_of", "ended"),
    [
        (4, dt.date(2019, 9, 30), ["Q1", "Q2", "H1"]),
        (1, dt.date(2019, 9, 30), ["Q1", "Q2", "Q3", "H1"]),
        (7, dt.date(2019, 9, 30), ["Q1"]),
        (7, dt.date(2020, 6, 30), ["Q1", "Q2", "Q3", "Q4", "H1", "H2", ""]),
    ],
)
def test_only_periods_ended_by_the_as_of_date_are_reported(
    year_start_month: int, as_of: dt.date, ended: list[str]
) -> None:
    frame = reporting_periods_frame(2019, as_of, year_start_month)
    this_year = frame.filter(pl.col("fy") == 2019)["period_suffix"].to_list()
    assert this_year == ended


@pytest.mark.parametrize(
    ("year_start_month", "as_of", "latest"),
    [
        (4, dt.date(2026, 9, 30), (2026, 2)),
        (4, dt.date(2026, 4, 30), (2025, 4)),
        (1, dt.date(2026, 9, 30), (2026, 3)),
        (1, dt.date(2026, 2, 1), (2025, 4)),
        (7, dt.date(2026, 9, 30), (2026, 1)),
        (7, dt.date(2026, 9, 29), (2025, 4)),
    ],
)
def test_the_latest_quarter_is_the_last_one_ended_by_the_as_of_date(
    year_start_month: int, as_of: dt.date, latest: tuple[int, int]
) -> None:
    assert latest_quarter(as_of, year_start_month) == latest
