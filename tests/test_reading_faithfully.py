"""Reading extracts faithfully, round two (SPEC §4, issue 21): every number as the department
sees it, every column named once, every byte either read or its row rejected, every file the
glob matches accounted for, every period and date read as meant or rejected with its reason.
Each test names the defect it pins: it failed before the fix."""

from __future__ import annotations

import datetime as dt
import gzip
import os
import sqlite3
from pathlib import Path

import pytest
import xlsxwriter

from core.settings import Council
from schemas.ingest import ingest_source, merge
from sources.readers import shows_percentage
from tests.test_extracts import (
    AS_OF,
    CSV_SOURCE,
    EXCEL_SOURCE,
    HEADER,
    check_bytes,
    check_file,
    make_council,
)
from tests.test_hardening_ingest import rejected_rows as outcome


def council_with(tmp_path: Path, source: str) -> Council:
    council = make_council(tmp_path / "c", source)
    (council.folder / "in").mkdir(exist_ok=True)
    return council


def workbook(path: Path, write: object) -> None:
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Return")
    write(book, sheet)  # type: ignore[operator]
    book.close()


# 1. Excel number formats: the number the department sees -------------------------------


@pytest.mark.parametrize(
    ("number_format", "stored", "seen"),
    [
        ("0.0%", 0.915, 91.5),
        ("0%", 0.92, 92.0),
        ("0.00%", 0.9154, 91.54),
        ("[Red]0.0%;[Blue]-0.0%", 0.915, 91.5),
        ('0.0"%"', 91.5, 91.5),  # a literal % sign: the number is shown as stored
        ("0.0\\%", 91.5, 91.5),
        ("0.0", 91.5, 91.5),
        ("0%", 1.0000000000000002, 100.0),  # a formula's float error: Excel shows 100%
        ("General", 0.1 + 0.2, 0.3),  # Excel keeps and shows 15 significant digits
    ],
)
def test_an_excel_value_is_the_number_shown_whatever_its_header_spacing_and_format(
    tmp_path: Path, number_format: str, stored: float, seen: float
) -> None:
    """Before: the percent lookup matched untrimmed headers, so `value ` over `0.0%` cells
    loaded 0.915."""
    council = council_with(tmp_path, EXCEL_SOURCE)
    path = council.folder / "in" / "return.xlsx"

    def write(book: xlsxwriter.Workbook, sheet: object) -> None:
        shown = book.add_format({"num_format": number_format})
        sheet.write_row(0, 0, [" indicator_code", "period ", "value "])  # type: ignore[attr-defined]
        sheet.write_row(1, 0, ["LVL", "2019-04"])  # type: ignore[attr-defined]
        sheet.write_number(1, 2, stored, shown)  # type: ignore[attr-defined]

    workbook(path, write)
    accepted, rejected, read = check_file(council, path)
    assert rejected.is_empty(), rejected.rows()
    assert accepted.select("row_number", "value").rows() == [(2, seen)]
    assert read == 1


def test_every_column_that_takes_numbers_is_read_as_shown(tmp_path: Path) -> None:
    """Numerator and denominator cells formatted as percentages, under padded headers."""
    council = council_with(tmp_path, EXCEL_SOURCE)
    path = council.folder / "in" / "return.xlsx"

    def write(book: xlsxwriter.Workbook, sheet: object) -> None:
        percent = book.add_format({"num_format": "0%"})
        sheet.write_row(0, 0, ["indicator_code", "period", "numerator ", " denominator"])  # type: ignore[attr-defined]
        sheet.write_row(1, 0, ["PCT", "2019-04"])  # type: ignore[attr-defined]
        sheet.write_number(1, 2, 0.45, percent)  # type: ignore[attr-defined]
        sheet.write_number(1, 3, 0.5, percent)  # type: ignore[attr-defined]

    workbook(path, write)
    accepted, rejected, _ = check_file(council, path)
    assert rejected.is_empty()
    assert accepted.select("numerator", "denominator").rows() == [(45.0, 50.0)]


def test_a_targets_workbook_in_percentages_gives_the_targets_shown(tmp_path: Path) -> None:
    source = (
        "  - {id: t, department: F, kind: targets, format: excel, path: 'in/*.xlsx',"
        " columns: {indicator_code: Code}}\n"
    )
    council = council_with(tmp_path, source)
    path = council.folder / "in" / "targets.xlsx"

    def write(book: xlsxwriter.Workbook, sheet: object) -> None:
        percent = book.add_format({"num_format": "0.0%"})
        sheet.write_row(0, 0, ["Code ", "financial_year", "period", "target "])  # type: ignore[attr-defined]
        sheet.write_row(1, 0, ["LVL", "2019/20", None])  # type: ignore[attr-defined]
        sheet.write_number(1, 3, 0.975, percent)  # type: ignore[attr-defined]

    workbook(path, write)
    accepted, rejected, _ = check_file(council, path)
    assert rejected.is_empty()
    assert accepted["target"].to_list() == [97.5]


