"""Ingest: each source's extracts read, validated and staged until the load (SPEC §4).

A :class:`Batch` holds what a run read: per-file results, accepted observations staged on
disk one file at a time, registers, rejections, and the keys sent in more than one file.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import polars as pl

from core.columns import OBSERVATION_KEY, REGISTER_KINDS, REJECTION_COLUMNS, SOURCE_FAILURE
from core.environment import STAGING_VARIABLE
from core.periods import period_label_expr
from core.settings import Council, Source
from schemas.benchmarks import reject_across_files as reject_benchmarks_across_files
from schemas.benchmarks import split_benchmarks
from schemas.config import resolve_aliases
from schemas.duplicates import reject_across_files
from schemas.observations import (
    duplicates_across_files,
    malformed_rejections,
    rejection_frame,
    split_observations,
    whole_file_rejection,
)
from schemas.reading import reading_digest
from schemas.registers import (
    NARRATIVE_KEY,
    REGISTER_KEY,
    split_register,
    split_targets,
    yesno_codes,
)
from schemas.rules import RuleFailed
from sources.extracts import Extract, department_column, extracts


@dataclass
class FileResult:
    """What happened to one file (or query) of a source in this run."""

    source_id: str
    department: str
    file: str
    content_hash: str | None
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    skipped: bool = False
    rows_set_aside: int = 0  # other areas' rows of a national download (the source's rows)
    reading: str | None = None  # the configuration it was read under (schemas.reading)


def lineage(source_id: str, file: str, content_hash: str | None = None) -> list[pl.Expr]:
    """The columns that say where a row came from."""
    return [
        pl.lit(source_id).alias("source_id"),
        pl.lit(file).alias("file"),
        pl.lit(content_hash, dtype=pl.String).alias("content_hash"),
    ]


@dataclass(frozen=True)
class StagedFile:
    """One file's accepted observations, staged on disk (Arrow IPC) until the load, so that a
    run holds one file's rows in memory at a time however many files it reads."""

    source_id: str
    file: str
    content_hash: str | None
    path: Path
    rows: int

    def frame(self) -> pl.DataFrame:
        """The staged rows with their lineage."""
        return pl.read_ipc(self.path).with_columns(
            lineage(self.source_id, self.file, self.content_hash)
        )


