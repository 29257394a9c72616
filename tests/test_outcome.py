"""The run's account: rows are counted as rows, files rejected whole are said apart."""

from __future__ import annotations

import datetime as dt

from boardpack.outcome import RunOutcome
from schemas.ingest import FileResult


def rejection(row: int | None, reason: str) -> dict[str, object]:
    return {"source_id": "s", "file": "f.csv", "row_number": row, "reason_code": reason}


def test_the_headline_counts_rejected_rows_and_whole_files_apart() -> None:
    files = [FileResult("s", "Dept", "f.csv", "h", rows_read=10, rows_loaded=8, rows_rejected=2)]
    rejections = [
        rejection(3, "not_a_number"),
        rejection(7, "unknown_code"),
        rejection(None, "unreadable_file"),
    ]
    outcome = RunOutcome(1, dt.date(2026, 9, 30), "out", files, rejections, {}, 5, [])
    assert outcome.message() == (
        "10 rows read, 8 loaded, 2 rejected; 1 file rejected whole; 5 measures, 0 reports"
    )
    assert outcome.exit_code == 1
