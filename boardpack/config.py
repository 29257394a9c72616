"""Load and check a council's configuration folder (SPEC §2)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import polars as pl
import yaml
from pydantic import BaseModel, ValidationError

from boardpack.comparators import load_comparators, read_config_table
from core.errors import ConfigError
from core.settings import (
    COUNCIL_FILE,
    INDICATORS_FILE,
    TARGETS_FILE,
    Council,
    CouncilSettings,
    Tolerance,
    require_config_folder,
)
from schemas.config import INDICATORS_SCHEMA, alias_key, priority_ids, table_problems
from schemas.registers import split_targets, yesno_codes
from schemas.rules import RuleFailed
from sources.extracts import check_source_path

Model = TypeVar("Model", bound=BaseModel)


def load_council(folder: Path | str) -> Council:
    """Read and check ``council.yaml``, ``indicators.csv`` and ``targets.csv``."""
    folder = Path(folder)
    require_config_folder(folder)
    settings = _load_settings(folder / COUNCIL_FILE)
    for source in settings.sources:
        check_source_path(folder, source)
    indicators = _load_indicators(folder / INDICATORS_FILE, settings.tolerance)
    _check_source_indicators(folder / COUNCIL_FILE, settings, indicators)
    _check_board_services(folder / COUNCIL_FILE, settings, indicators)
    _check_priorities(folder / INDICATORS_FILE, settings, indicators)
    targets = _load_targets(folder / TARGETS_FILE, indicators)
    return Council(folder, settings, indicators, targets, load_comparators(folder, settings))


def _load_settings(path: Path) -> CouncilSettings:
    return load_yaml_model(path, CouncilSettings, "settings (name, boards, sources)")


def load_yaml_model(path: Path, model: type[Model], expected: str) -> Model:
    """A YAML file checked against a pydantic model; the first problem, with its place in
    the file, as a :class:`ConfigError` (exit 2)."""
    try:
        raw = yaml.load(path.read_text(encoding="utf-8-sig"), Loader=_UniqueKeyLoader)
    except FileNotFoundError:
        raise ConfigError(path, "the file is missing") from None
    except _RepeatedKey as repeated:
        raise ConfigError(path, str(repeated)) from None
    except yaml.YAMLError as error:
        line = getattr(getattr(error, "problem_mark", None), "line", None)
        raise ConfigError(
            path,
            f"not valid YAML ({getattr(error, 'problem', error)})",
            row=None if line is None else line + 1,
        ) from None
    if not isinstance(raw, dict):
        raise ConfigError(path, f"expected a mapping of {expected}")
    try:
        return model.model_validate(raw)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "(top level)"
        message = first["msg"].removeprefix("Value error, ")
        more = len(error.errors()) - 1
        extra = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
        raise ConfigError(path, f"{where}: {message}{extra}") from None


class _RepeatedKey(Exception):
    """A mapping names one key twice: YAML keeps the last silently (a whole list of
    ``sources:`` dropped), so the file is refused instead."""


class _UniqueKeyLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing a key given twice in one mapping at any depth."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        first_line: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # ``<<: *defaults`` may be overridden by design
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, str | int | float | bool | None):
                continue  # an unhashable key: PyYAML's own check says so
            line = key_node.start_mark.line + 1
            if key in first_line:
                raise _RepeatedKey(
                    f"the key '{key}' is given twice in one mapping (lines {first_line[key]} "
                    f"and {line}); YAML would silently keep only the second: give it once"
                )
            first_line[key] = line
        return super().construct_mapping(node, deep=deep)


def _raise_first(path: Path, frame: pl.DataFrame, schema: object) -> None:
    problems = table_problems(frame, schema)  # type: ignore[arg-type]
    if problems:
        first = problems[0]
        more = len(problems) - 1
        extra = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
        raise ConfigError(path, first.problem + extra, row=first.row, column=first.column)


def _load_indicators(path: Path, default: Tolerance) -> pl.DataFrame:
    frame = read_config_table(path)
    optionals = ("scale", "tolerance", "tolerance_type", "key", "unit_label", "aliases")
    for optional in (*optionals, "priority", "owner"):
        if optional not in frame.columns:
            frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias(optional))
    frame = frame.with_columns(pl.col("key").str.to_lowercase()) if "key" in frame else frame
    _raise_first(path, frame, INDICATORS_SCHEMA)
    _check_yesno(path, frame)
    frame = frame.with_columns(aliases=_aliases(path, frame))
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
        "unit_label",
        "aliases",
        "priority",
        "owner",
    )


def _check_priorities(path: Path, settings: CouncilSettings, indicators: pl.DataFrame) -> None:
    """Each priority an indicator names is one of the council's ``priorities``."""
    known = {p.id for p in settings.priorities}
    for row_number, (code, cell) in enumerate(
        zip(indicators["code"], indicators["priority"], strict=True), start=2
    ):
        unknown = [p for p in priority_ids(cell) if p not in known]
        if unknown:
            listed = ", ".join(sorted(known)) or "none in council.yaml"
            raise ConfigError(
                path,
                f"{code}: '{unknown[0]}' is not one of the council's priorities ({listed})",
                row=row_number,
                column="priority",
            )


