"""Faithful reading and strict checking of extracts (SPEC §4, issue 13): every row read is
loaded or rejected with its spreadsheet row number and a plain reason."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from core.settings import Council
from schemas.ingest import check_extract
from sources.extracts import read_extract
from tests.test_extracts import AS_OF, CSV_SOURCE, HEADER, make_council


@pytest.fixture()
def council(tmp_path: Path) -> Council:
    (tmp_path / "c" / "in").mkdir(parents=True)
    return make_council(tmp_path / "c", CSV_SOURCE)


def check_bytes(council: Council, data: bytes) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    path = council.folder / "in" / "return.csv"
    path.write_bytes(data)
    source = council.settings.sources[0]
    return check_extract(council, read_extract(council, source, path), AS_OF)


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

    ranks = [REASON_CODES.index(rule.reason) for rule in RULES]
    assert ranks == sorted(ranks)  # the engine judges checks in the SPEC's order


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8-sig", "utf-8", "cp1252"])
def test_utf16_utf8_and_windows_1252_extracts_read_alike(council: Council, encoding: str) -> None:
    text = HEADER + "CNT,2019-04,1,,,£5 café\r\nCNT,2019-05,2,,,\r\n"
    accepted, rejected, read = check_bytes(council, text.encode(encoding))
    assert rejected.is_empty()
    assert (read, accepted.height) == (2, 2)
    assert accepted["commentary"][0] == "£5 café"
