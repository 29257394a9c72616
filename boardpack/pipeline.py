"""The steps of a run as plain functions: flows and the command line wire them together.

sources → schemas → transforms → warehouse → outputs. Nothing here imports Prefect.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
import sqlalchemy as sa

from boardpack.config import Council, Source
from boardpack.errors import ConfigError, UsageError
from outputs.board import BoardPage
from outputs.site import (
    SiteInputs,
    already_published,
    board_pages,
    page_from_snapshot,
    published_figures,
    snapshot_of,
    write_site,
    years_drawn_on,
)
from schemas.observations import (
    OBSERVATION_KEY,
    REJECTION_COLUMNS,
    duplicates_across_files,
    rejection_frame,
    split_observations,
    whole_file_rejection,
)
from schemas.registers import split_register, split_targets
from sources.extracts import Extract, department_column, extracts
from transforms.coverage import latest_quarter, source_coverage
from transforms.measures import compute_measures, empty_measures
from transforms.periods import PERIODS_BY_SUFFIX, fy_label
from transforms.summary import board_summary
from warehouse import store
from warehouse.models import BoardSummary, Measure, Milestone, Risk

MEASURES_BASIS = "measures_basis"
# The as-of date of the run that last computed the measures: the reports' "data as at".
FIGURES_AS_OF = "figures_as_of"


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

    Accepted observations wait on disk in ``staging`` folders that are removed with the
    batch (or by :meth:`close`); ``clashing`` holds the keys sent in more than one file.
    """

    files: list[FileResult] = field(default_factory=list)
    observations: list[StagedFile] = field(default_factory=list)
    rejections: list[pl.DataFrame] = field(default_factory=list)
    registers: dict[str, list[pl.DataFrame]] = field(
        default_factory=lambda: {"milestones": [], "risks": [], "targets": []}
    )
    clashing: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=OBSERVATION_KEY))
    staging: list[tempfile.TemporaryDirectory[str]] = field(default_factory=list)

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
        if not self.staging:
            self.staging.append(tempfile.TemporaryDirectory(prefix="boardpack-staging-"))
        path = Path(self.staging[0].name) / f"{len(self.observations)}.arrow"
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
        """Remove the staged files now rather than when the batch is collected."""
        for folder in self.staging:
            folder.cleanup()


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
    ysm = council.settings.year_start_month
    if source.kind == "observations":
        accepted, rejected = split_observations(frame, council.indicators, as_of, ysm)
    elif source.kind in ("milestones", "risks"):
        accepted, rejected = split_register(frame, source.kind, ysm)
    else:
        accepted, rejected = split_targets(frame, council.indicators["code"])
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
        )
    )
    return accepted, rejections, frame.height


def ingest_source(
    council: Council,
    source: Source,
    as_of: dt.date,
    skip_hashes: frozenset[tuple[str, str]] = frozenset(),
) -> Batch:
    """Read and validate every file of one source; files already loaded are skipped."""
    batch = Batch()
    for extract in extracts(council, source):
        batch.take(council, extract, as_of, skip_hashes)
    return batch


def merge(batches: list[Batch]) -> Batch:
    """All sources of a run together; a figure sent in two files is rejected in both."""
    merged = Batch()
    for batch in batches:
        merged.files += batch.files
        merged.rejections += batch.rejections
        merged.observations += batch.observations
        merged.staging += batch.staging
        for kind, frames in batch.registers.items():
            merged.registers[kind] += frames
    clashes = _clashing_rows(merged.observations)
    if not clashes.is_empty():
        merged.rejections.append(rejection_frame(clashes))
        merged.clashing = clashes.select(list(OBSERVATION_KEY)).unique()
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


def store_batch(connection: sa.Connection, run_id: int, council: Council, batch: Batch) -> set[int]:
    """Load one run's accepted rows, rejections and file records.

    Returns the financial years that gained new or restated figures.
    """
    store.replace_catalogue(
        connection,
        council.indicators,
        [{"id": b.id, "name": b.name, "cadence": b.cadence} for b in council.settings.boards],
        council.boards,
        council.targets,
    )
    changed_years = store.load_observations(connection, run_id, batch.accepted_observations())
    store.record_rejections(connection, run_id, batch.frame("rejections"))
    targets = batch.frame("targets")
    if not targets.is_empty():
        store.load_targets(connection, targets)
    for kind, model in (("milestones", Milestone), ("risks", Risk)):
        rows = batch.frame(kind)
        if not rows.is_empty():
            store.replace_register(connection, model, run_id, rows)
    store.record_files(
        connection,
        run_id,
        [
            {
                "content_hash": f.content_hash,
                "source_id": f.source_id,
                "file": f.file,
                "rows_read": f.rows_read,
                "rows_loaded": f.rows_loaded,
                "rows_rejected": f.rows_rejected,
            }
            for f in batch.files
            if f.content_hash and not f.skipped
        ],
    )
    return changed_years


# Indicators computed together: about half a million monthly figures at a time.
INDICATORS_PER_SLICE = 4_000
_MEASURE_INPUTS = ["indicator_code", "fy", "fm", "value", "numerator", "denominator"]
_SUMMARY_INPUTS = ["indicator_code", "fy", "period_type", "period_number", "rag"]


