"""Reading and validating departmental extracts (SPEC §4): every row loads or is rejected."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import polars as pl
import pytest
import xlsxwriter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from boardpack.config import load_council
from core.settings import Council
from schemas.ingest import check_extract, ingest_source, merge
from sources.extracts import read_extract

AS_OF = dt.date(2020, 3, 31)
INDICATORS = """\
code,title,service,unit,polarity,aggregation,frequency,decimals,scale,tolerance,tolerance_type,key
PCT,Invoices paid in 30 days,Finance,percent,higher,ratio,monthly,1,,,,false
CNT,Library visits,Libraries,count,higher,sum,monthly,0,,,,false
DAY,Days to process claims,Finance,days,lower,mean,monthly,1,,,,false
LVL,Council tax collected,Finance,percent,higher,last,monthly,1,,,,true
QTR,Planning decisions in time,Planning,percent,higher,last,quarterly,0,,,,false
ANN,Recycling rate,Waste,percent,higher,last,annual,1,,,,false
GBP,Budget variance,Finance,gbp,target,last,quarterly,0,,250000,absolute,false
"""
HEADER = "indicator_code,period,value,numerator,denominator,commentary\n"


def write_council_files(folder: Path, sources: str) -> Path:
    """The tests' council (one board, the indicators above) reading ``sources``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "indicators.csv").write_text(INDICATORS, encoding="utf-8")
    (folder / "council.yaml").write_text(
        "name: Test Council\nboards:\n"
        "  - {id: b, name: Board, services: [Finance], cadence: quarterly}\n"
        f"sources:\n{sources}",
        encoding="utf-8",
    )
    return folder


def make_council(folder: Path, sources: str) -> Council:
    return load_council(write_council_files(folder, sources))


CSV_SOURCE = (
    "  - {id: fin, department: Finance, kind: observations, format: csv, path: 'in/*.csv'}\n"
)
EXCEL_SOURCE = "  - {id: xl, department: F, kind: observations, format: excel, path: 'in/*.xlsx'}\n"


@pytest.fixture
def council(tmp_path: Path) -> Council:
    (tmp_path / "c" / "in").mkdir(parents=True)
    return make_council(tmp_path / "c", CSV_SOURCE)


def check_file(
    council: Council, path: Path, source: int = 0
) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    """The file read and checked as the council's source (the first unless told)."""
    return check_extract(
        council, read_extract(council, council.settings.sources[source], path), AS_OF
    )


def check_bytes(
    council: Council, data: bytes, name: str = "return.csv"
) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    """``data`` sent as the file ``in/NAME`` of the first source, and checked."""
    path = council.folder / "in" / name
    path.write_bytes(data)
    return check_file(council, path)


def check(
    council: Council,
    body: str,
    name: str = "return.csv",
    encoding: str = "utf-8",
    header: str = HEADER,
) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    return check_bytes(council, (header + body).encode(encoding), name)


def reasons(council: Council, body: str) -> list[tuple[int, str, str]]:
    _, rejected, _ = check(council, body)
    return [
        (r["row_number"], r["column"], r["reason_code"]) for r in rejected.iter_rows(named=True)
    ]


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ("XYZ,2019-04,5,,,", (2, "indicator_code", "unknown_code")),
        ("CNT,2019-13,5,,,", (2, "period", "bad_period")),
        ("CNT,April,5,,,", (2, "period", "bad_period")),
        ("CNT,2019/20 Q1,5,,,", (2, "period", "frequency_mismatch")),
        ("QTR,2019-06,5,,,", (2, "period", "frequency_mismatch")),
        ("ANN,2019/20 Q4,5,,,", (2, "period", "frequency_mismatch")),
        ("CNT,2020-04,5,,,", (2, "period", "future_period")),
        ("PCT,2019-04,90,,50,", (2, "numerator", "ratio_missing_parts")),
        ("PCT,2019-04,90,45,,", (2, "denominator", "ratio_missing_parts")),
        ('CNT,2019-04,"1,234",,,', (2, "value", "not_a_number")),
        ("CNT,2019-04,£12,,,", (2, "value", "not_a_number")),
        ("LVL,2019-04,85%,,,", (2, "value", "not_a_number")),
        ("PCT,2019-04,,45,n/a,", (2, "denominator", "not_a_number")),
        ("PCT,2019-04,,45,0,", (2, "denominator", "ratio_bad_denominator")),
        ("PCT,2019-04,,-1,50,", (2, "numerator", "ratio_negative_numerator")),
        ("CNT,2019-04,,,,", (2, "value", "missing_value")),
        ("PCT,2019-04,91,45,50,", (2, "value", "ratio_inconsistent")),
        ("LVL,2019-04,100.5,,,", (2, "value", "percent_out_of_range")),
        ("PCT,2019-04,,60,50,", (2, "value", "percent_out_of_range")),
        ("CNT,2019-04,-3,,,", (2, "value", "negative_value")),
        ("DAY,2019-04,-0.5,,,", (2, "value", "negative_value")),
    ],
)
def test_each_rejection_rule(council: Council, row: str, expected: tuple[int, str, str]) -> None:
    assert reasons(council, row + "\n") == [expected]


