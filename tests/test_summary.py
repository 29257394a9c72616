"""Board summaries (SPEC §3): counts, largest-remainder percentages, what a board reports."""

from __future__ import annotations

import datetime as dt

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import indicator, observations, targets
from transforms.measures import compute_measures
from transforms.summary import (
    board_summary,
    largest_remainder_percentages,
    rag_counts,
    summary_of_counts,
)


def percentages(green: int, amber: int, red: int) -> tuple[int | None, ...]:
    frame = pl.DataFrame({"green": [green], "amber": [amber], "red": [red]}).with_columns(
        largest_remainder_percentages("green", "amber", "red")
    )
    return tuple(frame.select("green_pct", "amber_pct", "red_pct").row(0))


def test_colchester_example_ten_two_two() -> None:
    assert percentages(10, 2, 2) == (72, 14, 14)


def test_ties_go_to_green_then_amber_then_red() -> None:
    assert percentages(1, 1, 1) == (34, 33, 33)
    assert percentages(0, 1, 1) == (0, 50, 50)
    assert percentages(1, 0, 2) == (33, 0, 67)


def test_no_rated_measures_gives_no_percentages() -> None:
    assert percentages(0, 0, 0) == (None, None, None)


@given(st.integers(0, 500), st.integers(0, 500), st.integers(0, 500))
def test_percentages_always_sum_to_100_and_stay_within_one_of_the_exact_share(
    green: int, amber: int, red: int
) -> None:
    shares = percentages(green, amber, red)
    total = green + amber + red
    if total == 0:
        assert shares == (None, None, None)
        return
    assert sum(shares) == 100  # type: ignore[arg-type]
    for count, share in zip((green, amber, red), shares, strict=True):
        assert abs(share - 100 * count / total) < 1  # type: ignore[operator]


def test_summary_counts_a_boards_measures_and_reports_annual_ones_at_q4() -> None:
    indicators = pl.DataFrame(
        [
            indicator("G", service="Libraries"),
            indicator("R", service="Libraries"),
            indicator("N", service="Libraries", polarity="none"),
            indicator("D", service="Libraries"),
            indicator("A", service="Libraries", frequency="annual", aggregation="last"),
            indicator("OTHER", service="Finance"),
        ]
    )
    obs = observations(
        [("G", 2019, fm, 10.0) for fm in range(1, 13)]
        + [("R", 2019, fm, 1.0) for fm in range(1, 13)]
        + [("N", 2019, 1, 1.0), ("A", 2019, 12, 50.0), ("OTHER", 2019, 1, 1.0)]
    )
    tgts = targets(
        [
            ("G", 2019, "", 120.0),
            ("R", 2019, "", 120.0),
            ("D", 2019, "", 10.0),
            ("A", 2019, "", 40.0),
        ]
    )
    measures = compute_measures(indicators, obs, tgts, dt.date(2020, 3, 31))
    boards = pl.DataFrame({"board_id": ["els"], "service": ["Libraries"], "cadence": ["quarterly"]})
    summary = {
        r["period"]: r for r in board_summary(measures, indicators, boards).iter_rows(named=True)
    }
    assert sorted(summary) == ["2019/20 Q1", "2019/20 Q2", "2019/20 Q3", "2019/20 Q4"]
    q1 = summary["2019/20 Q1"]
    assert (q1["green"], q1["amber"], q1["red"], q1["no_target"], q1["no_data"]) == (1, 0, 1, 1, 1)
    # At Q4 the annual indicator joins from its year measure (50 against 40: green).
    q4 = summary["2019/20 Q4"]
    assert (q4["green"], q4["amber"], q4["red"], q4["no_target"], q4["no_data"]) == (2, 0, 1, 1, 1)
    assert (q4["green_pct"], q4["amber_pct"], q4["red_pct"]) == (67, 0, 33)


def test_half_yearly_boards_report_h1_and_h2() -> None:
    indicators = pl.DataFrame([indicator("G", service="Parks")])
    measures = compute_measures(
        indicators, observations([("G", 2019, 1, 1.0)]), targets([]), dt.date(2020, 3, 31)
    )
    boards = pl.DataFrame({"board_id": ["cs"], "service": ["Parks"], "cadence": ["half-yearly"]})
    assert board_summary(measures, indicators, boards)["period"].to_list() == [
        "2019/20 H1",
        "2019/20 H2",
    ]


def test_a_warehouse_counted_a_slice_of_indicators_at_a_time_gives_the_same_summary() -> None:
    """The nightly counts each slice of indicators as it computes them (it never holds every
    measure): the counts add up to the summary of all measures at once."""
    services = ["Libraries", "Parks"]
    indicators = pl.DataFrame(
        [indicator(f"I{n}", service=services[n % 2]) for n in range(8)]
        + [indicator("Y", service="Parks", frequency="annual", aggregation="last")]
    )
    obs = observations(
        [(f"I{n}", 2019, fm, float(n * fm % 7)) for n in range(8) for fm in range(1, 13)]
        + [("Y", 2019, 12, 5.0)]
    )
    tgts = targets([(f"I{n}", 2019, "", 40.0) for n in range(0, 8, 3)] + [("Y", 2019, "", 4.0)])
    measures = compute_measures(indicators, obs, tgts, dt.date(2020, 3, 31))
    boards = pl.DataFrame(
        {
            "board_id": ["all", "all", "parks"],
            "service": [*services, "Parks"],
            "cadence": ["quarterly", "quarterly", "half-yearly"],
        }
    )
    slices = [
        measures.filter(pl.col("indicator_code").is_in(codes))
        for codes in (["I0", "I1", "I2"], ["I3", "I4", "Y"], ["I5", "I6", "I7"])
    ]
    counted = pl.concat([rag_counts(part, indicators, boards) for part in slices])
    whole = board_summary(measures, indicators, boards)
    assert summary_of_counts(counted).equals(whole)
    assert whole.height == 6  # four quarters of one board, two halves of the other
    assert whole["green"].sum() + whole["amber"].sum() + whole["red"].sum() > 0
