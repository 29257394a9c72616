"""great-tables' rendering made faster, byte for byte: its per-cell work done a column or a
row at a time, and a table's CSS compiled once for all tables styled alike.

Escaping. Before rendering, great-tables escapes every cell no formatter produced (its
``_migrate_unformatted_to_output``), writing each into its polars body with
``frame[row, column] = value``: a new Series and a scatter per cell, about a third of the
time of each board report (its own source marks the per-cell writes as slow with polars).
:func:`migrate_unformatted` gives the same cells the same text (``str`` of the value,
escaped by great-tables' ``_process_text``; missing values left to great-tables), but writes
each text column of the body once. Columns of other types, and tables that are not polars,
go through great-tables' own function unchanged. ``tests/test_gt_cells.py`` holds it to the
original cell for cell; the golden pages hold the reports to their reviewed bytes.

Formats. great-tables writes each cell a formatter gives (our sparklines) into its polars
body the same way, a cell at a time; :func:`formats_by_column` runs the formatters in the
same order on the same values and writes each column once.

Styles. great-tables builds each body cell's ``style`` from the table's cell styles, scanning
them all for every cell; a report colours each row's status cell, so a board of 400
indicators scanned 400 styles for each of its 4,000 cells (an eighth of its page's time).
:func:`row_with_its_styles` gives each row's builder only its own row's styles, found once a
table, which are the ones the scan would keep.

Rows. great-tables' row builder is general (stubs, summary rows, footnotes, merged cells) and
works that generality out again for every cell: asking each column whether it is a stub some
eighty times a row, finding each cell through a polars lookup, scanning the footnotes. It was
a third of a large board's page. A report's rows are plain data rows (no stub, summary rows
or footnotes): :func:`plain_row` builds those from the table's columns taken once, with the
same attributes in the same order; any other row goes to great-tables' builder.

Empty bodies. great-tables starts each table's body as the table cleared and cast to text,
polars making a typed column of nulls for each and casting it (1.2 ms a table);
:func:`empty_body` makes the same frame of text nulls directly.

CSS. great-tables compiles each table's stylesheet from its options (about 1.4 ms a table,
an eighth of a board's page): the same options give the same sheet but for the table's id,
which it writes into the selectors. :func:`css_once_per_options` compiles a sheet once for
an id of its own and writes each table's id in its place.

Columns named. great-tables finds the columns a label, format or style names through polars
selectors, running a query on the table for each name: about two dozen a report, a tenth of
its time. :func:`columns_named` answers a list of names that are all the table's columns
from the table's own column list, in the same order; anything else (positions, selectors,
a name the table lacks) goes to great-tables' own function.
"""

from __future__ import annotations

import html
import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

import great_tables._gt_data as gt_data
import great_tables._scss as scss
import great_tables._tbl_data as tbl_data
import great_tables._utils_render_html as render_html
import great_tables.gt
import polars as pl
from great_tables._gt_data import (
    Body,
    ColInfo,
    ColInfoTypeEnum,
    FormatInfo,
    FormatterSkipElement,
    StyleInfo,
)
from great_tables._tbl_data import create_empty_frame
from great_tables._text import _process_text
from great_tables._utils import _migrate_unformatted_to_output

ORIGINAL = _migrate_unformatted_to_output
ORIGINAL_ROW = render_html._create_row_component_h
ORIGINAL_FORMATS = Body.render_formats
ORIGINAL_CSS = scss.compile_scss
ORIGINAL_EMPTY = create_empty_frame


def formats_by_column(
    self: Body, data_tbl: Any, formats: list[FormatInfo], context: str
) -> set[tuple[str, int]]:
    """What great-tables' ``Body.render_formats`` does, each formatted column written once.
    Formatters run in the same order on the same values (a later one's result for a cell
    replaces an earlier one's); a result that is not text or missing, which a polars text
    body would have to convert, is left to great-tables' own function."""
    if not isinstance(data_tbl, pl.DataFrame) or not isinstance(self.body, pl.DataFrame):
        return ORIGINAL_FORMATS(self, data_tbl, formats, context)
    formatted: set[tuple[str, int]] = set()
    results: dict[str, dict[int, str | None]] = defaultdict(dict)
    values: dict[str, list[Any]] = {}
    for info in formats:
        function = getattr(info.func, context, info.func.default)
        if function is None:  # as great-tables: every formatter has a default
            raise RuntimeError("a great-tables formatter without a default function")
        for column, row in info.cells.resolve():
            if column not in values:
                values[column] = data_tbl[column].to_list()
            result = function(values[column][row])
            if isinstance(result, FormatterSkipElement):
                continue
            if result is not None and not isinstance(result, str):
                return ORIGINAL_FORMATS(self, data_tbl, formats, context)
            formatted.add((column, row))
            results[column][row] = result
    self.body = _written(self.body, results)
    return formatted


def _written(body: pl.DataFrame, results: Mapping[str, Mapping[int, str | None]]) -> pl.DataFrame:
    """``body`` with each column's ``results`` (by row) in place of its cells."""
    columns = []
    for column, by_row in results.items():
        cells = body[column].to_list()
        for row, result in by_row.items():
            cells[row] = result
        columns.append(pl.Series(column, cells, dtype=body.schema[column]))
    return body.with_columns(columns) if columns else body