def test_valid_rows_of_every_kind_load(council: Council) -> None:
    body = (
        "PCT,2019-04,90.0,45,50,On track\nPCT,2019-05,,45,50,\nCNT,Apr-19,1200,,,\n"
        "DAY,2019-04,12.5,,,\nLVL,April 2019,8.1,,,\nQTR,Q1 2019/20,88,,,\n"
        "QTR,2019-20;Q2,90,,,\nANN,2019/20,47.5,,,\nGBP,2019/20 Q1,-60000,,,\nCNT,2019-05,1e3,,,\n"
    )
    accepted, rejected, read = check(council, body)
    assert rejected.is_empty(), rejected
    assert read == accepted.height == 10
    assert accepted.filter(pl.col("indicator_code") == "CNT")["value"].to_list() == [1200.0, 1000.0]
    # A ratio row's value is optional: its parts carry it.
    assert accepted.filter(pl.col("period") == "2019-05")["value"].to_list()[0] is None


def test_the_first_failing_check_wins(council: Council) -> None:
    # Unknown code and a bad period and a bad number: the code is judged first.
    assert reasons(council, "XYZ,2019-13,abc,,,\n") == [(2, "indicator_code", "unknown_code")]
    # Missing parts come before a bad number.
    assert reasons(council, "PCT,2019-04,abc,,50,\n") == [(2, "numerator", "ratio_missing_parts")]


def test_duplicates_in_one_extract_reject_every_copy_by_parsed_period(council: Council) -> None:
    body = "QTR,2019/20 Q2,90,,,\nCNT,2019-04,5,,,\nQTR,Q2 2019/20,91,,,\n"
    assert reasons(council, body) == [
        (2, "period", "duplicate_in_extract"),
        (4, "period", "duplicate_in_extract"),
    ]


def test_duplicates_are_judged_among_otherwise_valid_rows(council: Council) -> None:
    body = "CNT,2019-04,5,,,\nCNT,2019-04,-1,,,\n"
    assert reasons(council, body) == [(3, "value", "negative_value")]


def test_duplicates_across_two_files_reject_every_copy(council: Council, staging: Path) -> None:
    (council.folder / "in" / "a.csv").write_text(HEADER + "CNT,2019-04,5,,,\nCNT,2019-05,6,,,\n")
    (council.folder / "in" / "b.csv").write_text(HEADER + "CNT,2019-04,5,,,\n")
    batch = merge([ingest_source(council, council.settings.sources[0], AS_OF, staging)])
    rejected = batch.frame("rejections")
    assert sorted(
        zip(
            rejected["file"].map_elements(lambda f: Path(f).name, return_dtype=pl.String),
            rejected["reason_code"],
            strict=True,
        )
    ) == [("a.csv", "duplicate_across_sources"), ("b.csv", "duplicate_across_sources")]
    assert batch.frame("observations")["period"].to_list() == ["2019-05"]