def test_percentage_formats_by_section_and_literal_percent_signs() -> None:
    assert shows_percentage("0.0%", 0.5)
    assert shows_percentage("[Color10]0%;[Red]-0%;0%", -0.5)
    assert shows_percentage("0.0%;-0.0;0", 0.5)
    assert not shows_percentage("0.0%;-0.0;0", -0.5)  # the negative section has no %
    assert not shows_percentage('0.0"%"', 91.5)
    assert not shows_percentage("0.0\\%", 91.5)
    assert not shows_percentage("[$%-809]0.0", 91.5)
    assert not shows_percentage("General", 0.5)


# 2. A column named twice -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "named"),
    [
        ("indicator_code,period,value,value\n", "value"),
        ("indicator_code,period,value ,value\n", "value"),  # alike once trimmed
        ("indicator_code, period,period,value\n", "period"),
    ],
)
def test_a_csv_header_naming_a_column_twice_rejects_the_file(
    tmp_path: Path, header: str, named: str
) -> None:
    """Before: polars renamed the second copy and the first was used silently (or the
    source failed after retries, no file named)."""
    council = council_with(tmp_path, CSV_SOURCE)
    accepted, rejected, read = check_bytes(council, (header + "CNT,2019-04,5,6\n").encode())
    assert (accepted.height, read) == (0, 0)
    assert outcome(rejected) == [(None, None, "unreadable_file")]
    assert f"the header names the column '{named}' more than once" in rejected["message"][0]
    assert "return.csv" in rejected["message"][0]


def test_a_column_and_another_mapped_to_it_reject_the_file(tmp_path: Path) -> None:
    """Before: the rename raised a polars error, the source failed after its retries."""
    source = (
        "  - {id: fin, department: F, kind: observations, format: csv, path: 'in/*.csv',"
        " columns: {value: Actual}}\n"
    )
    council = council_with(tmp_path, source)
    _, rejected, _ = check_bytes(council, b"indicator_code,period,value,Actual\nCNT,2019-04,5,6\n")
    assert outcome(rejected) == [(None, None, "unreadable_file")]
    assert "the columns 'Actual' and 'value' would both be 'value'" in rejected["message"][0]


@pytest.mark.parametrize(
    ("kind", "header", "named"),
    [
        ("targets", "indicator_code,financial_year,target,target\n", "target"),
        ("milestones", "ref,ref,service,description,status,period\n", "ref"),
        ("risks", "ref,service,description,rating,period, period\n", "period"),
        ("benchmarks", "indicator_code,area_code,period,value,value\n", "value"),
    ],
)
def test_every_kind_of_source_rejects_a_column_named_twice(
    tmp_path: Path, kind: str, header: str, named: str
) -> None:
    source = f"  - {{id: s, department: F, kind: {kind}, format: csv, path: 'in/*.csv'}}\n"
    council = council_with(tmp_path, source)
    _, rejected, _ = check_bytes(council, (header + "a,b,c,d,e,f\n").encode())
    assert outcome(rejected) == [(None, None, "unreadable_file")]
    assert f"'{named}' more than once" in rejected["message"][0]


def test_a_wide_sheet_naming_a_period_twice_rejects_the_file(tmp_path: Path) -> None:
    source = (
        "  - {id: w, department: F, kind: observations, format: excel, path: 'in/*.xlsx',"
        " layout: wide}\n"
    )
    council = council_with(tmp_path, source)
    path = council.folder / "in" / "wide.xlsx"

    def write(book: xlsxwriter.Workbook, sheet: object) -> None:
        sheet.write_row(0, 0, ["indicator_code", "Apr-19", "Apr-19 "])  # type: ignore[attr-defined]
        sheet.write_row(1, 0, ["CNT", 1, 2])  # type: ignore[attr-defined]

    workbook(path, write)
    _, rejected, _ = check_file(council, path)
    assert outcome(rejected) == [(None, None, "unreadable_file")]
    assert "'Apr-19' more than once" in rejected["message"][0]


