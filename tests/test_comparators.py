"""Benchmarking against comparator groups (SPEC §7): worked examples, validation, the load."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from schemas.benchmarks import split_benchmarks
from tests.conftest import indicator
from transforms.benchmarks import compute_benchmarks

ME = "E08000009"


def _position(
    others: list[float | None],
    own: float | None,
    polarity: str = "higher",
    decimals: int = 0,
    frequency: str = "annual",
) -> dict[str, object] | None:
    """The council's position among ``others`` (one area each; None = no figure)."""
    areas = [f"A{i:02d}" for i in range(len(others))]
    figures = [(a, v) for a, v in zip(areas, others, strict=True) if v is not None]
    if own is not None:
        figures.append((ME, own))
    values = pl.DataFrame(
        {
            "indicator_code": ["X 01"] * len(figures),
            "area_code": [a for a, _ in figures],
            "fy": [2023] * len(figures),
            "fm": [12] * len(figures),
            "value": [v for _, v in figures],
        },
        schema={
            "indicator_code": pl.String,
            "area_code": pl.String,
            "fy": pl.Int32,
            "fm": pl.Int32,
            "value": pl.Float64,
        },
    )
    groups = pl.DataFrame(
        {"group_id": "nn", "group_name": "Nearest neighbours", "area_code": areas}
    )
    indicators = pl.DataFrame(
        [indicator(polarity=polarity, decimals=decimals, frequency=frequency)]
    )
    result = compute_benchmarks(values, groups, indicators, ME)
    return result.row(0, named=True) if result.height else None


def test_ties_share_the_best_rank_1224() -> None:
    # 90, 80, 80, 70: the council on 80 shares rank 2 with the other 80; 70 is 4th, not 3rd.
    assert _position([90, 80, 70], 80)["rank"] == 2  # type: ignore[index]
    assert _position([90, 80, 80], 70)["rank"] == 4  # type: ignore[index]


def test_ties_are_judged_on_values_rounded_to_the_indicators_decimals() -> None:
    # 61.24 and 61.2 are both 61.2 at one decimal: a tie. 61.25 rounds half away to 61.3.
    assert _position([61.24, 50.0], 61.2, decimals=1)["rank"] == 1  # type: ignore[index]
    assert _position([61.25, 50.0], 61.2, decimals=1)["rank"] == 2  # type: ignore[index]
    # 10.15 held in binary as 10.1499… still rounds to 10.2, tying with 10.2.
    assert _position([10.2], 10.15, decimals=1)["rank"] == 1  # type: ignore[index]


def test_odd_group_median_is_the_middle_value() -> None:
    row = _position([10, 30, 50, 70], 20)
    assert row is not None
    assert (row["areas"], row["median"], row["rank"], row["quartile"]) == (5, 30.0, 4, 4)


def test_even_group_median_is_the_mean_of_the_two_middle_values() -> None:
    row = _position([10, 30, 70], 20)
    assert row is not None
    assert (row["areas"], row["median"]) == (4, 25.0)


@pytest.mark.parametrize(
    ("areas", "rank", "quartile"),
    [(16, 4, 1), (16, 5, 2), (16, 8, 2), (16, 9, 3), (16, 16, 4), (32, 8, 1), (32, 9, 2)],
)
def test_quartile_boundaries(areas: int, rank: int, quartile: int) -> None:
    # Others at 100, 99, 98, …; the council's 0.5 above the one it should rank just ahead of.
    others = [100.0 - i for i in range(areas - 1)]
    row = _position(others, 100.0 - (rank - 1) + 0.5, decimals=1)
    assert row is not None
    assert (row["areas"], row["rank"], row["quartile"]) == (areas, rank, quartile)


def test_lower_is_better_ranks_the_smallest_first() -> None:
    row = _position([5.0, 9.0, 12.0, 20.0], 8.0, polarity="lower")
    assert row is not None
    assert (row["rank"], row["areas"], row["quartile"], row["median"]) == (2, 5, 2, 9.0)


