"""Property-based fuzzing of long CSV extracts (SPEC §4): whatever the line breaks, encoding,
quoting, ragged rows or odd numbers, every data row read is loaded or rejected exactly once,
under its spreadsheet row number, and no accepted figure is non-finite."""

from __future__ import annotations

import csv
import io
import math
from decimal import Decimal
from pathlib import Path

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.settings import Council
from tests.test_extracts import CSV_SOURCE, EXCEL_SOURCE, check_file, make_council

HEADER = ["indicator_code", "period", "value", "numerator", "denominator", "commentary"]
HEADER_LINE = ",".join(HEADER) + "\n"

numbers = st.one_of(
    st.integers(-(10**6), 10**6).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(
        ["1e400", "-1e400", "inf", "nan", "١٢", "१२", "1,204", "£5", "61.5%", "", " 7 ", "+.5"]
    ),
)
periods = st.sampled_from(["2019-04", "2019-05", "Apr-19", "2019/20 Q1", "2019/20", "x", ""])
codes = st.sampled_from(["CNT", "DAY", "PCT", "LVL", "QTR", "XYZ", ""])
commentary = st.text(alphabet="ab ,\"\n\r£é'", max_size=12)
cells = st.tuples(codes, periods, numbers, numbers, numbers, commentary).map(list)
records = st.lists(
    st.one_of(
        cells.map(lambda c: ("row", c)),
        st.just(("blank", [])),
        cells.map(lambda c: ("ragged", [*c, "extra"])),
        cells.map(lambda c: ("short", c[:3])),
        cells.map(lambda c: ("trailing", [*c, "", ""])),
    ),
    max_size=25,
)


def write_extract(
    rows: list[tuple[str, list[str]]], newline: str, quote_all: bool, unclosed: bool
) -> str:
    """The rows as a department's CSV: a cell holding a line break is always quoted (else
    the break ends the row, SPEC §4), then rows end with ``newline``."""
    lines = []
    for row in [HEADER, *(cells for _, cells in rows)]:
        out = io.StringIO(newline="")
        if quote_all:
            csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_ALL).writerow(row)
        else:
            csv.writer(out, lineterminator="\r\n").writerow(row)
        lines.append(out.getvalue().removesuffix("\r\n") + newline)
    if unclosed:
        lines.append('CNT,2019-04,"never closed' + newline)
    return "".join(lines)


_COUNCILS: dict[Path, Council] = {}


def _council(folder: Path, sources: str = CSV_SOURCE) -> Council:
    """One council folder for every example of a test (examples overwrite its extract)."""
    if folder not in _COUNCILS:
        (folder / "in").mkdir(parents=True)
        _COUNCILS[folder] = make_council(folder, sources)
    return _COUNCILS[folder]


def is_blank(row: list[str]) -> bool:
    return all(not cell.strip() for cell in row)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    rows=records,
    newline=st.sampled_from(["\n", "\r\n", "\r"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]),
    quote_all=st.booleans(),
    unclosed=st.booleans(),
)
def test_every_row_read_is_loaded_or_rejected_once_and_accepted_figures_are_finite(
    tmp_path: Path,
    rows: list[tuple[str, list[str]]],
    newline: str,
    encoding: str,
    quote_all: bool,
    unclosed: bool,
) -> None:
    council = _council(tmp_path / "c")
    text = write_extract(rows, newline, quote_all, unclosed)
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        data = text.encode("utf-8")
    path = council.folder / "in" / "return.csv"
    path.write_bytes(data)
    accepted, rejected, read = check_file(council, path)
    outcomes = accepted["row_number"].to_list() + rejected["row_number"].to_list()
    expected = [n for n, (_, row) in enumerate(rows, start=2) if not is_blank(row)]
    if unclosed:
        expected.append(len(rows) + 2)
    assert read == accepted.height + rejected.height
    assert sorted(outcomes) == expected  # each data row once, under its own number
    malformed = rejected.filter(pl.col("reason_code") == "malformed_row")["row_number"]
    ragged = [n for n, (kind, _) in enumerate(rows, start=2) if kind == "ragged"]
    assert sorted(malformed.to_list()) == ragged + ([len(rows) + 2] if unclosed else [])
    for column in ("value", "numerator", "denominator"):
        figures = accepted[column].drop_nulls().to_list() if column in accepted.columns else []
        assert all(math.isfinite(x) for x in figures)


# Issue 21: what the first round of fuzzing missed. --------------------------------------

_FUZZ_SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
padded = st.tuples(st.sampled_from(["", " ", "  ", "\t"]), st.sampled_from(["", " ", "  "]))
# (number format, whether Excel shows the stored number × 100)
formats = st.sampled_from(
    [
        ("General", False),
        ("0.0", False),
        ("0%", True),
        ("0.0%", True),
        ("0.00%", True),
        ("[Red]0.0%;[Blue]-0.0%", True),
        ('0.0"%"', False),
        ("0.0\\%", False),
        ("#,##0.0", False),
    ]
)
stored = st.decimals(min_value=0, max_value=1, places=3).map(float)


def _excel_council(folder: Path) -> Council:
    return _council(folder, EXCEL_SOURCE)


