"""From a source's files to canonical text frames (SPEC §4): column maps, long and wide.

A canonical frame has ``row_number``, ``header`` (the department's column name of the
figure, for messages) and the canonical columns of its kind, all as text.
"""

from __future__ import annotations

import glob
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from core.columns import CANONICAL, REQUIRED
from core.database_urls import database_url
from core.errors import ConfigError
from core.periods import parse_period_labels, tidy_label
from core.settings import COUNCIL_FILE, ENV_VARIABLE, Council, Source
from sources.readers import (
    MALFORMED_COLUMNS,
    RESERVED_PREFIX,
    ROW_NUMBER,
    RawTable,
    SourceUnavailable,
    UnreadableFile,
    file_hash,
    printable,
    read_csv,
    read_excel,
    read_sql,
)


class MissingColumn(Exception):
    """A required column is absent; the text names it as the department would."""


@dataclass(frozen=True)
class Extract:
    """One file of a source, read and put into canonical columns (or why it could not be)."""

    source: Source
    file: str
    content_hash: str | None
    frame: pl.DataFrame | None
    failure: tuple[str, str] | None = None  # (reason_code, message) for a whole-file rejection
    malformed: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=MALFORMED_COLUMNS))
    set_aside: int = 0  # rows of other areas left out by the source's ``rows`` (not read)


def source_files(council: Council, source: Source) -> list[Path]:
    """Everything a file source's glob matches under the configuration folder, sorted (a
    folder or a broken link among them is rejected when read); a match that links out of
    the folder is a configuration error, and is not read."""
    check_source_path(council.folder, source)
    pattern = str(council.folder / (source.path or ""))
    # Every match, folders and broken links too: one that cannot be read is rejected by
    # name, never skipped silently.
    files = [Path(p) for p in sorted(glob.glob(pattern, recursive=True))]
    for file in files:
        if not _inside(file, council.folder):
            raise ConfigError(
                council.folder / COUNCIL_FILE,
                f"source '{source.id}': {file} links outside the configuration folder "
                f"({council.folder}); it was not read",
            )
    return files


def check_source_path(folder: Path, source: Source) -> None:
    """A source's ``path`` stays inside the configuration folder (SPEC §4), links resolved."""
    if not source.path:
        return
    fixed = []  # the folders before the first wildcard
    for part in Path(source.path).parts:
        if glob.has_magic(part):
            break
        fixed.append(part)
    if Path(source.path).is_absolute() or not _inside(folder.joinpath(*fixed), folder):
        raise ConfigError(
            folder / COUNCIL_FILE,
            f"source '{source.id}': path '{source.path}' leads outside the configuration "
            "folder; give a path inside it",
        )


def _inside(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())


