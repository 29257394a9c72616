"""Property tests: the vectorised engine against a slow, exact reference of SPEC §3."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import indicator, observations, targets
from transforms.measures import compute_measures

AS_OF = dt.date(2021, 3, 31)
KS = {"2020/21 Q1": 1, "2020/21 Q2": 2, "2020/21 Q3": 3, "2020/21 Q4": 4}

values = st.decimals(min_value=0, max_value=1000, places=2, allow_nan=False, allow_infinity=False)
months = st.dictionaries(st.integers(1, 12), values, min_size=1, max_size=12)


def reference(aggregation: str, data: dict[int, Decimal], upto: int) -> Fraction | None:
    window = {fm: Fraction(v) for fm, v in data.items() if fm <= upto}
    if not window:
        return None
    if aggregation == "sum":
        return sum(window.values(), Fraction(0))
    if aggregation == "mean":
        return sum(window.values(), Fraction(0)) / len(window)
    return window[max(window)]  # last


def excel_round(value: Fraction, decimals: int) -> Decimal:
    # Exact: quantize the decimal expansion to 30 places first, then round half up.
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return exact.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def exact_rag(polarity: str, a: Decimal | None, t: Decimal | None, tolerance: Decimal) -> str:
    """The tolerance rule of SPEC §3 on rounded figures, exactly."""
    if t is None:
        return "no_target"
    if a is None:
        return "no_data"
    tol = tolerance * abs(t)
    if polarity == "higher":
        return "green" if a >= t else "amber" if a >= t - tol else "red"
    if polarity == "lower":
        return "green" if a <= t else "amber" if a <= t + tol else "red"
    d = abs(a - t)
    return "green" if d <= tol else "amber" if d <= 2 * tol else "red"


def exact_direction(polarity: str, a: Decimal | None, p: Decimal | None, t: Decimal | None) -> str:
    if a is None or p is None:
        return "not_comparable"
    if polarity == "target" and t is not None:
        a, p = -abs(a - t), -abs(p - t)  # closer to the target is better
    if a == p:
        return "unchanged"
    return "improved" if (a > p) == (polarity != "lower") else "worsened"


def forecast_meets(polarity: str, f: Decimal | None, y: Decimal | None, tolerance: Decimal) -> bool:
    if f is None or y is None:
        return False
    if polarity == "higher":
        return f >= y
    if polarity == "lower":
        return f <= y
    return abs(f - y) <= tolerance * abs(y)


forecasts = st.dictionaries(st.integers(1, 12), values, max_size=4)


@settings(max_examples=120, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    aggregation=st.sampled_from(["sum", "mean", "last"]),
    data=months,
    last_year=st.dictionaries(st.integers(1, 12), values, max_size=12),
    forecast=forecasts,
    target=values,
    decimals=st.integers(0, 2),
    polarity=st.sampled_from(["higher", "lower", "target"]),
    rating=st.sampled_from(["tolerance", "forecast"]),
)
def test_measures_match_an_exact_reference(
    aggregation: str,
    data: dict[int, Decimal],
    last_year: dict[int, Decimal],
    forecast: dict[int, Decimal],
    target: Decimal,
    decimals: int,
    polarity: str,
    rating: str,
) -> None:
    """ytd_value, rag (either rating), direction and forecast_value, quarter by quarter,
    against Fraction/Decimal arithmetic: incomplete part-year totals included."""
    forecast = {fm: f for fm, f in forecast.items() if fm in data}  # sent with a figure
    rows_in: list[tuple[str, int, int, float | None]] = [
        ("X", 2019, fm, float(v)) for fm, v in sorted(last_year.items())
    ]
    rows_in += [("X", 2020, fm, float(v)) for fm, v in sorted(data.items())]
    obs = observations(rows_in).with_columns(
        forecast=pl.Series(
            [None] * len(last_year)
            + [None if fm not in forecast else float(forecast[fm]) for fm in sorted(data)],
            dtype=pl.Float64,
        )
    )
    ind = indicator(
        "X",
        aggregation=aggregation,
        decimals=decimals,
        polarity=polarity,
        unit="score",
        tolerance=0.1,
    )
    tgt = targets([("X", 2020, "", float(target))])
    frame = compute_measures(pl.DataFrame([ind]), obs, tgt, AS_OF, rating=rating)
    rows = {r["period"]: r for r in frame.iter_rows(named=True)}
    tolerance = Decimal("0.1")
    for period, k in KS.items():
        got = rows[period]
        expected = reference(aggregation, data, 3 * k)
        previous = reference(aggregation, last_year, 3 * k)
        present = sum(1 for fm in data if fm <= 3 * k)
        before = sum(1 for fm in last_year if fm <= 3 * k)
        incomplete = aggregation == "sum" and 0 < present < 3 * k
        was_incomplete = aggregation == "sum" and 0 < before < 3 * k
        if expected is None:
            assert got["ytd_value"] is None
        else:
            assert abs(got["ytd_value"] - float(expected)) < 1e-6
        t = Fraction(target) * k / 4 if aggregation == "sum" else Fraction(target)
        y = Fraction(target)
        a = None if expected is None else excel_round(expected, decimals)
        p = None if previous is None else excel_round(previous, decimals)
        tr, yr = excel_round(t, decimals), excel_round(y, decimals)
        latest = [fm for fm in forecast if fm <= 3 * k]
        f = forecast[max(latest)] if latest else None
        status = exact_rag(polarity, a, tr, tolerance)
        if status not in ("no_target", "no_data") and incomplete:
            status = "incomplete"
        if rating == "forecast" and status in ("amber", "red"):
            fr = None if f is None else excel_round(Fraction(f), decimals)
            status = "amber" if k < 4 and forecast_meets(polarity, fr, yr, tolerance) else "red"
        assert got["rag"] == status, (period, a, tr, f)
        direction = exact_direction(polarity, a, p, tr)
        if incomplete or was_incomplete:
            direction = "not_comparable"
        assert got["direction"] == direction, (period, a, p)
        assert got["forecast_value"] == (None if f is None else float(f))


@settings(max_examples=60, deadline=None)
@given(
    aggregation=st.sampled_from(["sum", "mean", "last", "ratio"]),
    data=months,
    frequency=st.sampled_from(["monthly", "quarterly"]),
)
def test_q4_ytd_equals_the_year_and_h1_equals_q2_ytd(
    aggregation: str, data: dict[int, Decimal], frequency: str
) -> None:
    fms = sorted({(fm + 2) // 3 * 3 for fm in data}) if frequency == "quarterly" else sorted(data)
    values_ = [float(data.get(fm, Decimal(1))) for fm in fms]
    ratio = [(v, 100.0) for v in values_] if aggregation == "ratio" else None
    obs = observations(
        [("X", 2020, fm, v) for fm, v in zip(fms, values_, strict=True)], ratio=ratio
    )
    ind = indicator("X", aggregation=aggregation, frequency=frequency, unit="percent", scale=100.0)
    rows = {
        r["period"]: r
        for r in compute_measures(pl.DataFrame([ind]), obs, targets([]), AS_OF).iter_rows(
            named=True
        )
    }
    year, q4, h1, q2 = (rows[p] for p in ("2020/21", "2020/21 Q4", "2020/21 H1", "2020/21 Q2"))
    assert q4["ytd_value"] == year["ytd_value"] == year["period_value"]
    assert h1["period_value"] == h1["ytd_value"] == q2["ytd_value"]
    assert rows["2020/21 H2"]["ytd_value"] == year["ytd_value"]


huge = st.floats(min_value=1e300, max_value=1.7e308, allow_nan=False, allow_infinity=False)


@settings(max_examples=40, deadline=None)
@given(
    aggregation=st.sampled_from(["sum", "mean", "ratio"]),
    figures=st.lists(huge, min_size=3, max_size=3),
    rating=st.sampled_from(["tolerance", "forecast"]),
)
def test_a_measure_without_a_finite_value_is_never_rated(
    aggregation: str, figures: list[float], rating: str
) -> None:
    """Finite figures whose sum overflows (or a ratio of extreme parts) give a value that is
    not finite: never green, amber or red (SPEC §4), and not comparable."""
    ratio = [(f, 1e-300) for f in figures] if aggregation == "ratio" else None
    obs = observations([("X", 2020, fm, f) for fm, f in enumerate(figures, 1)], ratio=ratio)
    ind = indicator("X", aggregation=aggregation, unit="score", scale=1.0)
    frame = compute_measures(
        pl.DataFrame([ind]), obs, targets([("X", 2020, "", 10.0)]), AS_OF, rating=rating
    )
    q1 = frame.filter(pl.col("period") == "2020/21 Q1").row(0, named=True)
    # What the engine adds up before dividing: the figures (sum, mean), or the ratio itself.
    exact = sum(Fraction(f) for f in figures)
    if aggregation == "ratio":
        exact /= Fraction(3e-300)
    finite = q1["ytd_value"] is not None and abs(q1["ytd_value"]) != float("inf")
    if not finite:
        assert (q1["rag"], q1["direction"]) == ("no_data", "not_comparable")
        assert exact > Fraction(1.7e308)  # only a total beyond a float's range overflows
    else:
        assert q1["rag"] == "green"  # far above the target of 10
