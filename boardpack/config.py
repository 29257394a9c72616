"""Load and check a council's configuration folder (SPEC §2)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import polars as pl
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from boardpack.errors import ConfigError
from schemas.config import INDICATORS_SCHEMA, table_problems
from schemas.registers import split_targets
from sources.readers import UnreadableFile, read_csv

COUNCIL_FILE = "council.yaml"
INDICATORS_FILE = "indicators.csv"
TARGETS_FILE = "targets.csv"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Tolerance(_Strict):
    type: Literal["relative", "absolute"] = "relative"
    value: float = Field(default=0.05, ge=0)


class Board(_Strict):
    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
    name: str
    services: list[str] = Field(min_length=1)
    cadence: Literal["quarterly", "half-yearly"]


class Source(_Strict):
    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
    department: str
    kind: Literal["observations", "targets", "milestones", "risks"]
    format: Literal["csv", "excel", "sql"]
    path: str | None = None
    url: str | None = None
    query: str | None = None
    layout: Literal["long", "wide"] = "long"
    sheet: str | None = None
    header_row: int = Field(default=1, ge=1)
    delimiter: str | None = None
    encoding: str | None = None
    columns: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _located(self) -> Source:
        if self.format == "sql" and not (self.url and self.query):
            raise ValueError("a sql source needs both 'url' and 'query'")
        if self.format != "sql" and not self.path:
            raise ValueError(f"a {self.format} source needs a 'path' (a glob)")
        if self.layout == "wide" and self.kind != "observations":
            raise ValueError("only observations sources can have the wide layout")
        return self


class CouncilSettings(_Strict):
    name: str
    year_start_month: int = Field(default=4, ge=1, le=12)
    tolerance: Tolerance = Tolerance()
    boards: list[Board] = Field(min_length=1)
    sources: list[Source] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_ids(self) -> CouncilSettings:
        for kind, ids in (
            ("board", [b.id for b in self.boards]),
            ("source", [s.id for s in self.sources]),
        ):
            repeated = sorted({i for i in ids if ids.count(i) > 1})
            if repeated:
                raise ValueError(f"{kind} id '{repeated[0]}' is used more than once")
        return self


@dataclass(frozen=True)
class Council:
    """A checked configuration: settings plus the indicator catalogue and targets."""

    folder: Path
    settings: CouncilSettings
    indicators: pl.DataFrame  # resolved: one row per indicator, typed
    targets: pl.DataFrame  # code, fy, period ("" = annual), target

    @property
    def boards(self) -> pl.DataFrame:
        """One row per board and service it covers."""
        return pl.DataFrame(
            [
                {"board_id": b.id, "service": s, "cadence": b.cadence}
                for b in self.settings.boards
                for s in b.services
            ]
        )

    def source(self, source_id: str) -> Source:
        for source in self.settings.sources:
            if source.id == source_id:
                return source
        known = ", ".join(s.id for s in self.settings.sources) or "none"
        raise ConfigError(self.folder / COUNCIL_FILE, f"no source '{source_id}' (sources: {known})")


def load_council(folder: Path | str) -> Council:
    """Read and check ``council.yaml``, ``indicators.csv`` and ``targets.csv``."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ConfigError(folder, "the configuration folder does not exist")
    settings = _load_settings(folder / COUNCIL_FILE)
    indicators = _load_indicators(folder / INDICATORS_FILE, settings.tolerance)
    targets = _load_targets(folder / TARGETS_FILE, indicators["code"])
    return Council(folder, settings, indicators, targets)


def _load_settings(path: Path) -> CouncilSettings:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise ConfigError(path, "the file is missing") from None
    except yaml.YAMLError as error:
        line = getattr(getattr(error, "problem_mark", None), "line", None)
        raise ConfigError(
            path,
            f"not valid YAML ({getattr(error, 'problem', error)})",
            row=None if line is None else line + 1,
        ) from None
    if not isinstance(raw, dict):
        raise ConfigError(path, "expected a mapping of settings (name, boards, sources)")
    try:
        return CouncilSettings.model_validate(raw)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "(top level)"
        message = first["msg"].removeprefix("Value error, ")
        more = len(error.errors()) - 1
        extra = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
        raise ConfigError(path, f"{where}: {message}{extra}") from None


def _read_table(path: Path) -> pl.DataFrame:
    try:
        return read_csv(path).frame
    except UnreadableFile as error:
        raise ConfigError(path, str(error)) from None


def _raise_first(path: Path, frame: pl.DataFrame, schema: object) -> None:
    problems = table_problems(frame, schema)  # type: ignore[arg-type]
    if problems:
        first = problems[0]
        more = len(problems) - 1
        extra = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
        raise ConfigError(path, first.problem + extra, row=first.row, column=first.column)


def _load_indicators(path: Path, default: Tolerance) -> pl.DataFrame:
    frame = _read_table(path)
    for optional in ("scale", "tolerance", "tolerance_type", "key"):
        if optional not in frame.columns:
            frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias(optional))
    frame = frame.with_columns(pl.col("key").str.to_lowercase()) if "key" in frame else frame
    _raise_first(path, frame, INDICATORS_SCHEMA)
    return frame.select(
        "code",
        "title",
        "service",
        "unit",
        "polarity",
        "aggregation",
        "frequency",
        pl.col("decimals").cast(pl.Int32),
        pl.col("scale")
        .cast(pl.Float64)
        .fill_null(pl.when(pl.col("unit") == "percent").then(100.0).otherwise(1.0)),
        pl.col("tolerance").cast(pl.Float64).fill_null(default.value),
        pl.col("tolerance_type").fill_null(pl.lit(default.type)),
        (pl.col("key") == "true").fill_null(False).alias("key"),
    )


def _load_targets(path: Path, codes: pl.Series) -> pl.DataFrame:
    """targets.csv, checked by the same rules as a targets source; a bad row stops the run."""
    if not path.exists():
        return pl.DataFrame(
            schema={"code": pl.String, "fy": pl.Int32, "period": pl.String, "target": pl.Float64}
        )
    frame = _read_table(path)
    missing = [c for c in ("code", "financial_year", "target") if c not in frame.columns]
    if missing:
        raise ConfigError(path, "the column is missing", column=missing[0])
    if "period" not in frame.columns:
        frame = frame.with_columns(period=pl.lit(None, dtype=pl.String))
    accepted, rejected = split_targets(frame.rename({"code": "indicator_code"}), codes)
    if not rejected.is_empty():
        first = rejected.sort("row_number").row(0, named=True)
        more = rejected.height - 1
        extra = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
        column = "code" if first["column"] == "indicator_code" else first["column"]
        raise ConfigError(path, first["message"] + extra, first["row_number"], column)
    return accepted.drop("row_number")
