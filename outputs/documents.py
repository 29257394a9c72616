"""A board report as committee documents (SPEC §5): a Word copy (outputs.word) and a tagged
PDF (outputs.pdf) beside each page, and, when asked, a committee pack with an appendix per
service.

Both formats are drawn from one description of the document built here (its sections, each
with paragraphs and a table whose columns say what they hold), so that Word and PDF always
have the same sections, the same columns and the same widths. Each is stamped with the
figures' as-at date, never the clock, so the same warehouse state gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import string
from collections.abc import Container, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import polars as pl

from core.files import Writer, write_atomic
from core.settings import Council
from outputs.benchmarking import report_rows
from outputs.board import (
    BoardPage,
    milestone_rows,
    notes_items,
    page_summary_sentence,
    risk_rows,
    summary_rags,
    summary_rows,
    summary_sentence,
)
from outputs.exceptions import (
    EXCEPTION_SECTIONS,
    EXCEPTIONS_INTRO,
    exception_indicators,
    exception_milestones,
    exception_risks,
    exceptions_counts,
    exceptions_title,
)
from outputs.formatting import period_title
from outputs.priorities import NO_PRIORITY_INDICATORS, NO_PRIORITY_MILESTONES, PriorityPage

# What a column holds decides how it is laid out: codes, figures, statuses and short labels
# (direction, progress) are never broken across lines; text wraps; a sparkline is drawn
# (PDF only: Word stays free of images).
Kind = Literal["code", "figure", "status", "label", "text", "sparkline"]
UNBROKEN = ("code", "figure", "status", "label")

# A4 landscape less 2 cm margins each side, in millimetres.
PAGE_WIDTH_MM = 257.0
# The tables' type: 8.5 pt Arial. A character is about 0.6 em wide (digits 0.556 em).
FONT_PT = 8.5
_MM_PER_CHAR = FONT_PT * 0.62 * 25.4 / 72
_CELL_PADDING_MM = 4.5  # Word's default cell margins, 1.9 mm each side, and a little more
SPARKLINE_MM = 24.0


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: Kind = "text"
    weight: float = 1.0  # a text column's share of the width left after the fixed columns
    align: Literal["left", "right"] = "left"


@dataclass(frozen=True)
class Table:
    """A table as both formats print it: a repeated header row, rows that never split, a
    full-width row naming the service before its rows (``group``), status cells coloured by
    the row's ``rag``."""

    caption: str
    columns: tuple[Column, ...]
    rows: list[dict[str, Any]]
    group: str | None = None  # the column whose change starts a group row
    widths_mm: tuple[float, ...] = ()

    def group_of(self, row: dict[str, Any]) -> str | None:
        return None if self.group is None else str(row[self.group])


@dataclass(frozen=True)
class Section:
    heading: str
    anchor: str
    paragraphs: tuple[str, ...] = ()
    table: Table | None = None
    empty: str = ""  # said instead of the table when it has no rows
    notes: tuple[tuple[str, str], ...] = ()  # a definition list (the notes)
    new_page: bool = False  # an appendix starts on a page of its own
    level: int = 1  # 2: a section within an appendix


@dataclass(frozen=True)
class Document:
    title: str
    council: str
    running_header: str  # council, board and period, on every page
    sections: tuple[Section, ...]
    created: dt.datetime
    identifier: str  # the PDF's /ID: the same document gives the same bytes


@dataclass(frozen=True)
class DocumentPlan:
    """Which pages get documents and in what form (from ``documents:`` in council.yaml).

    ``periods`` None: every page published; otherwise only pages of these periods (the
    nightly's latest, unless the council asks for all)."""

    appendix_by_service: bool = False
    services: tuple[tuple[str, tuple[str, ...]], ...] = ()  # each board's, in its order
    periods: frozenset[tuple[int, str]] | None = None

    def covers(self, page: BoardPage | PriorityPage) -> bool:
        return self.periods is None or (page.fy, page.suffix) in self.periods

    def board_services(self, page: BoardPage) -> list[str]:
        """The board's services in council.yaml's order, then any others the page shows."""
        listed = list(dict(self.services).get(page.board_id, ()))
        shown = page.indicators["service"].unique(maintain_order=True).to_list()
        return listed + sorted(set(shown) - set(listed))


def document_plan(
    council: Council, periods: Iterable[tuple[int, str]] | None = None
) -> DocumentPlan | None:
    """The council's documents (None when it has none), for ``periods`` only when given."""
    options = council.settings.documents
    if options is None:
        return None
    return DocumentPlan(
        appendix_by_service=options.appendix_by_service,
        services=tuple((b.id, tuple(b.services)) for b in council.settings.boards),
        periods=None if periods is None else frozenset(periods),
    )