def test_a_file_loaded_before_is_hashed_not_parsed_and_a_changed_one_is_read(
    council: Council, monkeypatch: pytest.MonkeyPatch, staging: Path
) -> None:
    """A nightly with nothing new must not parse millions of rows only to skip them."""
    from sources import extracts
    from sources.readers import file_hash

    old, new = council.folder / "in" / "a.csv", council.folder / "in" / "b.csv"
    old.write_text(HEADER + "CNT,2019-04,5,,,\n")
    new.write_text(HEADER + "CNT,2019-05,6,,,\n")
    source = council.settings.sources[0]
    parsed: list[str] = []
    read = extracts.read_extract

    def recording(*args: object) -> extracts.Extract:
        parsed.append(Path(str(args[2])).name)
        return read(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(extracts, "read_extract", recording)
    batch = ingest_source(council, source, AS_OF, staging, frozenset({("fin", file_hash(old))}))
    assert parsed == ["b.csv"]
    assert [(Path(f.file).name, f.skipped) for f in batch.files] == [
        ("a.csv", True),
        ("b.csv", False),
    ]
    assert batch.frame("observations")["period"].to_list() == ["2019-05"]
    batch.close()


def test_row_numbers_are_the_spreadsheets_even_with_blank_rows(council: Council) -> None:
    body = "CNT,2019-04,5,,,\n\n,,,,,\nCNT,2019-05,-5,,,\n"
    _, rejected, read = check(council, body)
    assert read == 2  # wholly blank rows are not data
    assert rejected["row_number"].to_list() == [5]


def test_utf8_with_bom_and_windows_1252_semicolons(council: Council) -> None:
    _, rejected, read = check(council, "CNT,2019-04,5,,,Café £5\n", encoding="utf-8-sig")
    assert (read, rejected.height) == (1, 0)
    body = "CNT;2019-04;5;;;Spend of £38k\n"
    accepted, rejected, read = check(
        council, body, encoding="cp1252", header=HEADER.replace(",", ";")
    )
    assert (read, rejected.height) == (1, 0)
    assert accepted["commentary"].to_list() == ["Spend of £38k"]


def test_missing_required_column_rejects_the_whole_file(council: Council) -> None:
    _, rejected, read = check(council, "CNT,5\n", header="indicator_code,value\n")
    assert read == 0
    assert rejected.select("row_number", "reason_code").row(0) == (None, "missing_column")
    assert "'period'" in rejected["message"][0]


def test_an_unreadable_file_is_rejected_whole_and_other_files_still_load(
    council: Council, staging: Path
) -> None:
    (council.folder / "in" / "good.csv").write_text(HEADER + "CNT,2019-04,5,,,\n")
    (council.folder / "in" / "empty.csv").write_bytes(b"")
    batch = merge([ingest_source(council, council.settings.sources[0], AS_OF, staging)])
    assert batch.frame("rejections")["reason_code"].to_list() == ["unreadable_file"]
    assert batch.frame("observations").height == 1


def test_column_map_names_the_departments_own_headers_in_messages(tmp_path: Path) -> None:
    source = (
        "  - {id: corp, department: Corporate, kind: observations, format: csv, path: 'in/*.csv',"
        " columns: {indicator_code: KPI Ref, period: Period, value: Actual}}\n"
    )
    council = make_council(tmp_path / "c", source)
    (council.folder / "in").mkdir()
    _, rejected, _ = check(council, "CNT,2019-04,-4\n", header="KPI Ref,Period,Actual\n")
    assert rejected.select("column", "value", "reason_code").row(0) == (
        "Actual",
        "-4",
        "negative_value",
    )


def write_workbook(path: Path, rows: list[list[object]], title_rows: int = 2) -> None:
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("Returns")
    workbook.add_worksheet("Notes").write(0, 0, "not this sheet")
    for i in range(title_rows):
        sheet.write(i, 0, f"Title line {i + 1}")
    for r, row in enumerate(rows, start=title_rows):
        for c, cell in enumerate(row):
            if cell is not None:
                sheet.write(r, c, cell)
    workbook.close()


def test_wide_excel_with_a_title_block_and_every_header_form(tmp_path: Path) -> None:
    source = (
        "  - {id: els, department: ELS, kind: observations, format: excel, path: 'in/*.xlsx',"
        " sheet: Returns, header_row: 3, layout: wide, columns: {indicator_code: Code},"
        " ignore_columns: [Description]}\n"
    )
    council = make_council(tmp_path / "c", source)
    (council.folder / "in").mkdir()
    path = council.folder / "in" / "els.xlsx"
    write_workbook(
        path,
        [
            ["Code", "Description", "Apr-19", "2019-05", "Q1 2019/20", "2019/20 Q2"],
            ["CNT", "Visits", 100, 110, None, None],
            ["QTR", "Decisions", None, None, 88, 91],
            ["CNT", "Visits again", None, None, None, None],
            ["LVL", "Tax", "n/a", 16.2, None, None],
        ],
    )
    accepted, rejected, read = check_extract(
        council, read_extract(council, council.settings.sources[0], path), AS_OF
    )
    assert read == 6  # one per non-blank cell
    assert sorted(accepted.select("indicator_code", "value").rows()) == [
        ("CNT", 100.0),
        ("CNT", 110.0),
        ("LVL", 16.2),
        ("QTR", 88.0),
        ("QTR", 91.0),
    ]
    # Row 7 in Excel: 2 title rows, the header on row 3, four indicator rows.
    assert rejected.select("row_number", "column", "value", "reason_code").rows() == [
        (7, "Apr-19", "n/a", "not_a_number")
    ]


def test_a_missing_sheet_is_an_unreadable_file(tmp_path: Path) -> None:
    source = (
        "  - {id: els, department: ELS, kind: observations, format: excel, path: 'in/*.xlsx',"
        " sheet: Missing}\n"
    )
    council = make_council(tmp_path / "c", source)
    (council.folder / "in").mkdir()
    path = council.folder / "in" / "els.xlsx"
    write_workbook(path, [["indicator_code", "period", "value"]])
    _, rejected, _ = check_extract(
        council, read_extract(council, council.settings.sources[0], path), AS_OF
    )
    assert rejected["reason_code"].to_list() == ["unreadable_file"]


def test_sql_source_reads_a_departmental_table(tmp_path: Path, staging: Path) -> None:
    folder = tmp_path / "c"
    folder.mkdir()
    connection = sqlite3.connect(folder / "dept.db")
    connection.execute("CREATE TABLE r (code TEXT, period TEXT, actual REAL)")
    connection.executemany(
        "INSERT INTO r VALUES (?, ?, ?)",
        [("CNT", "2019-04", 5.0), ("CNT", "2019-05", None), ("DAY", "2019-04", 3.25)],
    )
    connection.commit()
    connection.close()
    source = (
        "  - {id: db, department: Community, kind: observations, format: sql,"
        " url: 'sqlite:///dept.db', query: 'SELECT * FROM r ORDER BY rowid',"
        " columns: {indicator_code: code, value: actual}}\n"
    )
    council = make_council(folder, source)
    batch = merge([ingest_source(council, council.settings.sources[0], AS_OF, staging)])
    assert batch.frame("observations")["value"].to_list() == [5.0, 3.25]
    assert batch.frame("rejections").select("row_number", "reason_code").rows() == [
        (2, "missing_value")
    ]


def test_ten_thousand_rows_with_a_few_bad_ones_load_the_rest(tmp_path: Path) -> None:
    # 25 monthly indicators over 400 months (1986-01 to 2019-04): periods a council keeps.
    codes = [f"C{i:02d}" for i in range(25)]
    extra = "".join(f"{c},Count {c},Libraries,count,higher,sum,monthly,0,,,,false\n" for c in codes)
    council = make_council(tmp_path / "c", CSV_SOURCE)
    (council.folder / "indicators.csv").write_text(INDICATORS + extra, encoding="utf-8")
    council = load_council(council.folder)
    (council.folder / "in").mkdir()
    lines = [
        f"{codes[i % 25]},{1986 + (i // 25) // 12}-{(i // 25) % 12 + 1:02d},{(i % 90) + 0.5},,,"
        for i in range(10_000)
    ]
    bad = {17: "CNT,2019-04,-1,,,", 4242: "NOPE,2019-04,1,,,", 9999: "DAY,2019-04,x,,,"}
    for index, text in bad.items():
        lines[index] = text
    accepted, rejected, read = check(council, "\n".join(lines) + "\n")
    assert read == 10_000
    assert accepted.height + rejected.height == read
    assert sorted(rejected["row_number"].to_list()) == [i + 2 for i in sorted(bad)]


cell = st.one_of(
    st.text(max_size=8),
    st.sampled_from(
        [
            "",
            "5",
            "-5",
            "1e3",
            "1,000",
            "£5",
            "101",
            "0",
            "2019-04",
            "2019/20 Q1",
            "Q5 2019/20",
            "2020-04",
            "PCT",
            "CNT",
            "QTR",
            "ANN",
            "XYZ",
            "=1+1",
            "<b>",
        ]
    ),
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.tuples(cell, cell, cell, cell, cell), min_size=1, max_size=25))
def test_random_malformed_cells_never_crash_and_nothing_is_lost(
    council: Council, rows: list[tuple[str, ...]]
) -> None:
    frame = pl.DataFrame(
        rows, schema=["indicator_code", "period", "value", "numerator", "denominator"], orient="row"
    )
    path = council.folder / "in" / "fuzz.csv"
    frame.with_columns(commentary=pl.lit("x")).write_csv(path)
    accepted, rejected, read = check_extract(
        council, read_extract(council, council.settings.sources[0], path), AS_OF
    )
    assert accepted.height + rejected.height == read
    assert rejected["reason_code"].null_count() == 0
    assert rejected["message"].null_count() == 0