@dataclass
class Batch:
    """Everything read from one source (or, merged, from all of them).

    Accepted observations wait on disk in ``staging`` folders made under ``root`` (the
    run's :func:`staging_area`, which every worker of a cluster can reach) and removed by
    :meth:`close` or with the run's area; ``clashing`` holds the keys sent in more than one
    file.
    """

    files: list[FileResult] = field(default_factory=list)
    observations: list[StagedFile] = field(default_factory=list)
    rejections: list[pl.DataFrame] = field(default_factory=list)
    registers: dict[str, list[pl.DataFrame]] = field(
        default_factory=lambda: {
            "milestones": [],
            "risks": [],
            "narrative": [],
            "targets": [],
            "benchmarks": [],
        }
    )
    clashing: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=OBSERVATION_KEY))
    root: Path | None = None
    staging: list[Path] = field(default_factory=list)
    # Sources whose path matched no file, with why: nothing matched is not success.
    unmatched: dict[str, str] = field(default_factory=dict)

    def take(
        self,
        council: Council,
        extract: Extract,
        as_of: dt.date,
        skip_hashes: frozenset[tuple[str, str]] = frozenset(),
    ) -> None:
        """Validate one extract into the batch (unless its content was loaded before):
        observations are staged on disk, registers kept with their lineage."""
        source = extract.source
        result = FileResult(source.id, source.department, extract.file, extract.content_hash)
        self.files.append(result)
        if extract.content_hash and (source.id, extract.content_hash) in skip_hashes:
            result.skipped = True
            return
        accepted, rejections, result.rows_read = check_extract(council, extract, as_of)
        result.rows_set_aside = extract.set_aside
        self.rejections.append(rejections)
        if accepted.is_empty():
            return
        if source.kind == "observations":
            self._stage(extract, accepted)
        else:
            where = lineage(source.id, extract.file, extract.content_hash)
            self.registers[source.kind].append(accepted.with_columns(where))

    def _stage(self, extract: Extract, accepted: pl.DataFrame) -> None:
        """Keep a file's accepted observations on disk until the load."""
        if not self.staging:  # a folder per batch: batches are read side by side
            self.staging.append(Path(tempfile.mkdtemp(prefix="source-", dir=self.root)))
        path = self.staging[0] / f"{len(self.observations)}.arrow"
        accepted.write_ipc(path)
        self.observations.append(
            StagedFile(extract.source.id, extract.file, extract.content_hash, path, accepted.height)
        )

    def accepted_observations(self) -> Iterator[pl.DataFrame]:
        """Each staged file's rows that survived the check across files, one file at a time."""
        for staged in self.observations:
            yield staged.frame().join(self.clashing, on=list(OBSERVATION_KEY), how="anti")

    def frame(self, name: str) -> pl.DataFrame:
        """All the rows of one kind, from every file, as one frame (for small batches:
        the load streams observations file by file instead)."""
        if name == "observations":
            parts = list(self.accepted_observations())
        else:
            parts = {"rejections": self.rejections, **self.registers}[name]
        if not parts:
            return pl.DataFrame(schema=REJECTION_COLUMNS if name == "rejections" else None)
        return pl.concat(parts, how="diagonal_relaxed")

    def close(self) -> None:
        """Remove the staged files (once the load has them)."""
        for folder in self.staging:
            shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def staging_area(root: Path | str | None = None) -> Iterator[Path]:
    """A folder for one run's staged rows (under ``root``, else $BOARDPACK_STAGING, else the
    system's temporary folder), removed when the run ends however it ends.

    Batches are read wherever a run's steps execute (on any worker of a Dask cluster) and
    loaded by the run itself, so the folder must be one every worker and the run can reach:
    the system's temporary folder on one machine, a shared folder (``root``) across machines.
    """
    root = root or os.environ.get(STAGING_VARIABLE) or None
    folder = Path(tempfile.mkdtemp(prefix="boardpack-staging-", dir=root))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def check_extract(
    council: Council, extract: Extract, as_of: dt.date
) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    """Validate one extract: (accepted rows, rejections with their source and file, rows
    read)."""
    source = extract.source
    if extract.failure is not None or extract.frame is None:
        reason, message = extract.failure or ("unreadable_file", "unreadable")
        return pl.DataFrame(), whole_file_rejection(source.id, extract.file, reason, message), 0
    frame = extract.frame
    if source.kind == "narrative":
        # A heading left without text (a template's row not written in) is, like a blank
        # row, not data: neither loaded nor rejected (docs/decisions.md, issue 24).
        frame = frame.filter(pl.col("text").str.strip_chars().fill_null("") != "")
    try:
        accepted, rejected = _split(council, source, frame, as_of)
    except RuleFailed as error:  # fail closed: a check that could not judge accepts nothing
        rejection = whole_file_rejection(source.id, extract.file, "unreadable_file", str(error))
        return pl.DataFrame(), rejection, frame.height + extract.malformed.height
    rejections = rejection_frame(
        rejected.with_columns(lineage(source.id, extract.file))
    ).with_columns(
        pl.Series(
            "column",
            [
                department_column(c, h, source)
                for c, h in zip(rejected["column"], rejected["header"], strict=True)
            ],
            dtype=pl.String,
        ),
        # Which indicator a rejected row was about, as the extract named it (SPEC §5 data
        # quality: the performance team chases a figure by its code).
        pl.Series(
            "indicator_code",
            rejected.get_column(
                "indicator_code", default=pl.repeat(None, rejected.height, eager=True)
            ),
            dtype=pl.String,
        ),
    )
    malformed = malformed_rejections(source.id, extract.file, extract.malformed)
    rows_read = frame.height + malformed.height
    return accepted, pl.concat([malformed, rejections], how="diagonal_relaxed"), rows_read