def as_at_date(page: BoardPage | PriorityPage) -> dt.datetime:
    """The figures' as-at date ("30 September 2026 (figures …)") as midnight UTC."""
    day = dt.datetime.strptime(page.as_at.split(" (")[0], "%d %B %Y")
    return day.replace(tzinfo=dt.UTC)


INDICATOR_COLUMNS = (
    Column("code", "Code", "code"),
    Column("title", "Measure", weight=1.0),
    Column("previous", "Same period last year", "figure", align="right"),
    Column("target", "Target to date", "figure", align="right"),
    Column("actual", "Actual to date", "figure", align="right"),
    Column("forecast", "Year-end forecast", "figure", align="right"),
    Column("status", "Status", "status"),
    Column("direction", "Direction of travel", "label"),
    Column("trend", "Trend (8 quarters)", "sparkline"),
    Column("commentary", "Commentary", weight=1.15),
)
SUMMARY_COLUMNS = (
    Column("status", "Status", "status"),
    Column("measures", "Measures", "figure", align="right"),
    Column("share", "Share of rated measures", "figure", align="right"),
)
BENCHMARK_COLUMNS = (
    Column("code", "Code", "code"),
    Column("title", "Measure", weight=1.0),
    Column("position", "Latest comparison", weight=1.3),
)
MILESTONE_COLUMNS = (
    Column("ref", "Ref", "code"),
    Column("description", "Milestone", weight=1.0),
    Column("owner", "Lead officer", weight=0.45),
    Column("due", "Due", weight=0.4),
    Column("status", "Progress", "label"),
    Column("commentary", "Commentary", weight=1.0),
)
RISK_COLUMNS = (
    Column("ref", "Ref", "code"),
    Column("description", "Risk", weight=1.0),
    Column("owner", "Lead officer", weight=0.45),
    Column("score", "Score", weight=0.4),
    Column("movement", "Since last quarter", "label"),
    Column("mitigation", "Mitigation", weight=1.0),
    Column("progress", "Progress with mitigation", weight=1.0),
)


def unbroken_part(text: str) -> str:
    """What of a cell must stay on one line: all of it, but for a status or figure with its
    detail ("… Incomplete: 5 of 6 months", "8.5 (based on 1 of 2 quarters)"), where only
    the status or the figure itself must ("… Incomplete:", "8.5")."""
    head, colon, _ = text.partition(": ")
    if colon:
        return head + ":"
    figure, bracket, _ = text.partition(" (")
    return figure if bracket else text


def _text_width_mm(text: str) -> float:
    return len(text) * _MM_PER_CHAR + _CELL_PADDING_MM


def column_widths(columns: tuple[Column, ...], rows: list[dict[str, Any]]) -> tuple[float, ...]:
    """Widths (mm) that follow the content: a code, figure or status column as wide as its
    longest entry (or its header's longest word), a sparkline a fixed width, and the text
    columns sharing what is left by weight, none narrower than its longest word."""
    fixed: dict[str, float] = {}
    for column in columns:
        words = column.label.split()
        if column.kind == "sparkline":
            fixed[column.key] = SPARKLINE_MM
        elif column.kind in UNBROKEN:
            entries = [unbroken_part(str(row.get(column.key, ""))) for row in rows] + words
            fixed[column.key] = max(_text_width_mm(e) for e in entries)
    left = PAGE_WIDTH_MM - sum(fixed.values())
    texts = [c for c in columns if c.key not in fixed]
    total = sum(c.weight for c in texts) or 1.0
    widths = []
    for column in columns:
        if column.key in fixed:
            widths.append(fixed[column.key])
            continue
        longest = max((len(w) for row in rows for w in str(row[column.key]).split()), default=0)
        widths.append(max(left * column.weight / total, _text_width_mm("x" * longest)))
    scale = min(1.0, PAGE_WIDTH_MM / sum(widths))  # never wider than the page
    return tuple(round(w * scale, 1) for w in widths)


def _table(
    caption: str,
    columns: tuple[Column, ...],
    frame: pl.DataFrame,
    group: str | None = None,
    widths: tuple[float, ...] | None = None,
) -> Table:
    # A column the rows do not have (a "Year-end forecast" when no indicator has one) is
    # left out, as the page leaves it out.
    columns = tuple(c for c in columns if c.key in frame.columns)
    rows = frame.to_dicts()
    return Table(caption, columns, rows, group, widths or column_widths(columns, rows))


