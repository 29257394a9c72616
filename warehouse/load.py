"""Loading a run into the warehouse and recomputing the measures from what it holds."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial

import polars as pl
import sqlalchemy as sa

from core.settings import Council
from schemas.ingest import Batch
from transforms.coverage import finest_frequencies, latest_quarter, source_coverage
from transforms.measures import compute_measures, empty_measures
from transforms.summary import rag_counts, summary_of_counts
from warehouse import benchmarks, store
from warehouse.bulk import Inserts
from warehouse.figures import FirstLoad, first_load
from warehouse.models import Measure, Milestone, Narrative, Observation, Risk

MEASURES_BASIS = "measures_basis"
# Raised when the rules of SPEC §3 change, so that a warehouse's stored measures are
# recomputed by the next run (2: incomplete part-year totals, forecasts; issue 23).
RULES_VERSION = 2
# The as-of date of the run that last computed the measures: the reports' "data as at".
FIGURES_AS_OF = "figures_as_of"
# The latest quarter the stored measures run to ("2026 2": 2026/27 Q2).
MEASURES_QUARTER = "measures_quarter"
# The first financial year the stored measures start at (the first with a figure then):
# kept, so that a run need not scan every figure for it.
MEASURES_FIRST_FY = "measures_first_fy"
# How many measures are stored, kept as they are stored: counting them reads the whole
# table (4 s of a nightly with nothing new at 10^7, on a cold disk cache).
MEASURES_STORED = "measures_stored"


def store_batch(
    connection: sa.Connection,
    run_id: int,
    council: Council,
    batch: Batch,
    first: FirstLoad | None = None,
) -> pl.DataFrame:
    """Load one run's accepted rows, rejections and file records (the figures stored kept
    by ``first`` too, when given).

    Returns the indicators and months that gained new or restated figures
    (:data:`warehouse.store.CHANGED_SCHEMA`).
    """
    store.replace_catalogue(
        connection,
        council.indicators,
        [{"id": b.id, "name": b.name, "cadence": b.cadence} for b in council.settings.boards],
        council.boards,
        council.targets,
    )
    keep = None if first is None else first.keep
    files = batch.accepted_observations()
    with store.indexed_after(connection, Observation, first is not None):
        changed = store.load_observations(connection, run_id, files, keep, first is not None)
    store.record_rejections(connection, run_id, batch.frame("rejections"))
    benchmarks.load_values(connection, run_id, batch.frame("benchmarks"))
    targets = batch.frame("targets")
    if not targets.is_empty():
        store.load_targets(connection, targets)
    for kind, model in (("milestones", Milestone), ("risks", Risk), ("narrative", Narrative)):
        store.replace_register(connection, model, run_id, batch.frame(kind))
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
                "reading": f.reading,
            }
            for f in batch.files
            if f.content_hash and not f.skipped
        ],
    )
    return changed


# Indicators computed together: about half a million monthly figures at a time.
INDICATORS_PER_SLICE = 4_000
MEASURE_INPUTS = ["indicator_code", "fy", "fm", "value", "numerator", "denominator", "forecast"]


def indicator_slices(indicators: pl.DataFrame) -> list[pl.DataFrame]:
    """``indicators`` in the slices whose measures are computed together, in code order."""
    return list(indicators.sort("code").iter_slices(INDICATORS_PER_SLICE))


def recompute(
    connection: sa.Connection,
    council: Council,
    as_of: dt.date,
    targets: pl.DataFrame | None = None,
    first: FirstLoad | None = None,
) -> int:
    """Measures and board summaries from the current observations, stored in place (read
    from ``first`` when this transaction's load was the warehouse's first: the same
    figures).

    A slice of indicators at a time (a measure depends only on its own indicator's
    figures), so memory follows the slice rather than the warehouse. Returns the number
    of measures stored.
    """
    if targets is None:
        targets = store.current_targets(connection)
    first_fy = store.first_observed_year(connection)
    benchmarks.refresh_results(connection, council)
    store.clear_measures(connection)
    store.set_state(connection, MEASURES_STORED, "0")
    store.set_state(connection, FIGURES_AS_OF, as_of.isoformat())
    _remember_quarter(connection, latest_quarter(as_of, council.settings.year_start_month))
    if first_fy is None:
        store.forget_state(connection, MEASURES_FIRST_FY)
        return 0
    store.set_state(connection, MEASURES_FIRST_FY, str(first_fy))
    counts = []  # each slice's RAG counts by board and period, for the summaries
    stored = 0
    for measures, _ in _stored_slices(
        connection, council, as_of, targets, council.indicators, first_fy, first=first
    ):
        counts.append(rag_counts(measures, council.indicators, council.boards))
        stored += measures.height
    store.set_state(connection, MEASURES_STORED, str(stored))
    if not counts:
        counts.append(rag_counts(empty_measures(), council.indicators, council.boards))
    store.insert_summaries(connection, summary_of_counts(pl.concat(counts)))
    return stored


def recompute_changed(
    connection: sa.Connection,
    council: Council,
    as_of: dt.date,
    targets: pl.DataFrame,
    changed: pl.DataFrame,
) -> int:
    """Only the measures that the figures ``changed`` (indicator, financial year, month)
    can change, stored in place of the old: those indicators' measures in those years and the
    next (whose previous-year comparisons and direction of travel they feed), and those
    years' board summaries. Every other measure stands as it was; the rows are those
    :func:`recompute` would store (a measure of a year depends only on its indicator's
    figures of that year and the one before, its targets and the periods to ``as_of``).

    Only for a warehouse whose measures were computed on the same basis (configuration,
    targets, benchmarks) and first year, to the same latest quarter (see :func:`_extended`
    for quarters ended since). Returns the measures stored.
    """
    first_fy = _stored_first_year(connection)
    store.set_state(connection, FIGURES_AS_OF, as_of.isoformat())
    if first_fy is None or changed.is_empty():
        return 0
    before = _measure_count(connection)
    years = sorted({int(fy) + step for fy in changed["fy"].unique() for step in (0, 1)})
    codes = changed["indicator_code"].unique().implode()
    indicators = council.indicators.filter(pl.col("code").is_in(codes))
    parts = _stored_slices(connection, council, as_of, targets, indicators, first_fy, years)
    # Counts of separate sets of indicators add up: those computed again are counted as they
    # are stored, and the rest read back (none, when a month arrives for every indicator).
    # When most measures stand as they were, those years' are read back whole instead.
    others = council.indicators.filter(~pl.col("code").is_in(codes))["code"].sort().to_list()
    whole = len(others) > indicators.height
    counts = []
    stored = removed = 0
    for measures, deleted in parts:
        if not whole:
            counts.append(rag_counts(measures, council.indicators, council.boards))
        stored += measures.height
        removed += deleted
    store.set_state(connection, MEASURES_STORED, str(before - removed + stored))
    if whole:  # those years' measures, the new among them
        standing = [store.read_table(connection, Measure, years=years, columns=_COUNTED)]
    else:
        standing = store.measures_of(connection, others, years, _COUNTED)
    counts += [rag_counts(frame, council.indicators, council.boards) for frame in standing]
    if not counts:
        counts.append(rag_counts(empty_measures(), council.indicators, council.boards))
    summaries = summary_of_counts(pl.concat(counts, how="vertical_relaxed"))
    store.replace_summaries(connection, years, summaries)
    return stored


_COUNTED = ["indicator_code", "fy", "period_suffix", "rag"]  # what a board summary counts


def _stored_slices(
    connection: sa.Connection,
    council: Council,
    as_of: dt.date,
    targets: pl.DataFrame,
    indicators: pl.DataFrame,
    first_fy: int,
    years: list[int] | None = None,
    first: FirstLoad | None = None,
) -> Iterator[tuple[pl.DataFrame, int]]:
    """The measures of ``indicators``, a slice of indicators at a time (a measure depends
    only on its own indicator's figures, so memory follows the slice, not the warehouse),
    each slice stored as it is computed: every year from ``first_fy``, or only ``years``
    (sorted) in place of those stored, computed from the figures of the year before the first
    of them on (a measure reads its own year's figures and the previous year's). Every
    year's figures of a slice that ``first`` kept are read from it. Each slice's measures
    come with how many stored ones they replaced."""
    start = first_fy if years is None else max(first_fy, years[0] - 1)
    read = None if years is None else range(start, years[-1] + 1)
    with Inserts(connection) as inserts:
        for part in indicator_slices(indicators):
            codes = part["code"].to_list()
            deleted = 0 if years is None else store.delete_measures(connection, codes, years)
            kept = None if first is None or years is not None else first.figures_of(codes)
            if kept is not None:
                observations = kept
            else:
                with store.through_the_index(connection):  # a slice, not the whole table
                    observations = store.current_observations(
                        connection, MEASURE_INPUTS, codes, read
                    )
            observations = observations.rename({"indicator_code": "code"})
            measures = compute_measures(
                part,
                observations,
                targets.filter(pl.col("code").is_in(codes)),
                as_of,
                council.settings.year_start_month,
                start,
                council.settings.rating,
            )
            if years is not None:
                measures = measures.filter(pl.col("fy").is_in(years))
            store.insert_measures(inserts, measures)
            yield measures, deleted


def _digest(frame: pl.DataFrame) -> str:
    """A fingerprint of derived figures the reports show besides the measures."""
    return hashlib.sha256(frame.write_csv().encode()).hexdigest()[:16]


@dataclass(frozen=True)
class LoadResult:
    """What a load changed: the measures stored, and which years need republishing."""

    measures: int  # in the warehouse after the load
    recomputed: bool
    changed_years: set[int] | None  # None: everything (the configuration or periods changed)
    # The financial quarters (fy, 1..4) whose figures changed, when known: the pages to
    # republish are those that draw on them (outputs.publish.periods_to_publish).
    changed_quarters: frozenset[tuple[int, int]] | None = None


def _remember_quarter(connection: sa.Connection, quarter: tuple[int, int] | None) -> None:
    if quarter is None:
        store.forget_state(connection, MEASURES_QUARTER)
    else:
        store.set_state(connection, MEASURES_QUARTER, f"{quarter[0]} {quarter[1]}")


def _stored_first_year(connection: sa.Connection) -> int | None:
    stored = store.get_state(connection, MEASURES_FIRST_FY)
    return None if stored is None else int(stored)


def _stored_quarter(connection: sa.Connection) -> tuple[int, int] | None:
    stored = store.get_state(connection, MEASURES_QUARTER)
    if stored is None:
        return None
    fy, quarter = stored.split()
    return int(fy), int(quarter)


def quarters_ended_since(
    stored: tuple[int, int] | None, latest: tuple[int, int] | None
) -> list[tuple[int, int]] | None:
    """The quarters that have ended since the stored measures' latest quarter, up to
    ``latest`` (none when it is the same); None when the measures cannot simply be extended
    to it (nothing stored, or an earlier as-of date: a grid to shrink, not grow)."""
    if stored == latest:
        return []
    if stored is None or latest is None:
        return None
    first, last = stored[0] * 4 + stored[1], latest[0] * 4 + latest[1]
    if last < first:
        return None
    return [(slot // 4, slot % 4 + 1) for slot in range(first, last)]


def measures_basis(council: Council, targets: pl.DataFrame) -> str:
    """A fingerprint of everything the measures depend on besides the observations and the
    as-of date's latest quarter (:data:`MEASURES_QUARTER`)."""
    ysm = council.settings.year_start_month
    digest = hashlib.sha256()
    digest.update(council.indicators.write_csv().encode())
    digest.update(targets.sort("code", "fy", "period").write_csv().encode())
    digest.update(council.boards.sort("board_id", "service").write_csv().encode())
    # The rating and the rules' version: stored measures rated otherwise are recomputed.
    rules = (council.settings.rating, RULES_VERSION)
    digest.update(repr((ysm, rules)).encode())
    return digest.hexdigest()


def load_and_compute(
    engine: sa.Engine, run_id: int, council: Council, batch: Batch, as_of: dt.date
) -> LoadResult:
    """Load a run and recompute its measures in one transaction: all of it lands, or none.

    When no figure changed, no quarter has ended since and nothing else the measures depend
    on changed, the stored measures stand. When only figures changed or quarters ended (the
    basis and the first year as before), only the measures they can change are computed
    again (:func:`recompute_changed`); otherwise every measure is.
    """
    with (
        engine.begin() as connection,
        first_load(connection, partial(_slice_codes, council), MEASURE_INPUTS) as first,
    ):
        changed = store_batch(connection, run_id, council, batch, first)
        targets = store.current_targets(connection)
        positions = benchmarks.refresh_results(connection, council)
        basis = measures_basis(council, targets) + _digest(positions)
        basis_changed = store.get_state(connection, MEASURES_BASIS) != basis
        store.remember_what_sources_sent(connection, None if first is None else first.distinct)
        latest = latest_quarter(as_of, council.settings.year_start_month)
        ended = quarters_ended_since(_stored_quarter(connection), latest)
        if changed.is_empty() and not basis_changed and ended == []:
            return LoadResult(_measure_count(connection), False, set())
        # Figures are never removed: the first year moves only to a changed figure's earlier one.
        first_fy = _stored_first_year(connection)
        earliest = min(changed["fy"].to_list(), default=first_fy)
        same_first = first_fy is not None and earliest is not None and earliest >= first_fy
        if not basis_changed and same_first and ended is not None:
            return _extended(connection, council, as_of, targets, changed, ended)
        count = recompute(connection, council, as_of, targets, first)
        store.set_state(connection, MEASURES_BASIS, basis)
    # A new basis, or an as-of date before the stored measures' (periods gone): everything.
    everything = basis_changed or ended is None
    return LoadResult(count, True, None if everything else _years(changed))


def _slice_codes(council: Council) -> list[list[str]]:
    return [part["code"].to_list() for part in indicator_slices(council.indicators)]


def _extended(
    connection: sa.Connection,
    council: Council,
    as_of: dt.date,
    targets: pl.DataFrame,
    changed: pl.DataFrame,
    ended: list[tuple[int, int]],
) -> LoadResult:
    """The measures the changed figures and the quarters ``ended`` since the last compute
    can change, computed again: a quarter that has ended adds its periods to every
    indicator of its year."""
    if ended:
        every = council.indicators.select(pl.col("code").alias("indicator_code"))
        quarters = pl.DataFrame(ended, schema={"fy": pl.Int32, "quarter": pl.Int32}, orient="row")
        grown = every.join(quarters, how="cross").select(
            "indicator_code", "fy", fm=pl.col("quarter") * 3
        )
        changed = pl.concat([changed, grown.cast(store.CHANGED_SCHEMA)]).unique()
        _remember_quarter(connection, ended[-1])
    recompute_changed(connection, council, as_of, targets, changed)
    quarters = changed.select("fy", quarter=(pl.col("fm") - 1) // 3 + 1).unique()
    return LoadResult(
        _measure_count(connection),
        True,
        _years(changed),
        changed_quarters=frozenset(quarters.iter_rows()),
    )


def _years(changed: pl.DataFrame) -> set[int]:
    """The financial years of the figures ``changed``."""
    return set(changed["fy"].unique().to_list())


def _measure_count(connection: sa.Connection) -> int:
    """How many measures are stored: as kept, or counted (a warehouse from before)."""
    kept = store.get_state(connection, MEASURES_STORED)
    if kept is not None:
        return int(kept)
    count = connection.execute(sa.select(sa.func.count()).select_from(Measure)).scalar()
    return int(count or 0)


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
        months = store.source_months(connection)
        sent = store.source_indicators(connection)
    frequencies = finest_frequencies(sent, council.indicators)
    ysm = council.settings.year_start_month
    return source_coverage(months, sources, as_of, ysm, frequencies)
