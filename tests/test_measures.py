"""Worked examples of SPEC §3 that a performance officer can check by hand.

FY 2019 is 2019/20 (April 2019 to March 2020); fm 1 is April. Unless stated, the
indicator is a monthly count, higher is better, summed, 0 decimals, 5% relative tolerance.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
import pytest

from tests.conftest import indicator, observations, targets
from transforms.measures import compute_measures

YEAR_END = dt.date(2020, 3, 31)


def measures_of(
    indicators: list[dict[str, Any]],
    obs: pl.DataFrame,
    tgts: pl.DataFrame | None = None,
    as_of: dt.date = YEAR_END,
) -> dict[tuple[str, str], dict[str, Any]]:
    frame = compute_measures(
        pl.DataFrame(indicators), obs, tgts if tgts is not None else targets([]), as_of
    )
    return {(r["indicator_code"], r["period"]): r for r in frame.iter_rows(named=True)}


def one(
    ind: dict[str, Any],
    obs: pl.DataFrame,
    tgts: pl.DataFrame | None,
    period: str,
    as_of: dt.date = YEAR_END,
) -> dict[str, Any]:
    return measures_of([ind], obs, tgts, as_of)[(ind["code"], period)]


# --- aggregations -------------------------------------------------------------------


def test_sum_adds_the_months_of_the_period_and_the_year_so_far() -> None:
    obs = observations([("X 01", 2019, fm, 10.0 * fm) for fm in range(1, 7)])
    q2 = one(indicator(), obs, None, "2019/20 Q2")
    assert q2["period_value"] == 40 + 50 + 60
    assert q2["ytd_value"] == 10 + 20 + 30 + 40 + 50 + 60
    assert (q2["months_expected"], q2["months_present"]) == (6, 6)


def test_mean_ignores_missing_months_rather_than_counting_them_as_zero() -> None:
    obs = observations([("X 01", 2019, 1, 10.0), ("X 01", 2019, 3, 20.0)])
    q1 = one(indicator(aggregation="mean"), obs, None, "2019/20 Q1")
    assert q1["period_value"] == 15.0
    assert (q1["months_expected"], q1["months_present"]) == (3, 2)


def test_last_takes_the_latest_observation_in_the_window() -> None:
    obs = observations([("X 01", 2019, 1, 29.0), ("X 01", 2019, 2, 40.0), ("X 01", 2019, 4, 57.0)])
    ind = indicator(aggregation="last", unit="percent")
    assert one(ind, obs, None, "2019/20 Q1")["period_value"] == 40.0
    assert one(ind, obs, None, "2019/20 Q2")["ytd_value"] == 57.0
    # Q3 has no observation of its own, but the year so far still has its latest one.
    q3 = one(ind, obs, None, "2019/20 Q3")
    assert q3["period_value"] is None
    assert q3["ytd_value"] == 57.0


def test_ratio_sums_numerators_and_denominators_of_the_rows_present() -> None:
    obs = observations(
        [("X 01", 2019, 1, None), ("X 01", 2019, 2, None)], ratio=[(45.0, 50.0), (10.0, 50.0)]
    )
    q1 = one(indicator(aggregation="ratio", unit="percent", scale=100.0), obs, None, "2019/20 Q1")
    # (45 + 10) / (50 + 50) × 100, not the mean of 90% and 20%.
    assert q1["period_value"] == pytest.approx(55.0)


def test_an_empty_window_gives_null_not_zero() -> None:
    obs = observations([("X 01", 2019, 1, 5.0)])
    q2 = one(indicator(), obs, None, "2019/20 Q2")
    assert q2["period_value"] is None
    assert q2["ytd_value"] == 5.0


# --- targets -------------------------------------------------------------------------


def test_sum_target_is_pro_rated_from_the_annual_target_without_a_profile() -> None:
    obs = observations([("X 01", 2019, 1, 10.0)])
    tg = targets([("X 01", 2019, "", 1200.0)])
    assert one(indicator(), obs, tg, "2019/20 Q1")["ytd_target"] == 300.0
    assert one(indicator(), obs, tg, "2019/20 H1")["ytd_target"] == 600.0
    assert one(indicator(), obs, tg, "2019/20 Q3")["ytd_target"] == 900.0
    assert one(indicator(), obs, tg, "2019/20")["ytd_target"] == 1200.0


def test_sum_target_adds_the_profile_only_where_every_quarter_so_far_is_profiled() -> None:
    obs = observations([("X 01", 2019, 1, 10.0)])
    tg = targets(
        [
            ("X 01", 2019, "", 1200.0),
            ("X 01", 2019, "Q1", 100.0),
            ("X 01", 2019, "Q2", 500.0),
            ("X 01", 2019, "Q4", 50.0),
        ]
    )
    assert one(indicator(), obs, tg, "2019/20 Q1")["ytd_target"] == 100.0
    assert one(indicator(), obs, tg, "2019/20 Q2")["ytd_target"] == 600.0
    # Q3 is not profiled: back to the annual pro-rata (1200 × 9/12), even though Q4 is.
    assert one(indicator(), obs, tg, "2019/20 Q3")["ytd_target"] == 900.0
    assert one(indicator(), obs, tg, "2019/20 Q4")["ytd_target"] == 1200.0


def test_level_target_uses_the_quarter_profile_else_the_annual_target() -> None:
    ind = indicator(aggregation="last", unit="percent", decimals=1)
    obs = observations([("X 01", 2019, 1, 30.0)])
    tg = targets([("X 01", 2019, "", 97.0), ("X 01", 2019, "Q1", 29.0), ("X 01", 2019, "Q4", 98.0)])
    assert one(ind, obs, tg, "2019/20 Q1")["ytd_target"] == 29.0
    assert one(ind, obs, tg, "2019/20 Q2")["ytd_target"] == 97.0
    # A non-sum indicator's year target is its Q4 profile where one is given.
    assert one(ind, obs, tg, "2019/20")["ytd_target"] == 98.0
    assert one(ind, obs, tg, "2019/20 H2")["ytd_target"] == 98.0


def test_no_target_gives_null_target_and_no_target_status() -> None:
    row = one(indicator(), observations([("X 01", 2019, 1, 10.0)]), None, "2019/20 Q1")
    assert row["ytd_target"] is None
    assert row["rag"] == "no_target"


# --- RAG -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("actual", "status"),
    [(100.0, "green"), (120.0, "green"), (95.0, "amber"), (94.9, "red"), (97.0, "amber")],
)
def test_higher_is_better_boundaries(actual: float, status: str) -> None:
    # Target 100, tolerance 5% of 100 = 5: green at 100 or more, amber down to exactly 95.
    ind = indicator(aggregation="last", unit="percent", decimals=1)
    row = one(
        ind,
        observations([("X 01", 2019, 3, actual)]),
        targets([("X 01", 2019, "", 100.0)]),
        "2019/20 Q1",
    )
    assert row["rag"] == status


@pytest.mark.parametrize(
    ("actual", "status"), [(20.0, "green"), (19.0, "green"), (21.0, "amber"), (21.1, "red")]
)
def test_lower_is_better_boundaries(actual: float, status: str) -> None:
    # Target 20 days, tolerance 5% = 1 day: amber up to exactly 21.
    ind = indicator(aggregation="mean", unit="days", polarity="lower", decimals=1)
    row = one(
        ind,
        observations([("X 01", 2019, 1, actual)]),
        targets([("X 01", 2019, "", 20.0)]),
        "2019/20 Q1",
    )
    assert row["rag"] == status


@pytest.mark.parametrize(
    ("actual", "status"),
    [
        (10.0, "green"),
        (11.0, "green"),
        (9.0, "green"),
        (12.0, "amber"),
        (8.0, "amber"),
        (12.1, "red"),
        (7.9, "red"),
    ],
)
def test_target_polarity_is_green_within_one_tolerance_and_amber_within_two(
    actual: float, status: str
) -> None:
    # Staff turnover aiming at 10% with an absolute tolerance of 1 point.
    ind = indicator(
        aggregation="last",
        unit="percent",
        polarity="target",
        decimals=1,
        tolerance=1.0,
        tolerance_type="absolute",
    )
    row = one(
        ind,
        observations([("X 01", 2019, 3, actual)]),
        targets([("X 01", 2019, "", 10.0)]),
        "2019/20 Q1",
    )
    assert row["rag"] == status


def test_target_of_zero_with_relative_tolerance_needs_the_exact_figure() -> None:
    ind = indicator(aggregation="last", polarity="lower")
    tg = targets([("X 01", 2019, "", 0.0)])
    assert one(ind, observations([("X 01", 2019, 3, 0.0)]), tg, "2019/20 Q1")["rag"] == "green"
    # 5% of zero is zero: any complaint at all is red.
    assert one(ind, observations([("X 01", 2019, 3, 1.0)]), tg, "2019/20 Q1")["rag"] == "red"


def test_target_of_zero_with_absolute_tolerance_budget_variance() -> None:
    ind = indicator(
        unit="gbp",
        aggregation="last",
        polarity="target",
        tolerance=250000.0,
        tolerance_type="absolute",
    )
    tg = targets([("X 01", 2019, "", 0.0)])
    assert (
        one(ind, observations([("X 01", 2019, 3, -180000.0)]), tg, "2019/20 Q1")["rag"] == "green"
    )
    assert one(ind, observations([("X 01", 2019, 3, 400000.0)]), tg, "2019/20 Q1")["rag"] == "amber"
    assert one(ind, observations([("X 01", 2019, 3, 600000.0)]), tg, "2019/20 Q1")["rag"] == "red"


def test_half_rounds_away_from_zero_not_to_even() -> None:
    # 2.5 rounds to 3 (Excel) and meets a target of 3; banker's rounding would give 2 (red).
    ind = indicator(aggregation="last", tolerance=0.1)
    row = one(
        ind,
        observations([("X 01", 2019, 3, 2.5)]),
        targets([("X 01", 2019, "", 3.0)]),
        "2019/20 Q1",
    )
    assert row["rag"] == "green"
    assert row["ytd_value"] == 2.5  # stored at full precision


def test_rounding_works_on_the_decimal_written_not_its_binary_approximation() -> None:
    # SPEC's example: the mean of 10.1, 10.2 and 10.15 is 10.15, which rounds to 10.2.
    ind = indicator(aggregation="mean", unit="percent", decimals=1, tolerance=0.0)
    obs = observations([("X 01", 2019, 1, 10.1), ("X 01", 2019, 2, 10.2), ("X 01", 2019, 3, 10.15)])
    row = one(ind, obs, targets([("X 01", 2019, "", 10.2)]), "2019/20 Q1")
    assert row["rag"] == "green"
    # 1.005 is held as 1.00499999…; Excel's ROUND(1.005, 2) is 1.01.
    ind2 = indicator(aggregation="last", decimals=2, tolerance=0.0)
    row2 = one(
        ind2,
        observations([("X 01", 2019, 3, 1.005)]),
        targets([("X 01", 2019, "", 1.01)]),
        "2019/20 Q1",
    )
    assert row2["rag"] == "green"


def test_comparison_uses_values_rounded_to_the_indicators_decimals() -> None:
    # 94.96% rounds to 95.0%: exactly on the amber boundary of a 100% target.
    ind = indicator(aggregation="last", unit="percent", decimals=1)
    row = one(
        ind,
        observations([("X 01", 2019, 3, 94.96)]),
        targets([("X 01", 2019, "", 100.0)]),
        "2019/20 Q1",
    )
    assert row["rag"] == "amber"


def test_status_is_no_data_when_a_target_exists_but_no_figures() -> None:
    obs = observations([("X 01", 2019, 1, 10.0)])
    ind_b = indicator("X 02")
    rows = measures_of([indicator(), ind_b], obs, targets([("X 02", 2019, "", 100.0)]))
    assert rows[("X 02", "2019/20 Q1")]["rag"] == "no_data"
    assert rows[("X 02", "2019/20 Q1")]["months_present"] == 0


def test_polarity_none_is_data_only_even_with_a_target() -> None:
    ind = indicator(polarity="none")
    row = one(
        ind,
        observations([("X 01", 2019, 1, 10.0)]),
        targets([("X 01", 2019, "", 1.0)]),
        "2019/20 Q1",
    )
    assert row["rag"] == "no_target"


# --- direction of travel ---------------------------------------------------------------


def two_years(this: float, last: float, **ind: Any) -> dict[str, Any]:
    obs = observations([("X 01", 2018, 3, last), ("X 01", 2019, 3, this)])
    tg = targets([("X 01", 2019, "", 10.0), ("X 01", 2018, "", 10.0)])
    return one(indicator(aggregation="last", **ind), obs, tg, "2019/20 Q1")


def test_direction_higher_is_better() -> None:
    assert two_years(12, 10)["direction"] == "improved"
    assert two_years(8, 10)["direction"] == "worsened"
    assert two_years(10, 10)["direction"] == "unchanged"
    assert two_years(12, 10)["previous_ytd_value"] == 10


def test_direction_lower_is_better() -> None:
    assert two_years(8, 10, polarity="lower")["direction"] == "improved"
    assert two_years(12, 10, polarity="lower")["direction"] == "worsened"


def test_direction_for_a_target_band_is_closeness_to_this_years_target() -> None:
    # Target 10: 11 is closer than 7 was (improved) though it moved up; 13 is further than 11.
    assert two_years(11, 7, polarity="target")["direction"] == "improved"
    assert two_years(13, 11, polarity="target")["direction"] == "worsened"
    assert two_years(9, 11, polarity="target")["direction"] == "unchanged"


def test_direction_for_data_only_measures_is_up_or_down() -> None:
    assert two_years(12, 10, polarity="none")["direction"] == "up"
    assert two_years(8, 10, polarity="none")["direction"] == "down"
    assert two_years(10, 10, polarity="none")["direction"] == "unchanged"


def test_direction_compares_rounded_values() -> None:
    # 10.4 and 10.2 both round to 10 at 0 decimals: unchanged.
    assert two_years(10.4, 10.2)["direction"] == "unchanged"


def test_no_data_last_year_is_not_comparable() -> None:
    obs = observations([("X 01", 2019, 3, 10.0)])
    row = one(indicator(), obs, None, "2019/20 Q1")
    assert row["previous_ytd_value"] is None
    assert row["direction"] == "not_comparable"


# --- which rows exist ----------------------------------------------------------------


def test_rows_exist_only_for_periods_ended_by_the_as_of_date() -> None:
    obs = observations([("X 01", 2019, 1, 10.0)])
    rows = measures_of([indicator()], obs, None, as_of=dt.date(2019, 9, 30))
    assert sorted(p for _, p in rows) == ["2019/20 H1", "2019/20 Q1", "2019/20 Q2"]
    # 29 September is not the end of Q2.
    rows = measures_of([indicator()], obs, None, as_of=dt.date(2019, 9, 29))
    assert sorted(p for _, p in rows) == ["2019/20 Q1"]


def test_every_indicator_has_every_period_from_the_earliest_fy_with_data() -> None:
    obs = observations([("X 01", 2018, 12, 1.0)])
    rows = measures_of([indicator(), indicator("X 02")], obs, None)
    assert len(rows) == 2 * 2 * 7  # two indicators, FYs 2018 and 2019, 7 periods each
    assert rows[("X 02", "2018/19 Q1")]["rag"] == "no_target"
    assert rows[("X 02", "2018/19 Q1")]["months_present"] == 0


def test_periods_come_in_reading_order_each_valued_over_its_own_quarters() -> None:
    # One figure a quarter, a power of ten each: every period's sum shows which it added.
    obs = observations([("X 01", 2019, fm, 10.0 ** (fm // 3)) for fm in (1, 4, 7, 10)])
    frame = compute_measures(pl.DataFrame([indicator()]), obs, targets([]), YEAR_END)
    assert frame["period"].to_list() == [
        f"2019/20{suffix}" for suffix in (" Q1", " Q2", " H1", " Q3", " Q4", " H2", "")
    ]
    assert frame["period_value"].to_list() == [1, 10, 11, 100, 1000, 1100, 1111]
    assert frame["ytd_value"].to_list() == [1, 11, 11, 111, 1111, 1111, 1111]
    assert frame["months_expected"].to_list() == [3, 6, 6, 9, 12, 12, 12]


def test_indicators_computed_a_slice_at_a_time_match_all_at_once() -> None:
    # X 02 has figures only in the later year, and X 03 none: given the earliest year of
    # all the figures, each one's slice gives the rows the whole computation gives.
    obs = observations([("X 01", 2018, 12, 1.0), ("X 02", 2019, 3, 4.0)])
    inds = [indicator(), indicator("X 02"), indicator("X 03")]
    whole = compute_measures(pl.DataFrame(inds), obs, targets([]), YEAR_END)
    sliced = pl.concat(
        compute_measures(
            pl.DataFrame([ind]),
            obs.filter(pl.col("code") == ind["code"]),
            targets([]),
            YEAR_END,
            first_fy=2018,
        )
        for ind in inds
    )
    assert sliced.equals(whole)
    assert whole.height == 3 * 2 * 7


def test_quarterly_indicators_count_quarters() -> None:
    ind = indicator(frequency="quarterly")
    obs = observations([("X 01", 2019, 3, 5.0), ("X 01", 2019, 9, 7.0)])
    q3 = one(ind, obs, None, "2019/20 Q3")
    assert (q3["months_expected"], q3["months_present"]) == (3, 2)
    assert q3["ytd_value"] == 12.0
    assert one(ind, obs, None, "2019/20 H1")["period_value"] == 5.0


def test_annual_indicators_have_h2_and_year_measures_only() -> None:
    ind = indicator(frequency="annual", aggregation="last", unit="percent")
    rows = measures_of([ind], observations([("X 01", 2019, 12, 47.5)]), None)
    assert sorted(p for _, p in rows) == ["2019/20", "2019/20 H2"]
    year = rows[("X 01", "2019/20")]
    assert (year["period_value"], year["months_expected"], year["months_present"]) == (47.5, 1, 1)


# --- every aggregation × polarity, one worked example each ---------------------------
# Q1 2019/20 has three months. Figures 90, 100, 110 (ratio parts 27/30, 30/30, 36/30):
#   sum 300; mean 100; last 110; ratio (27+30+36)/(30+30+30) x 100 = 103.3 (1 decimal).
# Targets: sum 1,240 a year, so 310 at Q1; mean 90; last 100; ratio 100. Tolerance 5%.
MATRIX_TARGETS = {"sum": 1240.0, "mean": 90.0, "last": 100.0, "ratio": 100.0}
MATRIX = {
    # aggregation: (actual, Q1 target, {polarity: status})
    "sum": (300.0, 310.0, {"higher": "amber", "lower": "green", "target": "green"}),
    "mean": (100.0, 90.0, {"higher": "green", "lower": "red", "target": "red"}),
    "last": (110.0, 100.0, {"higher": "green", "lower": "red", "target": "amber"}),
    "ratio": (103.3, 100.0, {"higher": "green", "lower": "amber", "target": "green"}),
}


@pytest.mark.parametrize("aggregation", list(MATRIX))
@pytest.mark.parametrize("polarity", ["higher", "lower", "target", "none"])
def test_each_aggregation_and_polarity(aggregation: str, polarity: str) -> None:
    ratio = aggregation == "ratio"
    ind = indicator(
        aggregation=aggregation,
        polarity=polarity,
        decimals=1,
        unit="percent" if ratio else "count",
        scale=100.0 if ratio else 1.0,
    )
    obs = observations(
        [("X 01", 2019, fm, None if ratio else v) for fm, v in ((1, 90.0), (2, 100.0), (3, 110.0))],
        ratio=[(27.0, 30.0), (30.0, 30.0), (36.0, 30.0)] if ratio else None,
    )
    row = one(ind, obs, targets([("X 01", 2019, "", MATRIX_TARGETS[aggregation])]), "2019/20 Q1")
    actual, target, statuses = MATRIX[aggregation]
    assert round(row["ytd_value"], 1) == actual
    assert row["ytd_target"] == target
    assert row["rag"] == statuses.get(polarity, "no_target")


# --- incomplete part-year totals, forecasts and the forecast rating (issue 23) -----------


def _with_forecasts(obs: pl.DataFrame, forecasts: dict[int, float]) -> pl.DataFrame:
    """``obs`` with each month's year-end forecast (none where not given)."""
    return obs.with_columns(
        forecast=pl.col("fm").replace_strict(forecasts, default=None, return_dtype=pl.Float64)
    )