def _indicator_table(caption: str, rows: pl.DataFrame, grouped: bool) -> Table:
    return _table(caption, INDICATOR_COLUMNS, rows, "service" if grouped else None)


def _benchmark_section(page: BoardPage, codes: set[str] | None = None) -> Section | None:
    """The benchmarking section, as the page has it, without its link to the website's
    benchmarking page (the words say where the charts are instead)."""
    benchmarks = page.benchmarks
    if codes is not None:
        benchmarks = benchmarks.filter(pl.col("code").is_in(sorted(codes)))
    if benchmarks.is_empty():
        return None
    return Section(
        "Benchmarking",
        "benchmarking",
        (
            "Each measure's latest published comparison with similar councils, for periods "
            "ended by this report's; rank 1 is the best, councils on equal figures share a "
            "rank. Charts of our position against each group's range are on the "
            "benchmarking page of this report on the council's website.",
        ),
        _table(
            "Benchmarking against comparator groups", BENCHMARK_COLUMNS, report_rows(benchmarks)
        ),
    )


def _register_sections(
    page: BoardPage, milestones: pl.DataFrame, risks: pl.DataFrame, grouped: bool, period: str
) -> list[Section]:
    group = "service" if grouped else None
    return [
        Section(
            "Objectives and milestones",
            "milestones",
            table=_table(
                f"Objectives and milestones, {period}", MILESTONE_COLUMNS, milestones, group
            )
            if not milestones.is_empty()
            else None,
            empty="No objectives and milestones were reported for this period.",
        ),
        Section(
            "High risks",
            "risks",
            table=_table(f"High risks and mitigation, {period}", RISK_COLUMNS, risks, group)
            if not risks.is_empty()
            else None,
            empty="No high risks were reported for this period.",
        ),
    ]


def _summary_section(page: BoardPage, period: str) -> Section:
    return Section(
        "Summary",
        "summary",
        (page_summary_sentence(page),),
        _table(f"Summary of status, {period}", SUMMARY_COLUMNS, _summary_with_rag(page)),
    )


def _summary_with_rag(page: BoardPage) -> pl.DataFrame:
    """The summary's rows with the status each stands for, to colour it as the page does."""
    return summary_rows(page).with_columns(pl.Series("rag", summary_rags(page), pl.String))


def _approval_sections(page: BoardPage) -> list[Section]:
    """Who signed the figures off and when, then any changed since (as on the page)."""
    if not page.approval:
        return []
    return [Section("Approval", "approval", tuple(page.approval))]


def _missing_sections(page: BoardPage) -> list[Section]:
    """The board's indicators not reported at this period, by name, with the reason."""
    if page.missing.is_empty():
        return []
    return [
        Section(
            "Measures not reported this period",
            "not-reported",
            tuple(
                f"{r['code']} {r['title']} ({r['service']}): {r['reason']}"
                for r in page.missing.iter_rows(named=True)
            ),
        )
    ]


def _narrative_sections(page: BoardPage, service: str | None = None) -> list[Section]:
    """Key developments, emerging issues and awards, each under its service."""
    rows = page.narrative
    if service is not None:
        rows = rows.filter(pl.col("service") == service)
    if rows.is_empty():
        return []
    return [
        Section(
            "Key developments and emerging issues",
            "narrative",
            tuple(
                f"{r['service']}: {r['heading']}. {r['text']}" for r in rows.iter_rows(named=True)
            ),
        )
    ]


def _notes_section(page: BoardPage) -> Section:
    return Section("Notes", "notes", notes=tuple(notes_items(page)))


def _document(
    page: BoardPage | PriorityPage, title: str, sections: list[Section], name: str = ""
) -> Document:
    """``sections`` as a document of ``page``'s period, headed on every page with the
    council, ``name`` (the board's, unless given) and the period."""
    period = period_title(page.fy, page.suffix)
    if isinstance(page, BoardPage):
        name, key = name or page.board_name, page.board_id
    else:
        key = f"priority-{page.priority_id}"
    return Document(
        title=title,
        council=page.council,
        running_header=f"{page.council} · {name} · {period}",
        sections=tuple(sections),
        created=as_at_date(page),
        identifier=f"{key}-{page.fy}-{page.suffix}-{title}-{len(sections)}",
    )


def _data_as_at_section(data_as_at: str) -> Section:
    return Section("Notes", "notes", notes=(("Data as at", data_as_at),))