def expand_variables(text: str) -> str:
    """``${NAME}`` from the environment, so that passwords stay out of council.yaml."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in os.environ:
            raise SourceUnavailable(f"the environment variable {name} is not set")
        return os.environ[name]

    return ENV_VARIABLE.sub(value, text)


def resolve_sql_url(council: Council, url: str) -> str:
    """Environment variables filled in; relative SQLite paths are relative to the
    configuration folder, not the shell."""
    import sqlalchemy as sa  # only for database sources: slow to import

    url = expand_variables(url)
    try:
        parsed = database_url(url)
    except (sa.exc.ArgumentError, ValueError):
        raise SourceUnavailable("the source's url is not a database URL") from None
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        database = Path(parsed.database)
        if not database.is_absolute():
            return parsed.set(database=str(council.folder / database)).render_as_string(
                hide_password=False
            )
    return url


def read_raw(
    council: Council, source: Source, path: Path | None = None, content_hash: str | None = None
) -> RawTable:
    """The source's query, or one of its files (``content_hash``: the file's, if known)."""
    if source.format == "sql":
        return read_sql(
            resolve_sql_url(council, source.url or ""), source.query or "", source.timeout
        )
    assert path is not None
    if path.is_dir():
        raise UnreadableFile("it is a folder, not a file: make the source's path match files only")
    if not path.exists():
        what = "a link to a file that does not exist" if path.is_symlink() else "missing"
        raise UnreadableFile(f"it is {what}")
    if source.format == "excel":
        return read_excel(path, source.sheet, source.header_row, content_hash)
    return read_csv(path, source.delimiter, source.encoding, content_hash, source.header_row)


def extracts(
    council: Council, source: Source, skip_hashes: frozenset[tuple[str, str]] = frozenset()
) -> Iterator[Extract]:
    """Every file (or the query) of a source, canonicalised or marked as rejected whole; a
    file whose content hash is in ``skip_hashes`` (loaded before) is hashed, not parsed."""
    paths: list[Path | None] = (
        [None] if source.format == "sql" else list(source_files(council, source))
    )
    loaded = {digest for source_id, digest in skip_hashes if source_id == source.id}
    for path in paths:
        digest = _hash_to_compare(path, loaded)
        if digest is not None and digest in loaded:
            yield Extract(source, str(path), digest, None)
        else:
            yield read_extract(council, source, path, digest)


def _hash_to_compare(path: Path | None, loaded: set[str]) -> str | None:
    """A file's content hash (that of its bytes, as its reader would work it out), when there
    are ``loaded`` hashes to compare it with; None when it is not worked out here."""
    if path is None or not loaded:
        return None
    try:
        return file_hash(path)
    except OSError:
        return None  # reading it says why, as a rejection


def read_extract(
    council: Council, source: Source, path: Path | None, content_hash: str | None = None
) -> Extract:
    # A file's name as text the warehouse can hold (a name may have bytes that are not UTF-8).
    label = printable(str(path)) if path is not None else f"{source.id} (sql)"
    try:
        raw = read_raw(council, source, path, content_hash)
    except UnreadableFile as error:
        return Extract(
            source, label, None, None, ("unreadable_file", f"cannot read {label}: {error}")
        )
    file = label if path is not None else raw.file
    try:
        own = _own_rows(raw.frame, source)
        frame = canonical_frame(own, source)
    except MissingColumn as error:
        return Extract(source, file, raw.content_hash, None, ("missing_column", str(error)))
    except UnreadableFile as error:
        message = f"cannot read {file}: {error}"
        return Extract(source, file, raw.content_hash, None, ("unreadable_file", message))
    set_aside = raw.frame.height - own.height
    if set_aside and own.is_empty():
        wanted = ", ".join(f"{column} '{value}'" for column, value in source.rows.items())
        return Extract(
            source,
            file,
            raw.content_hash,
            None,
            (
                "unreadable_file",
                f"no row of the file has {wanted} (the source's 'rows'): all "
                f"{set_aside} rows are another area's; check the value under 'rows'",
            ),
        )
    return Extract(
        source, file, raw.content_hash, frame, malformed=raw.malformed, set_aside=set_aside
    )


def canonical_frame(frame: pl.DataFrame, source: Source) -> pl.DataFrame:
    """The source's own rows (:func:`_own_rows`) with the department's columns renamed to
    ours, then a wide layout unpivoted."""
    theirs = {ours: source.columns.get(ours, ours).strip() for ours in CANONICAL[source.kind]}
    renamed = _tidy_labels(frame.rename(_our_names(frame.columns, theirs)))
    if source.format in ("excel", "sql"):  # cells that may be stored as dates
        renamed = _excel_dates(renamed)
    if source.layout == "wide":
        return _wide_to_long(renamed, theirs, source)
    required = REQUIRED[source.kind]
    missing = [theirs[c] for c in required if c not in renamed.columns]
    if source.kind == "observations" and not _has_figures(renamed):
        missing.append(theirs["value"])
    if missing:
        raise MissingColumn(
            f"the required column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(repr(printable(m)) for m in missing)} "
            f"{'are' if len(missing) > 1 else 'is'} missing (found: {_found(frame)})"
        )
    canonical = [
        pl.col(c) if c in renamed.columns else pl.lit(None, dtype=pl.String).alias(c)
        for c in CANONICAL[source.kind]
    ]
    header = pl.lit(None, dtype=pl.String).alias("header")
    return renamed.select(pl.col(ROW_NUMBER).alias("row_number"), header, *canonical)


# Cells that name a period, a date or a code: invisible characters and padding inside them
# removed before they are parsed or stored (``2019/20     Q1`` is ``2019/20 Q1``).
LABEL_COLUMNS = (
    "indicator_code",
    "area_code",
    "period",
    "financial_year",
    "due_date",
    "revised_date",
)


def _tidy_labels(frame: pl.DataFrame) -> pl.DataFrame:
    """Each distinct label tidied once (an extract repeats a few dozen over millions of
    rows), and only the labels that change replaced."""
    for column in (c for c in LABEL_COLUMNS if c in frame.columns):
        labels = frame.select(pl.col(column).unique().drop_nulls().alias("label"))
        changed = labels.with_columns(tidy_label(pl.col("label")).alias("tidy")).filter(
            pl.col("label") != pl.col("tidy")
        )
        if not changed.is_empty():
            mapping = dict(zip(changed["label"], changed["tidy"], strict=True))
            frame = frame.with_columns(pl.col(column).replace(mapping))
    return frame


def _our_names(columns: list[str], theirs: dict[str, str]) -> dict[str, str]:
    """The department's columns renamed to ours by the source's ``columns`` map; two
    columns that would both be one of ours (``value`` and the column mapped to ``value``)
    make the file unreadable, as a header naming one column twice does (SPEC §4)."""
    ours_of = {their: ours for ours, their in theirs.items()}
    renames = {c: ours_of[c] for c in columns if c in ours_of and ours_of[c] != c}
    final: dict[str, str] = {}
    for column in columns:
        name = renames.get(column, column)
        if column == ROW_NUMBER:
            continue
        if name in final:
            first, second = sorted((final[name], column))
            raise UnreadableFile(
                f"the columns '{printable(first)}' and '{printable(second)}' would both be "
                f"'{name}' (with the source's columns map), so which is meant cannot be known: "
                "remove one, or map the column another way"
            )
        final[name] = column
    return renames


def _found(frame: pl.DataFrame) -> str:
    return ", ".join(printable(c) for c in frame.columns if c != ROW_NUMBER)


def _own_rows(frame: pl.DataFrame, source: Source) -> pl.DataFrame:
    """A national download's rows for this council only (``rows: {area_code: E08000009}``)."""
    missing = [column for column in source.rows if column not in frame.columns]
    if missing:
        raise MissingColumn(
            f"the column '{printable(missing[0])}' named under 'rows' is missing "
            f"(found: {_found(frame)})"
        )
    for column, wanted in source.rows.items():
        frame = frame.filter(pl.col(column) == wanted)
    return frame


