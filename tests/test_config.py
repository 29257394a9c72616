"""Configuration (SPEC §2): a bad file gets one message naming file, row, column and problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from boardpack.config import load_council
from core.errors import ConfigError
from tests.conftest import DEMO


def test_the_demo_council_loads_with_defaults_resolved() -> None:
    council = load_council(DEMO)
    assert council.settings.name == "Brookfield Borough Council"
    rows = {r["code"]: r for r in council.indicators.iter_rows(named=True)}
    assert len(rows) >= 60
    # Empty scale: 100 for percent, 1 otherwise; empty tolerance: the council's 5% relative.
    assert rows["CYP SC 01"]["scale"] == 100.0
    assert rows["LS 04"]["scale"] == 1.0
    assert (rows["FIN 03"]["tolerance"], rows["FIN 03"]["tolerance_type"]) == (0.05, "relative")
    assert (rows["FIN 06"]["tolerance"], rows["FIN 06"]["tolerance_type"]) == (250000.0, "absolute")
    assert rows["PL 01"]["key"] is True
    assert set(council.boards["cadence"]) == {"quarterly", "half-yearly"}


def replace_in(folder: Path, name: str, old: str, new: str) -> None:
    path = folder / name
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def error_for(folder: Path) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        load_council(folder)
    return caught.value


def test_bad_unit_names_file_row_and_column(demo_copy: Path) -> None:
    replace_in(
        demo_copy,
        "indicators.csv",
        "CYP SC 02,Number of children looked after,Children's Social Care,count",
        "CYP SC 02,Number of children looked after,Children's Social Care,people",
    )
    error = error_for(demo_copy)
    assert (error.row, error.column) == (3, "unit")
    assert str(error).startswith(f"{demo_copy / 'indicators.csv'}, row 3, column 'unit': 'people'")
    assert "percent, count, days, gbp, rate, score" in str(error)


def test_duplicate_indicator_code_is_a_configuration_error(demo_copy: Path) -> None:
    replace_in(demo_copy, "indicators.csv", "CYP SC 02,", "CYP SC 01,")
    error = error_for(demo_copy)
    assert error.column == "code"
    assert "appears more than once" in str(error)


def test_decimals_out_of_range(demo_copy: Path) -> None:
    replace_in(demo_copy, "indicators.csv", "ratio,monthly,1,", "ratio,monthly,4,")
    error = error_for(demo_copy)
    assert (error.row, error.column) == (2, "decimals")


def test_missing_indicators_column(demo_copy: Path) -> None:
    replace_in(demo_copy, "indicators.csv", "polarity,", "direction,")
    error = error_for(demo_copy)
    assert "polarity" in str(error)
    assert "missing" in str(error)


def test_target_for_an_unknown_indicator(demo_copy: Path) -> None:
    with (demo_copy / "targets.csv").open("a", encoding="utf-8") as handle:
        handle.write("NI 999,2024/25,,50\n")
    error = error_for(demo_copy)
    assert error.column == "code"
    assert "'NI 999' is not in indicators.csv" in str(error)


def test_target_that_is_not_a_number(demo_copy: Path) -> None:
    with (demo_copy / "targets.csv").open("a", encoding="utf-8") as handle:
        handle.write("CYP SC 01,2024/25,Q1,95%\n")
    error = error_for(demo_copy)
    assert error.column == "target"
    assert "'95%'" in str(error)


def test_target_with_an_impossible_financial_year(demo_copy: Path) -> None:
    with (demo_copy / "targets.csv").open("a", encoding="utf-8") as handle:
        handle.write("CYP SC 01,2024/26,Q1,95\n")
    error = error_for(demo_copy)
    assert error.column == "financial_year"


def test_unknown_setting_in_council_yaml_is_named(demo_copy: Path) -> None:
    replace_in(demo_copy, "council.yaml", "year_start_month: 4", "year_start_mnth: 4")
    assert "year_start_mnth" in str(error_for(demo_copy))


def test_bad_cadence_is_named(demo_copy: Path) -> None:
    replace_in(demo_copy, "council.yaml", "cadence: quarterly", "cadence: monthly")
    error = str(error_for(demo_copy))
    assert "council.yaml" in error
    assert "boards.0.cadence" in error


def test_broken_yaml_gives_its_line(demo_copy: Path) -> None:
    (demo_copy / "council.yaml").write_text("name: [unclosed\nboards: []\n", encoding="utf-8")
    error = error_for(demo_copy)
    assert "not valid YAML" in str(error)


def test_sql_source_needs_url_and_query(demo_copy: Path) -> None:
    replace_in(
        demo_copy, "council.yaml", "    url: sqlite:///extracts/community/community.db\n", ""
    )
    assert "a sql source needs both 'url' and 'query'" in str(error_for(demo_copy))


def test_missing_folder() -> None:
    assert "does not exist" in str(error_for(Path("/nonexistent/council")))
