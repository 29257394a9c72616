"""``boardpack validate``: check one extract as a department would before sending it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from boardpack.config import load_council
from core.errors import UsageError
from schemas.ingest import check_extract
from sources.extracts import read_extract
from sources.readers import printable

_FORMAT_BY_SUFFIX = {".csv": "csv", ".txt": "csv", ".xlsx": "excel", ".xlsm": "excel"}


@dataclass(frozen=True)
class ValidationReport:
    file: Path
    rows_read: int
    rows_ok: int
    problems: list[dict[str, object]]

    def lines(self) -> list[str]:
        out = []
        for p in self.problems:
            where = f"{self.file}" + (f":{p['row_number']}" if p["row_number"] is not None else "")
            # A cell's text is the department's, untrusted: no control characters on a terminal.
            column = f" column '{printable(str(p['column']))}'" if p["column"] else ""
            value = f" value '{printable(str(p['value']))}'" if p["value"] is not None else ""
            out.append(f"{where}:{column}{value}: {p['reason_code']}: {p['message']}")
        noun = "problem" if len(self.problems) == 1 else "problems"
        out.append(
            f"{len(self.problems)} {noun} in {self.file}: {self.rows_read} rows read, "
            f"{self.rows_ok} would load, {self.rows_read - self.rows_ok} would be rejected."
            if self.problems or self.rows_read
            else f"0 problems in {self.file}: no data rows."
        )
        return out


def check_file(config: Path, source_id: str, file: Path, as_of: dt.date) -> ValidationReport:
    """Every problem in ``file`` read as source ``source_id`` would read it; loads nothing."""
    council = load_council(config)
    source = council.source(source_id)
    if source.format == "sql":
        # A database source's rows can be checked from an export of its query.
        inferred = _FORMAT_BY_SUFFIX.get(file.suffix.lower())
        if inferred is None:
            raise UsageError(
                f"{file}: export the query to .csv or .xlsx to validate source '{source_id}'"
            )
        source = source.model_copy(update={"format": inferred})
    if not file.exists():
        raise UsageError(f"{file}: no such file")
    extract = read_extract(council, source, file)
    accepted, rejections, read = check_extract(council, extract, as_of)
    problems = rejections.sort("row_number", nulls_last=False).to_dicts()
    return ValidationReport(file, read, accepted.height, problems)
