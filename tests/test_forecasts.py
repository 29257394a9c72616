"""Year-end forecasts (SPEC §3, §4, issue 23): sent with a figure in a long extract,
checked as a value is, kept in the warehouse with their lineage and restatements, and
exported with the measures; an existing warehouse gains them in place."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
import sqlalchemy as sa
from alembic import command

from core.settings import Council
from tests.test_extracts import AS_OF, CSV_SOURCE, make_council
from tests.test_hardening_ingest import check_bytes, rejected_rows
from warehouse import store
from warehouse.exports import export_csv
from warehouse.models import Observation
from warehouse.schema import alembic_config, connect

HEADER = "indicator_code,period,value,numerator,denominator,commentary,forecast\n"


@pytest.fixture
def council(tmp_path: Path) -> Council:
    (tmp_path / "c" / "in").mkdir(parents=True)
    return make_council(tmp_path / "c", CSV_SOURCE)


def test_a_forecast_is_read_with_its_figure_and_blank_means_none(council: Council) -> None:
    text = HEADER + "CNT,2019-04,10,,,,1250\nCNT,2019-05,12,,,,\nDAY,2019-04,3.5,,,,4.25\n"
    accepted, rejected, _ = check_bytes(council, text.encode())
    assert rejected.is_empty()
    assert accepted["forecast"].to_list() == [1250.0, None, 4.25]


def test_a_file_without_a_forecast_column_still_loads(council: Council) -> None:
    text = "indicator_code,period,value,numerator,denominator,commentary\nCNT,2019-04,10,,,\n"
    accepted, rejected, _ = check_bytes(council, text.encode())
    assert (accepted.height, rejected.height) == (1, 0)
    assert accepted["forecast"].to_list() == [None]


def test_a_forecast_is_checked_as_a_value_is(council: Council) -> None:
    text = HEADER + (
        "CNT,2019-04,10,,,,lots\n"  # row 2
        "LVL,2019-04,50,,,,101\n"  # row 3: a percentage over 100
        "CNT,2019-05,10,,,,-5\n"  # row 4: a negative count
        "DAY,2019-04,2,,,,1e999\n"  # row 5: not finite
        "CNT,2019-06,-1,,,,lots\n"  # row 6: the value's check comes first
    )
    accepted, rejected, _ = check_bytes(council, text.encode())
    assert accepted.is_empty()
    assert rejected_rows(rejected) == [
        (2, "forecast", "not_a_number"),
        (3, "forecast", "percent_out_of_range"),
        (4, "forecast", "negative_value"),
        (5, "forecast", "not_a_number"),
        (6, "value", "negative_value"),
    ]
    assert rejected["message"][0].startswith("forecast 'lots' is not a plain number")


def test_a_bad_forecast_comes_before_the_duplicate_checks(council: Council) -> None:
    text = HEADER + "CNT,2019-04,10,,,,lots\nCNT,2019-04,11,,,,\n"
    accepted, rejected, _ = check_bytes(council, text.encode())
    # The row with the bad forecast is rejected for it, so the other copy is not a duplicate.
    assert rejected_rows(rejected) == [(2, "forecast", "not_a_number")]
    assert accepted["value"].to_list() == [11.0]


def _run(folder: Path, url: str) -> sa.Engine:
    from tests.test_warehouse import nightly

    return nightly(url, folder, AS_OF)


def test_forecasts_are_kept_restated_and_exported(tmp_path: Path) -> None:
    council = make_council(tmp_path / "c", CSV_SOURCE)
    (council.folder / "targets.csv").write_text(
        "code,financial_year,period,target\nCNT,2019/20,,1200\n", encoding="utf-8"
    )
    (council.folder / "in").mkdir()
    extract = council.folder / "in" / "return.csv"
    months = "".join(f"CNT,2019-{m:02d},90,,,,\n" for m in range(4, 9))
    extract.write_text(HEADER + months + "CNT,2019-09,110,,,,1250\n", encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'w.sqlite'}"
    engine = _run(council.folder, url)
    measures = pl.read_csv(export_csv(engine, "measures").encode())
    assert measures.columns[-1] == "forecast_value"
    q2 = measures.filter((pl.col("indicator_code") == "CNT") & (pl.col("period") == "2019/20 Q2"))
    assert q2.select("ytd_value", "forecast_value", "rag").row(0) == (560.0, 1250.0, "red")

    # A new forecast for the same month is a restatement: the earlier one is kept.
    extract.write_text(HEADER + months + "CNT,2019-09,110,,,,1300\n", encoding="utf-8")
    engine = _run(council.folder, url)
    with engine.connect() as connection:
        versions = (
            store.read_table(connection, Observation)
            .filter((pl.col("indicator_code") == "CNT") & (pl.col("fm") == 6))
            .sort("id")
        )
    assert versions.select("forecast", "is_current", "row_number", "source_id").rows() == [
        (1250.0, False, 7, "fin"),
        (1300.0, True, 7, "fin"),
    ]


def test_the_forecast_rating_is_read_from_council_yaml(tmp_path: Path) -> None:
    council = make_council(tmp_path / "c", CSV_SOURCE)
    yaml = council.folder / "council.yaml"
    yaml.write_text("rating: forecast\n" + yaml.read_text(encoding="utf-8"), encoding="utf-8")
    (council.folder / "targets.csv").write_text(
        "code,financial_year,period,target\nCNT,2019/20,,1200\n", encoding="utf-8"
    )
    (council.folder / "in").mkdir()
    months = "".join(f"CNT,2019-{m:02d},90,,,,\n" for m in range(4, 9))
    (council.folder / "in" / "r.csv").write_text(
        HEADER + months + "CNT,2019-09,110,,,,1250\n", encoding="utf-8"
    )
    engine = _run(council.folder, f"sqlite:///{tmp_path / 'w.sqlite'}")
    measures = pl.read_csv(export_csv(engine, "measures").encode())
    q2 = measures.filter((pl.col("indicator_code") == "CNT") & (pl.col("period") == "2019/20 Q2"))
    assert q2["rag"].to_list() == ["amber"]  # red by tolerance, but the year will be met


def test_a_warehouse_from_before_forecasts_upgrades_in_place(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        config = alembic_config(url)
        config.attributes["connection"] = connection
        command.upgrade(config, "0003")
        connection.execute(
            sa.text(
                "INSERT INTO runs (id, kind, council, as_of, started_at, status, rows_read,"
                " rows_loaded, rows_rejected, files_skipped) VALUES (1, 'nightly', 'C',"
                " '2020-03-31', '2020-03-31 00:00:00', 'succeeded', 1, 1, 0, 0)"
            )
        )
        connection.execute(
            sa.text(
                "INSERT INTO observations (indicator_code, fy, fm, period, value, source_id,"
                " file, content_hash, row_number, run_id, is_current) VALUES"
                " ('CNT', 2019, 1, '2019-04', 10, 'fin', 'r.csv', 'h', 2, 1, 1)"
            )
        )
        connection.execute(
            sa.text(
                "INSERT INTO board_summaries (board_id, fy, period_suffix, period, green,"
                " amber, red, no_target, no_data) VALUES ('b', 2019, 'Q1', '2019/20 Q1',"
                " 1, 0, 0, 0, 0)"
            )
        )
        connection.execute(sa.text("INSERT INTO state VALUES ('measures_basis', 'old')"))
    engine.dispose()
    upgraded = connect(url)  # a writing command upgrades in place (read-only ones refuse)
    with upgraded.connect() as connection:
        observation = connection.execute(sa.text("SELECT value, forecast FROM observations"))
        assert observation.one() == (10.0, None)
        summary = connection.execute(sa.text("SELECT green, incomplete FROM board_summaries"))
        assert summary.one() == (1, 0)
        # The stored measures predate the new rules: the next run recomputes them.
        assert store.get_state(connection, "measures_basis") is None
    upgraded.dispose()


def test_validate_prints_a_bad_forecast(council: Council) -> None:
    from tests.test_cli import boardpack

    extract = council.folder / "in" / "return.csv"
    extract.write_text(HEADER + "CNT,2019-04,10,,,,ten\nCNT,2019-05,10,,,,1200\n")
    checked = boardpack(
        "validate",
        "--config",
        str(council.folder),
        "--source",
        "fin",
        str(extract),
        "--as-of",
        "2020-03-31",
    )
    assert checked.returncode == 1
    assert "return.csv:2: column 'forecast' value 'ten': not_a_number" in checked.stdout
    assert "1 would load, 1 would be rejected" in checked.stdout


def test_an_unknown_rating_is_a_configuration_error(tmp_path: Path) -> None:
    from boardpack.config import load_council
    from core.errors import ConfigError

    council = make_council(tmp_path / "c", CSV_SOURCE)
    yaml = council.folder / "council.yaml"
    yaml.write_text("rating: hopeful\n" + yaml.read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(ConfigError, match="rating"):
        load_council(council.folder)


def test_a_forecast_column_in_a_wide_sheet_is_not_dropped_silently(tmp_path: Path) -> None:
    wide = (
        "  - {id: fin, department: Finance, kind: observations, format: csv,"
        " path: 'in/*.csv', layout: wide}\n"
    )
    (tmp_path / "c" / "in").mkdir(parents=True)
    council = make_council(tmp_path / "c", wide)
    text = "indicator_code,2019-04,forecast\nCNT,10,1200\n"
    accepted, rejected, _ = check_bytes(council, text.encode())
    assert accepted["value"].to_list() == [10.0]
    assert rejected_rows(rejected) == [(2, "forecast", "bad_period")]