def _q2(
    values: dict[int, float], forecasts: dict[int, float], rating: str, period: str = "2019/20 Q2"
) -> dict[str, Any]:
    """The issue's worked example: annual target 1,200 (100 a month), higher, sum, 5%."""
    obs = _with_forecasts(
        observations([("X 01", 2019, fm, v) for fm, v in values.items()]), forecasts
    )
    frame = compute_measures(
        pl.DataFrame([indicator()]),
        obs,
        targets([("X 01", 2019, "", 1200.0)]),
        YEAR_END,
        rating=rating,
    )
    return {r["period"]: r for r in frame.iter_rows(named=True)}[period]


SIX_MONTHS = {1: 90.0, 2: 90.0, 3: 95.0, 4: 95.0, 5: 95.0, 6: 95.0}  # 560 against 600


@pytest.mark.parametrize(
    ("rating", "forecast", "status"),
    [
        ("tolerance", {6: 1250.0}, "red"),  # 570 is the amber floor
        ("forecast", {6: 1250.0}, "amber"),  # the year's target will be met
        ("forecast", {6: 1150.0}, "red"),
        ("forecast", {}, "red"),  # no forecast: not expected to be met
    ],
)
def test_worked_example_q2_with_all_six_months(
    rating: str, forecast: dict[int, float], status: str
) -> None:
    q2 = _q2(SIX_MONTHS, forecast, rating)
    assert (q2["ytd_value"], q2["ytd_target"]) == (560, 600)
    assert q2["rag"] == status
    assert q2["forecast_value"] == forecast.get(6)


