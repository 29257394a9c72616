"""The published site: a page and CSV per board and period, ``index.html``, ``manifest.json``."""

from __future__ import annotations

import dataclasses
import hashlib
import html
import io
import itertools
import json
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import polars as pl

from core.errors import UsageError
from core.files import (
    BackgroundWriter,
    FolderListing,
    Writer,
    remove_stale_temporaries,
    write_atomic,
)
from core.periods import PERIODS_BY_SUFFIX, fy_label, period_label_expr
from core.progress import counted
from outputs import registers
from outputs.benchmarking import (
    BENCHMARKING_CSS,
    benchmarking_body,
    page_benchmarks,
)
from outputs.board import BoardPage, html_document, indicator_rows, render_page
from outputs.charts import chart_path, render_charts
from outputs.documents import DocumentPlan, write_documents
from outputs.exceptions import exceptions_document, exceptions_path
from outputs.formatting import STATUS, format_figure, labelled, period_title, rounded
from outputs.pool import in_processes
from outputs.priorities import (
    PriorityPage,
    priority_document,
    priority_entry,
    priority_pages,
    priority_path,
)
from outputs.status import counts_in_words
from transforms.summary import board_measures

TREND_QUARTERS = 8
# Each cadence period's months and the quarter it ends in, to join against.
_PERIODS = pl.DataFrame(
    [
        {"period_suffix": s, "start_fm": p.start_fm, "end_fm": p.end_fm, "k": p.k}
        for s, p in PERIODS_BY_SUFFIX.items()
    ],
    schema={"period_suffix": pl.String, "start_fm": pl.Int32, "end_fm": pl.Int32, "k": pl.Int32},
)


@dataclass(frozen=True)
class SiteInputs:
    """The warehouse state a site is rendered from."""

    council: str
    as_at: str
    default_tolerance: tuple[str, float]  # (type, value)
    boards: pl.DataFrame  # id, name, cadence
    board_services: pl.DataFrame  # board_id, service, cadence
    indicators: pl.DataFrame
    measures: pl.DataFrame
    summaries: pl.DataFrame
    observations: pl.DataFrame  # current, with commentary: indicator_code, fy, fm, commentary
    milestones: pl.DataFrame
    risks: pl.DataFrame
    published: pl.DataFrame  # final reports' figures: board_id, fy, period_suffix, code, ytd_value
    benchmarks: pl.DataFrame = field(default_factory=pl.DataFrame)  # positions (SPEC §7)
    status_labels: dict[str, str] = field(default_factory=dict)  # the council's words
    status_definitions: dict[str, str] = field(default_factory=dict)  # and its sentences
    rating: str = "tolerance"
    # What members read (issue 24): the FY's first month, the figures' as-of date (ISO),
    # each service's narrative by quarter.
    year_start_month: int = 4
    figures_as_of: str = ""
    narrative: pl.DataFrame = field(default_factory=pl.DataFrame)


PUBLISHED_COLUMNS = {
    "board_id": pl.String,
    "fy": pl.Int32,
    "period_suffix": pl.String,
    "indicator_code": pl.String,
    "published_ytd": pl.Float64,
}
_FRAMES = ("indicators", "milestones", "risks", "restated", "benchmarks", "missing", "narrative")


def snapshot_of(page: BoardPage) -> str:
    """Everything a page showed, as text: re-rendering it gives the same bytes."""
    fields = {f.name: getattr(page, f.name) for f in dataclasses.fields(page)}
    frames = {name: fields.pop(name).serialize(format="json") for name in _FRAMES}
    return json.dumps({**fields, "frames": frames}, sort_keys=True, default=str)


def page_from_snapshot(snapshot: str) -> BoardPage:
    """The page a snapshot was kept of; a field or frame added since it was kept takes its
    default (empty frames, boardpack's words, ...)."""
    data = json.loads(snapshot)
    frames: dict[str, Any] = {
        name: pl.DataFrame.deserialize(io.StringIO(text), format="json")
        for name, text in data.pop("frames").items()
    }
    if "approval" in data:
        data["approval"] = tuple(data["approval"])
    return BoardPage(**data, **frames)


def published_figures(snapshots: list[tuple[str, int, str, str]]) -> pl.DataFrame:
    """The year-to-date figures that final reports showed: (board, fy, suffix, snapshot) in."""
    frames = [
        page_from_snapshot(text).indicators.select(
            pl.lit(board).alias("board_id"),
            pl.lit(fy, pl.Int32).alias("fy"),
            pl.lit(suffix).alias("period_suffix"),
            pl.col("code").alias("indicator_code"),
            pl.col("ytd_value").alias("published_ytd"),
        )
        for board, fy, suffix, text in snapshots
    ]
    return pl.concat(frames) if frames else pl.DataFrame(schema=PUBLISHED_COLUMNS)


