"""Sources that sent nothing for the latest quarter are listed for the data team to chase."""

from __future__ import annotations

import datetime as dt

import polars as pl

from transforms.coverage import finest_frequencies, latest_quarter, source_coverage


def test_latest_quarter_is_the_last_one_ended_by_the_as_of_date() -> None:
    assert latest_quarter(dt.date(2026, 9, 30)) == (2026, 2)
    assert latest_quarter(dt.date(2026, 9, 29)) == (2026, 1)
    assert latest_quarter(dt.date(2026, 4, 2)) == (2025, 4)


def test_source_coverage_flags_sources_without_the_latest_quarter() -> None:
    observations = pl.DataFrame(
        {"source_id": ["a", "a", "b"], "fy": [2026, 2026, 2026], "fm": [5, 6, 3]},
        schema={"source_id": pl.String, "fy": pl.Int32, "fm": pl.Int32},
    )
    sources = pl.DataFrame({"id": ["a", "b", "c"], "department": ["A", "B", "C"]})
    coverage = source_coverage(observations, sources, dt.date(2026, 9, 30))
    assert coverage.select("id", "current", "latest_received", "expected").rows() == [
        ("a", True, "2026-09", "2026/27 Q2"),
        ("b", False, "2026-06", "2026/27 Q2"),
        ("c", False, None, "2026/27 Q2"),
    ]


def test_latest_figures_are_named_in_the_sources_own_terms() -> None:
    """A quarterly source's latest figures are a quarter, an annual one's a year (issue 24)."""
    observations = pl.DataFrame(
        {"source_id": ["m", "q", "y"], "fy": [2026, 2026, 2025], "fm": [3, 3, 12]},
        schema={"source_id": pl.String, "fy": pl.Int32, "fm": pl.Int32},
    )
    sources = pl.DataFrame({"id": ["m", "q", "y"], "department": ["M", "Q", "Y"]})
    sent = pl.DataFrame({"source_id": ["m", "m", "q", "y"], "indicator_code": ["A", "B", "B", "C"]})
    indicators = pl.DataFrame(
        {"code": ["A", "B", "C"], "frequency": ["monthly", "quarterly", "annual"]}
    )
    frequencies = finest_frequencies(sent, indicators)
    coverage = source_coverage(observations, sources, dt.date(2026, 9, 30), 4, frequencies)
    assert coverage.select("id", "latest_received").rows() == [
        ("m", "2026-06"),
        ("q", "2026/27 Q1"),
        ("y", "2025/26"),
    ]
