"""A small run of `make bench` so that it keeps working (timings are reported, never asserted)."""

from __future__ import annotations

from pathlib import Path

from benchmarks.run import measure, table


def test_benchmark_smoke_run_times_every_stage(tmp_path: Path) -> None:
    result = measure(2400, tmp_path)
    assert result["observations"] == 2400
    # 20 monthly indicators x ten full financial years x 7 periods (4 quarters, 2 halves, year).
    assert result["measures"] == 20 * 10 * 7
    stages = (
        "read",
        "validate",
        "load, compute and store",
        "compute (in memory)",
        "render the latest reports",
        "second nightly, no new data",
    )
    for stage in stages:
        assert result["times"][stage] >= 0
    assert "| compute (in memory) |" in table([result])