def _sql_council(tmp_path: Path, query: str) -> Council:
    folder = tmp_path / "c"
    folder.mkdir(parents=True)
    connection = sqlite3.connect(folder / "dept.db")
    connection.execute(
        "CREATE TABLE r (row_number INTEGER, code TEXT, period TEXT, value REAL, actual REAL)"
    )
    connection.executemany(
        "INSERT INTO r VALUES (?, ?, ?, ?, ?)",
        [(1, "CNT", "2019-04", 5.0, 5.0), (2, "CNT", "2019-05", -1.0, -1.0)],
    )
    connection.commit()
    connection.close()
    source = (
        "  - {id: db, department: D, kind: observations, format: sql,"
        f" url: 'sqlite:///dept.db', query: '{query}', columns: {{indicator_code: code}}}}\n"
    )
    return make_council(folder, source)


def test_a_query_naming_a_column_twice_is_unreadable_not_a_failed_source(
    tmp_path: Path, staging: Path
) -> None:
    council = _sql_council(tmp_path, "SELECT code, period, value, actual AS value FROM r")
    batch = merge([ingest_source(council, council.settings.sources[0], AS_OF, staging)])
    rejected = batch.frame("rejections")
    assert outcome(rejected) == [(None, None, "unreadable_file")]
    assert "'value' more than once" in rejected["message"][0]


# 3. boardpack's bookkeeping never collides with a department's columns -----------------


def test_an_extract_with_its_own_row_number_column_loads(tmp_path: Path) -> None:
    """Before: `row_number` collided with boardpack's own column; the source failed."""
    council = council_with(tmp_path, CSV_SOURCE)
    text = "row_number,header,indicator_code,period,value\n1,x,CNT,2019-04,5\n2,y,CNT,2019-05,-1\n"
    accepted, rejected, read = check_bytes(council, text.encode())
    assert accepted.select("row_number", "period", "value").rows() == [(2, "2019-04", 5.0)]
    assert outcome(rejected) == [(3, "value", "negative_value")]
    assert read == 2


def test_a_database_export_with_a_row_number_column_loads(tmp_path: Path, staging: Path) -> None:
    council = _sql_council(tmp_path, "SELECT * FROM r ORDER BY row_number")
    batch = merge([ingest_source(council, council.settings.sources[0], AS_OF, staging)])
    assert batch.frame("observations").select("row_number", "value").rows() == [(1, 5.0)]
    assert outcome(batch.frame("rejections")) == [(2, "value", "negative_value")]


def test_a_wide_sheet_with_columns_named_like_boardpacks_own_loads(tmp_path: Path) -> None:
    source = (
        "  - {id: w, department: F, kind: observations, format: csv, path: 'in/*.csv',"
        " layout: wide, ignore_columns: [row_number, header, value]}\n"
    )
    council = council_with(tmp_path, source)
    text = "row_number,header,value,indicator_code,Apr-19,May-19\n1,h,v,CNT,5,6\n"
    accepted, rejected, _ = check_bytes(council, text.encode())
    assert rejected.is_empty()
    assert accepted.select("row_number", "period", "value").rows() == [
        (2, "Apr-19", 5.0),
        (2, "May-19", 6.0),
    ]


# 4. UTF-8 with a few invalid bytes stays UTF-8 -------------------------------------------


def test_utf8_with_an_invalid_byte_rejects_only_that_row_and_never_reads_mojibake(
    tmp_path: Path,
) -> None:
    """Before: the whole file was read as Windows-1252: `CafÃ©` reached the warehouse."""
    council = council_with(tmp_path, CSV_SOURCE)
    data = (
        HEADER.encode()
        + "CNT,2019-04,1,,,Café £5 – fine\n".encode()
        + b"CNT,2019-05,2,,,bad \xff byte\n"
        + "CNT,2019-06,3,,,naïve\n".encode()
    )
    accepted, rejected, read = check_bytes(council, data)
    assert accepted["commentary"].to_list() == ["Café £5 – fine", "naïve"]
    assert outcome(rejected) == [(3, None, "malformed_row")]
    message = rejected["message"][0]
    assert message.startswith("the row holds bytes that are not valid UTF-8 text")
    assert message.isprintable()
    assert read == 3


def test_a_declared_utf8_source_rejects_only_the_rows_with_invalid_bytes(tmp_path: Path) -> None:
    source = CSV_SOURCE.replace("path: 'in/*.csv'", "path: 'in/*.csv', encoding: utf-8")
    council = council_with(tmp_path, source)
    data = HEADER.encode() + b"CNT,2019-04,1,,,\xe9\nCNT,2019-05,2,,,ok\n"
    accepted, rejected, _ = check_bytes(council, data)
    assert accepted["row_number"].to_list() == [3]
    assert outcome(rejected) == [(2, None, "malformed_row")]


