"""SPEC §3 in vectorised pandas: a fair peer for benchmarking, not used by boardpack.

No Python loop per indicator or per row: group-bys, an unstack to one row per indicator
and year, and numpy selections over whole columns.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import polars as pl

from benchmarks.compare import EXACT, KEYS, NUMBERS

PERIODS = pd.DataFrame(
    {
        "period_type": ["quarter"] * 4 + ["half"] * 2 + ["year"],
        "period_number": [1, 2, 3, 4, 1, 2, 0],
        "start_q": [1, 2, 3, 4, 1, 3, 1],
        "k": [1, 2, 3, 4, 2, 4, 4],
    }
)
EPS = 1e-9
QUARTERS = (1, 2, 3, 4)


def _round(values: pd.Series, decimals: pd.Series) -> np.ndarray:
    scale = 10.0 ** decimals.to_numpy(dtype=float)
    x = values.to_numpy(dtype=float)
    rounded: np.ndarray = np.sign(x) * np.floor(np.abs(np.round(x * scale, 6)) + 0.5) / scale
    return rounded


def _skeleton(ind: pd.DataFrame, first_fy: int, as_of: dt.date, ysm: int) -> pd.DataFrame:
    years = pd.DataFrame(
        {"fy": np.arange(first_fy, (as_of.year if as_of.month >= ysm else as_of.year - 1) + 1)}
    )
    grid = years.merge(PERIODS, how="cross")
    month = grid["fy"] * 12 + (ysm - 1) + grid["k"] * 3 - 1
    end = pd.to_datetime(
        {"year": month // 12, "month": month % 12 + 1, "day": 1}
    ) + pd.offsets.MonthEnd(0)
    grid = grid[end <= pd.Timestamp(as_of)]
    skeleton = ind.merge(grid, how="cross")
    annual_ok = (skeleton["k"] == 4) & (skeleton["start_q"] != 4)
    return skeleton[(skeleton["frequency"] != "annual") | annual_ok].reset_index(drop=True)


def _partials(obs: pd.DataFrame) -> pd.DataFrame:
    obs = obs.assign(q=(obs["fm"] - 1) // 3 + 1).sort_values("fm")
    grouped = obs.groupby(["code", "fy", "q"]).agg(
        n=("fm", "size"),
        s=("value", "sum"),
        num=("numerator", "sum"),
        den=("denominator", "sum"),
        last=("value", "last"),
    )
    wide = grouped.unstack("q")
    wide = wide.reindex(
        columns=pd.MultiIndex.from_product([["n", "s", "num", "den", "last"], QUARTERS])
    )
    wide.columns = [f"{name}{q}" for name, q in wide.columns]
    return wide.reset_index()


def _aggregate(
    frame: pd.DataFrame, included: dict[int, np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """(value, count) of each row's aggregation over the quarters ``included`` marks."""
    total = {part: np.zeros(len(frame)) for part in ("n", "s", "num", "den")}
    last = np.full(len(frame), np.nan)
    for q in QUARTERS:
        n_q = frame[f"n{q}"].fillna(0).to_numpy()
        for part in total:
            total[part] += np.where(included[q], frame[f"{part}{q}"].fillna(0).to_numpy(), 0)
        last = np.where(included[q] & (n_q > 0), frame[f"last{q}"].to_numpy(), last)
    n = total["n"]
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.select(
            [
                frame["aggregation"] == "sum",
                frame["aggregation"] == "mean",
                frame["aggregation"] == "last",
            ],
            [total["s"], total["s"] / n, last],
            total["num"] / total["den"] * frame["scale"].to_numpy(),
        )
    return np.where(n > 0, value, np.nan), n


def _ytd_target(frame: pd.DataFrame) -> np.ndarray:
    k = frame["k"].to_numpy()
    t = {q: frame[f"t{q}"].to_numpy(dtype=float) for q in QUARTERS}
    annual = frame["annual"].to_numpy(dtype=float)
    profiled = np.zeros(len(frame))
    complete = np.ones(len(frame), dtype=bool)
    sums = {}
    for q in QUARTERS:
        complete = complete & ~np.isnan(t[q])
        profiled = profiled + np.nan_to_num(t[q])
        sums[q] = np.where(complete, profiled, annual * q / 4)
    summed = np.select([k == q for q in QUARTERS], [sums[q] for q in QUARTERS], np.nan)
    levels = np.select([k == q for q in QUARTERS], [t[q] for q in QUARTERS], np.nan)
    level = np.where(np.isnan(levels), annual, levels)
    target: np.ndarray = np.where(frame["aggregation"] == "sum", summed, level)
    return target