PUBLISHED_KEY = ["board_id", "fy", "period_suffix", "indicator_code"]


def _restated(reported: pl.LazyFrame, published: pl.DataFrame) -> pl.DataFrame:
    """Published figures whose current value differs at the indicator's decimals (only the
    published rows of ``reported`` are read)."""
    return (
        published.lazy()
        .join(
            reported.select(*PUBLISHED_KEY, "ytd_value", "decimals", "unit", "unit_label"),
            on=PUBLISHED_KEY,
        )
        .with_columns(
            rounded("published_ytd").alias("_published"), rounded("ytd_value").alias("_now")
        )
        .filter(pl.col("_published").ne_missing(pl.col("_now")))
        .with_columns(
            period=period_label_expr(pl.col("fy"), pl.col("period_suffix")),
            end=pl.col("period_suffix").replace_strict(
                {s: p.end_fm for s, p in PERIODS_BY_SUFFIX.items()}, return_dtype=pl.Int32
            ),
        )
        .collect()
    )


def _figure_exactly(value: float, unit: str, decimals: int) -> str:
    """``value`` in its unit, with more places than the measure shows if it needs them."""
    places = next((d for d in range(decimals, 7) if abs(round(value, d) - value) < 1e-9), 6)
    return format_figure(value, unit, places)


def own_tolerances(indicators: pl.DataFrame, default: tuple[str, float]) -> dict[str, str]:
    """Each indicator whose tolerance differs from ``default``: its code and tolerance."""

    def describe(row: dict[str, Any]) -> str:
        if row["tolerance_type"] == "relative":
            return f"{row['tolerance'] * 100:g}% of the target"
        return _figure_exactly(row["tolerance"], row["unit"], row["decimals"])

    own = indicators.filter(
        (pl.col("tolerance_type") != default[0])
        | ((pl.col("tolerance") - default[1]).abs() > 1e-12)
    )
    return {row["code"]: describe(row) for row in own.iter_rows(named=True)}


def tolerance_note(
    indicators: pl.DataFrame,
    default: tuple[str, float],
    own: dict[str, str],
    rating: str = "tolerance",
) -> str:
    """The tolerance that applies, and those of ``indicators`` (a board's own) that differ
    (``own``: :func:`own_tolerances` of every indicator, worked out once for many pages)."""
    codes = sorted(set(indicators["code"]) & own.keys())
    default_text = (
        f"{default[1] * 100:g}% of the target"
        if default[0] == "relative"
        else f"{default[1]:g} (in the measure's unit)"
    )
    note = (
        "Amber means the figure misses its target by no more than the tolerance: "
        f"{default_text} unless stated. For measures with a target band, green is "
        "within one tolerance of the target and amber within two."
    )
    if rating == "forecast":  # amber says whether the year's target will be met instead
        note = (
            "For measures with a target band, green is within one tolerance of the target, "
            "and a year-end forecast within one tolerance of the year's target meets it: "
            f"{default_text} unless stated."
        )
    if codes:
        listed = ", ".join(f"{code}: {own[code]}" for code in codes)
        note += f" Measures with their own tolerance: {listed}."
    return note


def _by_board(
    frame: pl.DataFrame, board_services: pl.DataFrame, within: tuple[str, ...] = ("fy", "quarter")
) -> dict[tuple[Any, ...], pl.DataFrame]:
    """A frame's rows (milestones, risks, indicators) for each board's services, and
    ``within`` each board for each year and quarter, in the frame's order: split once,
    rather than the whole frame filtered for every page."""
    joined = (
        frame.with_row_index("_order")
        .join(board_services.select("board_id", "service").unique(), on="service")
        .sort("_order")
    )
    return {
        key: rows.select(frame.columns)
        for key, rows in joined.partition_by(["board_id", *within], as_dict=True).items()
    }