def recompute(
    connection: sa.Connection,
    council: Council,
    as_of: dt.date,
    targets: pl.DataFrame | None = None,
) -> int:
    """Measures and board summaries from the current observations, stored in place.

    A slice of indicators at a time (a measure depends only on its own indicator's
    figures), so memory follows the slice rather than the warehouse. Returns the number
    of measures stored.
    """
    if targets is None:
        targets = store.current_targets(connection)
    first_fy = store.first_observed_year(connection)
    store.clear_measures(connection)
    store.set_state(connection, FIGURES_AS_OF, as_of.isoformat())
    if first_fy is None:
        return 0
    rated = []
    for indicators in council.indicators.sort("code").iter_slices(INDICATORS_PER_SLICE):
        codes = indicators["code"]
        observations = store.current_observations(
            connection, _MEASURE_INPUTS, codes.to_list()
        ).rename({"indicator_code": "code"})
        measures = compute_measures(
            indicators,
            observations,
            targets.filter(pl.col("code").is_in(codes.implode())),
            as_of,
            council.settings.year_start_month,
            first_fy,
        )
        store.insert_measures(connection, measures)
        rated.append(measures.select(_SUMMARY_INPUTS))
    measures = pl.concat(rated) if rated else empty_measures().select(_SUMMARY_INPUTS)
    store.insert_summaries(connection, board_summary(measures, council.indicators, council.boards))
    return measures.height


def ingest_all(
    council: Council, as_of: dt.date, skip_hashes: frozenset[tuple[str, str]] = frozenset()
) -> Batch:
    """Every source, one after another (the nightly flow reads them as concurrent tasks)."""
    return merge([ingest_source(council, s, as_of, skip_hashes) for s in council.settings.sources])


@dataclass(frozen=True)
class LoadResult:
    """What a load changed: the measures stored, and which years need republishing."""

    measures: int
    recomputed: bool
    changed_years: set[int] | None  # None: everything (the configuration or periods changed)


def measures_basis(council: Council, targets: pl.DataFrame, as_of: dt.date) -> str:
    """A fingerprint of everything the measures depend on besides the observations."""
    ysm = council.settings.year_start_month
    digest = hashlib.sha256()
    digest.update(council.indicators.write_csv().encode())
    digest.update(targets.sort("code", "fy", "period").write_csv().encode())
    digest.update(council.boards.sort("board_id", "service").write_csv().encode())
    digest.update(repr((ysm, latest_quarter(as_of, ysm))).encode())
    return digest.hexdigest()


def load_and_compute(
    engine: sa.Engine, run_id: int, council: Council, batch: Batch, as_of: dt.date
) -> LoadResult:
    """Load a run and recompute its measures in one transaction: all of it lands, or none.

    When no figure changed and nothing else the measures depend on did, the stored
    measures stand and are not recomputed.
    """
    with engine.begin() as connection:
        changed_years = store_batch(connection, run_id, council, batch)
        targets = store.current_targets(connection)
        basis = measures_basis(council, targets, as_of)
        basis_changed = store.get_state(connection, MEASURES_BASIS) != basis
        if not changed_years and not basis_changed:
            count = connection.execute(sa.select(sa.func.count()).select_from(Measure)).scalar()
            return LoadResult(int(count or 0), False, set())
        count = recompute(connection, council, as_of, targets)
        store.set_state(connection, MEASURES_BASIS, basis)
    return LoadResult(count, True, None if basis_changed else changed_years)


def periods_to_publish(
    council: Council, as_of: dt.date, result: LoadResult
) -> set[tuple[int, str]] | None:
    """The latest period of each cadence, and every period of the years whose figures (or
    whose following year's comparisons) changed; None means all of them."""
    if result.changed_years is None:
        return None
    latest = latest_quarter(as_of, council.settings.year_start_month)
    wanted: set[tuple[int, str]] = set()
    if latest is not None:
        fy, quarter = latest
        wanted.add((fy, f"Q{quarter}"))
        if quarter % 2 == 0:
            wanted.add((fy, f"H{quarter // 2}"))
        else:
            wanted.add((fy - 1, "H2") if quarter == 1 else (fy, "H1"))
    for fy in result.changed_years:
        wanted |= {(year, s) for year in (fy, fy + 1) for s in PERIODS_BY_SUFFIX}
    return wanted


def figures_as_at(connection: sa.Connection, as_of: dt.date) -> str:
    """The "data as at" the reports show: the as-of date of the run that last computed the
    measures (so a run that changed nothing leaves every report byte for byte as it was);
    ``as_of`` for a warehouse that has not recorded one."""
    stored = store.get_state(connection, FIGURES_AS_OF)
    return as_at_text(dt.date.fromisoformat(stored) if stored else as_of)


def run_totals(batch: Batch) -> dict[str, Any]:
    return {
        "rows_read": sum(f.rows_read for f in batch.files),
        "rows_loaded": sum(f.rows_loaded for f in batch.files),
        "rows_rejected": batch.frame("rejections").height,
        "files_skipped": sum(f.skipped for f in batch.files),
    }


