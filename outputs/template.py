"""A department's return workbook (``boardpack template``): one row per figure it owes.

The rows are worked out by :mod:`boardpack.template`; this module only lays them out.
Codes, periods and the context columns are locked (sheet protection without a
password: it guards against slips, not people); the cells a department fills are
unlocked and carry Excel's validation: a number in range, or yes / no from a list. The
instructions sit in a text box, not in cells, so that reading the sheet back finds only
the table.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import xlsxwriter
from xlsxwriter.worksheet import Worksheet

# What the department may type in a value cell, by unit (Excel data validation).
_VALUE_RULES: dict[str, dict[str, Any]] = {
    "percent": {"validate": "decimal", "criteria": "between", "minimum": 0, "maximum": 100},
    "count": {"validate": "decimal", "criteria": ">=", "value": 0},
    "days": {"validate": "decimal", "criteria": ">=", "value": 0},
    "yesno": {"validate": "list", "source": ["yes", "no"]},
}
_ANY_NUMBER: dict[str, Any] = {
    "validate": "decimal",
    "criteria": "between",
    "minimum": -1e15,
    "maximum": 1e15,
}
_PART_RULES: dict[str, dict[str, Any]] = {
    "numerator": {"validate": "decimal", "criteria": ">=", "value": 0},
    "denominator": {"validate": "decimal", "criteria": ">", "value": 0},
}
CONTEXT_HEADERS = {
    "title": "Indicator",
    "unit_shown": "Unit",
    "last_year": "Same period last year",
    "target": "Target",
}


@dataclass(frozen=True)
class TemplateLayout:
    """Where the table goes and what its columns are called (the source's own names)."""

    sheet: str
    header_row: int  # 1-based, as in council.yaml
    headers: dict[str, str]  # our column -> the department's header
    instructions: str


def _input_columns(rows: pl.DataFrame) -> list[str]:
    parts = ["numerator", "denominator"] if rows["ratio"].any() else []
    return ["value", *parts, "commentary", "forecast"]


def _columns(rows: pl.DataFrame) -> list[str]:
    return ["indicator_code", "period", *_input_columns(rows), *CONTEXT_HEADERS]


def _rule(column: str, unit: str, ratio: bool) -> dict[str, Any] | None:
    if column in ("value", "forecast"):  # a forecast is checked as a value is (SPEC §4)
        rule = _VALUE_RULES.get(unit, _ANY_NUMBER)
    elif column in _PART_RULES and ratio:
        rule = _PART_RULES[column]
    else:
        return None
    words = "yes or no" if unit == "yesno" else "a number, without £, % or commas"
    title = "Year-end forecast (optional)" if column == "forecast" else "Enter the figure"
    return {
        **rule,
        "input_title": title,
        "input_message": f"Type {words}."[:255],
        "error_title": "Not accepted",
        "error_message": f"This cell takes {words}"
        + (" from 0 to 100." if unit == "percent" and column != "numerator" else "."),
    }


def _write_rows(
    sheet: Worksheet, rows: pl.DataFrame, layout: TemplateLayout, formats: dict[str, Any]
) -> None:
    columns = _columns(rows)
    top = layout.header_row - 1
    for index, column in enumerate(columns):
        header = layout.headers.get(column, CONTEXT_HEADERS.get(column, column))
        sheet.write_string(top, index, header, formats["header"])
    for offset, row in enumerate(rows.iter_rows(named=True), start=1):
        for index, column in enumerate(columns):
            at = (top + offset, index)
            if _editable(column, row["ratio"]):
                sheet.write_blank(*at, None, formats["input"])
                rule = _rule(column, row["unit"], row["ratio"])
                if rule is not None:
                    sheet.data_validation(*at, *at, rule)
            else:
                text = row.get(column)
                if text is None or text == "":
                    sheet.write_blank(*at, None, formats["locked"])
                else:
                    sheet.write_string(*at, str(text), formats["locked"])


def _editable(column: str, ratio: bool) -> bool:
    """The department fills the figure, commentary and forecast, and a ratio's two parts."""
    return column in ("value", "commentary", "forecast") or (ratio and column in _PART_RULES)


def write_template(path: Path, rows: pl.DataFrame, layout: TemplateLayout) -> None:
    """Write the return workbook; ``rows`` has indicator_code, title, unit, period, ratio,
    last_year and target (text), one row per figure owed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    workbook = xlsxwriter.Workbook(str(temporary))
    formats = {
        "header": workbook.add_format({"bold": True, "bg_color": "#d9e2f3", "locked": True}),
        "locked": workbook.add_format({"locked": True, "bg_color": "#f2f2f2"}),
        "input": workbook.add_format({"locked": False, "border": 1}),
    }
    sheet = workbook.add_worksheet(layout.sheet)
    _write_rows(sheet, rows, layout, formats)
    columns = _columns(rows)
    sheet.set_column(0, len(columns) - 1, 18)
    sheet.freeze_panes(layout.header_row, 2)
    sheet.insert_textbox(
        0,
        len(columns) + 1,
        layout.instructions,
        {"width": 420, "height": 320, "font": {"size": 10}, "object_position": 3},
    )
    sheet.protect("", {"format_columns": True, "format_rows": True})
    try:
        workbook.close()
        os.replace(temporary, path)  # the old workbook or the new one, never a part
    finally:
        temporary.unlink(missing_ok=True)