def test_target_and_none_polarity_get_the_median_only() -> None:
    for polarity in ("target", "none"):
        row = _position([5.0, 9.0, 12.0], 8.0, polarity=polarity)
        assert row is not None
        assert (row["rank"], row["quartile"], row["median"], row["areas"]) == (None, None, 8.5, 4)


def test_no_position_where_the_council_has_no_figure() -> None:
    assert _position([5.0, 9.0, 12.0], None) is None


def test_members_without_a_figure_are_not_counted() -> None:
    row = _position([5.0, None, 12.0, None], 8.0)
    assert row is not None
    assert (row["areas"], row["rank"], row["median"]) == (3, 2, 8.0)


def test_the_council_counts_even_when_its_group_does_not_list_it() -> None:
    row = _position([None], 8.0)  # the group lists one other area, which has no figure
    assert row is not None
    assert (row["areas"], row["rank"], row["quartile"], row["median"]) == (1, 1, 4, 8.0)


def _benchmark_rows(rows: list[tuple[str, str, str, str]]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "row_number": list(range(2, len(rows) + 2)),
            "indicator_code": [r[0] for r in rows],
            "area_code": [r[1] or None for r in rows],
            "area_name": [f"Area {r[1]}" for r in rows],
            "period": [r[2] for r in rows],
            "value": [r[3] or None for r in rows],
        },
        schema_overrides={"row_number": pl.Int64},
    )


def test_benchmark_rows_are_validated_like_observations() -> None:
    indicators = pl.DataFrame(
        [
            indicator("REC", unit="percent", frequency="annual", decimals=1),
            indicator("PLAN", unit="percent", frequency="quarterly", aggregation="ratio"),
        ]
    )
    frame = _benchmark_rows(
        [
            ("REC", ME, "2023/24", "45.1"),  # 2 fine
            ("REC", "W06000001", "2023/24", "38.0"),  # 3 an area in no group: fine
            ("NOPE", ME, "2023/24", "1"),  # 4 unknown code
            ("REC", ME, "2023/24 Q1", "1"),  # 5 a quarter for an annual indicator
            ("REC", ME, "2025/26", "1"),  # 6 ends after the as-of date
            ("REC", "E1", "2022/23", "1,2"),  # 7 not a number
            ("REC", "", "2022/23", "12"),  # 8 no area
            ("REC", "E2", "2022/23", ""),  # 9 no value
            ("REC", "E3", "2022/23", "101"),  # 10 over 100%
            ("PLAN", ME, "2023/24 Q2", "88"),  # 11 a ratio indicator's benchmark: its value
            ("REC", "E4", "2022/23", "12"),  # 12 duplicate of 13 (same area and period)
            ("REC", "E4", "2022-23", "12"),  # 13
        ]
    )
    accepted, rejected = split_benchmarks(frame, indicators, dt.date(2025, 3, 31))
    assert accepted["row_number"].to_list() == [2, 3, 11]
    reasons = dict(zip(rejected["row_number"], rejected["reason_code"], strict=True))
    assert reasons == {
        4: "unknown_code",
        5: "frequency_mismatch",
        6: "future_period",
        7: "not_a_number",
        8: "missing_value",
        9: "missing_value",
        10: "percent_out_of_range",
        12: "duplicate_in_extract",
        13: "duplicate_in_extract",
    }
    columns = dict(zip(rejected["row_number"], rejected["column"], strict=True))
    assert (columns[8], columns[9]) == ("area_code", "value")
    assert accepted.filter(pl.col("row_number") == 3)["area_code"].item() == "W06000001"


def test_an_unrounded_value_is_kept_in_full() -> None:
    indicators = pl.DataFrame([indicator("REC", unit="percent", frequency="annual", decimals=1)])
    accepted, _ = split_benchmarks(
        _benchmark_rows([("REC", ME, "2023/24", "45.1234")]), indicators, dt.date(2025, 3, 31)
    )
    assert accepted["value"].to_list() == [45.1234]