def compute_measures_pandas(
    indicators: pl.DataFrame,
    observations: pl.DataFrame,
    targets: pl.DataFrame,
    as_of: dt.date,
    year_start_month: int = 4,
) -> pl.DataFrame:
    ind = indicators.to_pandas()
    obs = observations.to_pandas()
    tgt = targets.with_columns(pl.col("period").fill_null("")).to_pandas()
    frame = _skeleton(ind, int(obs["fy"].min()), as_of, year_start_month)
    frame = frame.merge(_partials(obs), on=["code", "fy"], how="left")
    tgt["slot"] = np.where(tgt["period"] == "", "annual", "t" + tgt["period"].str[1:])
    wide_targets = tgt.pivot_table(
        index=["code", "fy"], columns="slot", values="target", aggfunc="max"
    )
    wide_targets = wide_targets.reindex(columns=["annual", "t1", "t2", "t3", "t4"]).reset_index()
    frame = frame.merge(wide_targets, on=["code", "fy"], how="left")

    q_range = {q: ((frame["start_q"] <= q) & (q <= frame["k"])).to_numpy() for q in QUARTERS}
    to_date = {q: (q <= frame["k"]).to_numpy() for q in QUARTERS}
    frame["period_value"], _ = _aggregate(frame, q_range)
    frame["ytd_value"], present = _aggregate(frame, to_date)
    frame["months_present"] = present.astype(int)
    frame["months_expected"] = np.select(
        [frame["frequency"] == "monthly", frame["frequency"] == "quarterly"],
        [3 * frame["k"], frame["k"]],
        1,
    )
    frame["ytd_target"] = _ytd_target(frame)

    keys = ["code", "period_type", "period_number"]
    previous = frame[[*keys, "fy", "ytd_value", "months_present"]].assign(fy=frame["fy"] + 1)
    frame = frame.merge(
        previous.rename(
            columns={
                "ytd_value": "previous_ytd_value",
                "months_present": "previous_months_present",
            }
        ),
        on=[*keys, "fy"],
        how="left",
    )
    # A part-year total (SPEC §3), this year or last.
    is_sum = (frame["aggregation"] == "sum").to_numpy()
    expected = frame["months_expected"].to_numpy()
    before = frame["previous_months_present"].fillna(0).to_numpy()
    now = frame["months_present"].to_numpy()
    incomplete = is_sum & (now > 0) & (now < expected)
    was_incomplete = is_sum & (before > 0) & (before < expected)

    a = _round(frame["ytd_value"], frame["decimals"])
    t = _round(frame["ytd_target"], frame["decimals"])
    b = _round(frame["previous_ytd_value"], frame["decimals"])
    polarity = frame["polarity"].to_numpy()
    tol = np.where(
        frame["tolerance_type"] == "absolute", frame["tolerance"], frame["tolerance"] * np.abs(t)
    )
    with np.errstate(invalid="ignore"):
        higher = np.select([a >= t - EPS, a >= t - tol - EPS], ["green", "amber"], "red")
        lower = np.select([a <= t + EPS, a <= t + tol + EPS], ["green", "amber"], "red")
        band = np.select(
            [np.abs(a - t) <= tol + EPS, np.abs(a - t) <= 2 * tol + EPS], ["green", "amber"], "red"
        )
        frame["rag"] = np.select(
            [
                (polarity == "none") | np.isnan(t),
                np.isnan(a),
                incomplete,
                polarity == "higher",
                polarity == "lower",
            ],
            ["no_target", "no_data", "incomplete", higher, lower],
            band,
        )
        moved = np.select([a > b + EPS, a < b - EPS], ["up", "down"], "unchanged")
        closer = np.select(
            [np.abs(b - t) > np.abs(a - t) + EPS, np.abs(b - t) < np.abs(a - t) - EPS],
            ["improved", "worsened"],
            "unchanged",
        )
    as_gain = {"up": "improved", "down": "worsened", "unchanged": "unchanged"}
    as_loss = {"up": "worsened", "down": "improved", "unchanged": "unchanged"}
    frame["direction"] = np.select(
        [
            np.isnan(a) | np.isnan(b) | incomplete | was_incomplete,
            (polarity == "none") | ((polarity == "target") & np.isnan(t)),
            polarity == "higher",
            polarity == "lower",
        ],
        [
            np.full(len(frame), "not_comparable"),
            moved,
            pd.Series(moved).map(as_gain).to_numpy(),
            pd.Series(moved).map(as_loss).to_numpy(),
        ],
        closer,
    )
    columns = ["code", *KEYS[1:], *NUMBERS, *EXACT]
    return pl.from_pandas(frame[columns].rename(columns={"code": "indicator_code"}))
