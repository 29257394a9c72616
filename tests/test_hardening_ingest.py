"""Faithful reading and strict checking of extracts (SPEC §4, issue 13): every row read is
loaded or rejected with its spreadsheet row number and a plain reason."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from core.settings import Council
from schemas.ingest import check_extract
from sources.extracts import read_extract
from tests.test_extracts import AS_OF, CSV_SOURCE, HEADER, check_bytes, make_council


@pytest.fixture
def council(tmp_path: Path) -> Council:
    (tmp_path / "c" / "in").mkdir(parents=True)
    return make_council(tmp_path / "c", CSV_SOURCE)


def rejected_rows(rejected: pl.DataFrame) -> list[tuple[int | None, str | None, str]]:
    return [
        (r["row_number"], r["column"], r["reason_code"]) for r in rejected.iter_rows(named=True)
    ]


@pytest.mark.parametrize("first_break", ["\r\n", "\n", "\r"])
def test_a_lone_carriage_return_ends_a_row_like_any_other_line_break(
    council: Council, first_break: str
) -> None:
    text = (
        HEADER.rstrip("\n")
        + first_break
        + "CNT,2019-04,1,,,\r\n"
        + "CNT,2019-05,2,,,\r"
        + "CNT,2019-06,3,,,\n"
    )
    accepted, rejected, read = check_bytes(council, text.encode())
    assert (read, accepted.height, rejected.height) == (3, 3, 0)
    assert accepted["row_number"].to_list() == [2, 3, 4]
    assert accepted["value"].to_list() == [1.0, 2.0, 3.0]


def test_a_row_wider_than_the_header_is_rejected_malformed_and_the_rest_loads(
    council: Council,
) -> None:
    body = (
        "CNT,2019-04,1,,,fine\n"
        "CNT,2019-05,2,,,up, as expected\n"  # an unquoted comma in commentary
        "CNT,2019-06,3,,,,,\n"  # trailing empty cells are not extra cells
        "CNT,2019-07," + ",".join(["9"] * 100_000) + "\n"
        "CNT,2019-08,4,,,\n"
    )
    accepted, rejected, read = check_bytes(council, (HEADER + body).encode())
    assert accepted["row_number"].to_list() == [2, 4, 6]
    assert rejected_rows(rejected) == [(3, None, "malformed_row"), (5, None, "malformed_row")]
    assert rejected["message"][0] == (
        "the row has 7 cells but the header has 6, so they cannot be matched to columns "
        "(a comma inside a cell? put the cell in double quotes)"
    )
    assert rejected["value"].to_list() == [None, None]  # its cells are never guessed at
    assert read == accepted.height + rejected.height == 5


def test_an_unterminated_quote_rejects_its_row_and_the_rows_after_it_still_load(
    council: Council,
) -> None:
    body = (
        'CNT,2019-04,1,,,"fine\nstill the note"\nCNT,2019-05,2,,,"never closed\nCNT,2019-06,3,,,\n'
    )
    accepted, rejected, read = check_bytes(council, (HEADER + body).encode())
    assert accepted["row_number"].to_list() == [2, 4]
    assert accepted["commentary"][0] == "fine\nstill the note"
    assert rejected_rows(rejected) == [(3, None, "malformed_row")]
    assert "a quote opened in this row is never closed" in rejected["message"][0]
    assert read == 3


def test_a_quote_that_breaks_a_cell_is_malformed_not_guessed(council: Council) -> None:
    body = 'CNT,2019-04,"1"5,,,\nCNT,2019-05,2,,,\n'
    accepted, rejected, _ = check_bytes(council, (HEADER + body).encode())
    assert accepted["row_number"].to_list() == [3]
    assert rejected_rows(rejected) == [(2, None, "malformed_row")]
    assert rejected["message"][0].startswith("the row cannot be split into cells")


def test_malformed_rows_come_before_unknown_codes_in_the_reason_order() -> None:
    from core.columns import REASON_CODES

    assert REASON_CODES.index("missing_column") + 1 == REASON_CODES.index("malformed_row")
    assert REASON_CODES.index("malformed_row") + 1 == REASON_CODES.index("unknown_code")
    from schemas.observations import RULES

    value_rules = [rule for rule in RULES if not rule.check_name.startswith("forecast_")]
    ranks = [REASON_CODES.index(rule.reason) for rule in value_rules]
    assert ranks == sorted(ranks)  # the engine judges checks in the SPEC's order
    # A forecast is checked as a value is, after all of the value's checks (SPEC §4).
    forecast_rules = RULES[len(value_rules) :]
    assert [r.reason for r in forecast_rules] == [
        "not_a_number",
        "percent_out_of_range",
        "negative_value",
    ]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8-sig", "utf-8", "cp1252"])
def test_utf16_utf8_and_windows_1252_extracts_read_alike(council: Council, encoding: str) -> None:
    text = HEADER + "CNT,2019-04,1,,,£5 café\r\nCNT,2019-05,2,,,\r\n"
    accepted, rejected, read = check_bytes(council, text.encode(encoding))
    assert rejected.is_empty()
    assert (read, accepted.height) == (2, 2)
    assert accepted["commentary"][0] == "£5 café"


@pytest.mark.parametrize(
    "figure", ["1e400", "-1e400", "inf", "-inf", "nan", "NaN", "١٢", "１２", "1e"]
)
def test_only_plain_ascii_finite_numbers_are_numbers(council: Council, figure: str) -> None:
    text = HEADER + f"CNT,2019-04,{figure},,,\nCNT,2019-05,12,,,\n"
    accepted, rejected, read = check_bytes(council, text.encode())
    assert accepted["value"].to_list() == [12.0]
    assert rejected_rows(rejected) == [(2, "value", "not_a_number")]
    assert rejected["value"].to_list() == [figure]
    assert rejected["message"][0].startswith(f"'{figure}' is not a plain number")
    assert read == 2


def test_a_ratio_whose_parts_overflow_is_not_a_number(council: Council) -> None:
    accepted, rejected, _ = check_bytes(council, (HEADER + "PCT,2019-04,,1e400,2e400,\n").encode())
    assert accepted.is_empty()
    assert rejected_rows(rejected) == [(2, "numerator", "not_a_number")]


def test_a_measure_of_non_finite_figures_is_never_rated(council: Council) -> None:
    from transforms.measures import compute_measures

    text = HEADER + "CNT,2019-04,1e400,,,\nCNT,2019-05,-1e400,,,\nCNT,2019-06,nan,,,\n"
    accepted, rejected, _ = check_bytes(council, text.encode())
    assert rejected["reason_code"].to_list() == ["not_a_number"] * 3
    observations = accepted.select(
        pl.col("indicator_code").alias("code"), "fy", "fm", "value", "numerator", "denominator"
    )
    targets = pl.DataFrame(
        {"code": ["CNT"], "fy": [2019], "period": [""], "target": [100.0]},
        schema={"code": pl.String, "fy": pl.Int32, "period": pl.String, "target": pl.Float64},
    )
    measures = compute_measures(council.indicators, observations, targets, AS_OF, first_fy=2019)
    q1 = measures.filter(pl.col("indicator_code") == "CNT", pl.col("period") == "2019/20 Q1")
    assert q1["rag"].to_list() == ["no_data"]
    assert not measures["rag"].is_in(["green", "amber", "red"]).any()


def _council_with_source(tmp_path: Path, source: str) -> Path:
    folder = tmp_path / "c"
    (folder / "in").mkdir(parents=True)
    make_council(folder, CSV_SOURCE)  # a good configuration first
    text = (folder / "council.yaml").read_text(encoding="utf-8")
    (folder / "council.yaml").write_text(text.replace(CSV_SOURCE, source), encoding="utf-8")
    return folder


@pytest.mark.parametrize(
    ("source", "problem"),
    [
        (
            "{id: fin, department: F, kind: observations, format: csv, path: 'in/*.csv', "
            "encoding: nosuch}",
            "source 'fin': encoding 'nosuch' is not a known text encoding",
        ),
        (
            "{id: fin, department: F, kind: observations, format: csv, path: 'in/*.csv', "
            "delimiter: ';;'}",
            "source 'fin': delimiter ';;' must be one character",
        ),
        (
            "{id: db, department: F, kind: observations, format: sql, "
            "url: 'postgresql://me:s3cret@localhost:notaport/db', query: 'select 1'}",
            "source 'db': url is not a database URL",
        ),
        (
            "{id: fin, department: F, kind: observations, format: csv, "
            "path: '../../../../etc/passwd'}",
            "source 'fin': path '../../../../etc/passwd' leads outside the configuration folder",
        ),
        (
            "{id: fin, department: F, kind: observations, format: csv, path: '/etc/passwd'}",
            "source 'fin': path '/etc/passwd' leads outside the configuration folder",
        ),
    ],
)
def test_unusable_source_settings_are_configuration_errors_at_load(
    tmp_path: Path, source: str, problem: str
) -> None:
    from boardpack.config import load_council
    from core.errors import ConfigError

    folder = _council_with_source(tmp_path, f"  - {source}\n")
    with pytest.raises(ConfigError) as caught:
        load_council(folder)
    assert caught.value.exit_code == 2
    assert problem in str(caught.value)
    assert "s3cret" not in str(caught.value)


def test_a_url_naming_a_variable_is_checked_when_the_variable_is_filled(tmp_path: Path) -> None:
    from boardpack.config import load_council

    source = (
        "  - {id: db, department: F, kind: observations, format: sql, "
        "url: '${COMMUNITY_DB_URL}', query: 'select 1'}\n"
    )
    assert load_council(_council_with_source(tmp_path, source)).source("db").url


def test_a_link_out_of_the_configuration_folder_is_never_read(tmp_path: Path) -> None:
    from boardpack.config import load_council
    from core.errors import ConfigError
    from sources.extracts import source_files

    outside = tmp_path / "secret.csv"
    outside.write_text(HEADER + "CNT,2019-04,1,,,\n", encoding="utf-8")
    folder = _council_with_source(tmp_path, CSV_SOURCE)
    (folder / "in" / "return.csv").symlink_to(outside)
    council = load_council(folder)
    with pytest.raises(ConfigError, match=r"source 'fin': .*return.csv links outside"):
        source_files(council, council.settings.sources[0])
    relinked = CSV_SOURCE.replace("in/*.csv", "linked/*.csv")
    again = _council_with_source(tmp_path / "again", relinked)
    (again / "linked").symlink_to(tmp_path, target_is_directory=True)
    with pytest.raises(ConfigError, match=r"path 'linked/\*\.csv' leads outside"):
        load_council(again)


def _wide_council(tmp_path: Path, extra: str = "") -> Council:
    source = (
        "  - {id: wide, department: F, kind: observations, format: csv, path: 'in/*.csv', "
        f"layout: wide, columns: {{indicator_code: Code}}{extra}}}\n"
    )
    council = make_council(tmp_path / "c", source)
    (council.folder / "in").mkdir()
    return council


def test_a_wide_column_neither_mapped_nor_a_period_nor_ignored_is_rejected_cell_by_cell(
    tmp_path: Path,
) -> None:
    council = _wide_council(tmp_path)
    text = "Code,Apr-19,Notes,2019-05\nCNT,1,check this,2\nCNT,,,\nDAY,3,,4\n"
    accepted, rejected, read = check_bytes(council, text.encode())
    assert sorted(accepted.select("row_number", "value").rows()) == [
        (2, 1.0),
        (2, 2.0),
        (4, 3.0),
        (4, 4.0),
    ]
    assert rejected.select("row_number", "column", "value", "reason_code").rows() == [
        (2, "Notes", "check this", "bad_period")
    ]
    assert rejected["message"][0].startswith("'Notes' is not a period")
    assert read == accepted.height + rejected.height == 5


def test_ignored_wide_columns_are_left_out_and_headers_may_name_periods(tmp_path: Path) -> None:
    council = _wide_council(
        tmp_path, ", ignore_columns: [Notes], periods: {'Actual Q4 2019/20': '2019/20'}"
    )
    text = "Code,Notes,Actual Q4 2019/20,Apr-19\nANN,see p2,61.5,\nCNT,,,7\n"
    accepted, rejected, read = check_bytes(council, text.encode())
    assert rejected.is_empty()
    assert sorted(accepted.select("indicator_code", "period", "value").rows()) == [
        ("ANN", "2019/20", 61.5),
        ("CNT", "Apr-19", 7.0),
    ]
    assert read == 2


def test_a_mapped_period_header_that_is_not_a_period_names_the_header(tmp_path: Path) -> None:
    council = _wide_council(tmp_path, ", periods: {'Latest': 'last year'}")
    accepted, rejected, _ = check_bytes(council, b"Code,Latest,Apr-19\nCNT,5,6\n")
    assert accepted["value"].to_list() == [6.0]
    assert rejected.select("row_number", "column", "reason_code").rows() == [
        (2, "Latest", "bad_period")
    ]
    assert rejected["message"][0].startswith("'last year' is not a period")


def test_excel_periods_stored_as_dates_are_their_month_and_a_hidden_sheet_is_skipped(
    tmp_path: Path,
) -> None:
    import datetime as dt

    import xlsxwriter

    source = "  - {id: xl, department: F, kind: observations, format: excel, path: 'in/*.xlsx'}\n"
    council = make_council(tmp_path / "c", source)
    (council.folder / "in").mkdir()
    path = council.folder / "in" / "return.xlsx"
    workbook = xlsxwriter.Workbook(path)
    lookups = workbook.add_worksheet("Lookups")
    lookups.write_row(0, 0, ["code", "name"])
    sheet = workbook.add_worksheet("Return")
    sheet.activate()
    lookups.hide()
    month = workbook.add_format({"num_format": "yyyy-mm"})
    sheet.write_row(0, 0, ["indicator_code", "period", "value"])
    sheet.write(1, 0, "CNT")
    sheet.write_datetime(1, 1, dt.datetime(2019, 4, 1), month)
    sheet.write(1, 2, 5)
    sheet.write_row(2, 0, ["CNT", 43617, 6])  # a day number the department sees as 43617
    workbook.close()
    accepted, rejected, read = check_extract(
        council, read_extract(council, council.settings.sources[0], path), AS_OF
    )
    assert accepted.select("row_number", "period", "value").rows() == [(2, "2019-04", 5.0)]
    assert rejected.select("row_number", "column", "value", "reason_code").rows() == [
        (3, "period", "43617", "bad_period")
    ]
    assert read == 2


def test_duplicate_rows_are_listed_in_numeric_order(council: Council) -> None:
    months = iter([f"2019-{m:02d}" for m in range(4, 13)] + ["2020-01"])
    copies = {4, 7, 13}
    lines = [
        f"CNT,2019-04,{n},,," if n in copies else f"DAY,{next(months)},1,,," for n in range(2, 15)
    ]
    text = HEADER + "\n".join(lines) + "\nCNT,2019-04,4,,,\n"
    _, rejected, _ = check_bytes(council, text.encode())
    repeated = rejected.filter(pl.col("reason_code") == "duplicate_in_extract")
    assert repeated["row_number"].to_list() == [4, 7, 13, 15]
    assert "(rows 4, 7, 13, 15)" in repeated["message"][0]


def test_an_empty_code_says_so_rather_than_quoting_nothing(council: Council) -> None:
    _, rejected, _ = check_bytes(council, (HEADER + ",2019-04,5,,,\n").encode())
    assert rejected_rows(rejected) == [(2, "indicator_code", "unknown_code")]
    assert rejected["message"][0].startswith("the indicator code is empty: give it on every row")


def test_an_excel_percentage_is_the_number_the_department_sees(tmp_path: Path) -> None:
    import xlsxwriter

    source = "  - {id: xl, department: F, kind: observations, format: excel, path: 'in/*.xlsx'}\n"
    council = make_council(tmp_path / "c", source)
    (council.folder / "in").mkdir()
    path = council.folder / "in" / "return.xlsx"
    workbook = xlsxwriter.Workbook(path)
    sheet = workbook.add_worksheet("Return")
    percent = workbook.add_format({"num_format": "0.0%"})
    sheet.write_row(0, 0, ["indicator_code", "period", "value"])
    sheet.write_row(1, 0, ["LVL", "2019-04"])
    sheet.write_number(1, 2, 0.915, percent)
    sheet.write_row(2, 0, ["LVL", "2019-05", 91.7])  # typed as a plain number
    sheet.write_row(3, 0, ["LVL", "2019-06"])
    sheet.write_number(3, 2, 1.2, percent)  # shown as 120.0%
    workbook.close()
    accepted, rejected, read = check_extract(
        council, read_extract(council, council.settings.sources[0], path), AS_OF
    )
    assert accepted.select("row_number", "value").rows() == [(2, 91.5), (3, 91.7)]
    assert rejected.select("row_number", "value", "reason_code").rows() == [
        (4, "120", "percent_out_of_range")
    ]
    assert read == 3


def test_a_formula_never_calculated_is_named_not_called_empty(tmp_path: Path) -> None:
    import openpyxl

    source = "  - {id: xl, department: F, kind: observations, format: excel, path: 'in/*.xlsx'}\n"
    council = make_council(tmp_path / "c", source)
    (council.folder / "in").mkdir()
    path = council.folder / "in" / "return.xlsx"
    workbook = openpyxl.Workbook()  # openpyxl saves formulas without their results
    sheet = workbook.active
    sheet.append(["indicator_code", "period", "value"])
    sheet.append(["CNT", "2019-04", "=B9*2"])
    sheet.append(["CNT", "2019-05", 7])
    sheet.append(["CNT", "2019-06", None])
    workbook.save(path)
    accepted, rejected, read = check_extract(
        council, read_extract(council, council.settings.sources[0], path), AS_OF
    )
    assert accepted.select("row_number", "value").rows() == [(3, 7.0)]
    assert rejected.select("row_number", "column", "value", "reason_code").rows() == [
        (2, "value", "=B9*2", "not_a_number"),
        (4, "value", None, "missing_value"),
    ]
    assert rejected["message"][0] == (
        "'=B9*2' is a formula with no saved value: open the workbook in Excel, let it "
        "calculate and save it"
    )
    assert read == 3