def as_at_text(as_of: dt.date) -> str:
    return f"{as_of.day} {as_of:%B %Y} (figures for periods ended on or before this date)"


def site_inputs(
    connection: sa.Connection,
    council: Council,
    as_of: dt.date,
    periods: set[tuple[int, str]] | None = None,
) -> SiteInputs:
    """Everything the reports show, read back from the warehouse (for ``periods``' pages
    only the years they draw on, so a nightly run does not read every year's measures)."""
    tolerance = council.settings.tolerance
    years = None if periods is None else years_drawn_on(periods)
    observations = store.current_observations(
        connection, ["indicator_code", "fy", "fm", "commentary"], years=years
    )
    return SiteInputs(
        council=council.settings.name,
        as_at=figures_as_at(connection, as_of),
        default_tolerance=(tolerance.type, tolerance.value),
        boards=pl.DataFrame(
            [{"id": b.id, "name": b.name, "cadence": b.cadence} for b in council.settings.boards]
        ),
        board_services=council.boards,
        indicators=council.indicators,
        measures=store.read_table(connection, Measure, years=years),
        summaries=store.read_table(connection, BoardSummary),
        observations=observations,
        milestones=store.read_table(connection, Milestone),
        risks=store.read_table(connection, Risk),
        published=published_figures(
            [
                (r["board_id"], r["fy"], r["period_suffix"], r["snapshot"])
                for r in store.latest_snapshots(connection, final_only=True).iter_rows(named=True)
            ]
        ),
    )


def coverage(engine: sa.Engine, council: Council, as_of: dt.date) -> pl.DataFrame:
    """Each observations source's latest figures, against the latest quarter."""
    sources = pl.DataFrame(
        [
            {"id": s.id, "department": s.department}
            for s in council.settings.sources
            if s.kind == "observations"
        ],
        schema={"id": pl.String, "department": pl.String},
    )
    with engine.connect() as connection:
        observations = store.current_observations(connection, ["source_id", "fy", "fm"])
    return source_coverage(observations, sources, as_of, council.settings.year_start_month)


def publish(
    engine: sa.Engine,
    council: Council,
    out: Path,
    as_of: dt.date,
    periods: set[tuple[int, str]] | None = None,
    boards: list[str] | None = None,
    run_id: int | None = None,
    final: bool = False,
) -> list[dict[str, Any]]:
    """Render the board reports (all, or only ``periods`` / ``boards``) and the site files.

    With a ``run_id`` each report's snapshot is kept in the warehouse (``final`` marks the
    versions formally published to the committee).
    """
    known = {b.id for b in council.settings.boards}
    unknown = sorted(set(boards or []) - known)
    if unknown:
        raise ConfigError(council.folder / "council.yaml", f"no board '{unknown[0]}'")
    with engine.connect() as connection:
        inputs = site_inputs(connection, council, as_of, periods)
    pages = board_pages(inputs, periods, boards)
    written = write_site(pages, out, inputs.council, inputs.as_at)
    if run_id is not None:
        _keep_snapshots(engine, run_id, pages, written, final)
    return written


def publish_after_load(
    engine: sa.Engine,
    council: Council,
    out: Path,
    as_of: dt.date,
    loaded: LoadResult,
    run_id: int | None = None,
) -> list[dict[str, Any]]:
    """The nightly's reports: the latest periods and every year whose figures changed, or
    nothing when nothing was recomputed and ``out`` already holds the latest reports."""
    periods = periods_to_publish(council, as_of, loaded)
    with engine.connect() as connection:
        as_at = figures_as_at(connection, as_of)
    if not loaded.recomputed and already_published(out, periods or set(), as_at):
        return []
    return publish(engine, council, out, as_of, periods, None, run_id)


def _keep_snapshots(
    engine: sa.Engine,
    run_id: int,
    pages: list[BoardPage],
    written: list[dict[str, Any]],
    final: bool,
) -> None:
    snapshots = [
        {
            "board_id": p.board_id,
            "fy": p.fy,
            "period_suffix": p.suffix,
            "path": w["path"],
            "content_hash": w["sha256"],
            "snapshot": snapshot_of(p),
        }
        for p, w in zip(pages, written, strict=True)
    ]
    with engine.begin() as connection:
        store.record_snapshots(connection, run_id, snapshots, final)


def republish_as_published(
    engine: sa.Engine, council: Council, out: Path, board: str, fy: int, suffix: str
) -> list[dict[str, Any]]:
    """Re-render a report exactly as it was last formally published (byte for byte)."""
    with engine.connect() as connection:
        finals = store.latest_snapshots(connection, final_only=True).filter(
            (pl.col("board_id") == board)
            & (pl.col("fy") == fy)
            & (pl.col("period_suffix") == suffix)
        )
    if finals.is_empty():
        raise UsageError(f"{board} {fy_label(fy)} {suffix} has not been published as final")
    page = page_from_snapshot(finals["snapshot"][0])
    return write_site([page], out, page.council, page.as_at)