def migrate_unformatted(
    data: Any, data_tbl: Any, formatted_cells: set[tuple[str, int]], context: str
) -> Any:
    """What great-tables' ``_migrate_unformatted_to_output`` returns, a column at a time."""
    body = data._body.body
    if not isinstance(data_tbl, pl.DataFrame) or not isinstance(body, pl.DataFrame):
        return ORIGINAL(data, data_tbl, formatted_cells, context)
    texts = [name for name, dtype in data_tbl.schema.items() if dtype == pl.String]
    formatted: dict[str, set[int]] = defaultdict(set)
    for column, row in formatted_cells:
        formatted[column].add(row)
    escaped = {
        column: {
            row: _process_text(value, context=context)
            for row, value in enumerate(data_tbl[column].to_list())
            if value is not None and row not in formatted[column]
        }
        for column in texts
    }
    data._body.body = _written(body, escaped)
    # The other columns' cells, as great-tables does them.
    rows = range(data_tbl.height)
    done = formatted_cells | {(column, row) for column in texts for row in rows}
    return ORIGINAL(data, data_tbl, done, context)


# The last table's styles and the same grouped by row: a table's rows are built one after
# another from the same list (a tuple, read whole, so a thread sees one table's pair).
_last_grouped: tuple[list[StyleInfo], dict[int | None, list[StyleInfo]]] | None = None


def _styles_by_row(styles: list[StyleInfo]) -> dict[int | None, list[StyleInfo]]:
    global _last_grouped
    last = _last_grouped
    if last is not None and last[0] is styles:
        return last[1]
    grouped: dict[int | None, list[StyleInfo]] = defaultdict(list)
    for info in styles:  # in order, so that a cell's styles apply as great-tables applies them
        grouped[info.rownum].append(info)
    _last_grouped = (styles, grouped)
    return grouped


def row_with_its_styles(
    *, styles_cells: list[StyleInfo], row_index: int | None = None, **rest: Any
) -> str:
    """great-tables' row, given the cell styles of its own row only (its builder keeps just
    those: ``rownum == row_index``); a plain data row built by :func:`plain_row`."""
    own = _styles_by_row(styles_cells).get(row_index, [])
    if row_index is not None and _is_plain_data_row(rest):
        columns = _columns(rest["column_vars"], rest["tbl_data"])
        if columns.plain:
            return plain_row(
                columns, own, row_index, rest["header_ids"], rest["apply_body_striping"]
            )
    return str(ORIGINAL_ROW(styles_cells=own, row_index=row_index, **rest))


# The arguments great-tables gives a row that a plain data row leaves out: a stub, summary
# or group-label cell, a row class, a CSS class, merged stub cells.
_SPECIAL_ARGUMENTS = (
    "leading_cell",
    "summary_row",
    "css_class",
    "summary_group_id",
    "row_class",
    "stub_col_rowspans",
    "stub_col_rows",
)


@dataclass(frozen=True)
class _Columns:
    """A table's visible columns as its rows need them: name, alignment, cells as text, and
    each column's ``headers`` attribute under each row group (filled as groups come); plain
    when none is a stub or great-tables' placeholder for one."""

    plain: bool
    names: list[str]
    alignments: list[str]
    cells: list[list[str]]
    headers: dict[tuple[str | None, ...], list[str]] = field(default_factory=dict)

    def headers_under(self, header_ids: Any) -> list[str]:
        """Each column's ``headers`` attribute for a row headed by ``header_ids``' group and
        stub cells (a plain row has no stub cells: its group's)."""
        row_headers = [header_ids.group, *header_ids.stub.values()]
        key = tuple(row_headers)
        if key not in self.headers:
            ids = [header_ids.cell_headers(name, row_headers) for name in self.names]
            self.headers[key] = [f' headers="{html.escape(i)}"' if i else "" for i in ids]
        return self.headers[key]


# The last table's columns (a tuple read whole, as ``_last_grouped``).
_last_columns: tuple[list[ColInfo], pl.DataFrame, _Columns] | None = None


def _is_plain_data_row(arguments: dict[str, Any]) -> bool:
    """A polars table's data row with no footnotes and none of the special cells: one
    :func:`plain_row` builds as great-tables would if its columns are plain too."""
    if any(arguments.get(name) is not None for name in _SPECIAL_ARGUMENTS):
        return False
    data, table = arguments.get("data"), arguments.get("tbl_data")
    if data is None or data._footnotes or not isinstance(table, pl.DataFrame):
        return False
    return arguments.get("header_ids") is not None


def _columns(column_vars: list[ColInfo], table: pl.DataFrame) -> _Columns:
    global _last_columns
    last = _last_columns
    if last is not None and last[0] is column_vars and last[1] is table:
        return last[2]
    if all(
        not column.is_stub and column.type != ColInfoTypeEnum.summary_placeholder
        for column in column_vars
    ):
        names = [column.var for column in column_vars]
        # str() of each cell's value, as great-tables' builder takes it (its lists as lists).
        columns = _Columns(
            True,
            names,
            [f"gt_row gt_{column.defaulted_align}" for column in column_vars],
            [[str(value) for value in table[name].to_list()] for name in names],
        )
    else:
        columns = _Columns(False, [], [], [])
    _last_columns = (column_vars, table, columns)
    return columns


