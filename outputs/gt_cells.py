"""great-tables' escaping of unformatted cells, a column at a time on polars tables.

Before rendering, great-tables escapes every cell no formatter produced (its
``_migrate_unformatted_to_output``), writing each into its polars body with
``frame[row, column] = value``: a new Series and a scatter per cell, about a third of the
time of each board report (its own source marks the per-cell writes as slow with polars).
:func:`migrate_unformatted` gives the same cells the same text (``str`` of the value,
escaped by great-tables' ``_process_text``; missing values left to great-tables), but writes
each text column of the body once. Columns of other types, and tables that are not polars,
go through great-tables' own function unchanged. ``tests/test_gt_cells.py`` holds it to the
original cell for cell; the golden pages hold the reports to their reviewed bytes.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import great_tables.gt
import polars as pl
from great_tables._text import _process_text
from great_tables._utils import _migrate_unformatted_to_output

ORIGINAL = _migrate_unformatted_to_output


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
    escaped = {}
    for column in texts:
        cells = body[column].to_list()
        for row, value in enumerate(data_tbl[column].to_list()):
            if value is not None and row not in formatted[column]:
                cells[row] = _process_text(value, context=context)
        escaped[column] = pl.Series(column, cells, dtype=body.schema[column])
    data._body.body = body.with_columns(**escaped) if escaped else body
    # The other columns' cells, as great-tables does them.
    rows = range(data_tbl.height)
    done = formatted_cells | {(column, row) for column in texts for row in rows}
    return ORIGINAL(data, data_tbl, done, context)


def install() -> None:
    """Have great-tables render with :func:`migrate_unformatted` (it calls the function by
    the name it imported into ``great_tables.gt``)."""
    great_tables.gt._migrate_unformatted_to_output = migrate_unformatted  # type: ignore[attr-defined]