def test_paths_stay_in_the_configuration_folder(tmp_path: Path) -> None:
    from boardpack.comparators import load_comparators
    from core.errors import ConfigError
    from core.settings import CouncilSettings

    settings = CouncilSettings.model_validate(
        {
            "name": "T",
            "boards": [{"id": "b", "name": "B", "services": ["S"], "cadence": "quarterly"}],
            "area_code": ME,
            "comparators": [{"id": "nn", "name": "NN", "areas": "../outside.csv"}],
        }
    )
    with pytest.raises(ConfigError, match="outside the configuration folder"):
        load_comparators(tmp_path, settings)


_COUNCIL = f"""
name: Testborough
area_code: {ME}
boards:
  - {{id: env, name: Environment Board, services: [Waste], cadence: quarterly}}
comparators:
  - {{id: cipfa, name: CIPFA nearest neighbours, areas: groups/cipfa.csv}}
  - {{id: pair, name: "Next door <i>&</i> co", areas: [E2]}}
sources:
  - {{id: waste, department: Waste, kind: observations, format: csv, path: extracts/obs.csv}}
  - {{id: lginform, department: Policy, kind: benchmarks, format: csv, path: extracts/bench*.csv,
      columns: {{indicator_code: metric, area_code: area, area_name: name, value: figure}}}}
"""
_INDICATORS = (
    "code,title,service,unit,polarity,aggregation,frequency,decimals\n"
    "REC,Household waste recycled,Waste,percent,higher,mean,annual,1\n"
)


def _council(folder: Path, bench: str) -> Path:
    (folder / "extracts").mkdir(parents=True)
    (folder / "groups").mkdir()
    (folder / "council.yaml").write_text(_COUNCIL)
    (folder / "indicators.csv").write_text(_INDICATORS)
    (folder / "groups" / "cipfa.csv").write_text("area_code,area_name\nE1,One\nE2,Two\nE3,Three\n")
    (folder / "extracts" / "obs.csv").write_text("indicator_code,period,value\nREC,2023/24,45.1\n")
    (folder / "extracts" / "bench.csv").write_text(bench)
    return folder


_BENCH = (
    "metric,area,name,period,figure\n"
    f"REC,{ME},Testborough,2023/24,45.1\n"
    "REC,E1,One,2023/24,50.0\n"
    "REC,E2,Two,2023/24,45.14\n"
    "REC,E3,Three,2023/24,30.0\n"
    "REC,W9,Elsewhere,2023/24,99.0\n"
    f"REC,{ME},Testborough,2024/25,47.0\n"
)


def test_a_run_loads_benchmarks_and_exports_the_councils_position(tmp_path: Path) -> None:
    from boardpack import runs
    from warehouse.exports import export_csv
    from warehouse.schema import connect

    config = _council(tmp_path / "council", _BENCH)
    url = f"sqlite:///{tmp_path / 'w.sqlite'}"
    outcome = runs.nightly(config, url, tmp_path / "out", dt.date(2024, 9, 30))
    engine = connect(url)
    exported = export_csv(engine, "benchmarks")
    # 45.14 rounds to 45.1: a tie with the council, which shares 2nd place; W9 is in no group.
    # 2024/25 had not ended by the as-of date: rejected future_period, loaded once due.
    assert exported.splitlines() == [
        "indicator_code,group_id,period,value,median,rank,areas,quartile",
        "REC,cipfa,2023/24,45.1,45.12,2,4,2",
        "REC,pair,2023/24,45.1,45.12,1,2,2",
    ]
    rejections = pl.read_csv(export_csv(engine, "rejections").encode()).to_dicts()
    assert rejections == [
        {
            "source_id": "lginform",
            "file": str(config / "extracts" / "bench.csv"),
            "row_number": 7,
            "column": "period",
            "reason_code": "future_period",
            "message": "'2024/25' ends on 2025-03-31, after the run's as-of date 2024-09-30",
        }
    ]
    assert outcome.exit_code == 1


