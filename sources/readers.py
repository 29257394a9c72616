"""Readers for departmental extracts: CSV, Excel and SQL, every cell as text.

Each reader returns a :class:`RawTable`: all columns as strings plus :data:`ROW_NUMBER`,
the row as the department sees it (header row 1, first data row 2; for SQL, the
result row counted from 1). Wholly blank rows are dropped after numbering, so the
numbers still match the spreadsheet. Header names are trimmed once, here, before anything
looks a column up; a header that names one column twice makes the file unreadable.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import decimal
import functools
import hashlib
import io
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from core.database_urls import database_url, masked_url, without_password
from core.settings import SqlTimeouts

# Boardpack's own bookkeeping column in a raw table: a name no department's extract uses, so
# that an extract with its own ``row_number`` column (a database export's) reads normally.
RESERVED_PREFIX = "__boardpack_"
ROW_NUMBER = f"{RESERVED_PREFIX}row_number__"
# Rows of a file that could not be split into cells: their number and why (SPEC §4).
MALFORMED_COLUMNS = {"row_number": pl.Int64, "message": pl.String}


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


_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffd]")


def printable(text: str) -> str:
    """Text from an extract made safe to show in a one-line message: control characters,
    line breaks and undecodable bytes become ``?`` (a message never carries raw bytes)."""
    return _UNPRINTABLE.sub("?", text)


def header_names(cells: Sequence[str | None], unnamed: str = "column_{}") -> list[str]:
    """A header row's column names: trimmed, an empty one named by its position
    (``unnamed`` formatted with it), and each name once: a header naming one column twice
    is unreadable, since which copy is meant cannot be known (SPEC §4)."""
    names = []
    for position, cell in enumerate(cells, start=1):
        name = (cell or "").strip()
        if _NOT_TEXT.search(name):
            raise UnreadableFile(
                "the header row holds bytes that are not text in the file's encoding "
                "(binary data, or text in another encoding)"
            )
        if name.startswith(RESERVED_PREFIX):  # boardpack's own names stay boardpack's
            name = f"{name} (column {position})"
        names.append(name or unnamed.format(position))
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise UnreadableFile(
                f"the header names the column '{printable(name)}' more than once (after "
                "trimming spaces), so which copy is meant cannot be known: rename or remove one"
            )
        seen.add(name)
    return names


_BOMS = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)
# An undecodable byte, kept by the ``surrogateescape`` error handler as a lone surrogate.
_INVALID_BYTE = re.compile("[\udc80-\udcff]")
_NOT_TEXT = re.compile("[\udc80-\udcff\x00]")
# A character above ASCII that was decoded, not kept as an undecodable byte.
_DECODED_ABOVE_ASCII = re.compile("[\x80-\udc7f\udd00-\U0010ffff]")
# Files that are not text at all, by how they begin: what each looks like, in plain words.
_SIGNATURES = (
    (b"PK\x03\x04", "an Excel workbook (.xlsx) or another zip archive"),
    (b"\xd0\xcf\x11\xe0", "an old Excel workbook (.xls) or another Office file"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"%PDF", "a PDF document"),
)


@dataclass(frozen=True)
class DecodedText:
    """A CSV's text, and the encoding it was read in (for messages). Bytes the encoding
    cannot read are kept as lone surrogates, so that only their rows are rejected."""

    text: str
    encoding: str


def decode_text(data: bytes, encoding: str | None = None) -> DecodedText:
    """UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1252, as council
    spreadsheets export; or the source's own ``encoding``.

    A file that is valid UTF-8 but for a few bytes stays UTF-8 (those bytes' rows are
    rejected, never read as mojibake): a file is taken as Windows-1252 only when none of its
    bytes above ASCII form a UTF-8 character (docs/decisions.md, issue 21).
    """
    _refuse_other_formats(data)
    if encoding is not None:
        return _declared(data, encoding)
    _refuse_non_text(data)
    for bom, name in _BOMS:
        if data.startswith(bom):
            if name == "utf-8-sig":  # a few bad bytes reject their rows, as without a BOM
                return DecodedText(data.decode(name, errors="surrogateescape"), "utf-8")
            try:
                return DecodedText(data.decode(name), name)
            except UnicodeDecodeError:
                raise UnreadableFile(f"the file starts as {name} text but is not") from None
    try:
        return DecodedText(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    utf8 = data.decode("utf-8", errors="surrogateescape")
    if _DECODED_ABOVE_ASCII.search(utf8):
        return DecodedText(utf8, "utf-8")
    return DecodedText(data.decode("cp1252", errors="surrogateescape"), "windows-1252")


def _declared(data: bytes, encoding: str) -> DecodedText:
    """The source's declared encoding: UTF-8's bad bytes reject their rows, as when the
    encoding is recognised; another encoding's make the whole file unreadable."""
    name = codecs.lookup(encoding).name
    if name in ("utf-8", "utf-8-sig"):
        return DecodedText(data.decode(name, errors="surrogateescape"), "utf-8")
    try:
        return DecodedText(data.decode(encoding), encoding)
    except UnicodeDecodeError as error:
        raise UnreadableFile(
            f"the file is not in the encoding {encoding}: byte {error.start + 1} cannot be "
            "read in it (is the file in another encoding?)"
        ) from None


