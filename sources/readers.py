"""Readers for departmental extracts: CSV, Excel and SQL, every cell as text.

Each reader returns a :class:`RawTable`: all columns as strings plus ``row_number``,
the row as the department sees it (header row 1, first data row 2; for SQL, the
result row counted from 1). Wholly blank rows are dropped after numbering, so the
numbers still match the spreadsheet.
"""

from __future__ import annotations

import csv
import decimal
import hashlib
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import fastexcel
import polars as pl

from core.settings import SqlTimeouts

ROW_NUMBER = "row_number"
# Rows of a file that could not be split into cells: their number and why (SPEC §4).
MALFORMED_COLUMNS = {ROW_NUMBER: pl.Int64, "message": pl.String}


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
    malformed: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=MALFORMED_COLUMNS))


def file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


_BOMS = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1252, as council
    spreadsheets export."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                raise UnreadableFile(f"the file starts as {encoding} but is not") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _sniff_delimiter(text: str) -> str:
    first_line = re.split(r"\r\n|\r|\n", text, maxsplit=1)[0]
    try:
        return csv.Sniffer().sniff(first_line, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def _finish(frame: pl.DataFrame, first_row: int | list[int]) -> pl.DataFrame:
    """Trim header names and cells, number rows, drop wholly blank rows.

    ``first_row`` numbers the rows from there on, or is each row's own number."""
    frame = frame.rename({c: c.strip() for c in frame.columns})
    frame = frame.with_columns(pl.all().cast(pl.String).str.strip_chars())
    frame = frame.with_columns(pl.when(pl.all() != "").then(pl.all()).name.keep())
    if isinstance(first_row, int):
        frame = frame.with_row_index(ROW_NUMBER, offset=first_row)
    else:
        frame = frame.with_columns(pl.Series(ROW_NUMBER, first_row)).select(
            ROW_NUMBER, pl.all().exclude(ROW_NUMBER)
        )
    frame = frame.with_columns(pl.col(ROW_NUMBER).cast(pl.Int64))
    data_columns = [c for c in frame.columns if c != ROW_NUMBER]
    if not data_columns:
        return frame
    return frame.filter(~pl.all_horizontal(pl.col(data_columns).is_null()))


def read_csv(
    path: Path,
    delimiter: str | None = None,
    encoding: str | None = None,
    content_hash: str | None = None,
) -> RawTable:
    """A CSV in any delimiter, in UTF-8 (BOM or not), UTF-16 (BOM) or Windows-1252, with
    CRLF, LF or lone-CR line breaks; malformed rows are set aside, never guessed at."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise UnreadableFile(f"the file cannot be opened ({error.strerror})") from error
    try:
        text = data.decode(encoding) if encoding else decode_text(data)
    except (UnicodeDecodeError, LookupError) as error:
        raise UnreadableFile(f"the file is not in the encoding {encoding} ({error})") from None
    if not text.strip():
        raise UnreadableFile("the file is empty")
    separator = delimiter or _sniff_delimiter(text)
    digest = content_hash or hashlib.sha256(data).hexdigest()
    frame = _fast_csv(text, separator)
    if frame is not None:
        return RawTable(str(path), digest, _finish(frame, 2))
    table = split_csv(text, separator)
    return RawTable(str(path), digest, _finish(table.frame, table.row_numbers), table.malformed)


_LONE_CR = re.compile(r"\r(?!\n)")


def _fast_csv(text: str, separator: str) -> pl.DataFrame | None:
    """Polars' reader, when the file is plainly well formed (LF or CRLF breaks, quotes in
    pairs, no row wider than the header); else None, and the careful reader decides."""
    if _LONE_CR.search(text) or text.count('"') % 2:
        return None
    try:
        return pl.read_csv(text.encode("utf-8"), infer_schema=False, separator=separator)
    except pl.exceptions.PolarsError:
        return None


@dataclass(frozen=True)
class SplitCsv:
    """A CSV split row by row: the well-formed rows, their numbers, and the malformed."""

    frame: pl.DataFrame
    row_numbers: list[int]
    malformed: pl.DataFrame


def _malformed_frame(rows: list[tuple[int, str]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=MALFORMED_COLUMNS, orient="row")


def split_csv(text: str, separator: str) -> SplitCsv:
    """Row-exact splitting with Python's csv module: a row wider than the header (trailing
    empty cells aside) or with a quote never closed is malformed, and the next line starts
    the next row."""
    records, problems = _records(text, separator)
    if not records:
        raise UnreadableFile("the file has no header row")
    header, width = records[0], len(records[0])
    rows: list[list[str]] = []
    numbers: list[int] = []
    malformed: list[tuple[int, str]] = []
    for number, cells in enumerate(records[1:], start=2):
        if len(cells) == width:
            rows.append(cells)
            numbers.append(number)
        elif number - 1 in problems:
            malformed.append((number, problems[number - 1]))
        elif len(cells) > width and any(c.strip() for c in cells[width:]):
            malformed.append((number, _wider(len(cells), width)))
        else:
            rows.append(cells[:width] + [""] * (width - len(cells)))
            numbers.append(number)
    return SplitCsv(_frame_of(header, rows), numbers, _malformed_frame(malformed))


def _records(text: str, separator: str) -> tuple[list[list[str]], dict[int, str]]:
    """Every record in file order, and why each that could not be split (by its index; its
    cells are left empty). After a quote never closed, the next line starts a record."""
    lines = io.StringIO(text, newline="").readlines()
    records: list[list[str]] = []
    problems: dict[int, str] = {}
    start = 0
    while start < len(lines):
        reader = csv.reader(iter(lines[start:]), delimiter=separator, strict=True)
        consumed = 0
        try:
            for cells in reader:
                records.append(cells)
                consumed = reader.line_num
            break
        except csv.Error as error:
            records.append([])
            if reader.line_num == len(lines) - start and "end of data" in str(error):
                if len(records) == 1:
                    raise UnreadableFile("a quote in the header row is never closed") from None
                problems[len(records) - 1] = _UNCLOSED
                start += consumed + 1
            else:
                problems[len(records) - 1] = f"the row cannot be split into cells ({error})"
                start += reader.line_num
    return records, problems


_UNCLOSED = (
    "a quote opened in this row is never closed, so its cells cannot be told apart: close "
    "the quote (the rows after it were read on their own)"
)


def _wider(cells: int, width: int) -> str:
    return (
        f"the row has {cells} cells but the header has {width}, so they cannot be matched to "
        "columns (a comma inside a cell? put the cell in double quotes)"
    )


def _frame_of(header: list[str], rows: list[list[str]]) -> pl.DataFrame:
    names = [name or f"column_{i + 1}" for i, name in enumerate(header)]
    if len(set(names)) < len(names):
        repeated = sorted({n for n in names if names.count(n) > 1})[0]
        raise UnreadableFile(f"the header names the column '{repeated}' more than once")
    return pl.DataFrame(rows, schema={name: pl.String for name in names}, orient="row")


def read_excel(
    path: Path, sheet: str | None = None, header_row: int = 1, content_hash: str | None = None
) -> RawTable:
    """An .xlsx sheet (by name, else the first), header on ``header_row`` below any title."""
    try:
        workbook = fastexcel.read_excel(str(path))
        target = sheet if sheet is not None else _first_visible_sheet(workbook)
        loaded = workbook.load_sheet(target, header_row=header_row - 1, dtypes="string")
        frame = _shown_percentages(path, loaded.name, header_row, loaded.to_polars())
        frame = _unsaved_formulas(path, loaded.name, header_row, frame)
    except OSError as error:
        raise UnreadableFile(f"the file cannot be opened ({error})") from error
    except Exception as error:  # fastexcel raises its own types for corrupt or wrong files
        message = _first_line(error)
        if sheet is not None and sheet.lower() in message.lower():
            message = f"there is no sheet named '{sheet}'"
        raise UnreadableFile(f"it is not a readable Excel workbook ({message})") from error
    digest = content_hash or file_hash(path)
    return RawTable(str(path), digest, _finish(_integral_text(frame), header_row + 1))


_PERCENT_STYLE = re.compile(r'numFmtId="(9|10)"|formatCode="[^"]*%')


def _shown_percentages(
    path: Path, sheet: str, header_row: int, frame: pl.DataFrame
) -> pl.DataFrame:
    """A number formatted as a percentage is the number the department sees: 0.915 shown
    as 91.5% is 91.5. Workbooks without a percentage style are not opened twice."""
    with zipfile.ZipFile(path) as archive:
        styles = archive.read("xl/styles.xml").decode("utf-8", errors="replace")
    if not _PERCENT_STYLE.search(styles):
        return frame
    cells = [(i, name) for i, name in _percent_cells(path, sheet, header_row) if name in frame]
    if not cells:
        return frame
    columns = {name: frame[name].to_list() for name in {name for _, name in cells}}
    for index, name in cells:
        text = columns[name][index] if index < frame.height else None
        if text is not None:
            columns[name][index] = _hundredfold(text)
    return frame.with_columns(pl.Series(n, v, dtype=pl.String) for n, v in columns.items())


def _percent_cells(path: Path, sheet: str, header_row: int) -> list[tuple[int, str]]:
    """(data row index, column header) of each number formatted as a percentage."""
    import openpyxl  # only for workbooks with percentage styles: slow to import

    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        rows = workbook[sheet].iter_rows(min_row=header_row)
        header = [str(c.value).strip() if c.value is not None else None for c in next(rows, ())]
        return [
            (index, header[cell.column - 1])
            for index, row in enumerate(rows)
            for cell in row
            if isinstance(cell.value, int | float)
            and "%" in str(getattr(cell, "number_format", ""))
            and cell.column - 1 < len(header)
            and header[cell.column - 1] is not None
        ]
    finally:
        workbook.close()


_FORMULA = re.compile(rb"<f[ >]")


def _unsaved_formulas(path: Path, sheet: str, header_row: int, frame: pl.DataFrame) -> pl.DataFrame:
    """A formula whose result was never saved (a workbook written by a program, not Excel)
    reads as empty; show its formula instead, so the message can say what happened."""
    with zipfile.ZipFile(path) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/")]
        if not any(_FORMULA.search(archive.read(name)) for name in sheets):
            return frame
    formulas = _cells(path, sheet, header_row, data_only=False)
    saved = _cells(path, sheet, header_row, data_only=True)
    unsaved = {
        key: str(value)
        for key, value in formulas.items()
        if isinstance(value, str) and value.startswith("=") and saved.get(key) is None
    }
    columns = {name: frame[name].to_list() for _, name in unsaved if name in frame}
    for (index, name), formula in unsaved.items():
        if name in columns and index < frame.height and columns[name][index] is None:
            columns[name][index] = formula
    return frame.with_columns(pl.Series(n, v, dtype=pl.String) for n, v in columns.items())


def _cells(
    path: Path, sheet: str, header_row: int, data_only: bool
) -> dict[tuple[int, str], object]:
    """(data row index, column header) -> the cell's value, formulas or their saved results."""
    import openpyxl

    workbook = openpyxl.load_workbook(path, read_only=True, data_only=data_only)
    try:
        rows = workbook[sheet].iter_rows(min_row=header_row)
        header = [str(c.value).strip() if c.value is not None else "" for c in next(rows, ())]
        return {
            (index, header[cell.column - 1]): cell.value
            for index, row in enumerate(rows)
            for cell in row
            if getattr(cell, "column", None) and cell.column - 1 < len(header)
        }
    finally:
        workbook.close()