def test_a_restated_benchmark_replaces_the_figure_and_keeps_the_old_one(
    tmp_path: Path, warehouse_url: str
) -> None:
    import sqlalchemy as sa

    from boardpack import runs
    from warehouse.exports import export_csv
    from warehouse.schema import connect

    config = _council(tmp_path / "council", _BENCH)
    url = warehouse_url
    runs.nightly(config, url, tmp_path / "out", dt.date(2025, 6, 30))
    # E3 restates 30.0 as 46.0: the median of 45.1, 45.14, 46, 50 is 45.57; the council is 3rd.
    restated = _BENCH.replace("REC,E3,Three,2023/24,30.0", "REC,E3,Three,2023/24,46.0")
    (config / "extracts" / "bench.csv").write_text(restated)
    runs.nightly(config, url, tmp_path / "out", dt.date(2025, 6, 30))
    engine = connect(url)
    assert export_csv(engine, "benchmarks").splitlines()[1] == "REC,cipfa,2023/24,45.1,45.57,3,4,3"
    with engine.connect() as connection:
        versions = connection.execute(
            sa.text(
                "SELECT value, is_current, file, row_number FROM benchmark_values "
                "WHERE area_code = 'E3' ORDER BY id"
            )
        ).all()
    assert [tuple(v) for v in versions] == [
        (30.0, False, str(config / "extracts" / "bench.csv"), 5),
        (46.0, True, str(config / "extracts" / "bench.csv"), 5),
    ]


def test_a_report_shows_the_latest_benchmark_ended_by_its_period(tmp_path: Path) -> None:
    from boardpack import runs

    config = _council(tmp_path / "council", _BENCH)
    (config / "extracts" / "obs.csv").write_text(
        "indicator_code,period,value\nREC,2023/24,45.1\nREC,2024/25,47.0\n"
    )
    out = tmp_path / "out"
    runs.nightly(config, f"sqlite:///{tmp_path / 'w.sqlite'}", out, dt.date(2025, 6, 30))
    earlier = (out / "2023-24" / "Q4" / "env.html").read_text()
    # The 2024/25 benchmark had ended by the as-of date, but not by the 2023/24 report's period.
    assert "2023/24, CIPFA nearest neighbours: rank 2 of 4, 2nd quartile; median 45.1%" in earlier
    assert "2024/25, CIPFA" not in earlier
    # Only the council has a 2024/25 figure so far: alone in its group, it is 1st of 1.
    later = (out / "2024-25" / "Q4" / "env.html").read_text()
    assert "2024/25, CIPFA nearest neighbours: rank 1 of 1, 4th quartile; median 47.0%" in later
    assert "2023/24, CIPFA" not in later
    # A group's name from council.yaml is text, never markup.
    assert "Next door &lt;i&gt;&amp;&lt;/i&gt; co" in later
    assert "<i>&</i>" not in later
    page = (out / "2024-25" / "Q4" / "env-benchmarking.html").read_text()
    words = "CIPFA nearest neighbours, 2024/25: figures from 1 council range from 47.0% to 47.0%"
    assert f'aria-label="{words}' in page
    assert 'href="env.html"' in page


