"""Measures: one row per indicator × reporting period (SPEC §3), vectorised in polars.

Observations are first reduced to one partial aggregate per indicator, FY and quarter
(count, sum, numerator, denominator, latest value). Every window and year-to-date set
of SPEC §1 is a run of whole quarters, so each period's aggregates are sums of those
partials: no loop per indicator, and memory proportional to indicators × quarters.
A period's year to date, targets, forecast and rating are those of the quarter it ends
in, so they are worked out once per indicator, FY and quarter, then spread over the
(up to three) periods that end in that quarter.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from core.periods import REPORTING_PERIODS, period_label_expr, reporting_periods_frame
from core.rounding import round_half_away
from transforms.rating import incomplete_sum, rated_measure

INDICATOR_COLUMNS = {
    "code": pl.String,
    "unit": pl.String,
    "polarity": pl.String,
    "aggregation": pl.String,
    "frequency": pl.String,
    "decimals": pl.Int32,
    "scale": pl.Float64,
    "tolerance": pl.Float64,
    "tolerance_type": pl.String,
}
MEASURE_COLUMNS = {
    "indicator_code": pl.String,
    "fy": pl.Int32,
    "period_type": pl.String,
    "period_number": pl.Int8,
    "period_suffix": pl.String,  # Q1..Q4, H1, H2; empty for the year
    "end_quarter": pl.Int8,  # k of SPEC §1: the quarter the period ends in
    "period": pl.String,
    "financial_year": pl.String,
    "period_value": pl.Float64,
    "ytd_value": pl.Float64,
    "ytd_target": pl.Float64,
    "previous_ytd_value": pl.Float64,
    "months_expected": pl.Int32,
    "months_present": pl.Int32,
    "rag": pl.String,
    "direction": pl.String,
    "forecast_value": pl.Float64,
}
RATINGS = ("tolerance", "forecast")

_PARTS = ("n", "s", "num", "den")
_FIGURES = ("value", "numerator", "denominator")  # summed into s, num and den
_QUARTERS = (1, 2, 3, 4)
_PERIOD_TYPES = ("quarter", "half", "year")
# What the rounding, the rating and the spreading over periods read of the indicator: all
# but its code (attached at the end) and its scale (used in the quarters' partial sums).
_RATED_ATTRIBUTES = [name for name in INDICATOR_COLUMNS if name not in ("code", "scale")]


def empty_measures() -> pl.DataFrame:
    return pl.DataFrame(schema=MEASURE_COLUMNS)


def compute_measures(
    indicators: pl.DataFrame,
    observations: pl.DataFrame,
    targets: pl.DataFrame,
    as_of: dt.date,
    year_start_month: int = 4,
    first_fy: int | None = None,
    rating: str = "tolerance",
) -> pl.DataFrame:
    """Every measure of SPEC §3 for periods ended on or before ``as_of``, from ``first_fy``
    (by default the first year observed), rated by the council's ``rating`` (``tolerance``
    or ``forecast``).

    A measure depends only on its own indicator's figures, so the indicators can be
    computed a slice at a time given the whole warehouse's ``first_fy``.
    """
    if first_fy is None:
        if observations.is_empty():
            return empty_measures()
        first_fy = int(observations["fy"].min())  # type: ignore[arg-type]
    # Indicators are keyed by a small integer (in code order) for the joins and sorts; the
    # code itself is attached once, at the end.
    indicators = (
        indicators.select([pl.col(name).cast(dtype) for name, dtype in INDICATOR_COLUMNS.items()])
        .sort("code")
        .with_row_index("cid")
    )
    periods = _labelled_periods(first_fy, as_of, year_start_month)
    if periods.is_empty():
        return empty_measures()
    ids = indicators.select("code", "cid")

    if "forecast" not in observations.columns:  # forecasts are optional (SPEC §3)
        observations = observations.with_columns(forecast=pl.lit(None, dtype=pl.Float64))
    partials = _quarter_partials(observations.join(ids, on="code").drop("code"), first_fy)
    wide_targets = _targets_wide(targets).join(ids, on="code").drop("code")
    # One row per indicator and FY, with its quarters' partials and its targets, and the
    # year to date at each quarter, this year's and last year's: made once for the four
    # quarters. Joined in a lazy query: an eager join can keep a column of one value
    # throughout (the month counts of a slice that sent every month) as a constant, and
    # polars divides by a constant as a multiplication by its reciprocal, a last digit
    # that would change with the slice.
    years = (
        indicators.drop("code")
        .lazy()
        .join(periods.lazy().select(pl.col("fy").unique(maintain_order=True)), how="cross")
        .join(partials.lazy(), on=["cid", "fy"], how="left")
        .join(wide_targets.lazy(), on=["cid", "fy"], how="left")
        .pipe(_with_years_to_date)
        .collect()  # once: each of the four quarters' selects below reads it
        .lazy()
    )
    # Every figure, rounding and rating is worked out once per indicator, FY and quarter k
    # (a quarter at a time), and only then spread over the periods that end in quarter k:
    # the year to date, its targets, forecast and ratings are those of k (SPEC §3).
    measured = pl.concat([years.select(_figures_to_quarter(k)) for k in _QUARTERS]).with_columns(
        round_half_away(pl.col("ytd_value"), pl.col("decimals")).alias("_actual"),
        round_half_away(pl.col("ytd_target"), pl.col("decimals")).alias("_target"),
        round_half_away(pl.col("previous_ytd_value"), pl.col("decimals")).alias("_previous"),
        round_half_away(pl.col("year_target"), pl.col("decimals")).alias("_year_target"),
        round_half_away(pl.col("forecast_value"), pl.col("decimals")).alias("_forecast"),
        incomplete_sum(pl.col("months_present")).alias("_incomplete"),
        incomplete_sum(pl.col("previous_months_present")).alias("_previous_incomplete"),
    )
    # cid is the indicator's row in code order: its code is read by position.
    code = pl.lit(ids["code"]).gather(pl.col("cid")).alias("indicator_code")
    return (
        _over_periods(rated_measure(measured, rating), periods)
        .with_columns(code)
        .select([pl.col(name).cast(dtype) for name, dtype in MEASURE_COLUMNS.items()])
        .collect()
    )


def _labelled_periods(first_fy: int, as_of: dt.date, year_start_month: int) -> pl.DataFrame:
    """The reporting periods with their labels, worked out once (Categorical, so cheap to copy)."""
    return reporting_periods_frame(first_fy, as_of, year_start_month).with_columns(
        period=period_label_expr(pl.col("fy"), pl.col("period_suffix")).cast(pl.Categorical),
        financial_year=period_label_expr(pl.col("fy"), pl.lit("")).cast(pl.Categorical),
        period_type=pl.col("period_type").cast(pl.Categorical),
    )


def _quarter_partials(observations: pl.DataFrame, first_fy: int) -> pl.DataFrame:
    """One row per indicator and FY, with count/sum/numerator/denominator/latest by quarter.

    Months are spread into columns and each quarter's added left to right in month order.
    Floating-point addition is not associative, and a grouped sum adds in an order that
    depends on how the rows arrived and how the threads split them: the last digit of a
    figure would change with the warehouse's row order or the size of a slice.
    """
    months = list(range(1, 13))
    by_month = (
        observations.filter(pl.col("fy") >= first_fy)
        .select("cid", "fy", "fm", pl.lit(1, pl.Int32).alias("present"), *_FIGURES, "forecast")
        .pivot(
            on="fm",
            index=["cid", "fy"],
            values=["present", *_FIGURES, "forecast"],
            on_columns=months,
        )
    )

    def month(column: str, fm: int) -> pl.Expr:
        return pl.col(f"{column}_{fm}")

    columns = []
    for q in _QUARTERS:
        in_quarter = range(3 * q - 2, 3 * q + 1)
        columns.append(
            pl.sum_horizontal([month("present", m) for m in in_quarter])
            .cast(pl.Int32)
            .alias(f"n{q}")
        )
        for part, figure in zip(_PARTS[1:], _FIGURES, strict=True):
            columns.append(
                pl.sum_horizontal([month(figure, m) for m in in_quarter]).alias(f"{part}{q}")
            )
        latest = pl.lit(None, dtype=pl.Float64)
        for m in in_quarter:  # the value of the latest month sent, even if that is blank
            latest = (
                pl.when(month("present", m).is_not_null()).then(month("value", m)).otherwise(latest)
            )
        columns.append(latest.alias(f"last{q}"))
        # The forecast of the quarter's latest month that gave one (SPEC §3).
        columns.append(
            pl.coalesce([month("forecast", m) for m in reversed(in_quarter)]).alias(f"fc{q}")
        )
    return by_month.select("cid", "fy", *columns)


def _span(part: str, quarters: tuple[int, ...]) -> pl.Expr:
    return pl.sum_horizontal([pl.col(f"{part}{q}") for q in quarters])


def _latest(quarters: tuple[int, ...], part: str = "last") -> pl.Expr:
    return pl.coalesce([pl.col(f"{part}{q}") for q in reversed(quarters)])


def _aggregate(quarters: tuple[int, ...]) -> pl.Expr:
    """The indicator's aggregation over the observations of the given quarters."""
    n = _span("n", quarters)
    aggregated = (
        pl.when(pl.col("aggregation") == "sum")
        .then(_span("s", quarters))
        .when(pl.col("aggregation") == "mean")
        .then(_span("s", quarters) / n)
        .when(pl.col("aggregation") == "last")
        .then(_latest(quarters))
        .otherwise(_span("num", quarters) / _span("den", quarters) * pl.col("scale"))
    )
    return pl.when(n > 0).then(aggregated)