@pytest.mark.parametrize("rating", ["tolerance", "forecast"])
def test_worked_example_q2_with_august_missing_is_incomplete(rating: str) -> None:
    five = {fm: 96.0 for fm in (1, 2, 3, 4, 6)}  # 480 from 5 of 6 months
    q2 = _q2(five, {6: 1250.0}, rating)
    assert q2["ytd_value"] == 480
    assert (q2["months_present"], q2["months_expected"]) == (5, 6)
    assert (q2["rag"], q2["direction"]) == ("incomplete", "not_comparable")


def test_worked_example_at_year_end_the_forecast_no_longer_counts() -> None:
    year = {fm: 1150.0 / 12 for fm in range(1, 13)}  # 1,150 against 1,200
    q4 = _q2(year, {12: 1300.0}, "forecast", "2019/20 Q4")
    assert (round(q4["ytd_value"]), q4["ytd_target"], q4["rag"]) == (1150, 1200, "red")


def test_the_forecast_rating_keeps_green_and_the_unrated_statuses() -> None:
    on_track = {fm: 100.0 for fm in range(1, 7)}
    assert _q2(on_track, {}, "forecast")["rag"] == "green"
    no_target = compute_measures(
        pl.DataFrame([indicator()]),
        observations([("X 01", 2019, 1, 5.0)]),
        targets([]),
        YEAR_END,
        rating="forecast",
    )
    assert set(no_target["rag"]) == {"no_target"}


