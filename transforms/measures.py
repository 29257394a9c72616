"""Measures: one row per indicator × reporting period (SPEC §3), vectorised in polars.

Observations are first reduced to one partial aggregate per indicator, FY and quarter
(count, sum, numerator, denominator, latest value). Every window and year-to-date set
of SPEC §1 is a run of whole quarters, so each period's aggregates are sums of those
partials: no loop per indicator, and memory proportional to indicators × quarters.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from core.periods import period_label_expr, reporting_periods_frame
from core.rounding import round_half_away
from transforms.rating import forecast_rag, incomplete_sum, rated_measure

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

    skeleton = (
        indicators.drop("code")
        .lazy()
        .join(periods.lazy(), how="cross")
        .filter((pl.col("frequency") != "annual") | pl.col("annual_indicators"))
    )
    if "forecast" not in observations.columns:  # forecasts are optional (SPEC §3)
        observations = observations.with_columns(forecast=pl.lit(None, dtype=pl.Float64))
    partials = _quarter_partials(observations.join(ids, on="code").drop("code"), first_fy)
    wide_targets = _targets_wide(targets).join(ids, on="code").drop("code")
    measured = (
        skeleton.join(partials.lazy(), on=["cid", "fy"], how="left")
        .join(wide_targets.lazy(), on=["cid", "fy"], how="left")
        .with_columns(_period_aggregates())
        .with_columns(
            _ytd_target().alias("ytd_target"),
            _year_target().alias("year_target"),
            _by_k({k: _latest(_QUARTERS[:k], "fc") for k in _QUARTERS}).alias("forecast_value"),
        )
    )
    measured = _with_previous_year(measured).with_columns(
        round_half_away(pl.col("ytd_value"), pl.col("decimals")).alias("_actual"),
        round_half_away(pl.col("ytd_target"), pl.col("decimals")).alias("_target"),
        round_half_away(pl.col("previous_ytd_value"), pl.col("decimals")).alias("_previous"),
        round_half_away(pl.col("year_target"), pl.col("decimals")).alias("_year_target"),
        round_half_away(pl.col("forecast_value"), pl.col("decimals")).alias("_forecast"),
        incomplete_sum(pl.col("months_present")).alias("_incomplete"),
        incomplete_sum(pl.col("previous_months_present")).alias("_previous_incomplete"),
    )
    rag, direction = rated_measure()
    if rating == "forecast":
        rag = forecast_rag(rag)
    return (
        measured.with_columns(rag=rag, direction=direction, end_quarter=pl.col("k"))
        # Natural reading order: Q1, Q2, H1, Q3, Q4, H2, year.
        .sort(["cid", "fy", "end_fm", "start_fm"], descending=[False, False, False, True])
        .join(ids.lazy().rename({"code": "indicator_code"}), on="cid", maintain_order="left")
        .select([pl.col(name).cast(dtype) for name, dtype in MEASURE_COLUMNS.items()])
        .collect()
    )


def _labelled_periods(first_fy: int, as_of: dt.date, year_start_month: int) -> pl.DataFrame:
    """The reporting periods with their labels, worked out once (Categorical, so cheap to copy)."""
    return (
        reporting_periods_frame(first_fy, as_of, year_start_month)
        .with_row_index("kind_order")
        .with_columns(
            kind=(pl.col("period_type") + pl.col("period_suffix")).cast(pl.Categorical),
            period=period_label_expr(pl.col("fy"), pl.col("period_suffix")).cast(pl.Categorical),
            financial_year=period_label_expr(pl.col("fy"), pl.lit("")).cast(pl.Categorical),
            period_type=pl.col("period_type").cast(pl.Categorical),
        )
        .drop("kind_order")
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


def _by_period(choices: dict[tuple[str, int], pl.Expr]) -> pl.Expr:
    expr = pl.lit(None, dtype=pl.Float64)
    for (period_type, number), choice in choices.items():
        expr = (
            pl.when((pl.col("period_type") == period_type) & (pl.col("period_number") == number))
            .then(choice)
            .otherwise(expr)
        )
    return expr


def _by_k(choices: dict[int, pl.Expr]) -> pl.Expr:
    expr = pl.lit(None, dtype=pl.Float64)
    for k, choice in choices.items():
        expr = pl.when(pl.col("k") == k).then(choice).otherwise(expr)
    return expr


def _period_aggregates() -> list[pl.Expr]:
    windows: dict[tuple[str, int], tuple[int, ...]] = {("quarter", q): (q,) for q in _QUARTERS}
    windows |= {("half", 1): (1, 2), ("half", 2): (3, 4), ("year", 0): _QUARTERS}
    ytd = {k: _QUARTERS[:k] for k in _QUARTERS}
    slots = {"monthly": 3 * pl.col("k"), "quarterly": pl.col("k"), "annual": pl.lit(1)}
    expected = pl.lit(None, dtype=pl.Int32)
    for frequency, count in slots.items():
        expected = pl.when(pl.col("frequency") == frequency).then(count).otherwise(expected)
    return [
        _by_period({key: _aggregate(qs) for key, qs in windows.items()}).alias("period_value"),
        _by_k({k: _aggregate(qs) for k, qs in ytd.items()}).alias("ytd_value"),
        expected.cast(pl.Int32).alias("months_expected"),
        _by_k({k: _span("n", qs) for k, qs in ytd.items()})
        .fill_null(0)
        .cast(pl.Int32)
        .alias("months_present"),
    ]


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


def _ytd_target() -> pl.Expr:
    return _by_k({k: _ytd_target_at(k) for k in _QUARTERS})


def _year_target() -> pl.Expr:
    """The year's target: the ytd_target at k = 4 (SPEC §3), for the forecast rating."""
    return _ytd_target_at(4)


def _with_previous_year(measured: pl.LazyFrame) -> pl.LazyFrame:
    previous = measured.select(
        "cid",
        "kind",
        (pl.col("fy") + 1).alias("fy"),
        pl.col("ytd_value").alias("previous_ytd_value"),
        pl.col("months_present").alias("previous_months_present"),
    )
    return measured.join(previous, on=["cid", "fy", "kind"], how="left")