def plain_row(
    columns: _Columns,
    own_styles: list[StyleInfo],
    row_index: int,
    header_ids: Any,
    striped: bool,
) -> str:
    """great-tables' HTML for a plain data row of plain ``columns`` (see
    :func:`_is_plain_data_row`): each cell a ``td`` with its styles (``own_styles``: its
    row's), its headers' ids and great-tables' classes."""
    stripe = " gt_striped" if striped else ""
    by_column: dict[str | None, list[StyleInfo]] = defaultdict(list)
    for info in own_styles:  # in order, as great-tables applies them
        by_column[info.colname].append(info)
    cells = []
    for name, alignment, values, headers in zip(
        columns.names,
        columns.alignments,
        columns.cells,
        columns.headers_under(header_ids),
        strict=True,
    ):
        text = values[row_index]
        styles = (
            render_html._flatten_styles(by_column[name], wrap=True) if name in by_column else ""
        )
        if "<svg" in text and " id=" in text:  # ids made the cell's own, as great-tables does
            prefix = f"{header_ids.registry.prefix}{name}-{row_index}"
            text = render_html._make_svg_ids_unique(text, prefix=prefix)
        cells.append(f'    <td{styles}{headers} class="{alignment}{stripe}">{text}</td>')
    return "  <tr>\n" + "\n".join(cells) + "\n  </tr>"


def empty_body(table: Any) -> Any:
    """great-tables' empty body for ``table``: its columns, as text, every cell missing."""
    if not isinstance(table, pl.DataFrame):
        return ORIGINAL_EMPTY(table)
    missing = [None] * table.height
    return pl.DataFrame([pl.Series(name, missing, pl.String) for name in table.columns])


# Stands for a table's id in a sheet compiled once; tables' ids are names, never this.
_SOME_ID = "boardpack-table-id-5f3a9c"
_PLAIN_ID = re.compile(r"[\w-]+")
_sheets: dict[tuple[str, bool, bool], str] = {}


def css_once_per_options(
    data: Any, id: str | None, compress: bool = True, all_important: bool = False
) -> str:
    """great-tables' ``compile_scss``: the sheet of ``data``'s options compiled once, with
    ``id`` written where the compiled sheet has :data:`_SOME_ID`. great-tables writes the id
    in by substitutions that later ones run over (``thead``, ``;``) and that read a backslash
    as an escape, so only an id of letters, digits, ``-`` and ``_`` without ``thead`` is
    written in; any other, or a table whose options already hold the stand-in, is compiled
    as great-tables does."""
    options = repr(  # all but the table's id, which is not read: ``id`` is
        [
            getattr(data._options, option.name).value
            for option in fields(data._options)
            if option.name != "table_id"
        ]
        + [data._google_font_imports.to_css()]
    )
    if id is None or not _PLAIN_ID.fullmatch(id) or "thead" in id or _SOME_ID in options:
        return str(ORIGINAL_CSS(data, id, compress, all_important))
    key = (options, compress, all_important)
    sheet = _sheets.get(key)
    if sheet is None:
        sheet = str(ORIGINAL_CSS(data, _SOME_ID, compress, all_important))
        if len(_sheets) >= 64:  # a run's tables are styled a few ways: never many sheets
            _sheets.clear()
        _sheets[key] = sheet
    return sheet.replace(_SOME_ID, id)


ORIGINAL_SELECT = tbl_data.eval_select.dispatch(pl.DataFrame)


def columns_named(data: pl.DataFrame, expr: Any, strict: bool = True) -> list[tuple[str, int]]:
    """What great-tables' ``eval_select`` gives for a polars table: each column named and
    its position, in the order named, each once."""
    names = [expr] if isinstance(expr, str) else expr
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        return ORIGINAL_SELECT(data, expr, strict)
    positions = {name: position for position, name in enumerate(data.columns)}
    if not all(name in positions for name in names):
        return ORIGINAL_SELECT(data, expr, strict)
    return [(name, positions[name]) for name in dict.fromkeys(names)]


def install() -> None:
    """Have great-tables render with :func:`formats_by_column`, :func:`migrate_unformatted`,
    :func:`row_with_its_styles`, :func:`empty_body`, :func:`css_once_per_options` and
    :func:`columns_named` (it
    calls each by the name its module knows it by; its renderer imports the sheet's compiler
    when it renders)."""
    scss.compile_scss = css_once_per_options
    tbl_data.eval_select.register(pl.DataFrame, columns_named)
    gt_data.create_empty_frame = empty_body  # type: ignore[attr-defined,assignment]
    Body.render_formats = formats_by_column  # type: ignore[method-assign]
    great_tables.gt._migrate_unformatted_to_output = migrate_unformatted  # type: ignore[attr-defined]
    render_html._create_row_component_h = row_with_its_styles  # type: ignore[assignment]  # called with keywords only