def test_windows_1252_without_any_utf8_character_still_reads(tmp_path: Path) -> None:
    council = council_with(tmp_path, CSV_SOURCE)
    text = HEADER + "CNT,2019-04,1,,,Café £5 – ‘quoted’\n"
    accepted, rejected, _ = check_bytes(council, text.encode("cp1252"))
    assert rejected.is_empty()
    assert accepted["commentary"].to_list() == ["Café £5 – ‘quoted’"]


def test_invalid_bytes_in_the_header_make_the_file_unreadable(tmp_path: Path) -> None:
    council = council_with(tmp_path, CSV_SOURCE)
    data = b"indicator_code,period,valu\xff\xfe\n" + "CNT,2019-04,1 é\n".encode()
    _, rejected, _ = check_bytes(council, data)
    assert outcome(rejected) == [(None, None, "unreadable_file")]
    assert "the header row holds bytes that are not text" in rejected["message"][0]


def test_a_nul_character_rejects_its_row(tmp_path: Path) -> None:
    """PostgreSQL refuses NUL in text: one such cell must not lose the nightly."""
    council = council_with(tmp_path, CSV_SOURCE)
    data = HEADER.encode() + b"CNT,2019-04,1,,,a\x00b\nCNT,2019-05,2,,,\n"
    accepted, rejected, _ = check_bytes(council, data)
    assert accepted["row_number"].to_list() == [3]
    assert outcome(rejected) == [(2, None, "malformed_row")]
    assert "NUL character" in rejected["message"][0]


# 5. A file that is not text at all -------------------------------------------------------


def _xlsx_bytes(tmp_path: Path) -> bytes:
    path = tmp_path / "book.xlsx"
    workbook(path, lambda book, sheet: sheet.write(0, 0, "x"))
    return path.read_bytes()


@pytest.mark.parametrize(
    ("make", "looks_like"),
    [
        (_xlsx_bytes, "it looks like an Excel workbook (.xlsx) or another zip archive"),
        (
            lambda _: gzip.compress((HEADER + "CNT,2019-04,1,,,\n").encode()),
            "it looks like a gzip archive",
        ),
        (
            lambda _: (HEADER + "CNT,2019-04,1,,,\n").encode("utf-16-le"),
            "it looks like UTF-16 text without a byte-order mark",
        ),
        (lambda _: b"%PDF-1.7\n\x00\x01\x02binary", "it looks like a PDF document"),
        (lambda _: bytes(range(256)) * 8, "the header row holds bytes that are not text"),
    ],
)
def test_a_file_that_is_not_text_is_unreadable_in_plain_words(
    tmp_path: Path, make: object, looks_like: str
) -> None:
    """Before: rejected `missing_column` with the binary header in the message."""
    council = council_with(tmp_path, CSV_SOURCE)
    _, rejected, read = check_bytes(council, make(tmp_path))  # type: ignore[operator]
    assert read == 0
    assert outcome(rejected) == [(None, None, "unreadable_file")]
    message = rejected["message"][0]
    assert looks_like in message
    assert message.isprintable()
    assert message.isascii()


def test_messages_never_carry_control_characters_from_a_cell(tmp_path: Path) -> None:
    council = council_with(tmp_path, CSV_SOURCE)
    data = HEADER.encode() + b"CNT,2019-04,\x1b[2J5\x07,,,\n"
    _, rejected, _ = check_bytes(council, data)
    assert outcome(rejected) == [(2, "value", "not_a_number")]
    assert rejected["message"][0].startswith("'?[2J5?' is not a plain number")


# 6. Every glob match is accounted for ----------------------------------------------------


def test_a_broken_link_and_a_folder_matched_by_the_glob_are_rejected_by_name(
    tmp_path: Path, staging: Path
) -> None:
    """Before: both were skipped silently."""
    council = council_with(tmp_path, CSV_SOURCE)
    folder = council.folder / "in"
    (folder / "good.csv").write_text(HEADER + "CNT,2019-04,5,,,\n")
    (folder / "broken.csv").symlink_to(folder / "moved-away.csv")
    (folder / "archive.csv").mkdir()
    batch = merge([ingest_source(council, council.settings.sources[0], AS_OF, staging)])
    rejected = batch.frame("rejections").sort("file")
    assert [
        (Path(r["file"]).name, r["row_number"], r["reason_code"], r["message"].split(": ", 1)[1])
        for r in rejected.iter_rows(named=True)
    ] == [
        (
            "archive.csv",
            None,
            "unreadable_file",
            "it is a folder, not a file: make the source's path match files only",
        ),
        ("broken.csv", None, "unreadable_file", "it is a link to a file that does not exist"),
    ]
    assert batch.frame("observations").height == 1
    assert {Path(f.file).name for f in batch.files} == {"archive.csv", "broken.csv", "good.csv"}