def test_forecast_value_is_the_latest_forecast_given_in_the_year_to_date() -> None:
    values = {fm: 100.0 for fm in range(1, 10)}
    forecasts = {2: 1100.0, 4: 1180.0, 8: 1250.0}
    assert _q2(values, forecasts, "tolerance", "2019/20 Q1")["forecast_value"] == 1100.0
    assert _q2(values, forecasts, "tolerance", "2019/20 Q2")["forecast_value"] == 1180.0
    # H1 is the year to Q2's end, whatever its own window holds.
    assert _q2(values, forecasts, "tolerance", "2019/20 H1")["forecast_value"] == 1180.0
    assert _q2(values, forecasts, "tolerance", "2019/20 Q3")["forecast_value"] == 1250.0


def test_a_forecast_compares_with_the_year_target_from_a_profile() -> None:
    """year_target is the ytd_target at k = 4: the whole Q1..Q4 profile of a sum."""
    obs = _with_forecasts(
        observations([("X 01", 2019, fm, 70.0) for fm in range(1, 4)]), {3: 1000.0}
    )
    profile = [("X 01", 2019, f"Q{q}", 250.0) for q in (1, 2, 3, 4)]  # year: 1,000
    frame = compute_measures(
        pl.DataFrame([indicator()]),
        obs,
        targets([("X 01", 2019, "", 2000.0), *profile]),
        YEAR_END,
        rating="forecast",
    )
    q1 = frame.filter(pl.col("period") == "2019/20 Q1").row(0, named=True)
    assert (q1["ytd_target"], q1["rag"]) == (250, "amber")  # 210 is red by tolerance