def _trends(
    reported: pl.DataFrame, measures: pl.DataFrame, indicators: pl.DataFrame
) -> pl.DataFrame:
    """Period values of the last eight quarters (years, for annual measures) up to each period."""
    # One query, so that no step's result (a history row per report row) is held whole.
    history = (
        measures.lazy()
        .join(
            indicators.lazy().select(pl.col("code").alias("indicator_code"), "frequency"),
            on="indicator_code",
        )
        .filter(
            ((pl.col("period_type") == "quarter") & (pl.col("frequency") != "annual"))
            | ((pl.col("period_type") == "year") & (pl.col("frequency") == "annual"))
        )
        .select(
            "indicator_code",
            (pl.col("fy") * 4 + pl.col("period_number").cast(pl.Int32).clip(1, 4)).alias("slot"),
            pl.col("period_value").alias("point"),
            "period",
            "ytd_value",
            "ytd_target",
            "rag",
        )
    )
    keys = (
        reported.lazy()
        .join(_PERIODS.lazy(), on="period_suffix")
        .select(
            "board_id",
            "indicator_code",
            "fy",
            "period_suffix",
            (pl.col("fy") * 4 + pl.col("k")).alias("end_slot"),
        )
    )
    trend = (
        keys.join(history, on="indicator_code")
        .filter(
            (pl.col("slot") <= pl.col("end_slot"))
            & (pl.col("slot") > pl.col("end_slot") - TREND_QUARTERS)
        )
        .sort("slot")
        .group_by("board_id", "indicator_code", "fy", "period_suffix")
        .agg(
            pl.col("point").alias("trend"),
            # The chart page: each period's year-to-date figure against its target.
            pl.col("period").alias("chart_periods"),
            pl.col("ytd_value").alias("chart_values"),
            pl.col("ytd_target").alias("chart_targets"),
            # An incomplete year to date is marked on the chart (SPEC §5).
            (pl.col("rag") == "incomplete").alias("chart_incomplete"),
        )
    )
    return (
        reported.lazy()
        .join(trend, on=["board_id", "indicator_code", "fy", "period_suffix"], how="left")
        .collect()
    )