def _windows_ending_in(k: int) -> dict[str, tuple[int, ...]]:
    """The quarters of each reporting period that ends in quarter ``k``, by period type."""
    return {
        period.period_type: tuple(range(period.start_fm // 3 + 1, k + 1))
        for period in REPORTING_PERIODS
        if period.k == k
    }


def _months_expected(k: int) -> pl.Expr:
    """The slots (months, quarters or the year) a year to date at quarter ``k`` should have,
    by the indicator's frequency."""
    slots = {"monthly": 3 * k, "quarterly": k, "annual": 1}
    expected = pl.lit(None, dtype=pl.Int32)
    for frequency, count in slots.items():
        expected = pl.when(pl.col("frequency") == frequency).then(count).otherwise(expected)
    return expected.cast(pl.Int32)


def _with_years_to_date(years: pl.LazyFrame) -> pl.LazyFrame:
    """Each indicator-year with its year to date and months present at every quarter k
    (``ytd_k``, ``present_k``), and last year's (``previous_ytd_k``,
    ``previous_present_k``; null in the first year computed)."""
    to_date = years.with_columns(
        *(_aggregate(_QUARTERS[:k]).alias(f"ytd_{k}") for k in _QUARTERS),
        *(
            _span("n", _QUARTERS[:k]).fill_null(0).cast(pl.Int32).alias(f"present_{k}")
            for k in _QUARTERS
        ),
    )
    last_year = to_date.select(
        "cid",
        (pl.col("fy") + 1).alias("fy"),
        *(pl.col(f"ytd_{k}").alias(f"previous_ytd_{k}") for k in _QUARTERS),
        *(pl.col(f"present_{k}").alias(f"previous_present_{k}") for k in _QUARTERS),
    )
    return to_date.join(last_year, on=["cid", "fy"], how="left")


def _figures_to_quarter(k: int) -> list[pl.Expr]:
    """Each indicator-year's figures of SPEC §3 at quarter ``k``: the value of every period
    that ends in it (``quarter_value``, ``half_value``, ``year_value``), the year to date
    (this year's and last year's), its targets and the forecast, with what the rating
    needs of the indicator.

    Each is its own expression evaluated only where it is wanted (a ``when`` chain over
    the periods would evaluate every branch on every row); the sums are the same columns
    added in the same order whatever the period, so a figure has the same bits wherever it
    is read from.
    """
    windows = _windows_ending_in(k)
    return [
        pl.col("cid", "fy"),
        pl.lit(k, dtype=pl.Int8).alias("k"),
        pl.col(_RATED_ATTRIBUTES),
        *(
            (_aggregate(windows[name]) if name in windows else pl.lit(None, pl.Float64)).alias(
                f"{name}_value"
            )
            for name in _PERIOD_TYPES
        ),
        pl.col(f"ytd_{k}").alias("ytd_value"),
        pl.col(f"previous_ytd_{k}").alias("previous_ytd_value"),
        _months_expected(k).alias("months_expected"),
        pl.col(f"present_{k}").alias("months_present"),
        pl.col(f"previous_present_{k}").alias("previous_months_present"),
        _ytd_target_at(k).alias("ytd_target"),
        _year_target().alias("year_target"),
        _latest(_QUARTERS[:k], "fc").alias("forecast_value"),
    ]


def _over_periods(by_quarter: pl.LazyFrame, periods: pl.DataFrame) -> pl.LazyFrame:
    """One row per indicator and reporting period, in natural reading order (Q1, Q2, H1,
    Q3, Q4, H2, year), from the figures of the quarter each period ends in."""
    # Sorted by indicator, FY and quarter, then each quarter's periods in reading order
    # (the shorter first): the join keeps that order, so the longer frame needs no sort.
    reading_order = periods.sort(["fy", "end_fm", "start_fm"], descending=[False, False, True])
    period_value = pl.col("year_value")
    for period_type in ("half", "quarter"):
        period_value = (
            pl.when(pl.col("period_type") == period_type)
            .then(pl.col(f"{period_type}_value"))
            .otherwise(period_value)
        )
    return (
        by_quarter.sort(_quarter_order())
        .join(reading_order.lazy(), on=["fy", "k"], maintain_order="left_right")
        .filter((pl.col("frequency") != "annual") | pl.col("annual_indicators"))
        .with_columns(period_value=period_value, end_quarter=pl.col("k"))
    )


def _quarter_order() -> pl.Expr:
    """Indicator, FY (four digits) and quarter as one integer in that order: polars sorts
    one integer column much faster than three."""
    return (pl.col("cid").cast(pl.Int64) * 10_000 + pl.col("fy")) * 10 + pl.col("k")


def _targets_wide(targets: pl.DataFrame) -> pl.DataFrame:
    """One row per indicator and FY: ``annual`` and profiled ``t1``..``t4``."""
    keyed = targets.with_columns(
        slot=pl.when(pl.col("period").is_null() | (pl.col("period") == ""))
        .then(pl.lit("annual"))
        .otherwise(pl.format("t{}", pl.col("period").str.slice(1)))
    )
    slots = ["annual", *(f"t{q}" for q in _QUARTERS)]
    schema = {"code": pl.String, "fy": pl.Int32} | dict.fromkeys(slots, pl.Float64)
    wide = keyed.pivot(on="slot", index=["code", "fy"], values="target", on_columns=slots)
    return wide.select([pl.col(name).cast(dtype) for name, dtype in schema.items()])


def _ytd_target_at(k: int) -> pl.Expr:
    """SPEC §3: sum indicators add a full profile to date, else pro-rate the annual target;
    the others take the quarter's profile, else the annual target."""
    profiled_sum = (
        pl.when(pl.all_horizontal([pl.col(f"t{q}").is_not_null() for q in _QUARTERS[:k]]))
        .then(pl.sum_horizontal([pl.col(f"t{q}") for q in _QUARTERS[:k]]))
        .otherwise(pl.col("annual") * k / 4)
    )
    level = pl.coalesce(pl.col(f"t{k}"), pl.col("annual"))
    return pl.when(pl.col("aggregation") == "sum").then(profiled_sum).otherwise(level)


def _year_target() -> pl.Expr:
    """The year's target: the ytd_target at k = 4 (SPEC §3), for the forecast rating."""
    return _ytd_target_at(4)
