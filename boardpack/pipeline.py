"""The steps of a run as plain functions: flows and the command line wire them together.

sources → schemas → transforms → warehouse → outputs. Nothing here imports Prefect.
"""

from __future__ import annotations

import datetime as dt
import hashlib
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
    board_pages,
    page_from_snapshot,
    published_figures,
    snapshot_of,
    write_site,
)
from schemas.observations import (
    REJECTION_COLUMNS,
    duplicates_across_files,
    rejection_frame,
    split_observations,
    whole_file_rejection,
)
from schemas.registers import split_register, split_targets
from sources.extracts import Extract, department_column, extracts
from transforms.coverage import latest_quarter, source_coverage
from transforms.measures import compute_measures
from transforms.periods import PERIODS_BY_SUFFIX, fy_label
from transforms.summary import board_summary
from warehouse import store
from warehouse.models import BoardSummary, Measure, Milestone, Risk

MEASURES_BASIS = "measures_basis"


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


@dataclass
class Batch:
    """Everything read from one source (or, merged, from all of them)."""

    files: list[FileResult] = field(default_factory=list)
    observations: list[pl.DataFrame] = field(default_factory=list)
    rejections: list[pl.DataFrame] = field(default_factory=list)
    registers: dict[str, list[pl.DataFrame]] = field(
        default_factory=lambda: {"milestones": [], "risks": [], "targets": []}
    )

    def frame(self, name: str) -> pl.DataFrame:
        """All the rows of one kind, from every file, as one frame."""
        frames = {"observations": self.observations, "rejections": self.rejections}
        parts = {**frames, **self.registers}[name]
        if not parts:
            return pl.DataFrame(schema=REJECTION_COLUMNS if name == "rejections" else None)
        return pl.concat(parts, how="diagonal_relaxed")


def check_extract(
    council: Council, extract: Extract, as_of: dt.date
) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    """Validate one extract: (accepted rows with lineage, rejections, rows read)."""
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
    lineage = [
        pl.lit(source.id).alias("source_id"),
        pl.lit(extract.file).alias("file"),
        pl.lit(extract.content_hash).alias("content_hash"),
    ]
    rejections = rejection_frame(rejected.with_columns(*lineage[:2])).with_columns(
        pl.Series(
            "column",
            [
                department_column(c, h, source)
                for c, h in zip(rejected["column"], rejected["header"], strict=True)
            ],
            dtype=pl.String,
        )
    )
    return accepted.with_columns(lineage), rejections, frame.height


def ingest_source(
    council: Council,
    source: Source,
    as_of: dt.date,
    skip_hashes: frozenset[tuple[str, str]] = frozenset(),
) -> Batch:
    """Read and validate every file of one source; files already loaded are skipped."""
    batch = Batch()
    for extract in extracts(council, source):
        result = FileResult(source.id, source.department, extract.file, extract.content_hash)
        batch.files.append(result)
        if extract.content_hash and (source.id, extract.content_hash) in skip_hashes:
            result.skipped = True
            continue
        accepted, rejections, read = check_extract(council, extract, as_of)
        result.rows_read = read
        batch.rejections.append(rejections)
        if source.kind == "observations":
            batch.observations.append(accepted)
        elif not accepted.is_empty():
            batch.registers[source.kind].append(accepted)
    return batch


def merge(batches: list[Batch]) -> Batch:
    """All sources of a run together; a figure sent in two files is rejected in both."""
    merged = Batch()
    for batch in batches:
        merged.files += batch.files
        merged.rejections += batch.rejections
        merged.observations += batch.observations
        for kind, frames in batch.registers.items():
            merged.registers[kind] += frames
    observations = merged.frame("observations")
    if not observations.is_empty():
        kept, clashing = duplicates_across_files(observations)
        merged.observations = [kept]
        if not clashing.is_empty():
            merged.rejections.append(rejection_frame(clashing))
    _count_outcomes(merged)
    return merged


def _count_outcomes(batch: Batch) -> None:
    loaded = _counts(batch.frame("observations"))
    for kind in batch.registers:
        loaded.update(_counts(batch.frame(kind)))
    rejected = _counts(batch.frame("rejections").filter(pl.col("row_number").is_not_null()))
    for result in batch.files:
        key = (result.source_id, result.file)
        result.rows_loaded = loaded.get(key, 0)
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
    changed_years = store.load_observations(connection, run_id, batch.frame("observations"))
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


def recompute(
    connection: sa.Connection,
    council: Council,
    as_of: dt.date,
    targets: pl.DataFrame | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Measures and board summaries from the current observations, stored in place."""
    observations = store.current_observations(
        connection, ["indicator_code", "fy", "fm", "value", "numerator", "denominator"]
    ).rename({"indicator_code": "code"})
    if targets is None:
        targets = store.current_targets(connection)
    measures = compute_measures(
        council.indicators, observations, targets, as_of, council.settings.year_start_month
    )
    summaries = board_summary(measures, council.indicators, council.boards)
    store.replace_measures(connection, measures, summaries)
    return measures, summaries


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
        measures, _ = recompute(connection, council, as_of, targets)
        store.set_state(connection, MEASURES_BASIS, basis)
    return LoadResult(measures.height, True, None if basis_changed else changed_years)


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


def run_totals(batch: Batch) -> dict[str, Any]:
    return {
        "rows_read": sum(f.rows_read for f in batch.files),
        "rows_loaded": sum(f.rows_loaded for f in batch.files),
        "rows_rejected": batch.frame("rejections").height,
        "files_skipped": sum(f.skipped for f in batch.files),
    }


def as_at_text(as_of: dt.date) -> str:
    return f"{as_of.day} {as_of:%B %Y} (figures for periods ended on or before this date)"


def site_inputs(connection: sa.Connection, council: Council, as_of: dt.date) -> SiteInputs:
    """Everything the reports show, read back from the warehouse."""
    tolerance = council.settings.tolerance
    observations = store.current_observations(
        connection, ["indicator_code", "fy", "fm", "commentary"]
    )
    return SiteInputs(
        council=council.settings.name,
        as_at=as_at_text(as_of),
        default_tolerance=(tolerance.type, tolerance.value),
        boards=pl.DataFrame(
            [{"id": b.id, "name": b.name, "cadence": b.cadence} for b in council.settings.boards]
        ),
        board_services=council.boards,
        indicators=council.indicators,
        measures=store.read_table(connection, Measure),
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
        inputs = site_inputs(connection, council, as_of)
    pages = board_pages(inputs, periods, boards)
    written = write_site(pages, out, inputs.council, inputs.as_at)
    if run_id is not None:
        _keep_snapshots(engine, run_id, pages, written, final)
    return written


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