def exceptions_copy(page: BoardPage, rows: pl.DataFrame) -> Document:
    """The exceptions page as a document: what members are asked to look at, each section
    saying so when it has nothing (``rows``: the page's :func:`indicator_rows`)."""
    period = period_title(page.fy, page.suffix)
    frames = {
        "indicators": (exception_indicators(rows), INDICATOR_COLUMNS),
        "milestones": (exception_milestones(page), MILESTONE_COLUMNS),
        "risks": (exception_risks(page), RISK_COLUMNS),
    }
    counts = exceptions_counts(*(frame.height for frame, _ in frames.values()))
    sections = [Section("Summary", "summary", (EXCEPTIONS_INTRO, counts))]
    for part, (frame, columns) in frames.items():
        anchor, heading, empty = EXCEPTION_SECTIONS[part]
        table = (
            None if frame.is_empty() else _table(f"{heading}, {period}", columns, frame, "service")
        )
        sections.append(Section(heading, anchor, table=table, empty=empty))
    sections.append(_data_as_at_section(page.data_as_at))
    return _document(page, exceptions_title(page), sections)


def priority_copy(page: PriorityPage) -> Document:
    """A priority's page as a document: its summary, then its measures and milestones from
    every board, grouped by board."""
    period = period_title(page.fy, page.suffix)
    indicators = page.indicators
    sections = [
        Section("Summary", "summary", (summary_sentence(page.summary),)),
        Section(
            "Performance indicators",
            "indicators",
            table=None
            if indicators.is_empty()
            else _table(
                f"Performance indicators, {period}", INDICATOR_COLUMNS, indicators, "board"
            ),
            empty=NO_PRIORITY_INDICATORS,
        ),
        Section(
            "Objectives and milestones",
            "milestones",
            table=None
            if page.milestones.is_empty()
            else _table(
                f"Objectives and milestones, {period}", MILESTONE_COLUMNS, page.milestones, "board"
            ),
            empty=NO_PRIORITY_MILESTONES,
        ),
        _data_as_at_section(page.data_as_at),
    ]
    return _document(page, page.title, sections, page.name)


def report_document(page: BoardPage, rows: pl.DataFrame) -> Document:
    """Every section the HTML page has, in its order, the indicators (``rows``: the page's
    :func:`indicator_rows`) grouped by service."""
    period = period_title(page.fy, page.suffix)
    sections = [
        _summary_section(page, period),
        *_approval_sections(page),
        Section(
            "Performance indicators",
            "indicators",
            table=_indicator_table(f"Performance indicators, {period}", rows, grouped=True),
            empty=f"No performance indicators were reported for {period}.",
        ),
        *_missing_sections(page),
        *_narrative_sections(page),
        *filter(None, [_benchmark_section(page)]),
        *_register_sections(page, milestone_rows(page), risk_rows(page), True, period),
        _notes_section(page),
    ]
    return _document(page, page.title, sections)