def _hundredfold(text: str) -> str:
    try:
        shown = decimal.Decimal(text) * 100
    except decimal.InvalidOperation:
        return text
    return format(shown.normalize(), "f")


def _first_visible_sheet(workbook: fastexcel.ExcelReader) -> int:
    """The first sheet a person opening the workbook can see (hidden sheets hold lookups)."""
    for index in range(len(workbook.sheet_names)):
        if workbook.load_sheet(index, n_rows=0).visible == "visible":
            return index
    return 0


def _integral_text(frame: pl.DataFrame) -> pl.DataFrame:
    """Excel stores 85 as 85.0; show whole numbers as the department typed them."""
    return frame.with_columns(pl.all().cast(pl.String).str.replace(r"^(-?\d+)\.0$", "${1}"))


def read_sql(url: str, query: str, timeouts: SqlTimeouts | None = None) -> RawTable:
    """Rows of a query against a departmental database (any SQLAlchemy URL), within the
    source's connect and statement timeouts."""
    import sqlalchemy as sa  # only for database sources: slow to import

    from sources.databases import SqlUnavailable, source_engine, timeout_message

    timeouts = timeouts or SqlTimeouts()
    try:
        shown = sa.make_url(url).render_as_string(hide_password=True)
        engine = source_engine(url, timeouts)
        try:
            with engine.connect() as connection:
                frame = pl.read_database(sa.text(query), connection, infer_schema_length=None)
        finally:
            engine.dispose()
    except SqlUnavailable as error:
        raise SourceUnavailable(str(error)) from None
    except Exception as error:  # drivers raise many types; the message is what matters
        message = timeout_message(_first_line(error).replace(url, "(the source's URL)"), timeouts)
        raise SourceUnavailable(f"the query could not be run ({message})") from None
    label = f"{shown} :: {query}"
    digest = hashlib.sha256(frame.write_csv().encode("utf-8")).hexdigest()
    return RawTable(label, digest, _finish(frame, 1))


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return re.sub(r"\s+", " ", text[0]) if text else type(error).__name__