def _refuse_other_formats(data: bytes) -> None:
    """A workbook, archive or PDF named .csv is unreadable, said in plain words."""
    for signature, kind in _SIGNATURES:
        if data.startswith(signature):
            raise UnreadableFile(f"it is not a CSV file: it looks like {kind}")


def _refuse_non_text(data: bytes) -> None:
    """A file of no declared encoding that is not text at all is unreadable, said in plain
    words."""
    if any(data.startswith(bom) for bom, _ in _BOMS):
        return
    sample = data[:4096]
    odd, even = sample[1::2].count(0), sample[0::2].count(0)
    if max(odd, even) > len(sample) // 4:
        raise UnreadableFile(
            "it is not a CSV file that can be read: it looks like UTF-16 text without a "
            "byte-order mark; save it as UTF-8 (or UTF-16 with a byte-order mark)"
        )
    # Other binary data shows in the header row (bytes that are no text: unreadable); a
    # stray NUL in a cell is not text either (PostgreSQL refuses it): its row is rejected.


def _finish(frame: pl.DataFrame, first_row: int | list[int]) -> pl.DataFrame:
    """Trim cells, number rows, drop wholly blank rows (header names are already trimmed).

    ``first_row`` numbers the rows from there on, or is each row's own number."""
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
    header_row: int = 1,
) -> RawTable:
    """A CSV in any delimiter, in UTF-8 (BOM or not), UTF-16 (BOM) or Windows-1252, with
    CRLF, LF or lone-CR line breaks, its header on ``header_row`` below any title lines;
    malformed rows are set aside, never guessed at."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise UnreadableFile(f"the file cannot be opened ({error.strerror})") from error
    decoded = decode_text(data, encoding)
    text = decoded.text
    hinted = _SEPARATOR_HINT.match(text)
    if hinted:  # Excel's "sep=;" line: it names the delimiter and is not a row Excel shows
        text = text[hinted.end() :]
    if not text.strip():
        raise UnreadableFile("the file is empty")
    separator = delimiter or (hinted.group(1) if hinted else _sniff_delimiter(text, header_row))
    digest = content_hash or hashlib.sha256(data).hexdigest()
    frame = _fast_csv(text, separator) if header_row == 1 else None
    if frame is not None:
        return RawTable(str(path), digest, _finish(frame, 2))
    table = split_csv(text, separator, header_row, decoded.encoding)
    return RawTable(str(path), digest, _finish(table.frame, table.row_numbers), table.malformed)


def _sniff_delimiter(text: str, header_row: int = 1) -> str:
    header_line = re.split(r"\r\n|\r|\n", text, maxsplit=header_row)[header_row - 1 :][:1]
    try:
        return csv.Sniffer().sniff(header_line[0] if header_line else "", ",;\t|").delimiter
    except csv.Error:
        return ","


_LONE_CR = re.compile(r"\r(?!\n)")
_SEPARATOR_HINT = re.compile(r"sep=([^\r\n\"])(?:\r\n|\r|\n)")


def _fast_csv(text: str, separator: str) -> pl.DataFrame | None:
    """Polars' reader, when the file is plainly well formed (LF or CRLF breaks, quotes in
    pairs, no row wider than the header, every byte decoded); else None, and the careful
    reader decides. The header is read as a row, so that polars never renames a repeat."""
    if _LONE_CR.search(text) or text.count('"') % 2 or _NOT_TEXT.search(text):
        return None
    try:
        grid = pl.read_csv(
            text.encode("utf-8"), infer_schema=False, separator=separator, has_header=False
        )
    except pl.exceptions.PolarsError:
        return None
    names = header_names(list(grid.row(0)))
    return grid.slice(1).rename(dict(zip(grid.columns, names, strict=True)))


@dataclass(frozen=True)
class SplitCsv:
    """A CSV split row by row: the well-formed rows, their numbers, and the malformed."""

    frame: pl.DataFrame
    row_numbers: list[int]
    malformed: pl.DataFrame


def _malformed_frame(rows: list[tuple[int, str]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=MALFORMED_COLUMNS, orient="row")


def split_csv(text: str, separator: str, header_row: int = 1, encoding: str = "utf-8") -> SplitCsv:
    """Row-exact splitting with Python's csv module: a row wider than the header (trailing
    empty cells aside), with a quote never closed or with bytes the ``encoding`` cannot read
    is malformed, and the next line starts the next row. Records above ``header_row`` are a
    title block, not data."""
    records, problems = _records(text, separator)
    if len(records) < header_row:
        raise UnreadableFile(
            "the file has no header row" if header_row == 1 else f"the file has no row {header_row}"
        )
    if header_row - 1 in problems:
        raise UnreadableFile("the header row cannot be split into cells (a quote never closed?)")
    header = header_names(records[header_row - 1])
    width = len(header)
    rows: list[list[str]] = []
    numbers: list[int] = []
    malformed: list[tuple[int, str]] = []
    for number, cells in enumerate(records[header_row:], start=header_row + 1):
        if number - 1 in problems:
            malformed.append((number, problems[number - 1]))
        elif any(_INVALID_BYTE.search(cell) for cell in cells):
            malformed.append((number, _undecodable(encoding)))
        elif any("\x00" in cell for cell in cells):
            malformed.append((number, _NUL))
        elif len(cells) > width and any(c.strip() for c in cells[width:]):
            malformed.append((number, _wider(len(cells), width)))
        else:
            rows.append(cells[:width] + [""] * (width - len(cells)))
            numbers.append(number)
    frame = pl.DataFrame(rows, schema={name: pl.String for name in header}, orient="row")
    return SplitCsv(frame, numbers, _malformed_frame(malformed))


_NUL = "the row holds a NUL character (binary data), which is not text: retype the row"


def _undecodable(encoding: str) -> str:
    advice = (
        "retype the characters shown wrongly and save it as UTF-8 again"
        if encoding == "utf-8"
        else "check which encoding the file was saved in and set the source's encoding"
    )
    return (
        f"the row holds bytes that are not valid {encoding.upper()} text (the rest of the file "
        f"is read as {encoding.upper()}), so its cells cannot be read faithfully: {advice}"
    )


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
                problems[len(records) - 1] = _UNCLOSED
                start += consumed + 1
            else:
                problems[len(records) - 1] = (
                    f"the row cannot be split into cells ({printable(str(error))})"
                )
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


def read_excel(
    path: Path, sheet: str | None = None, header_row: int = 1, content_hash: str | None = None
) -> RawTable:
    """An .xlsx sheet (by name, else the first visible), header on ``header_row`` below any
    title, each cell as the department sees it (:func:`shown_cell`)."""
    import openpyxl  # only for workbooks: slow to import

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except OSError as error:
        raise UnreadableFile(f"the file cannot be opened ({error.strerror})") from error
    except Exception as error:  # zip, XML and openpyxl's own errors for corrupt or wrong files
        raise UnreadableFile(
            f"it is not a readable Excel workbook ({printable(_first_line(error))})"
        ) from error
    try:
        worksheet = _worksheet(workbook, sheet)
        worksheet.reset_dimensions()  # some programs write a wrong size: read what is there
        grid = [list(row) for row in worksheet.iter_rows(min_row=header_row)]
        name = worksheet.title
    except UnreadableFile:
        raise
    except Exception as error:  # a sheet's XML broken part way through
        raise UnreadableFile(
            f"its sheet cannot be read ({printable(_first_line(error))})"
        ) from error
    finally:
        workbook.close()
    if not grid:
        raise UnreadableFile(f"the sheet has no row {header_row} (no header row)")
    width = max(len(row) for row in grid)
    header = header_names(
        [_header_text(c.value) for c in grid[0]] + [None] * (width - len(grid[0])),
        unnamed="column {}",
    )
    header = [_column_letter(i) if n == f"column {i}" else n for i, n in enumerate(header, 1)]
    cells = [[shown_cell(c) for c in row] + [None] * (width - len(row)) for row in grid[1:]]
    _show_unsaved_formulas(path, name, header_row, cells)
    frame = pl.DataFrame(cells, schema={n: pl.String for n in header}, orient="row")
    digest = content_hash or file_hash(path)
    return RawTable(str(path), digest, _finish(frame, header_row + 1))


def _worksheet(workbook: Any, sheet: str | None) -> Any:
    """The named sheet, else the first a person opening the workbook can see (hidden
    sheets hold lookups)."""
    if sheet is not None:
        if sheet not in workbook.sheetnames:
            raise UnreadableFile(f"there is no sheet named '{printable(sheet)}'")
        if not hasattr(workbook[sheet], "iter_rows"):
            raise UnreadableFile(f"the sheet '{printable(sheet)}' is a chart, not cells")
        return workbook[sheet]
    visible = [ws for ws in workbook.worksheets if ws.sheet_state == "visible"]
    if not workbook.worksheets:
        raise UnreadableFile("the workbook has no worksheet")
    return (visible or workbook.worksheets)[0]


def _column_letter(position: int) -> str:
    from openpyxl.utils import get_column_letter

    return f"column {get_column_letter(position)}"


def _header_text(value: object) -> str | None:
    """A header cell as a name: a date is its month (Excel's reading of a typed "Apr-25" is
    1 April 2025, the period header 2025-04)."""
    if isinstance(value, dt.datetime | dt.date):
        return f"{value.year:04d}-{value.month:02d}"
    if value is None:
        return None
    return _number_text(value) if isinstance(value, int | float) else str(value)


def shown_cell(cell: Any) -> str | None:
    """A cell as the department sees it, as text: a number formatted as a percentage is
    the number shown (0.915 in ``0.0%`` is 91.5); one whose format only writes a literal
    ``%`` (``0.0"%"``, ``0.0\\%``) is the number stored; an error (``#DIV/0!``) is its
    name; a date is ``YYYY-MM-DD HH:MM:SS``; a whole number has no ``.0``."""
    value = cell.value
    if value is None:
        return None
    if getattr(cell, "data_type", None) == "e":
        return str(value).strip()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return f"{value.isoformat()} 00:00:00"
    if isinstance(value, dt.time | dt.timedelta):
        return str(value)
    if isinstance(value, int | float):
        shown = _excel_precision(value)
        if shows_percentage(getattr(cell, "number_format", None) or "", value):
            shown *= 100
        return format(shown.normalize(), "f") if abs(shown.adjusted()) < 20 else str(shown)
    return str(value)


def _excel_precision(value: float) -> decimal.Decimal:
    """A stored number to the 15 significant digits Excel keeps and shows: a formula's
    1.0000000000000002 is the 1 (100%) the department sees, not a figure above 100%."""
    return decimal.Decimal(format(value, ".15g") if isinstance(value, float) else value)


_QUOTED_OR_ESCAPED = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]')


def shows_percentage(number_format: str, value: float) -> bool:
    """Whether Excel shows ``value`` multiplied by 100 under ``number_format``: a ``%``
    in the format section for the value's sign (positive; negative; zero), outside quotes,
    escapes and ``[...]`` (colours, conditions, locales)."""
    sections = _percent_sections(number_format)
    if value < 0 and len(sections) > 1:
        return sections[1]
    if value == 0 and len(sections) > 2:
        return sections[2]
    return sections[0]


@functools.lru_cache(maxsize=256)
def _percent_sections(number_format: str) -> tuple[bool, ...]:
    """Whether each section of a format code shows a ``%``: worked out once per format, not
    once per cell (a sheet has a few formats over many thousands of cells)."""
    return tuple("%" in _QUOTED_OR_ESCAPED.sub("", s) for s in _format_sections(number_format))


def _format_sections(number_format: str) -> list[str]:
    """A format code's sections, split at ``;`` outside quotes and escapes."""
    sections, current, index = [], "", 0
    while index < len(number_format):
        match = _QUOTED_OR_ESCAPED.match(number_format, index)
        if match:
            current += match.group()
            index = match.end()
            continue
        char = number_format[index]
        if char == ";":
            sections.append(current)
            current = ""
        else:
            current += char
        index += 1
    return [*sections, current]


def _number_text(value: float) -> str:
    """85.0 -> "85", 91.5 -> "91.5": a number as the department typed it."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value) if isinstance(value, float) else str(value)


_FORMULA = re.compile(rb"<f[ >]")


def _show_unsaved_formulas(
    path: Path, sheet: str, header_row: int, cells: list[list[str | None]]
) -> None:
    """A formula whose result was never saved (a workbook written by a program, not Excel)
    reads as empty; show its formula instead, so the message can say what happened."""
    with zipfile.ZipFile(path) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/")]
        if not any(_FORMULA.search(archive.read(name)) for name in sheets):
            return
    import openpyxl

    workbook = openpyxl.load_workbook(path, read_only=True, data_only=False)
    try:
        worksheet = workbook[sheet]
        worksheet.reset_dimensions()
        rows = worksheet.iter_rows(min_row=header_row + 1, max_row=header_row + len(cells))
        for index, row in enumerate(rows):
            for column, cell in enumerate(row):
                formula = cell.value
                if (
                    isinstance(formula, str)
                    and formula.startswith("=")
                    and column < len(cells[index])
                    and cells[index][column] is None
                ):
                    cells[index][column] = formula
    finally:
        workbook.close()


def read_sql(url: str, query: str, timeouts: SqlTimeouts | None = None) -> RawTable:
    """Rows of a query against a departmental database (any SQLAlchemy URL), within the
    source's connect and statement timeouts, each value as text; result columns named alike
    are unreadable, as a header naming one twice."""
    import sqlalchemy as sa  # only for database sources: slow to import

    from sources.databases import SqlUnavailable, source_engine, timeout_message

    timeouts = timeouts or SqlTimeouts()
    shown = masked_url(url)
    try:
        engine = source_engine(database_url(url), timeouts)
        try:
            with engine.connect() as connection:
                result = connection.execute(sa.text(query))
                keys = result.keys()
                names = [str(name) for name in keys]
                rows = result.fetchall()
        finally:
            engine.dispose()
    except SqlUnavailable as error:
        raise SourceUnavailable(str(error)) from None
    except Exception as error:  # drivers raise many types; the message is what matters
        message = timeout_message(without_password(_first_line(error), url), timeouts)
        raise SourceUnavailable(f"the query could not be run ({message})") from None
    label = f"{shown} :: {query}"
    header = header_names(names)
    texts = [[_sql_text(value) for value in row] for row in rows]
    numbers = [n for n, row in enumerate(texts, start=1) if _BINARY not in row]
    frame = pl.DataFrame(
        [row for row in texts if _BINARY not in row],
        schema={n: pl.String for n in header},
        orient="row",
    )
    digest = hashlib.sha256(repr(texts).encode("utf-8", errors="surrogateescape")).hexdigest()
    return RawTable(label, digest, _finish(frame, numbers), _binary_rows(texts, header))


def _sql_text(value: object) -> str | None:
    """A database value as text: numbers as written (5.0 is 5), dates in ISO form; bytes
    that are not UTF-8 text are marked, for their row to be rejected."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return _number_text(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, bytes | bytearray | memoryview):
        try:
            value = bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            return _BINARY
    text = str(value)
    return _BINARY if "\x00" in text else text


_BINARY = "\udcff(binary)"


def _binary_rows(rows: list[list[str | None]], header: list[str]) -> pl.DataFrame:
    """Result rows holding binary values that are not text: rejected, cells unread."""
    return _malformed_frame(
        [
            (
                number,
                f"the column '{printable(header[row.index(_BINARY)])}' holds binary data, not text",
            )
            for number, row in enumerate(rows, start=1)
            if _BINARY in row
        ]
    )


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return re.sub(r"\s+", " ", text[0]) if text else type(error).__name__