def test_targets_source_is_validated_and_overrides_targets_csv(tmp_path: Path) -> None:
    from tests.test_warehouse import nightly
    from warehouse.exports import export_csv

    source = (
        "  - {id: t, department: Finance, kind: targets, format: csv, path: 'targets/*.csv',"
        " columns: {indicator_code: code}}\n"
        "  - {id: o, department: Finance, kind: observations, format: csv, path: 'in/*.csv'}\n"
    )
    council = make_council(tmp_path / "c", source)
    (council.folder / "targets.csv").write_text(
        "code,financial_year,period,target\nCNT,2019/20,,100\n"
    )
    (council.folder / "in").mkdir()
    # The whole quarter: a part-quarter total would be rated incomplete.
    (council.folder / "in" / "o.csv").write_text(
        HEADER + "CNT,2019-04,30,,,\nCNT,2019-05,0,,,\nCNT,2019-06,0,,,\n"
    )
    (council.folder / "targets").mkdir()
    (council.folder / "targets" / "t.csv").write_text(
        "code,financial_year,period,target\nCNT,2019/20,Q1,20\nNOPE,2019/20,,5\n"
        "CNT,2019/21,,5\nCNT,2019/20,Q9,5\nCNT,2019/20,Q2,lots\nLVL,2019/20,,\n"
        "DAY,2019/20,,10\nDAY,2019/20,,12\n"
    )
    engine = nightly(f"sqlite:///{tmp_path / 'w.sqlite'}", council.folder, AS_OF)
    rejections = pl.read_csv(export_csv(engine, "rejections").encode(), infer_schema=False)
    assert rejections.select("row_number", "column", "reason_code").rows() == [
        ("3", "code", "unknown_code"),  # the department's own header
        ("4", "financial_year", "bad_period"),
        ("5", "period", "bad_period"),
        ("6", "target", "not_a_number"),
        ("7", "target", "missing_value"),
        ("8", "period", "duplicate_in_extract"),
        ("9", "period", "duplicate_in_extract"),
    ]
    measures = pl.read_csv(export_csv(engine, "measures").encode())
    q1 = measures.filter((pl.col("indicator_code") == "CNT") & (pl.col("period") == "2019/20 Q1"))
    # The source's Q1 profile (20) wins over targets.csv's annual pro-rata (25).
    assert q1.select("ytd_target", "rag").row(0) == (20.0, "green")


def test_every_demo_file_reconciles_read_with_loaded_plus_rejected(staging: Path) -> None:
    from tests.conftest import DEMO, DEMO_AS_OF

    council = load_council(DEMO)
    batch = merge(
        [ingest_source(council, s, DEMO_AS_OF, staging) for s in council.settings.sources]
    )
    assert batch.files
    for result in batch.files:
        assert result.rows_read == result.rows_loaded + result.rows_rejected, result
    assert sum(f.rows_read for f in batch.files) == (
        sum(f.rows_loaded for f in batch.files) + batch.frame("rejections").height
    )