@_FUZZ_SETTINGS
@given(
    headers=st.tuples(padded, padded, padded),
    cells=st.lists(st.tuples(stored, formats), min_size=1, max_size=12),
)
def test_excel_values_are_the_numbers_shown_whatever_the_header_spacing_and_format(
    tmp_path: Path,
    headers: tuple[tuple[str, str], ...],
    cells: list[tuple[float, tuple[str, bool]]],
) -> None:
    import xlsxwriter

    council = _excel_council(tmp_path / "x")
    path = council.folder / "in" / "return.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Return")
    names = ["indicator_code", "period", "value"]
    sheet.write_row(
        0, 0, [f"{left}{name}{right}" for (left, right), name in zip(headers, names, strict=True)]
    )
    expected = []
    for row, (number, (number_format, hundredfold)) in enumerate(cells, start=1):
        sheet.write_row(row, 0, ["LVL", f"2019-{(row - 1) % 12 + 1:02d}" if row <= 12 else "x"])
        sheet.write_number(row, 2, number, book.add_format({"num_format": number_format}))
        shown = float(Decimal(repr(number)) * 100) if hundredfold else number
        expected.append((row + 1, shown))
    book.close()
    accepted, rejected, read = check_file(council, path)
    assert read == len(cells) == accepted.height + rejected.height
    assert rejected.is_empty()
    assert accepted.select("row_number", "value").rows() == expected


@_FUZZ_SETTINGS
@given(
    texts=st.lists(st.text(alphabet="abc é£–", max_size=6), min_size=1, max_size=15),
    broken=st.sets(st.integers(0, 14)),
    bad_byte=st.sampled_from([b"\xff", b"\xc3", b"\x80", b"\xe2\x80", b"\xed\xa0\x80"]),
)
def test_utf8_with_invalid_bytes_rejects_only_their_rows_and_never_reads_mojibake(
    tmp_path: Path, texts: list[str], broken: set[int], bad_byte: bytes
) -> None:
    council = _council(tmp_path / "u")
    lines = [HEADER_LINE.encode()]
    for index, text in enumerate(texts):
        note = text.encode("utf-8") + (bad_byte if index in broken else b"")
        lines.append(f"CNT,2019-{index % 12 + 1:02d},{index},,,".encode() + b'"' + note + b'"\n')
    lines.append("CNT,2018-04,1,,,é\n".encode())  # the file is UTF-8: it has a UTF-8 character
    path = council.folder / "in" / "return.csv"
    path.write_bytes(b"".join(lines))
    accepted, rejected, read = check_file(council, path)
    bad_rows = sorted(i + 2 for i in broken if i < len(texts))
    malformed = rejected.filter(pl.col("reason_code") == "malformed_row")
    assert malformed["row_number"].to_list() == bad_rows
    assert all("not valid UTF-8" in m for m in malformed["message"])
    read_notes = dict(zip(accepted["row_number"], accepted["commentary"], strict=True))
    for index, text in enumerate(texts):
        if index + 2 in read_notes:  # loaded (or rejected for its figures, never its text)
            assert (read_notes[index + 2] or "") == text.strip()
    assert read == accepted.height + rejected.height == len(texts) + 1


# Names boardpack uses for its own columns somewhere between reading and loading.
INTERNAL_NAMES = [
    "row_number",
    "header",
    "index",
    "check",
    "fy",
    "fm",
    "granularity",
    "unit",
    "value_clean",
    "value_bad",
    "value_num",
    "as_of",
    "period_end",
    "computed_value",
    "reason_code",
    "message",
    "column",
    "source_id",
    "file",
    "__boardpack_row_number__",
    "__boardpack_header__",
    "__boardpack_cell__",
]


@_FUZZ_SETTINGS
@given(
    extra=st.lists(st.sampled_from(INTERNAL_NAMES), unique=True, max_size=6),
    spaces=st.lists(padded, min_size=6, max_size=6),
    twice=st.one_of(st.none(), st.sampled_from(HEADER)),
    fmt=st.sampled_from(["csv", "excel"]),
)
def test_headers_named_twice_are_unreadable_and_internal_names_never_collide(
    tmp_path: Path,
    extra: list[str],
    spaces: list[tuple[str, str]],
    twice: str | None,
    fmt: str,
) -> None:
    council = _council(tmp_path / "h") if fmt == "csv" else _excel_council(tmp_path / "x")
    names = [
        f"{left}{name}{right}" for (left, right), name in zip(spaces, HEADER, strict=True)
    ] + extra
    if twice is not None:
        names.append(f" {twice}")
    rows = [
        ["CNT", "2019-04", "5", "", "", "fine", *["x"] * len(extra), *(["7"] if twice else [])],
        ["CNT", "2019-05", "-1", "", "", "", *["y"] * len(extra), *(["8"] if twice else [])],
    ]
    path = council.folder / "in" / ("return.csv" if fmt == "csv" else "return.xlsx")
    if fmt == "csv":
        out = io.StringIO()
        csv.writer(out).writerows([names, *rows])
        path.write_text(out.getvalue(), encoding="utf-8")
    else:
        import xlsxwriter

        book = xlsxwriter.Workbook(str(path))
        sheet = book.add_worksheet("Return")
        for r, row in enumerate([names, *rows]):
            sheet.write_row(r, 0, row)
        book.close()
    accepted, rejected, read = check_file(council, path)
    if twice is not None:
        assert (accepted.height, read) == (0, 0)
        assert rejected.select("row_number", "reason_code").rows() == [(None, "unreadable_file")]
        assert f"the header names the column '{twice}' more than once" in rejected["message"][0]
    else:
        assert accepted.select("row_number", "value", "commentary").rows() == [(2, 5.0, "fine")]
        assert rejected.select("row_number", "column", "reason_code").rows() == [
            (3, "value", "negative_value")
        ]