# 7. Periods and dates --------------------------------------------------------------------


@pytest.mark.parametrize("period", ["0000-06", "0000/01 Q1", "Jun-0000", "1899-04"])
def test_a_period_in_year_0_or_before_1900_is_a_bad_period(tmp_path: Path, period: str) -> None:
    """Before: `ValueError: year 0 is out of range`, exit 3, no file named."""
    council = council_with(tmp_path, CSV_SOURCE)
    code = "QTR" if "Q" in period else "CNT"
    accepted, rejected, _ = check_bytes(
        council, f"{HEADER}{code},{period},5,,,\nCNT,2019-04,1,,,\n".encode()
    )
    assert accepted["row_number"].to_list() == [3]
    assert outcome(rejected) == [(2, "period", "bad_period")]
    assert rejected["message"][0].startswith(f"'{period}' is not a period")


def test_a_period_decades_before_the_as_of_date_is_taken_as_a_typo(tmp_path: Path) -> None:
    """Before: `1925-05` loaded, and measures ran from 1925/26 (docs/decisions.md)."""
    council = council_with(tmp_path, CSV_SOURCE)
    text = f"{HEADER}CNT,1925-05,5,,,\nCNT,1970-04,6,,,\nCNT,2019-04,7,,,\n"
    accepted, rejected, _ = check_bytes(council, text.encode())
    assert accepted["period"].to_list() == ["1970-04", "2019-04"]
    assert outcome(rejected) == [(2, "period", "bad_period")]
    assert rejected["message"][0] == (
        "'1925-05' ended more than 50 years before the run's as-of date 2020-03-31: is the "
        "year a typo? (figures so old are not read)"
    )


def test_a_padded_period_is_read_and_kept_without_its_padding(tmp_path: Path) -> None:
    """Before: `2019/20      Q1` was accepted and stored padded (PostgreSQL overflowed)."""
    council = council_with(tmp_path, CSV_SOURCE)
    text = f'{HEADER}QTR,"  2019/20      Q1 ",5,,,\nCNT,"\u200b2019-04\u00a0",6,,,\n'
    accepted, rejected, _ = check_bytes(council, text.encode())
    assert rejected.is_empty()
    assert accepted["period"].to_list() == ["2019/20 Q1", "2019-04"]


def test_a_target_year_and_a_register_quarter_in_year_0_are_bad_periods(tmp_path: Path) -> None:
    source = (
        "  - {id: t, department: F, kind: targets, format: csv, path: 't/*.csv'}\n"
        "  - {id: m, department: F, kind: milestones, format: csv, path: 'm/*.csv'}\n"
    )
    council = make_council(tmp_path / "c", source)
    (council.folder / "t").mkdir()
    (council.folder / "m").mkdir()
    targets = council.folder / "t" / "t.csv"
    targets.write_text("indicator_code,financial_year,period,target\nCNT,0000/01,,5\n")
    milestones = council.folder / "m" / "m.csv"
    milestones.write_text(
        "ref,service,description,due_date,status,commentary,period\n"
        "M1,Finance,Do it,2020-03-31,on_track,,0000/01 Q1\n"
    )
    _, rejected, _ = check_file(council, targets, 0)
    assert outcome(rejected) == [(2, "financial_year", "bad_period")]
    _, rejected, _ = check_file(council, milestones, 1)
    assert outcome(rejected) == [(2, "period", "bad_period")]


MILESTONES = "  - {id: m, department: F, kind: milestones, format: csv, path: 'in/*.csv'}\n"


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("2026-03-31", dt.date(2026, 3, 31)),
        ("31/03/2026", dt.date(2026, 3, 31)),
        ("31/03/26", dt.date(2026, 3, 31)),  # DD/MM/YY is 20YY
        ("1/4/26", dt.date(2026, 4, 1)),
        (" 31/03/2026 ", dt.date(2026, 3, 31)),
    ],
)
def test_a_register_date_is_read_as_the_department_means_it(
    tmp_path: Path, typed: str, meant: dt.date
) -> None:
    """Before: `31/03/26` was read as 31 March 0026 and shown so in a committee paper."""
    council = council_with(tmp_path, MILESTONES)
    text = (
        "ref,service,description,due_date,status,commentary,period\n"
        f"M1,Finance,Do it,{typed},on_track,,2019/20 Q1\n"
    )
    accepted, rejected, _ = check_bytes(council, text.encode())
    assert rejected.is_empty()
    assert accepted["due_date"].to_list() == [meant]


