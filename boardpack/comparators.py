"""Comparator groups from ``council.yaml`` (SPEC §7): areas listed, or read from a CSV."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from core.errors import ConfigError
from core.settings import COUNCIL_FILE, GROUP_COLUMNS, Comparator, CouncilSettings
from sources.readers import ROW_NUMBER, UnreadableFile, read_csv


def load_comparators(folder: Path, settings: CouncilSettings) -> pl.DataFrame:
    """``group_id, group_name, area_code``: each group's members, the council always one."""
    rows = [
        {"group_id": group.id, "group_name": group.name, "area_code": area}
        for group in settings.comparators
        for area in [*_areas(folder, group), settings.area_code]
    ]
    return pl.DataFrame(rows, schema=GROUP_COLUMNS).unique(maintain_order=True)


def read_config_table(path: Path) -> pl.DataFrame:
    """A configuration CSV as text, or a configuration error naming the file (and row)."""
    try:
        table = read_csv(path)
    except UnreadableFile as error:
        raise ConfigError(path, str(error)) from None
    if not table.malformed.is_empty():
        first = table.malformed.row(0, named=True)
        raise ConfigError(path, first["message"], row=first["row_number"])
    # The reader's row numbers under the name the configuration checks use.
    return table.frame.drop("row_number", strict=False).rename({ROW_NUMBER: "row_number"})


def _areas(folder: Path, group: Comparator) -> list[str]:
    if isinstance(group.areas, list):
        return [area.strip() for area in group.areas if area.strip()]
    path = _inside(folder, group.areas, group.id)
    frame = read_config_table(path)
    if "area_code" not in frame.columns:
        raise ConfigError(path, "the column is missing", column="area_code")
    codes = frame["area_code"].drop_nulls().str.strip_chars()
    return [code for code in codes.to_list() if code]


def _inside(folder: Path, relative: str, group_id: str) -> Path:
    path = folder / relative
    if Path(relative).is_absolute() or not path.resolve().is_relative_to(folder.resolve()):
        raise ConfigError(
            folder / COUNCIL_FILE,
            f"comparator group '{group_id}': areas '{relative}' leads outside the "
            "configuration folder; give a path inside it",
        )
    if not path.is_file():
        raise ConfigError(path, f"comparator group '{group_id}': the areas file is missing")
    return path
