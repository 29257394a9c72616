"""A register return workbook (milestones, risks, narrative) laid out for a department:
carried-forward facts locked, the cells to fill unlocked, choices offered as lists.
The rows are worked out by :mod:`boardpack.register_template`."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import xlsxwriter


@dataclass(frozen=True)
class RegisterLayout:
    sheet: str
    header_row: int  # 1-based, as in council.yaml
    columns: list[str]  # ours, in order
    headers: dict[str, str]  # ours -> the department's
    editable: set[str]
    choices: dict[str, tuple[str, ...]]
    instructions: str


def write_register_template(path: Path, rows: pl.DataFrame, layout: RegisterLayout) -> None:
    """Write the workbook whole (a temporary file renamed into place)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    workbook = xlsxwriter.Workbook(str(temporary))
    header = workbook.add_format({"bold": True, "bg_color": "#d9e2f3", "locked": True})
    locked = workbook.add_format({"locked": True, "bg_color": "#f2f2f2", "text_wrap": True})
    unlocked = workbook.add_format({"locked": False, "border": 1, "text_wrap": True})
    sheet = workbook.add_worksheet(layout.sheet)
    top = layout.header_row - 1
    for index, column in enumerate(layout.columns):
        sheet.write_string(top, index, layout.headers[column], header)
    for offset, row in enumerate(rows.iter_rows(named=True), start=1):
        for index, column in enumerate(layout.columns):
            at = (top + offset, index)
            text = row[column]
            style = unlocked if column in layout.editable else locked
            if text is None or text == "":
                sheet.write_blank(*at, None, style)
            else:
                sheet.write_string(*at, str(text), style)
            if column in layout.choices and column in layout.editable:
                allowed = list(layout.choices[column])
                sheet.data_validation(
                    *at,
                    *at,
                    {
                        "validate": "list",
                        "source": allowed,
                        "error_title": "Not accepted",
                        "error_message": f"Choose one of {', '.join(allowed)}."[:255],
                    },
                )
    sheet.set_column(0, len(layout.columns) - 1, 22)
    sheet.freeze_panes(layout.header_row, 1)
    sheet.insert_textbox(
        0,
        len(layout.columns) + 1,
        layout.instructions,
        {"width": 420, "height": 280, "font": {"size": 10}, "object_position": 3},
    )
    sheet.protect("", {"format_columns": True, "format_rows": True})
    try:
        workbook.close()
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