def test_the_same_figure_in_two_files_is_rejected_in_both(tmp_path: Path) -> None:
    from boardpack import runs
    from warehouse.exports import export_csv
    from warehouse.schema import connect

    config = _council(tmp_path / "council", _BENCH)
    (config / "extracts" / "bench2.csv").write_text(
        "metric,area,name,period,figure\nREC,E1,One,2023/24,51.0\nREC,E3,Three,2022/23,30.0\n"
    )
    url = f"sqlite:///{tmp_path / 'w.sqlite'}"
    runs.nightly(config, url, tmp_path / "out", dt.date(2025, 6, 30))
    engine = connect(url)
    rejected = pl.read_csv(export_csv(engine, "rejections").encode())
    clashes = rejected.filter(pl.col("reason_code") == "duplicate_across_sources")
    assert sorted(zip(clashes["file"], clashes["row_number"], strict=True)) == [
        (str(config / "extracts" / "bench.csv"), 3),
        (str(config / "extracts" / "bench2.csv"), 2),
    ]
    # E1 has no figure for 2023/24 now: of the council (45.1), E2 (45.14, so 45.1) and E3
    # (30.0) the council shares 1st place; 4 × 1 / 3 rounds up to the 2nd quartile.
    positions = export_csv(engine, "benchmarks").splitlines()
    assert "REC,cipfa,2023/24,45.1,45.1,1,3,2" in positions


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (("area_code: E08000009\n", ""), "comparators need the council's own 'area_code'"),
        (("groups/cipfa.csv", "groups/none.csv"), "the areas file is missing"),
        (("id: pair", "id: cipfa"), "comparator group id 'cipfa' is used more than once"),
    ],
)
def test_comparator_settings_are_checked(
    tmp_path: Path, change: tuple[str, str], problem: str
) -> None:
    from boardpack.config import load_council
    from core.errors import ConfigError

    config = _council(tmp_path / "council", _BENCH)
    text = (config / "council.yaml").read_text()
    (config / "council.yaml").write_text(text.replace(*change))
    with pytest.raises(ConfigError, match=problem):
        load_council(config)


def test_an_areas_file_needs_an_area_code_column(tmp_path: Path) -> None:
    from boardpack.config import load_council
    from core.errors import ConfigError

    config = _council(tmp_path / "council", _BENCH)
    (config / "groups" / "cipfa.csv").write_text("code,name\nE1,One\n")
    with pytest.raises(ConfigError, match="the column is missing") as raised:
        load_council(config)
    assert "area_code" in str(raised.value)


def test_validate_checks_a_benchmarks_download_and_loads_nothing(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from boardpack.cli import app

    config = _council(tmp_path / "council", _BENCH)
    download = tmp_path / "download.csv"
    download.write_text("metric,area,name,period,figure\nREC,E1,One,2023/24,n/a\n")
    result = CliRunner().invoke(
        app, ["validate", "--config", str(config), "--source", "lginform", str(download)]
    )
    assert result.exit_code == 1
    assert "not_a_number" in result.output
    assert "'n/a' is not a plain number" in result.output


def test_a_report_as_published_keeps_its_benchmarks(tmp_path: Path) -> None:
    """The snapshot kept for each report holds its benchmark lines, so re-rendering it gives
    the same bytes; a snapshot kept before benchmarking existed still renders, without them."""
    import json

    from boardpack import runs
    from outputs.board import indicator_rows, render_page
    from outputs.site import page_from_snapshot, snapshot_of
    from warehouse.models import PublishedReport
    from warehouse.schema import connect
    from warehouse.store import read_table

    config = _council(tmp_path / "council", _BENCH)
    url = f"sqlite:///{tmp_path / 'w.sqlite'}"
    out = tmp_path / "out"
    runs.nightly(config, url, out, dt.date(2025, 6, 30))
    with connect(url).connect() as connection:
        snapshot = read_table(connection, PublishedReport)["snapshot"][0]
    page = page_from_snapshot(snapshot)
    assert page.benchmarks["group_id"].to_list() == ["cipfa", "pair"]
    assert (
        render_page(page, indicator_rows(page))[0]
        == (out / "2023-24" / "Q4" / "env.html").read_text()
    )
    assert snapshot_of(page_from_snapshot(snapshot_of(page))) == snapshot_of(page)
    older = json.loads(snapshot)
    del older["frames"]["benchmarks"]
    older_page = page_from_snapshot(json.dumps(older))
    without = render_page(older_page, indicator_rows(older_page))[0]
    assert 'id="benchmarking"' not in without
    assert "Performance indicators" in without
