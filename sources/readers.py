"""Readers for departmental extracts: CSV, Excel and SQL, every cell as text.

Each reader returns a :class:`RawTable`: all columns as strings plus ``row_number``,
the row as the department sees it (header row 1, first data row 2; for SQL, the
result row counted from 1). Wholly blank rows are dropped after numbering, so the
numbers still match the spreadsheet.
"""

from __future__ import annotations

import csv
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import sqlalchemy as sa

ROW_NUMBER = "row_number"


class UnreadableFile(Exception):
    """The file could not be read at all; the text says why, in plain English."""


class SourceUnavailable(Exception):
    """A database source could not be queried (down, refused, wrong credentials): the run
    tries it again, then records the source as failed; the text never holds a password."""


@dataclass(frozen=True)
class RawTable:
    """An extract as read: text cells, spreadsheet row numbers and where it came from."""

    file: str
    content_hash: str
    frame: pl.DataFrame


def file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM), else Windows-1252, as council spreadsheets export."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _sniff_delimiter(text: str) -> str:
    first_line = text.split("\n", 1)[0]
    try:
        return csv.Sniffer().sniff(first_line, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def _finish(frame: pl.DataFrame, first_row: int) -> pl.DataFrame:
    """Trim header names and cells, number rows, drop wholly blank rows."""
    frame = frame.rename({c: c.strip() for c in frame.columns})
    frame = frame.with_columns(pl.all().cast(pl.String).str.strip_chars())
    frame = frame.with_columns(pl.when(pl.all() != "").then(pl.all()).name.keep())
    frame = frame.with_row_index(ROW_NUMBER, offset=first_row).with_columns(
        pl.col(ROW_NUMBER).cast(pl.Int64)
    )
    data_columns = [c for c in frame.columns if c != ROW_NUMBER]
    if not data_columns:
        return frame
    return frame.filter(~pl.all_horizontal(pl.col(data_columns).is_null()))


def read_csv(path: Path, delimiter: str | None = None, encoding: str | None = None) -> RawTable:
    """A CSV in any delimiter and in UTF-8 (BOM or not) or Windows-1252."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise UnreadableFile(f"the file cannot be opened ({error.strerror})") from error
    text = data.decode(encoding) if encoding else decode_text(data)
    if not text.strip():
        raise UnreadableFile("the file is empty")
    try:
        frame = pl.read_csv(
            text.encode("utf-8"),
            infer_schema=False,
            separator=delimiter or _sniff_delimiter(text),
            truncate_ragged_lines=True,
        )
    except pl.exceptions.PolarsError as error:
        raise UnreadableFile(f"it is not a readable CSV file ({_first_line(error)})") from error
    return RawTable(str(path), hashlib.sha256(data).hexdigest(), _finish(frame, 2))


def read_excel(path: Path, sheet: str | None = None, header_row: int = 1) -> RawTable:
    """An .xlsx sheet (by name, else the first), header on ``header_row`` below any title."""
    import fastexcel

    try:
        workbook = fastexcel.read_excel(str(path))
        target = sheet if sheet is not None else 0
        loaded = workbook.load_sheet(target, header_row=header_row - 1, dtypes="string")
        frame = loaded.to_polars()
    except OSError as error:
        raise UnreadableFile(f"the file cannot be opened ({error})") from error
    except Exception as error:  # fastexcel raises its own types for corrupt or wrong files
        message = _first_line(error)
        if sheet is not None and sheet.lower() in message.lower():
            message = f"there is no sheet named '{sheet}'"
        raise UnreadableFile(f"it is not a readable Excel workbook ({message})") from error
    return RawTable(str(path), file_hash(path), _finish(_integral_text(frame), header_row + 1))


def _integral_text(frame: pl.DataFrame) -> pl.DataFrame:
    """Excel stores 85 as 85.0; show whole numbers as the department typed them."""
    return frame.with_columns(pl.all().cast(pl.String).str.replace(r"^(-?\d+)\.0$", "${1}"))


def read_sql(url: str, query: str) -> RawTable:
    """Rows of a query against a departmental database (any SQLAlchemy URL)."""
    try:
        shown = sa.make_url(url).render_as_string(hide_password=True)
        engine = sa.create_engine(url)
        try:
            with engine.connect() as connection:
                frame = pl.read_database(sa.text(query), connection, infer_schema_length=None)
        finally:
            engine.dispose()
    except Exception as error:  # drivers raise many types; the message is what matters
        message = _first_line(error).replace(url, "(the source's URL)")
        raise SourceUnavailable(f"the query could not be run ({message})") from None
    label = f"{shown} :: {query}"
    digest = hashlib.sha256(frame.write_csv().encode("utf-8")).hexdigest()
    return RawTable(label, digest, _finish(frame, 1))


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return re.sub(r"\s+", " ", text[0]) if text else type(error).__name__