@pytest.mark.parametrize(
    "typed",
    [
        "31/03/0026",
        "0000-06-30",
        "30/02/2026",
        "2026-13-01",
        "31-03-2026",
        "March 2026",
        "03/31/2026",
    ],
)
def test_anything_else_in_a_register_date_is_rejected_with_its_reason(
    tmp_path: Path, typed: str
) -> None:
    council = council_with(tmp_path, MILESTONES)
    text = (
        "ref,service,description,due_date,status,commentary,period\n"
        f"M1,Finance,Do it,{typed},on_track,,2019/20 Q1\n"
        "M2,Finance,Do it,2026-03-31,on_track,,2019/20 Q1\n"
    )
    accepted, rejected, _ = check_bytes(council, text.encode())
    assert accepted["ref"].to_list() == ["M2"]
    assert outcome(rejected) == [(2, "due_date", "invalid_date")]
    assert rejected["message"][0] == (
        f"'{typed}' is not a date: write it as 2026-03-31 or 31/03/2026 (a two-digit year is "
        "20YY), or enter it in Excel as a date"
    )


def test_an_excel_due_date_is_that_day(tmp_path: Path) -> None:
    source = "  - {id: m, department: F, kind: milestones, format: excel, path: 'in/*.xlsx'}\n"
    council = council_with(tmp_path, source)
    path = council.folder / "in" / "m.xlsx"

    def write(book: xlsxwriter.Workbook, sheet: object) -> None:
        day = book.add_format({"num_format": "dd/mm/yy"})
        sheet.write_row(0, 0, ["ref", "service", "description", "due_date", "status", "period"])  # type: ignore[attr-defined]
        sheet.write_row(1, 0, ["M1", "Finance", "Do it"])  # type: ignore[attr-defined]
        sheet.write_datetime(1, 3, dt.datetime(2026, 3, 31), day)  # type: ignore[attr-defined]
        sheet.write_row(1, 4, ["on_track", "2019/20 Q1"])  # type: ignore[attr-defined]

    workbook(path, write)
    accepted, rejected, _ = check_file(council, path)
    assert rejected.is_empty()
    assert accepted["due_date"].to_list() == [dt.date(2026, 3, 31)]


# 8. Excel wide sheets with real dates as headers ----------------------------------------


def test_excel_date_headers_of_a_wide_sheet_are_their_months(tmp_path: Path) -> None:
    """Before: read as unnamed columns; the whole file rejected "no period columns"."""
    source = (
        "  - {id: w, department: F, kind: observations, format: excel, path: 'in/*.xlsx',"
        " layout: wide, columns: {indicator_code: Code}}\n"
    )
    council = council_with(tmp_path, source)
    path = council.folder / "in" / "wide.xlsx"

    def write(book: xlsxwriter.Workbook, sheet: object) -> None:
        month = book.add_format({"num_format": "mmm-yy"})
        sheet.write(0, 0, "Code")  # type: ignore[attr-defined]
        sheet.write_datetime(0, 1, dt.datetime(2019, 4, 1), month)  # type: ignore[attr-defined]
        sheet.write_datetime(0, 2, dt.datetime(2019, 5, 1), month)  # type: ignore[attr-defined]
        sheet.write_row(1, 0, ["CNT", 10, -1])  # type: ignore[attr-defined]

    workbook(path, write)
    accepted, rejected, _ = check_file(council, path)
    assert accepted.select("row_number", "period", "value").rows() == [(2, "2019-04", 10.0)]
    assert rejected.select("row_number", "column", "value", "reason_code").rows() == [
        (2, "2019-05", "-1", "negative_value")
    ]


# 9. A wide sheet's commentary ------------------------------------------------------------


def test_a_wide_rows_commentary_goes_with_its_latest_filled_period(tmp_path: Path) -> None:
    """Before: a mapped commentary column in a wide layout was dropped silently."""
    source = (
        "  - {id: w, department: F, kind: observations, format: csv, path: 'in/*.csv',"
        " layout: wide, columns: {indicator_code: Code, commentary: Notes}}\n"
    )
    council = council_with(tmp_path, source)
    text = (
        "Code,Apr-19,May-19,Jun-19,Notes\n"
        "CNT,1,2,,Up after the refit\n"
        "DAY,3,,,\n"
        "LVL,,,,A note with no figure\n"
    )
    accepted, rejected, read = check_bytes(council, text.encode())
    assert accepted.select("indicator_code", "period", "commentary").rows() == [
        ("CNT", "Apr-19", None),
        ("CNT", "May-19", "Up after the refit"),
        ("DAY", "Apr-19", None),
    ]
    # A remark with no figure to go with is not lost: its row is rejected at the latest period.
    assert outcome(rejected) == [(4, "Jun-19", "missing_value")]
    assert rejected["message"][0] == "the value is empty: enter the figure, or leave the row out"
    assert read == 4


