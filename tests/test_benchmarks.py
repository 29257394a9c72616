"""A small run of `make bench` so that it keeps working (timings are reported, never asserted)."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from benchmarks.run import measure, table


def test_benchmark_smoke_run_times_every_stage(tmp_path: Path) -> None:
    result = measure(2400, tmp_path)
    assert result["observations"] == 2400
    # 20 monthly indicators x ten full financial years x 7 periods (4 quarters, 2 halves, year).
    assert result["measures"] == 20 * 10 * 7
    times = result["times"]
    steps = ("read and validate", "load, compute and store", "publish the latest reports")
    # Each step of the real nightly was timed, and together they are most of the nightly.
    assert 0 < sum(times[s] for s in steps) <= times["nightly (read to publish)"]
    for stage in ("compute (in memory)", "render 100 boards' reports", "compute, DuckDB reference"):
        assert stage in times
    assert "| compute (in memory) |" in table([result])
    # The no-change nightly publishes nothing: its reports are already there.
    assert result["published"] > 0
    assert result["republished"] == 0
    # Both reference implementations agree with boardpack on every measure, and so do the
    # measures the warehouse stored a slice of indicators at a time.
    assert result["agreement"] == {"stored": [], "DuckDB": [], "pandas": []}
    assert set(result["stage_peaks_mb"]) >= set(steps)
    # The process's peak is at least any stage's sampled peak (both measure resident memory).
    nightly_peaks = [result["stage_peaks_mb"][s] for s in steps]
    assert result["peak_mb"] >= max(nightly_peaks) * 0.95


def test_references_agree_with_boardpack_on_the_demo_council() -> None:
    from benchmarks.compare import differences
    from benchmarks.reference_duckdb import compute_measures_duckdb
    from benchmarks.reference_pandas import compute_measures_pandas
    from boardpack.config import load_council
    from schemas import ingest
    from tests.conftest import DEMO, DEMO_AS_OF
    from transforms.measures import compute_measures

    council = load_council(DEMO)
    observations = (
        ingest.ingest_all(council, DEMO_AS_OF)
        .frame("observations")
        .select(
            pl.col("indicator_code").alias("code"), "fy", "fm", "value", "numerator", "denominator"
        )
    )
    ours = compute_measures(council.indicators, observations, council.targets, DEMO_AS_OF)
    for reference in (compute_measures_duckdb, compute_measures_pandas):
        theirs = reference(council.indicators, observations, council.targets, DEMO_AS_OF)
        assert differences(ours, theirs) == []