def _check_source_indicators(
    path: Path, settings: CouncilSettings, indicators: pl.DataFrame
) -> None:
    """A source's ``indicators`` and ``services`` name ones indicators.csv has."""
    known = {"indicators": set(indicators["code"]), "services": set(indicators["service"])}
    for source in settings.sources:
        for field, names in (("indicators", source.indicators), ("services", source.services)):
            unknown = [n for n in names if n not in known[field]]
            if unknown:
                raise ConfigError(
                    path,
                    f"source '{source.id}': {field} '{unknown[0]}' is not in indicators.csv",
                )


def _check_board_services(path: Path, settings: CouncilSettings, indicators: pl.DataFrame) -> None:
    """A board reports the indicators of its services: a service that matches none only
    because of its case or spacing is a slip, and so is a board that matches none at all
    (its reports would be empty). A service with no indicator of its own (milestones and
    risks only) is allowed beside others that have some."""
    services = sorted(set(indicators["service"]))
    by_key = {alias_key(service): service for service in services}
    for board in settings.boards:
        for service in board.services:
            meant = by_key.get(alias_key(service))
            if service not in services and meant is not None:
                raise ConfigError(
                    path,
                    f"board '{board.id}': service '{service}' matches no indicator; "
                    f"indicators.csv has '{meant}' (the case and spaces must match)",
                )
        if not set(board.services) & set(services):
            listed = ", ".join(f"'{s}'" for s in board.services)
            raise ConfigError(
                path,
                f"board '{board.id}': no indicator in indicators.csv has its services "
                f"({listed}); services there: {', '.join(services)}",
            )


def _check_yesno(path: Path, frame: pl.DataFrame) -> None:
    """A yes/no indicator's figure is its latest answer (SPEC §2)."""
    wrong = frame.filter((pl.col("unit") == "yesno") & (pl.col("aggregation") != "last"))
    if not wrong.is_empty():
        first = wrong.row(0, named=True)
        raise ConfigError(
            path,
            f"'{first['code']}' has unit yesno, which needs aggregation last "
            f"(not {first['aggregation']})",
            row=first["row_number"],
            column="aggregation",
        )


def _aliases(path: Path, frame: pl.DataFrame) -> pl.Series:
    """Each indicator's other names, tidied and joined by ``|``; a name that could mean two
    indicators (an alias twice, or another indicator's code) is a configuration error."""
    owner = {alias_key(code): code for code in frame["code"]}
    tidied = []
    for row in frame.iter_rows(named=True):
        names = [n.strip() for n in (row["aliases"] or "").split("|") if n.strip()]
        for name in names:
            taken = owner.setdefault(alias_key(name), row["code"])
            if taken != row["code"]:
                raise ConfigError(
                    path,
                    f"the alias '{name}' of '{row['code']}' also names '{taken}'; "
                    "an extract could mean either",
                    row=row["row_number"],
                    column="aliases",
                )
        tidied.append("|".join(names) or None)
    return pl.Series("aliases", tidied, dtype=pl.String)


def _load_targets(path: Path, indicators: pl.DataFrame) -> pl.DataFrame:
    """targets.csv, checked by the same rules as a targets source; a bad row stops the run."""
    if not path.exists():
        return pl.DataFrame(
            schema={"code": pl.String, "fy": pl.Int32, "period": pl.String, "target": pl.Float64}
        )
    frame = read_config_table(path)
    missing = [c for c in ("code", "financial_year", "target") if c not in frame.columns]
    if missing:
        raise ConfigError(path, "the column is missing", column=missing[0])
    if "period" not in frame.columns:
        frame = frame.with_columns(period=pl.lit(None, dtype=pl.String))
    try:
        accepted, rejected = split_targets(
            frame.rename({"code": "indicator_code"}), indicators["code"], yesno_codes(indicators)
        )
    except RuleFailed as error:  # a check that could not judge: nothing is taken on trust
        raise ConfigError(path, str(error)) from None
    if not rejected.is_empty():
        first = rejected.sort("row_number").row(0, named=True)
        more = rejected.height - 1
        extra = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
        column = "code" if first["column"] == "indicator_code" else first["column"]
        raise ConfigError(path, first["message"] + extra, first["row_number"], column)
    return accepted.drop("row_number")