# 10. Excel error cells -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "meaning"),
    [
        ("#DIV/0!", "a division by zero"),
        ("#N/A", "a value not available"),
        ("#VALUE!", "a value of the wrong type in a formula"),
        ("#REF!", "a reference to a cell that no longer exists"),
    ],
)
def test_an_excel_error_cell_is_not_a_number_and_named(
    tmp_path: Path, error: str, meaning: str
) -> None:
    """Before: rejected "the value is empty"."""
    council = council_with(tmp_path, EXCEL_SOURCE)
    path = council.folder / "in" / "return.xlsx"

    def write(book: xlsxwriter.Workbook, sheet: object) -> None:
        sheet.write_row(0, 0, ["indicator_code", "period", "value"])  # type: ignore[attr-defined]
        sheet.write_row(1, 0, ["CNT", "2019-04"])  # type: ignore[attr-defined]
        sheet.write_formula(1, 2, "=1/0", None, error)  # type: ignore[attr-defined]
        sheet.write_row(2, 0, ["CNT", "2019-05", 4])  # type: ignore[attr-defined]

    workbook(path, write)
    accepted, rejected, _ = check_file(council, path)
    assert accepted["row_number"].to_list() == [3]
    assert rejected.select("row_number", "column", "value", "reason_code").rows() == [
        (2, "value", error, "not_a_number")
    ]
    assert rejected["message"][0] == (
        f"'{error}' is an Excel error ({meaning}), not a number: correct the formula in the "
        "workbook, or enter the figure"
    )


# 11. header_row on a CSV source ----------------------------------------------------------


def test_header_row_on_a_csv_source_skips_the_title_block(tmp_path: Path) -> None:
    """Before: ignored; the title line was read as the header and every column missing."""
    source = CSV_SOURCE.replace("path: 'in/*.csv'", "path: 'in/*.csv', header_row: 3")
    council = council_with(tmp_path, source)
    text = (
        "Corporate KPIs, Q1\nProduced 3 July\n" + HEADER + "CNT,2019-04,5,,,\nCNT,2019-05,-1,,,\n"
    )
    accepted, rejected, read = check_bytes(council, text.encode())
    assert accepted.select("row_number", "value").rows() == [(4, 5.0)]
    assert outcome(rejected) == [(5, "value", "negative_value")]
    assert read == 2


def test_a_csv_shorter_than_its_header_row_is_unreadable(tmp_path: Path) -> None:
    source = CSV_SOURCE.replace("path: 'in/*.csv'", "path: 'in/*.csv', header_row: 5")
    council = council_with(tmp_path, source)
    _, rejected, _ = check_bytes(council, HEADER.encode())
    assert outcome(rejected) == [(None, None, "unreadable_file")]
    assert rejected["message"][0].endswith("the file has no row 5")


# The same classes elsewhere (the hostile review) ----------------------------------------


def test_utf8_with_a_bom_and_an_invalid_byte_rejects_only_that_row(tmp_path: Path) -> None:
    """Before: a BOM file with one bad byte was unreadable whole."""
    council = council_with(tmp_path, CSV_SOURCE)
    data = (
        b"\xef\xbb\xbf" + HEADER.encode() + b"CNT,2019-04,1,,,\xff\nCNT,2019-05,2,,,caf\xc3\xa9\n"
    )
    accepted, rejected, _ = check_bytes(council, data)
    assert accepted.select("row_number", "commentary").rows() == [(3, "café")]
    assert outcome(rejected) == [(2, None, "malformed_row")]


