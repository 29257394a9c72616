"""A small run of `make bench` so that it keeps working (timings are reported, never asserted)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import polars as pl
import pytest

from benchmarks.compare import differences
from benchmarks.generate import generate_council
from benchmarks.reference_duckdb import end_to_end_duckdb, read_measures
from benchmarks.run import (
    AS_OF,
    COMPUTE,
    DUCKDB_COMPUTE,
    DUCKDB_END_TO_END,
    FIRST_RUN,
    FIRST_RUN_ON_CLUSTER,
    LARGE_BOARDS_FIRST_RUN,
    NEW_MONTH,
    NIGHTLY,
    ON_CLUSTER,
    ON_POSTGRESQL,
    WITH_DOCUMENTS,
    Goal,
    goals_table,
    measure,
    ratio,
    table,
)
from boardpack import runs
from warehouse import store
from warehouse.models import Measure
from warehouse.schema import connect

# Rows planted in a generated council's extracts (B0000000 is a monthly count summed, in
# source_00.csv; B0000003 a monthly percentage ratio to 0 places, in source_03.csv), by
# file, with the rejection each earns (SPEC §4).
PLANTED = {
    "source_00.csv": [
        ("B9999999,2019-05,10,,,", "unknown_code"),
        ("B0000000,2019-13,10,,,", "bad_period"),
        ("B0000000,2019/20 Q2,10,,,", "frequency_mismatch"),
        ("B0000000,2026-06,10,,,", "future_period"),
        ('B0000000,2019-05,"1,204",,,', "not_a_number"),
        ("B0000000,Apr-19,,,,", "missing_value"),
        ("B0000000,2019-06,-5,,,", "negative_value"),
        # a second figure for a month the file already has: both copies
        ("B0000000,2020-07,1,,,", "duplicate_in_extract"),
        (",,,,,", ""),  # a blank row is not data
    ],
    "source_03.csv": [
        ("B0000003,2019-05,,,10,", "ratio_missing_parts"),
        ("B0000003,2019-05,,5,0,", "ratio_bad_denominator"),
        ("B0000003,2019-05,,-1,10,", "ratio_negative_numerator"),
        ("B0000003,2019-05,99,5,10,", "ratio_inconsistent"),
        ("B0000003,2019-05,,15,10,", "percent_out_of_range"),
        ("B0000003,2019-05,,5,x,", "not_a_number"),
    ],
    # a month source_00.csv already sends: both copies
    "source_01.csv": [("B0000000,2021-08,3,,,", "duplicate_across_sources")],
}
EXPECTED_REJECTIONS = {
    "unknown_code": 1,
    "bad_period": 1,
    "frequency_mismatch": 1,
    "future_period": 1,
    "not_a_number": 2,
    "missing_value": 1,
    "negative_value": 1,
    "duplicate_in_extract": 2,
    "ratio_missing_parts": 1,
    "ratio_bad_denominator": 1,
    "ratio_negative_numerator": 1,
    "ratio_inconsistent": 1,
    "percent_out_of_range": 1,
    "duplicate_across_sources": 2,
}


@pytest.mark.postgres
def test_benchmark_smoke_run_times_every_stage(tmp_path: Path) -> None:
    result = measure(2400, tmp_path)
    assert result["observations"] == 2400
    # 20 monthly indicators x ten full financial years x 7 periods (4 quarters, 2 halves, year).
    assert result["measures"] == 20 * 10 * 7
    times = result["times"]
    steps = ("read and validate", "load, compute and store", "publish the latest reports")
    # Each step of the real nightly was timed, and together they are most of the nightly.
    assert 0 < sum(times[s] for s in steps) <= times[NIGHTLY]
    for stage in (COMPUTE, "render 100 boards' reports", DUCKDB_COMPUTE, DUCKDB_END_TO_END):
        assert times[stage] > 0
    # A first run publishes every period's reports, not only the latest quarter's and half's.
    assert times[FIRST_RUN] > 0
    assert result["first_run_reports"] > result["published"] > 0
    # The same figures on boards of hundreds of indicators, a first run publishing every
    # period; and a council asking for documents: its latest report (one board here) and
    # exceptions page, each as Word and PDF.
    assert times[LARGE_BOARDS_FIRST_RUN] > 0
    assert result["large_boards_reports"] > 0
    assert times[WITH_DOCUMENTS] > 0
    assert result["documents"] == 4
    # The same nightly into PostgreSQL (its reports compared below).
    assert times[ON_POSTGRESQL] > 0
    # The last month arrives, a file from each source: its 20 figures are loaded, only the
    # measures they change are computed again (the stored measures still agree with an
    # in-memory compute of every figure, below), and the latest reports are published.
    assert times[NEW_MONTH] > 0
    assert result["new_month_rows"] == 20
    assert result["new_month_reports"] > 0
    # The no-change nightly publishes nothing: its reports are already there.
    assert result["republished"] == 0
    assert result["rejected"] == {}
    # The DuckDB reference, from the same files, loaded the same rows and computed the same
    # measures; so did the compute-only references, and the measures the warehouse stored a
    # slice of indicators at a time.
    assert result["agreement"] == {
        "stored": [],
        "DuckDB": [],
        "pandas": [],
        "DuckDB end to end": [],
        "cluster": [],  # the reports of the nightly on a LocalCluster, byte for byte
        "PostgreSQL": [],  # and of the nightly into PostgreSQL
    }
    assert times[ON_CLUSTER] > 0
    assert times[FIRST_RUN_ON_CLUSTER] > 0
    assert set(result["stage_peaks_mb"]) >= set(steps)
    # The process's peak is at least any stage's sampled peak (both measure resident memory).
    nightly_peaks = [result["stage_peaks_mb"][s] for s in steps]
    assert result["peak_mb"] >= max(nightly_peaks) * 0.95
    assert "| compute (in memory) |" in table([result])


def test_duckdb_end_to_end_rejects_and_computes_as_boardpack_does(tmp_path: Path) -> None:
    council = tmp_path / "council"
    generate_council(council, 480)  # 4 indicators, a file each
    for file, rows in PLANTED.items():
        with (council / "extracts" / file).open("a", encoding="utf-8") as extract:
            extract.writelines(f"{row}\n" for row, _ in rows)
    ours = runs.nightly(council, f"sqlite:///{tmp_path / 'w.sqlite'}", tmp_path / "out", AS_OF)
    theirs = end_to_end_duckdb(council, tmp_path / "reference.duckdb", AS_OF)
    # boardpack rejects each planted row for its reason, and DuckDB rejects the same rows...
    assert dict(Counter(r["reason_code"] for r in ours.rejections)) == EXPECTED_REJECTIONS
    assert theirs.rejected == EXPECTED_REJECTIONS
    # ...loads the rest (the generated months but the two sent again, all copies rejected)...
    assert theirs.accepted == sum(f.rows_loaded for f in ours.files) == 480 - 2
    # ...and computes the same measures from them.
    with connect(f"sqlite:///{tmp_path / 'w.sqlite'}").connect() as connection:
        stored = store.read_table(connection, Measure)
    assert theirs.measures == stored.height == 4 * 10 * 7
    assert differences(stored, read_measures(tmp_path / "reference.duckdb")) == []


def test_goals_table_has_a_row_per_goal_with_its_figure_and_goal() -> None:
    result = {
        "observations": 1000,
        "peak_mb": 1024.0,
        "times": {
            COMPUTE: 1.0,
            DUCKDB_COMPUTE: 2.0,
            NIGHTLY: 70.0,
            DUCKDB_END_TO_END: 10.0,
            ON_POSTGRESQL: 140.0,
        },
    }
    rows = goals_table([result]).splitlines()
    assert rows[0] == "| goal (issues 16 and 27) | 1,000 obs | goal |"
    assert "| compute / best DuckDB compute | 0.50 (met) | <= 1.5 |" in rows
    assert any(r.endswith("| 7.00 (**not met**) | <= 6 |") for r in rows)
    assert "| peak memory of the nightly runs | 1.00 GB (met) | <= 2 GB |" in rows
    assert "| nightly on PostgreSQL / on SQLite | 2.00 (**not met**) | <= 1.5 |" in rows
    # A run timed beside the DuckDB reference, with no goal of its own: its ratio only.
    assert "| nightly on PostgreSQL / DuckDB end to end | 14.00 | reported |" in rows
    # What a run did not time is said to be unmeasured, not guessed.
    assert "| no-change nightly / full nightly | not measured | <= 5% |" in rows
    # A goal is one more Goal: a row of its own.
    extra = Goal("render / compute", ratio("render", COMPUTE), "< 1", lambda x: x < 1)
    result["times"]["render"] = 0.25
    assert goals_table([result], (extra,)).splitlines()[2] == (
        "| render / compute | 0.25 (met) | < 1 |"
    )


def test_references_agree_with_boardpack_on_the_demo_council(staging: Path) -> None:
    from benchmarks.compare import differences
    from benchmarks.reference_duckdb import compute_measures_duckdb
    from benchmarks.reference_pandas import compute_measures_pandas
    from boardpack.config import load_council
    from schemas import ingest
    from tests.conftest import DEMO, DEMO_AS_OF
    from transforms.measures import compute_measures

    council = load_council(DEMO)
    observations = (
        ingest.ingest_all(council, DEMO_AS_OF, staging)
        .frame("observations")
        .select(
            pl.col("indicator_code").alias("code"), "fy", "fm", "value", "numerator", "denominator"
        )
    )
    ours = compute_measures(council.indicators, observations, council.targets, DEMO_AS_OF)
    for reference in (compute_measures_duckdb, compute_measures_pandas):
        theirs = reference(council.indicators, observations, council.targets, DEMO_AS_OF)
        assert differences(ours, theirs) == []