# How the reader shows a cell stored as a date (Excel keeps dates as day numbers).
_DATE_CELL = r"^([0-9]{4}-[0-9]{2})-[0-9]{2} 00:00:00$"


def _excel_dates(frame: pl.DataFrame) -> pl.DataFrame:
    """A period stored as a date (in Excel, or a database's timestamp) is that date's month
    (``2025-04`` typed into Excel becomes 1 April 2025). A register's dates are read by
    :mod:`schemas.dates`; a wide sheet's date headers are their months already
    (:func:`sources.readers.read_excel`)."""
    if "period" not in frame.columns:
        return frame
    return frame.with_columns(pl.col("period").str.replace(_DATE_CELL, "${1}"))


def _has_figures(frame: pl.DataFrame) -> bool:
    return "value" in frame.columns or {"numerator", "denominator"} <= set(frame.columns)


# A wide row's own columns (SPEC §4): the indicator and its commentary; every other column is
# a period, ignored, or rejected cell by cell.
WIDE_ROW_COLUMNS = ("indicator_code", "commentary")
_HEADER = f"{RESERVED_PREFIX}header__"
_CELL = f"{RESERVED_PREFIX}cell__"
_RANK = f"{RESERVED_PREFIX}rank__"


def _wide_to_long(frame: pl.DataFrame, theirs: dict[str, str], source: Source) -> pl.DataFrame:
    """One row per indicator, one column per period -> one row per non-blank cell.

    A column that is neither the row's own (code, commentary), nor a period, nor ignored is
    not dropped: its cells come along with the header as their period, which the checks
    reject as ``bad_period``. The row's commentary goes with its latest period that has a
    figure; with no figure, it comes as an empty cell of the latest period, to be rejected
    (docs/decisions.md, issue 21).
    """
    if "indicator_code" not in frame.columns:
        raise MissingColumn(
            f"the required column '{printable(theirs['indicator_code'])}' is missing "
            f"(found: {_found(frame)})"
        )
    own = [c for c in WIDE_ROW_COLUMNS if c in frame.columns]
    candidates = [
        c for c in frame.columns if c not in (ROW_NUMBER, *own) and c not in source.ignore_columns
    ]
    labels = [source.periods.get(c, c) for c in candidates]
    parsed = parse_period_labels(pl.Series(labels, dtype=pl.String))
    if not any(parsed["granularity"]):
        raise MissingColumn(
            "no period columns were found: headers such as Apr-19, 2019-04 or 2019/20 Q1 "
            f"are expected (found: {', '.join(printable(c) for c in candidates)})"
        )
    order = pl.DataFrame(
        {_HEADER: candidates, _RANK: parsed["fy"] * 12 + parsed["fm"]},
        schema={_HEADER: pl.String, _RANK: pl.Int64},
    )
    commentary = frame.select(ROW_NUMBER, *[c for c in own if c == "commentary"])
    long = (
        frame.unpivot(
            on=candidates,
            index=[ROW_NUMBER, "indicator_code"],
            variable_name=_HEADER,
            value_name=_CELL,
        )
        .filter(pl.col(_CELL).is_not_null())
        .join(order, on=_HEADER, how="left")
    )
    latest = pl.col(_RANK) == pl.col(_RANK).max().over(ROW_NUMBER)
    if "commentary" in commentary.columns:
        long = long.join(commentary, on=ROW_NUMBER, how="left").with_columns(
            commentary=pl.when(latest & pl.col(_RANK).is_not_null()).then(pl.col("commentary"))
        )
        long = pl.concat([long, _unattached(frame, long, order)], how="diagonal_relaxed")
    else:
        long = long.with_columns(commentary=pl.lit(None, dtype=pl.String))
    empty = pl.lit(None, dtype=pl.String)
    period = pl.col(_HEADER).replace_strict(source.periods, default=pl.col(_HEADER))
    return long.select(
        pl.col(ROW_NUMBER).alias("row_number"),
        pl.col(_HEADER).alias("header"),
        "indicator_code",
        period.alias("period"),
        pl.col(_CELL).alias("value"),
        empty.alias("numerator"),
        empty.alias("denominator"),
        "commentary",
        empty.alias("forecast"),
    ).sort("row_number", maintain_order=True)


def _unattached(frame: pl.DataFrame, long: pl.DataFrame, order: pl.DataFrame) -> pl.DataFrame:
    """Rows whose commentary has no figure of a period to go with: one empty cell under the
    latest period header each, so that the row is rejected (the value is empty), not lost."""
    attached = long.filter(pl.col("commentary").is_not_null())[ROW_NUMBER].implode()
    latest = order.drop_nulls(_RANK).sort(_RANK)[_HEADER][-1]
    return frame.filter(
        pl.col("commentary").is_not_null() & ~pl.col(ROW_NUMBER).is_in(attached)
    ).select(
        ROW_NUMBER,
        "indicator_code",
        pl.lit(latest).alias(_HEADER),
        pl.lit(None, dtype=pl.String).alias(_CELL),
        "commentary",
    )


def department_column(column: str | None, header: str | None, source: Source) -> str | None:
    """The column as the department named it: a wide sheet's period header, else the map."""
    if column is None:
        return None
    if header is not None and column in ("period", "value"):
        return header
    return source.columns.get(column, column)
