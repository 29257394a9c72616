"""Property-based fuzzing of long CSV extracts (SPEC §4): whatever the line breaks, encoding,
quoting, ragged rows or odd numbers, every data row read is loaded or rejected exactly once,
under its spreadsheet row number, and no accepted figure is non-finite."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from boardpack.config import load_council
from core.settings import Council
from schemas.ingest import check_extract
from sources.extracts import read_extract
from tests.test_extracts import AS_OF, CSV_SOURCE, INDICATORS

HEADER = ["indicator_code", "period", "value", "numerator", "denominator", "commentary"]

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


def _council(folder: Path) -> Council:
    """One council folder for every example of a test (examples overwrite its extract)."""
    if folder not in _COUNCILS:
        (folder / "in").mkdir(parents=True)
        (folder / "indicators.csv").write_text(INDICATORS, encoding="utf-8")
        (folder / "council.yaml").write_text(
            "name: Fuzz Council\nboards:\n"
            "  - {id: b, name: Board, services: [Finance], cadence: quarterly}\n"
            f"sources:\n{CSV_SOURCE}",
            encoding="utf-8",
        )
        _COUNCILS[folder] = load_council(folder)
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
    accepted, rejected, read = check_extract(
        council, read_extract(council, council.settings.sources[0], path), AS_OF
    )
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