def years_drawing_on(fy: int) -> range:
    """The financial years whose pages read year ``fy``'s figures: its own, the next (the
    same period last year) and those its figures reach in the eight-quarter trends."""
    return range(fy, fy + TREND_QUARTERS // 4 + 1)


def periods_drawing_on(fy: int, quarter: int) -> set[tuple[int, str]]:
    """The periods whose pages read the figures of quarter ``quarter`` of year ``fy``.

    Those figures are in that quarter's measures and in every year-to-date figure of the
    rest of the year (and so in the next year's "same period last year"); a page shows its
    own period's measures and, in its trends and charts, the eight quarters to its end. So:
    every period ending from that quarter to seven quarters after the year's end. A period
    ending before it does not include it."""
    first = fy * 4 + quarter - 1
    last = fy * 4 + 3 + TREND_QUARTERS - 1
    return {
        (year, suffix)
        for year in years_drawing_on(fy)
        for suffix, period in PERIODS_BY_SUFFIX.items()
        if first <= year * 4 + period.k - 1 <= last
    }


def years_drawn_on(periods: set[tuple[int, str]]) -> set[int]:
    """The financial years the pages of ``periods`` read: their own (figures, commentary,
    restatements this year) and those their eight-quarter trends reach back into."""
    return {y for fy, _ in periods for y in range(fy - TREND_QUARTERS // 4, fy + 1)}


def _commentary(reported: pl.DataFrame, observations: pl.DataFrame) -> pl.DataFrame:
    """The latest commentary a service gave within each period's own window."""
    notes = (
        reported.select("board_id", "indicator_code", "fy", "period_suffix")
        .join(_PERIODS, on="period_suffix")
        .join(
            observations.filter(pl.col("commentary").is_not_null()).select(
                "indicator_code", "fy", "fm", "commentary"
            ),
            on=["indicator_code", "fy"],
        )
        .filter(pl.col("fm").is_between(pl.col("start_fm"), pl.col("end_fm")))
        .sort("fm")
        .group_by("board_id", "indicator_code", "fy", "period_suffix")
        .agg(pl.col("commentary").last())
    )
    return reported.join(
        notes, on=["board_id", "indicator_code", "fy", "period_suffix"], how="left"
    )


def board_pages(
    inputs: SiteInputs,
    periods: set[tuple[int, str]] | None = None,
    boards: list[str] | None = None,
) -> list[BoardPage]:
    """A page for each board and cadence period in which any of its measures has data
    (only ``periods`` and ``boards``, when given)."""
    every_period = board_measures(inputs.measures.lazy(), inputs.indicators, inputs.board_services)
    worded = [c for c in ("unit_label", "owner", "priority") if c in inputs.indicators.columns]
    details = inputs.indicators.select(
        pl.col("code").alias("indicator_code"),
        "title",
        "unit",
        "decimals",
        "key",
        "frequency",
        *worded,
    )
    details = details.with_columns(
        pl.lit(None, dtype=pl.String).alias(c)
        for c in ("unit_label", "owner", "priority")
        if c not in worded
    )
    # Restatements compare earlier published periods with today's figures, so they are
    # found before the measures are cut down to the pages wanted.
    restated = _restated(
        every_period.join(
            details.lazy().select("indicator_code", "unit", "decimals", "unit_label"),
            on="indicator_code",
        ),
        inputs.published,
    )
    shown = every_period
    if periods is not None:
        wanted = pl.LazyFrame(
            list(periods), schema={"fy": pl.Int32, "period_suffix": pl.String}, orient="row"
        )
        shown = shown.join(wanted, on=["fy", "period_suffix"], how="semi")
    if boards is not None:
        shown = shown.filter(pl.col("board_id").is_in(boards))
    reported = _commentary(
        _trends(shown.collect(), inputs.measures, inputs.indicators), inputs.observations
    )
    with_data = (
        reported.group_by("board_id", "fy", "period_suffix")
        .agg((pl.col("months_present") > 0).any().alias("has_data"))
        .filter("has_data")
    )
    two_states = _two_states(inputs)
    red = inputs.status_labels.get("red", "red")
    names = dict(zip(inputs.boards["id"], inputs.boards["name"], strict=True))
    page_key = ["board_id", "fy", "period_suffix"]
    rows_by_page = (
        reported.join(details, on="indicator_code")
        .rename({"indicator_code": "code"})
        .partition_by(page_key, as_dict=True)
    )
    summaries = {
        (r["board_id"], r["fy"], r["period_suffix"]): r
        for r in inputs.summaries.iter_rows(named=True)
    }
    own = own_tolerances(inputs.indicators, inputs.default_tolerance)
    milestones = _by_board(inputs.milestones, inputs.board_services)
    risks = _by_board(
        registers.with_previous_scores(inputs.risks).filter(pl.col("rating") == "high"),
        inputs.board_services,
    )
    narrative = _by_board(
        inputs.narrative if not inputs.narrative.is_empty() else _NO_NARRATIVE,
        inputs.board_services,
    )
    services = {
        board: list(rows["service"])
        for (board,), rows in inputs.board_services.partition_by(
            "board_id", as_dict=True, maintain_order=True
        ).items()
    }
    restated_by_year = restated.partition_by(["board_id", "fy"], as_dict=True)
    # Each board's own indicators (those of its services), split once for all its pages.
    indicators_by_board = _by_board(inputs.indicators, inputs.board_services, within=())
    no_milestones, no_risks, no_restated, no_indicators = (
        f.clear() for f in (inputs.milestones, inputs.risks, restated, inputs.indicators)
    )
    pages = []
    for key in with_data.sort(page_key).iter_rows(named=True):
        board_id, fy, suffix = key["board_id"], key["fy"], key["period_suffix"]
        rows = rows_by_page[(board_id, fy, suffix)]
        summary = summaries[(board_id, fy, suffix)]
        in_scope = (board_id, fy, PERIODS_BY_SUFFIX[suffix].k)
        pages.append(
            BoardPage(
                council=inputs.council,
                board_id=board_id,
                board_name=names[board_id],
                fy=fy,
                suffix=suffix,
                as_at=inputs.as_at,
                tolerance_note=(
                    f"None: a figure that misses its target is {red}."
                    if two_states
                    else tolerance_note(rows, inputs.default_tolerance, own, inputs.rating)
                ),
                summary=summary,
                indicators=rows,
                milestones=milestones.get(in_scope, no_milestones),
                risks=risks.get(in_scope, no_risks),
                restated=_restated_on(restated_by_year.get((board_id, fy), no_restated), suffix),
                benchmarks=page_benchmarks(
                    inputs.benchmarks,
                    inputs.indicators,
                    rows["code"],
                    fy,
                    PERIODS_BY_SUFFIX[suffix].end_fm,
                ),
                status_labels=inputs.status_labels,
                two_states=two_states,
                status_definitions=inputs.status_definitions,
                rating=inputs.rating,
                year_start_month=inputs.year_start_month,
                figures_as_of=inputs.figures_as_of,
                missing=registers.missing_indicators(
                    indicators_by_board.get((board_id,), no_indicators), rows["code"], fy, suffix
                ),
                narrative=registers.narrative_rows(
                    narrative.get(in_scope, _NO_NARRATIVE), services[board_id]
                ),
            )
        )
    return pages


_NO_NARRATIVE = pl.DataFrame(
    schema={
        "service": pl.String,
        "fy": pl.Int64,
        "quarter": pl.Int64,
        "heading": pl.String,
        "text": pl.String,
        "row_number": pl.Int64,
    }
)


def _two_states(inputs: SiteInputs) -> bool:
    """Rated in two states: the council named no amber, and no tolerance allows one."""
    labels = inputs.status_labels
    tolerances = inputs.indicators["tolerance"]
    return bool(labels) and "amber" not in labels and bool((tolerances == 0).all())


def _restated_on(restated: pl.DataFrame, suffix: str) -> pl.DataFrame:
    """Restatements a page notes: of its board's final reports this year (``restated``),
    those up to this period."""
    if restated.is_empty():
        return _NONE_RESTATED  # most pages (no query a page)
    mine = restated.filter(pl.col("end") <= PERIODS_BY_SUFFIX[suffix].end_fm).sort(
        "period_suffix", "indicator_code"
    )
    texts = [
        (format_figure(p, u, d, w), format_figure(n, u, d, w))
        for p, n, u, d, w in zip(
            mine["_published"],
            mine["_now"],
            mine["unit"],
            mine["decimals"],
            mine["unit_label"],
            strict=True,
        )
    ]
    return pl.DataFrame(
        {
            "indicator_code": mine["indicator_code"],
            "period": mine["period"],
            "published": [t[0] for t in texts],
            "now": [t[1] for t in texts],
        },
        schema=_RESTATED_COLUMNS,
    )


_RESTATED_COLUMNS = dict.fromkeys(("indicator_code", "period", "published", "now"), pl.String)
_NONE_RESTATED = pl.DataFrame(schema=_RESTATED_COLUMNS)


def page_path(page: BoardPage) -> Path:
    """``2019-20/Q2/<board-id>.html`` (SPEC §5)."""
    return Path(fy_label(page.fy).replace("/", "-")) / page.suffix / f"{page.board_id}.html"


def benchmarking_path(page: BoardPage) -> Path:
    """``2019-20/Q2/<board>-benchmarking.html``: the board's benchmarking page (SPEC §7)."""
    path = page_path(page)
    return path.with_name(f"{path.stem}-benchmarking.html")


def benchmarking_document(page: BoardPage) -> str:
    title = f"{page.board_name} — benchmarking, {period_title(page.fy, page.suffix)}"
    body = benchmarking_body(page.council, page_path(page).name, page.benchmarks)
    return html_document(title, body, extra_css=BENCHMARKING_CSS)


def table_csv_path(page: BoardPage, table: str) -> Path:
    """``2019-20/Q2/<board>.csv`` for the indicators, ``<board>-summary.csv`` and so on."""
    path = page_path(page)
    return path.with_name(f"{path.stem}-{table}.csv" if table else f"{path.stem}.csv")


# Below this many pages a core, a worker's start-up (importing great-tables) costs more
# than it saves.
PAGES_PER_WORKER = 40


@dataclass(frozen=True)
class RenderedPage:
    """A page's HTML (and its hash, for the manifest), its tables' CSVs, its charts and
    exceptions pages and, when wanted, its documents: file-name endings (``.pdf``,
    ``.docx``, ``-exceptions.pdf``, …) to their bytes.

    The pages come as the UTF-8 that is written, encoded (and the report hashed) where they
    are rendered: text crossing the render pool's pipe is encoded and decoded again, then
    was encoded once more to be written and hashed, all in the run's own process, which a
    large board's 3 MB of pages kept busy."""

    document: bytes
    sha256: str
    csvs: dict[str, str]
    charts: bytes
    exceptions: bytes
    documents: dict[str, bytes] = field(default_factory=dict)


@dataclass(frozen=True)
class RenderedPriority:
    """A priority page's HTML and, when wanted, its Word and PDF copies."""

    document: str
    documents: dict[str, bytes] = field(default_factory=dict)


# What the render pool is given (a board's page or a priority's), and what it gives back.
Job = BoardPage | PriorityPage
Rendered = RenderedPage | RenderedPriority


def render_files(page: Job, documents: DocumentPlan | None = None) -> Rendered:
    if isinstance(page, PriorityPage):
        return _render_priority(page, documents)
    rows = indicator_rows(page)  # worked out once for the page, its exceptions and copies
    document, csvs = render_page(page, rows)
    encoded = document.encode("utf-8")
    files: dict[str, bytes] = {}
    if documents is not None and documents.covers(page):
        from outputs.documents import document_files

        files = document_files(page, documents, rows)
    return RenderedPage(
        document=encoded,
        sha256=hashlib.sha256(encoded).hexdigest(),
        csvs=csvs,
        charts=render_charts(page, page_path(page)).encode("utf-8"),
        # Built here, with the page, so that a big run's workers share it out (great-tables).
        exceptions=exceptions_document(page, rows).encode("utf-8"),
        documents=files,
    )


def _render_priority(page: PriorityPage, documents: DocumentPlan | None) -> RenderedPriority:
    document = priority_document(page)
    if documents is None or not documents.covers(page):
        return RenderedPriority(document)
    from outputs.documents import priority_files

    return RenderedPriority(document, priority_files(page))


def render_chunk(pages: list[Job], documents: DocumentPlan | None = None) -> list[Rendered]:
    """A few pages rendered together: what a cluster's worker is sent at a time."""
    return [render_files(page, documents) for page in pages]


ChunkRenderer = Callable[[list[Job]], list[Rendered]]
# Maps a renderer over chunks of pages somewhere else (a Dask cluster's workers), yielding
# each chunk's pages in order.
Mapper = Callable[[ChunkRenderer, Iterable[list[Job]]], Iterable[list[Rendered]]]
PAGES_PER_CHUNK = 20


def rendered(
    pages: list[Job], documents: DocumentPlan | None = None, mapper: Mapper | None = None
) -> Iterator[Rendered]:
    """Each page rendered, in order: by ``mapper`` when given; otherwise, great-tables
    building tables in pure Python, a big run spreads its pages over a process per core."""
    if mapper is not None:
        chunks = (pages[i : i + PAGES_PER_CHUNK] for i in range(0, len(pages), PAGES_PER_CHUNK))
        for chunk in mapper(partial(render_chunk, documents=documents), chunks):
            yield from chunk
        return
    # A page with its documents costs about as much as eight without.
    with_documents = sum(documents.covers(p) for p in pages) if documents else 0
    workers = min(os.cpu_count() or 1, (len(pages) + 7 * with_documents) // PAGES_PER_WORKER)
    yield from in_processes(partial(render_files, documents=documents), pages, workers)


def write_site(
    pages: list[BoardPage],
    out: Path,
    council: str,
    as_at: str,
    documents: DocumentPlan | None = None,
    mapper: Mapper | None = None,
    priorities: dict[str, str] | None = None,
) -> list[dict[str, Any]]:
    """Write the pages, their CSVs and (``documents``) their PDF and Word copies, then the
    manifest and index over every page published; with ``priorities`` (id: name; given
    when ``pages`` are every board's), a page per priority and period too.

    Entries already in ``manifest.json`` for other boards or periods are kept, so that a
    backfill or a single publish does not drop the rest of the site. Every file is replaced
    whole (:func:`core.files.write_atomic`).
    """
    out.mkdir(parents=True, exist_ok=True)
    kept = manifest_entries(out)  # before anything is written: a foreign manifest stops here
    remove_stale_temporaries(out)
    # Priority pages gather every board's rows; they are rendered with the boards' pages.
    themes = priority_pages(pages, priorities or {})
    results = rendered([*pages, *themes], documents, mapper)
    pairs = zip(pages, itertools.islice(results, len(pages)), strict=True)
    present = FolderListing()  # the copies there before, to remove those not made again
    with BackgroundWriter() as writer:  # every file written before the manifest
        written = _write_pages(pairs, len(pages), out, as_at, writer.write, present)
        themed = _write_priorities(zip(themes, results, strict=True), out, writer.write, present)
    entries = _merged(out, kept, written)
    listed = _merged_priorities(out, themed)
    manifest: dict[str, Any] = {"council": council, "reports": entries}
    if listed:
        manifest["priorities"] = listed
    write_atomic(out / MANIFEST, json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    returns = RETURNS_LINK if (out / RETURNS_LINK[0]).is_file() else None
    write_atomic(out / "index.html", index_html(entries, council, returns, listed))
    return written


def _write_pages(
    pairs: Iterable[tuple[BoardPage, Rendered]],
    count: int,
    out: Path,
    as_at: str,
    write: Writer,
    present: FolderListing,
) -> list[dict[str, Any]]:
    """Each board's page with its charts, exceptions, CSVs and documents; their manifest
    records."""
    written = []
    for page, files in counted(pairs, count, "Writing reports"):
        assert isinstance(files, RenderedPage)  # the pool gives each page's own back
        written.append(_write_page(page, files, out, as_at, write, present))
    return written


def _write_page(
    page: BoardPage,
    files: RenderedPage,
    out: Path,
    as_at: str,
    write: Writer,
    present: FolderListing,
) -> dict[str, Any]:
    """A board's page and the files beside it; its manifest record."""
    report = page_path(page)  # the others' paths are made from it
    (out / report).parent.mkdir(parents=True, exist_ok=True)
    write(out / report, files.document)
    write(out / chart_path(report), files.charts)
    tables = {name: table_csv_path(page, name) for name in files.csvs}
    for name, text in files.csvs.items():
        write(out / tables[name], text)
    entry = {
        "board_id": page.board_id,
        "board": page.board_name,
        "period": f"{fy_label(page.fy)} {page.suffix}",
        "title": period_title(page.fy, page.suffix),
        "path": report.as_posix(),
        "csv": tables[""].as_posix(),
        "tables": {name or "indicators": p.as_posix() for name, p in tables.items()},
        "sha256": files.sha256,
        "charts": chart_path(report).as_posix(),
        "summary": {key: page.summary.get(key) or 0 for key in SUMMARY_KEYS},
        "as_at": as_at,
        "data_as_at": page.data_as_at,
    }
    exceptions = exceptions_path(report)
    write(out / exceptions, files.exceptions)
    entry["exceptions"] = exceptions.as_posix()
    if not page.benchmarks.is_empty():
        write(out / benchmarking_path(page), benchmarking_document(page))
        entry["benchmarking"] = benchmarking_path(page).as_posix()
    entry |= write_documents(out, report, files.documents, write, present)
    return entry


# The returns register's page (outputs/returns.py), when the council sets due dates.
RETURNS_LINK = ("returns.html", "Returns register: what each department owes, and when")


def _write_priorities(
    pairs: Iterable[tuple[PriorityPage, Rendered]],
    out: Path,
    write: Writer,
    present: FolderListing,
) -> list[dict[str, Any]]:
    """Each priority page, with its documents; their manifest records."""
    written = []
    for page, files in pairs:
        assert isinstance(files, RenderedPriority)
        path = priority_path(page)
        (out / path).parent.mkdir(parents=True, exist_ok=True)
        write(out / path, files.document)
        documents = write_documents(out, path, files.documents, write, present)
        written.append(priority_entry(page) | documents)
    return written


def _merged_priorities(out: Path, written: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The priority pages already listed (still there) with those just written."""
    kept: list[dict[str, Any]] = []
    if (out / MANIFEST).exists():
        listed = json.loads((out / MANIFEST).read_text(encoding="utf-8")).get("priorities", [])
        kept = [e for e in listed if isinstance(e, dict) and (out / str(e.get("path"))).exists()]
    by_path = {e["path"]: e for e in kept}
    by_path.update({e["path"]: e for e in written})
    return sorted(by_path.values(), key=lambda e: (e["name"], e["path"]))


MANIFEST = "manifest.json"
_ENTRY_KEYS = frozenset({"board", "period", "title", "path", "csv", "as_at"})


def manifest_entries(out: Path) -> list[dict[str, Any]]:
    """The reports ``out``'s manifest lists (none when it has no manifest).

    A ``manifest.json`` that is not boardpack's is refused, not overwritten: it may be
    another tool's file in a folder ``--out`` named by mistake (docs/decisions.md)."""
    manifest = out / MANIFEST
    if not manifest.exists():
        return []
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise _foreign(manifest, "it is not JSON") from None
    reports = data.get("reports") if isinstance(data, dict) else None
    if not isinstance(reports, list):
        raise _foreign(manifest, "it has no list of 'reports'")
    if not all(isinstance(e, dict) and e.keys() >= _ENTRY_KEYS for e in reports):
        raise _foreign(manifest, "its 'reports' are not boardpack's")
    return reports


def _foreign(manifest: Path, why: str) -> UsageError:
    return UsageError(
        f"{manifest}: not a boardpack manifest ({why}); "
        "publish to another --out folder or move the file away"
    )


def already_published(
    out: Path,
    periods: set[tuple[int, str]],
    as_at: str,
    documents: set[tuple[int, str]] | None = None,
) -> bool:
    """Whether ``out``'s manifest lists reports of ``periods``, all showing ``as_at``, with
    their files all there (a new or cleared folder gets its reports), and the documents of
    those of ``documents`` (a council that has just turned documents on gets them)."""
    labels = {f"{fy_label(fy)} {suffix}" for fy, suffix in periods}
    with_documents = {f"{fy_label(fy)} {suffix}" for fy, suffix in documents or set()}
    listed = [e for e in manifest_entries(out) if e["period"] in labels]
    return bool(listed) and all(
        e["as_at"] == as_at
        and (out / e["path"]).exists()
        and (e["period"] not in with_documents or "pdf" in e)
        for e in listed
    )


def _merged(
    out: Path, kept: list[dict[str, Any]], written: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    by_path = {e["path"]: e for e in kept if (out / e["path"]).exists()}
    by_path.update({e["path"]: e for e in written})
    return sorted(by_path.values(), key=lambda e: (e["board"], e["path"]))


# A publish lists the pages it is about to write here first and removes them once the
# manifest lists them, so the next run completes a publish that was killed (SPEC §5).
PENDING = ".boardpack-publishing.json"
PageKey = tuple[str, int, str]  # board_id, fy, period suffix


def pending_pages(out: Path) -> set[PageKey]:
    """Pages an interrupted publish into ``out`` had still to finish."""
    marker = out / PENDING
    if not marker.exists():
        return set()
    try:
        return {(b, int(fy), s) for b, fy, s in json.loads(marker.read_text(encoding="utf-8"))}
    except (ValueError, TypeError):  # written whole, so only an edit by hand gets here
        raise UsageError(f"{marker}: not a list of pages being published; remove it") from None


def mark_pending(out: Path, pages: set[PageKey]) -> None:
    """Record ``pages`` (with any still pending) as being published."""
    out.mkdir(parents=True, exist_ok=True)
    _write_pending(out, pending_pages(out) | pages)


def clear_pending(out: Path, pages: set[PageKey]) -> None:
    """``pages`` are published: only those still pending from elsewhere stay recorded."""
    left = pending_pages(out) - pages
    if left:
        _write_pending(out, left)
    else:
        (out / PENDING).unlink(missing_ok=True)


def _write_pending(out: Path, pages: set[PageKey]) -> None:
    write_atomic(out / PENDING, json.dumps(sorted(pages)) + "\n")


def page_key(page: BoardPage) -> PageKey:
    return (page.board_id, page.fy, page.suffix)


SUMMARY_KEYS = ("green", "amber", "red", "no_target", "no_data", "incomplete")
# The bar beside the words: strong colours, each segment parted by a white line.
GLANCE_COLOURS = {
    "green": "#2e7d32",
    "amber": "#f2a900",
    "red": "#c62828",
    "no_target": "#9e9e9e",
    "no_data": "#ffffff",
    # Hatched grey: a part-year total is no status at all, never green, amber or red.
    "incomplete": "repeating-linear-gradient(45deg, #ffffff 0 3px, #9e9e9e 3px 6px)",
}
INDEX_CSS = """
.glance { display: flex; height: 1.1rem; max-width: 30rem; border: 1px solid #595959; }
.glance span { display: block; height: 100%; border-right: 2px solid #fff; }
/* Lists of report links: each link at least 24 px from the next (WCAG 2.2 target size). */
ul li { padding: 4px 0; }
"""


def glance(entry: dict[str, Any]) -> str:
    """A board's latest summary: the counts in words and, for the eye, a bar of them."""
    counts = entry.get("summary")
    if not counts:  # listed by a version of boardpack that did not record it
        return ""
    total = sum(counts.values()) or 1
    words = counts_in_words(counts, {key: labelled(STATUS, key)[2:] for key in SUMMARY_KEYS})
    bar = "".join(
        f'<span style="width: {100 * counts[key] / total:.1f}%; '
        f'background: {GLANCE_COLOURS[key]}"></span>'
        for key in SUMMARY_KEYS
        if counts.get(key)
    )
    latest = f'<a href="{html.escape(entry["path"])}">{html.escape(entry["title"])}</a>'
    return (
        f"<p>Latest: {latest}: {html.escape(words)}.</p>"
        f'<div class="glance" aria-hidden="true">{bar}</div>'
    )


def index_html(
    entries: list[dict[str, Any]],
    council: str,
    returns: tuple[str, str] | None = None,
    priorities: list[dict[str, Any]] | None = None,
) -> str:
    by_board: dict[str, list[dict[str, Any]]] = {}
    for entry in entries:
        by_board.setdefault(entry["board"], []).append(entry)
    sections = []
    for name, listed in sorted(by_board.items()):
        newest = sorted(listed, key=lambda e: e["path"], reverse=True)
        items = "".join(
            f'<li><a href="{html.escape(e["path"])}">{html.escape(e["title"])}</a> '
            f"(data as at {html.escape(e.get('data_as_at', e['as_at']))}; "
            f"{_exceptions_link(e)}"
            f'<a href="{html.escape(e["csv"])}">CSV</a>)</li>'
            for e in newest
        )
        sections.append(
            f"<section><h2>{html.escape(name)}</h2>{glance(newest[0])}<ul>{items}</ul></section>"
        )
    if returns is not None:
        href, words = (html.escape(part) for part in returns)
        sections.append(f'<p class="nav"><a href="{href}">{words}</a></p>')
    if priorities:
        by_theme: dict[str, list[dict[str, Any]]] = {}
        for theme in priorities:
            by_theme.setdefault(theme["name"], []).append(theme)
        themes_listed = "".join(
            f"<h3>{html.escape(name)}</h3><ul>"
            + "".join(
                f'<li><a href="{html.escape(t["path"])}">'
                f"{html.escape(t.get('label', t['title']))}</a></li>"
                for t in sorted(themes, key=lambda t: t["path"], reverse=True)
            )
            + "</ul>"
            for name, themes in by_theme.items()
        )
        sections.append(
            '<section aria-labelledby="priorities"><h2 id="priorities">Council priorities'
            f"</h2>{themes_listed}</section>"
        )
    return html_document(
        f"{council}: board performance reports", "\n".join(sections), extra_css=INDEX_CSS
    )


def _exceptions_link(entry: dict[str, Any]) -> str:
    if "exceptions" not in entry:  # listed by a version of boardpack without them
        return ""
    return f'<a href="{html.escape(entry["exceptions"])}">exceptions</a>; '