def appendix_letter(index: int) -> str:
    """A, B, … Z, then AA, AB, … (a board with more than 26 services)."""
    letters = string.ascii_uppercase
    return letters[index] if index < 26 else letters[index // 26 - 1] + letters[index % 26]


def appendix_heading(index: int, service: str) -> str:
    """``Appendix A – Open Spaces`` (an en dash, as councils' packs write it)."""
    return f"Appendix {appendix_letter(index)} – {service}"


def pack_document(page: BoardPage, plan: DocumentPlan, rows: pl.DataFrame) -> Document:
    """The committee pack: the summary and the exceptions, then an appendix per service in
    the board's order (its indicators, benchmarking, milestones and high risks), then the
    notes. ``rows``: the page's :func:`indicator_rows`."""
    period = period_title(page.fy, page.suffix)
    exceptions = exception_indicators(rows)
    services = plan.board_services(page)
    letters = {s: appendix_letter(i) for i, s in enumerate(services)}
    listed = exceptions.with_columns(
        pl.col("service").replace_strict(letters, default="").alias("appendix")
    )
    overdue = exception_milestones(page)
    sections = [
        _summary_section(page, period),
        Section(
            "Exceptions",
            "exceptions",
            (
                "Measures off target by more than the tolerance, part-year totals, or with a "
                "target and no figures yet; each is in its service's appendix.",
            ),
            _exceptions_table(period, listed) if not listed.is_empty() else None,
            empty="No measure is off target, incomplete or without figures this period.",
        ),
        Section(
            "Milestones overdue or off track",
            "exception-milestones",
            table=_table(
                f"Milestones overdue or off track, {period}",
                MILESTONE_COLUMNS,
                overdue,
                "service",
            )
            if not overdue.is_empty()
            else None,
            empty="No milestone is overdue or off track this period.",
            level=2,
        ),
        *_approval_sections(page),
        *_missing_sections(page),
    ]
    milestones, risks = milestone_rows(page), risk_rows(page)
    # One width per column across every appendix, so that the appendices line up.
    shown = tuple(c for c in INDICATOR_COLUMNS if c.key in rows.columns)
    widths = column_widths(shown, rows.to_dicts())
    for index, service in enumerate(services):
        mine = rows.filter(pl.col("service") == service)
        codes = set(page.indicators.filter(pl.col("service") == service)["code"])
        heading = appendix_heading(index, service)
        appendix = [
            Section(
                heading,
                f"appendix-{appendix_letter(index).lower()}",
                table=_table(
                    f"{service}: performance indicators, {period}",
                    INDICATOR_COLUMNS,
                    mine,
                    widths=widths,
                )
                if not mine.is_empty()
                else None,
                empty=f"No performance indicators were reported for {period}.",
                new_page=True,
            ),
            *_narrative_sections(page, service),
            *filter(None, [_benchmark_section(page, codes)]),
            *_register_sections(
                page,
                milestones.filter(pl.col("service") == service),
                risks.filter(pl.col("service") == service),
                False,
                period,
            ),
        ]
        sections += [_subsection(s, service) if s.heading != heading else s for s in appendix]
    sections.append(_notes_section(page))
    return _document(page, f"{page.title}: committee pack", sections)


def _subsection(section: Section, service: str) -> Section:
    """An appendix's own benchmarking, milestones or risks: a heading a level down."""
    return Section(
        section.heading,
        f"{section.anchor}-{service}",
        section.paragraphs,
        section.table,
        section.empty,
        section.notes,
        new_page=False,
        level=2,
    )


def _exceptions_table(period: str, listed: pl.DataFrame) -> Table:
    columns = (
        Column("code", "Code", "code"),
        Column("title", "Measure", weight=1.0),
        Column("service", "Service", weight=0.4),
        Column("actual", "Actual to date", "figure", align="right"),
        Column("target", "Target to date", "figure", align="right"),
        Column("status", "Status", "status"),
        Column("appendix", "Appendix", "code"),
    )
    return _table(f"Exceptions, {period}", columns, listed)


def document_files(page: BoardPage, plan: DocumentPlan, rows: pl.DataFrame) -> dict[str, bytes]:
    """The page's Word and PDF copies, its exceptions page's and, in appendix form, its
    committee pack, keyed by the ending of their file names beside the page (``rows``: its
    indicator rows)."""
    documents = {"": report_document(page, rows), "-exceptions": exceptions_copy(page, rows)}
    if plan.appendix_by_service:
        documents["-pack"] = pack_document(page, plan, rows)
    return _printed(documents)


def priority_files(page: PriorityPage) -> dict[str, bytes]:
    """A priority page's Word and PDF copies, keyed as :func:`document_files`'s."""
    return _printed({"": priority_copy(page)})


def _printed(documents: dict[str, Document]) -> dict[str, bytes]:
    """Each document as Word and PDF, keyed by its ending and the format's."""
    from outputs.pdf import pdf_bytes
    from outputs.word import docx_bytes

    files = {}
    for suffix, document in documents.items():
        files[f"{suffix}.docx"] = docx_bytes(document)
        files[f"{suffix}.pdf"] = pdf_bytes(document)
    return files


# Each document's file-name ending beside the page, and its key in the manifest entry.
DOCUMENT_FILES = {
    ".pdf": "pdf",
    ".docx": "docx",
    "-exceptions.pdf": "exceptions_pdf",
    "-exceptions.docx": "exceptions_docx",
    "-pack.pdf": "pack_pdf",
    "-pack.docx": "pack_docx",
}


def write_documents(
    out: Path,
    page: Path,
    files: dict[str, bytes],
    write: Writer = write_atomic,
    present: Container[Path] | None = None,
) -> dict[str, Any]:
    """Write a page's documents beside it (``page``: its path under ``out``) and return
    their manifest entries. A document this publish did not make is removed: a Word or PDF
    copy left from before would show other figures than the page beside it (``present``,
    when given, says which files were there before the publish)."""
    entries: dict[str, Any] = {}
    for ending, key in DOCUMENT_FILES.items():
        path = page.with_name(f"{page.stem}{ending}")
        data = files.get(ending)
        if data is None:
            if present is None or out / path in present:
                (out / path).unlink(missing_ok=True)
            continue
        write(out / path, data)
        entries[key] = {"path": path.as_posix(), "sha256": hashlib.sha256(data).hexdigest()}
    return entries