def test_last_years_part_year_total_is_not_comparable() -> None:
    rows: list[tuple[str, int, int, float | None]] = [
        ("X 01", 2018, fm, 100.0) for fm in (1, 2, 3, 4, 6)
    ]
    rows += [("X 01", 2019, fm, 100.0) for fm in range(1, 7)]
    q2 = one(indicator(), observations(rows), None, "2019/20 Q2")
    assert q2["previous_ytd_value"] == 500
    assert q2["direction"] == "not_comparable"


def test_mean_last_and_ratio_are_rated_on_the_months_present() -> None:
    obs = observations([("X 01", 2019, 1, 10.0), ("X 01", 2019, 3, 20.0)])
    for aggregation in ("mean", "last"):
        q1 = one(
            indicator(aggregation=aggregation),
            obs,
            targets([("X 01", 2019, "", 12.0)]),
            "2019/20 Q1",
        )
        assert q1["rag"] != "incomplete"


@pytest.mark.parametrize(
    ("aggregation", "rows", "ratio"),
    [
        ("ratio", [1e308], [(1e308, 1e-300)]),  # a ratio of finite parts that overflows
        ("sum", [1e308, 1e308, 1e308], None),  # a sum that overflows
        ("mean", [1e308, 1e308, 1e308], None),  # so does the mean's sum
    ],
)
def test_a_measure_without_a_finite_value_is_never_rated(
    aggregation: str, rows: list[float], ratio: list[tuple[float, float]] | None
) -> None:
    obs = observations([("X 01", 2019, fm, v) for fm, v in enumerate(rows, 1)], ratio=ratio)
    ind = indicator(aggregation=aggregation, unit="score", scale=1.0)
    q1 = one(ind, obs, targets([("X 01", 2019, "", 10.0)]), "2019/20 Q1")
    assert q1["rag"] == "no_data"
    assert q1["direction"] == "not_comparable"