def test_a_database_timestamp_period_is_its_month_and_binary_values_reject_their_row(
    tmp_path: Path, staging: Path
) -> None:
    folder = tmp_path / "c"
    folder.mkdir()
    connection = sqlite3.connect(folder / "dept.db")
    connection.execute("CREATE TABLE r (code TEXT, period TEXT, value REAL, note BLOB)")
    connection.executemany(
        "INSERT INTO r VALUES (?, ?, ?, ?)",
        [
            ("CNT", "2019-04-01 00:00:00", 5.0, None),
            ("CNT", "2019-05", 6.0, b"\xff\xfe\x00binary"),
            ("CNT", "2019-06", 7.0, "caf\u00e9"),
        ],
    )
    connection.commit()
    connection.close()
    source = (
        "  - {id: db, department: D, kind: observations, format: sql, url: 'sqlite:///dept.db',"
        " query: 'SELECT code, period, value, note AS commentary FROM r ORDER BY rowid',"
        " columns: {indicator_code: code}}\n"
    )
    council = make_council(folder, source)
    batch = merge([ingest_source(council, council.settings.sources[0], AS_OF, staging)])
    assert batch.frame("observations").select("row_number", "period", "commentary").rows() == [
        (1, "2019-04", None),
        (3, "2019-06", "café"),
    ]
    rejected = batch.frame("rejections")
    assert outcome(rejected) == [(2, None, "malformed_row")]
    assert rejected["message"][0] == "the column 'commentary' holds binary data, not text"


def test_a_file_whose_name_is_not_utf8_is_read_under_a_printable_name(
    tmp_path: Path, staging: Path
) -> None:
    """Before: the name's undecodable byte could not be stored, and the source failed."""
    council = council_with(tmp_path, CSV_SOURCE)
    folder = os.fsencode(council.folder / "in")
    with open(folder + b"/return\xff.csv", "wb") as file:
        file.write((HEADER + "CNT,2019-04,5,,,\nCNT,2019-05,-1,,,\n").encode())
    batch = merge([ingest_source(council, council.settings.sources[0], AS_OF, staging)])
    assert batch.frame("observations")["value"].to_list() == [5.0]
    rejected = batch.frame("rejections")
    assert outcome(rejected) == [(3, "value", "negative_value")]
    assert Path(rejected["file"][0]).name == "return?.csv"


def test_excels_sep_line_names_the_delimiter_and_is_not_a_row(tmp_path: Path) -> None:
    """Before: `sep=;` was read as the header, and every column was missing."""
    council = council_with(tmp_path, CSV_SOURCE)
    text = "sep=;\r\n" + HEADER.replace(",", ";") + "CNT;2019-04;5;;;a, b\r\nCNT;2019-05;-1;;;\r\n"
    accepted, rejected, _ = check_bytes(council, text.encode("cp1252"))
    assert accepted.select("row_number", "value", "commentary").rows() == [(2, 5.0, "a, b")]
    assert outcome(rejected) == [(3, "value", "negative_value")]


def test_a_code_with_an_invisible_character_is_the_code(tmp_path: Path) -> None:
    council = council_with(tmp_path, CSV_SOURCE)
    text = f"{HEADER}\u200bCNT\u00a0,2019-04,5,,,\n"
    accepted, rejected, _ = check_bytes(council, text.encode())
    assert rejected.is_empty()
    assert accepted["indicator_code"].to_list() == ["CNT"]


def test_validate_never_prints_a_cells_control_characters(tmp_path: Path) -> None:
    """A cell holding a terminal escape is shown with `?`, never sent to the terminal."""
    from boardpack.validate import check_file as validate_file

    council = council_with(tmp_path, CSV_SOURCE)
    path = council.folder / "in" / "return.csv"
    path.write_bytes(HEADER.encode() + b"CNT,2019-04,\x1b[2J\x1b[31m5,,,\n")
    lines = validate_file(council.folder, "fin", path, AS_OF).lines()
    assert lines[0] == (
        f"{path}:2: column 'value' value '?[2J?[31m5': not_a_number: '?[2J?[31m5' is not a "
        "plain number: write digits with an optional sign and decimal point, without "
        "thousands separators, currency or percent signs"
    )


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        ("format: csv, path: 'in/*.csv', sheet: Returns", "'sheet' does not apply to a csv"),
        ("format: excel, path: 'in/*.xlsx', delimiter: ';'", "'delimiter' does not apply"),
        ("format: excel, path: 'in/*.xlsx', encoding: cp1252", "'encoding' does not apply"),
        (
            "format: sql, url: 'sqlite:///d.db', query: 'select 1', header_row: 2",
            "'header_row' does not apply to a sql source",
        ),
    ],
)
def test_a_reading_option_the_format_has_no_use_for_is_a_configuration_error(
    tmp_path: Path, options: str, problem: str
) -> None:
    """Like `header_row` on CSV before: an option silently ignored reads the file wrongly."""
    from core.errors import ConfigError

    with pytest.raises(ConfigError) as caught:
        make_council(
            tmp_path / "c", f"  - {{id: s, department: F, kind: observations, {options}}}\n"
        )
    assert f"source 's': {problem}" in str(caught.value)