def _split(
    council: Council, source: Source, frame: pl.DataFrame, as_of: dt.date
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """One extract's rows split by the checks of its kind into (accepted, rejected)."""
    ysm = council.settings.year_start_month
    if source.kind == "observations":
        formatted = source.numbers == "formatted"
        return split_observations(frame, council.indicators, as_of, ysm, formatted)
    if source.kind == "benchmarks":
        return split_benchmarks(frame, council.indicators, as_of, ysm)
    if source.kind in REGISTER_KINDS:
        settings = council.settings
        return split_register(
            frame,
            source.kind,
            ysm,
            frozenset(p.id for p in settings.priorities),
            (settings.risk_bands.high, settings.risk_bands.medium),
        )
    named = frame.with_columns(resolve_aliases(pl.col("indicator_code"), council.indicators))
    return split_targets(named, council.indicators["code"], yesno_codes(council.indicators))


def ingest_source(
    council: Council,
    source: Source,
    as_of: dt.date,
    staging: Path,
    skip_hashes: frozenset[tuple[str, str]] = frozenset(),
) -> Batch:
    """Read and validate every file of one source, staging its accepted observations under
    ``staging``; files already loaded are skipped."""
    batch = Batch(root=staging)
    for extract in extracts(council, source, skip_hashes):
        batch.take(council, extract, as_of, skip_hashes)
    # A source with a due date whose files have not come is chased by the returns register
    # (outstanding once its due date has passed), not failed night after night.
    awaited = source.due is not None
    if source.format != "sql" and source.expect_files and not awaited and not batch.files:
        batch.unmatched[source.id] = (
            f"its path '{source.path}' matches no file in {council.folder}: "
            "check the path, or that the department's files have arrived"
        )
    digest = reading_digest(council, source)
    for result in batch.files:
        result.reading = digest
    return batch


def _registers_across_files(kind: str) -> Across:
    """A register entry (a ref; a narrative's heading for a service) sent for one quarter in
    two files of one source: every copy rejected (two sources may use the same ref or
    heading: each keeps its own register)."""
    period = pl.col("period")
    key: tuple[str, ...]
    if kind == "narrative":
        key, column = NARRATIVE_KEY, "heading"
        entry = pl.format("'{}' for {} {}", pl.col("heading"), pl.col("service"), period)
    else:
        key, column = REGISTER_KEY, "ref"
        entry = pl.format("{} '{}' for {}", pl.lit(kind.removesuffix("s")), pl.col("ref"), period)
    return partial(
        reject_across_files,
        key=["source_id", *key],
        column=column,
        describe=lambda files: pl.format(
            "{} arrives in more than one file of source {} in this run ({}); it must come from one",
            entry,
            pl.col("source_id"),
            files,
        ),
    )


def _targets_across_files(frames: list[pl.DataFrame]) -> tuple[list[pl.DataFrame], pl.DataFrame]:
    """One target (indicator, year, period) sent in two files, of one targets source or two:
    every copy rejected, rather than the source whose id sorts last winning silently."""
    return reject_across_files(
        frames,
        ["code", "fy", "period"],
        "period",
        lambda files: pl.format(
            "the target for {} {} arrives in more than one file in this run ({}); it must "
            "come from one",
            pl.col("code"),
            period_label_expr(pl.col("fy"), pl.col("period")),
            files,
        ),
    )


Across = Callable[[list[pl.DataFrame]], tuple[list[pl.DataFrame], pl.DataFrame]]
# What may arrive only once in a run, whichever file or source sends it.
_ACROSS_FILES: dict[str, Across] = {
    **{kind: _registers_across_files(kind) for kind in REGISTER_KINDS},
    "targets": _targets_across_files,
    "benchmarks": reject_benchmarks_across_files,
}


def merge(batches: list[Batch]) -> Batch:
    """All sources of a run together; a figure sent in two files is rejected in both."""
    merged = Batch()
    for batch in batches:
        merged.files += batch.files
        merged.rejections += batch.rejections
        merged.observations += batch.observations
        merged.staging += batch.staging
        merged.unmatched |= batch.unmatched
        for kind, frames in batch.registers.items():
            merged.registers[kind] += frames
    clashes = _clashing_rows(merged.observations)
    if not clashes.is_empty():
        merged.rejections.append(rejection_frame(clashes))
        merged.clashing = clashes.select(list(OBSERVATION_KEY)).unique()
    for kind, check in _ACROSS_FILES.items():
        merged.registers[kind], clashed = check(merged.registers[kind])
        if not clashed.is_empty():
            merged.rejections.append(clashed)
    _count_outcomes(merged, clashes)
    return merged


def _clashing_rows(staged: list[StagedFile]) -> pl.DataFrame:
    """The rows of any key that more than one file sent, rejected.

    No file repeats a key (those rows are already rejected), so a key clashes when it
    occurs twice among all the files. Keys are first hashed to 64 bits, a file at a time;
    only the rows whose hash repeats are read in full and compared exactly, so the check
    costs a few bytes a row however many millions arrive.
    """
    key = list(OBSERVATION_KEY)
    hashes = pl.concat(
        [pl.scan_ipc(s.path).select(pl.struct(key).hash().alias("h")) for s in staged]
        or [pl.LazyFrame(schema={"h": pl.UInt64})]
    ).collect()
    repeated = hashes.filter(pl.col("h").is_duplicated())["h"].unique().implode()
    del hashes
    candidates = pl.concat(
        [
            pl.scan_ipc(s.path)
            .filter(pl.struct(key).hash().is_in(repeated))
            .select(*key, "period", "row_number", pl.lit(i, pl.UInt32).alias("part"))
            for i, s in enumerate(staged)
        ]
        or [
            pl.LazyFrame(
                schema={
                    **OBSERVATION_KEY,
                    "period": pl.String,
                    "row_number": pl.Int64,
                    "part": pl.UInt32,
                }
            )
        ]
    ).collect()
    files = pl.DataFrame(
        {
            "part": range(len(staged)),
            "source_id": [s.source_id for s in staged],
            "file": [s.file for s in staged],
        },
        schema={"part": pl.UInt32, "source_id": pl.String, "file": pl.String},
    )
    return duplicates_across_files(candidates, files)


def _count_outcomes(batch: Batch, clashes: pl.DataFrame) -> None:
    clashed = _counts(clashes)
    loaded = {(s.source_id, s.file): s.rows for s in batch.observations}
    for kind in batch.registers:
        loaded.update(_counts(batch.frame(kind)))
    rejected = _counts(batch.frame("rejections").filter(pl.col("row_number").is_not_null()))
    for result in batch.files:
        key = (result.source_id, result.file)
        result.rows_loaded = loaded.get(key, 0) - clashed.get(key, 0)
        result.rows_rejected = rejected.get(key, 0)


def _counts(frame: pl.DataFrame) -> dict[tuple[str, str], int]:
    if frame.is_empty():
        return {}
    grouped = frame.group_by("source_id", "file").len()
    return {(r["source_id"], r["file"]): r["len"] for r in grouped.to_dicts()}


def ingest_all(
    council: Council,
    as_of: dt.date,
    staging: Path,
    skip_hashes: frozenset[tuple[str, str]] = frozenset(),
) -> Batch:
    """Every source, one after another (the nightly flow reads them as concurrent tasks),
    staged under ``staging`` (a :func:`staging_area`)."""
    sources = council.settings.sources
    return merge([ingest_source(council, s, as_of, staging, skip_hashes) for s in sources])


def source_failure(source: Source, message: str) -> Batch:
    """A source that could not be read at all (after its retries): one whole-source rejection,
    so the failure shows in the warehouse and on the data-quality page like any other."""
    label = f"{source.id} (sql)" if source.format == "sql" else str(source.path)
    batch = Batch(files=[FileResult(source.id, source.department, label, None)])
    reason = f"{SOURCE_FAILURE} {message}"
    batch.rejections.append(whole_file_rejection(source.id, label, "unreadable_file", reason))
    return batch
