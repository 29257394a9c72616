"""A board report as a tagged PDF (WeasyPrint, PDF/UA-1) and as a Word document (python-docx).

Both are made from what the HTML page shows. Each is stamped with the figures' as-at date,
never the clock, so the same warehouse state gives the same bytes (SPEC §5).
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import polars as pl
from docx import Document
from docx.document import Document as WordDocument
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.table import Table

from outputs.board import (
    STATUS_COLOURS,
    BoardPage,
    indicator_rows,
    milestone_rows,
    notes_items,
    page_summary_sentence,
    risk_rows,
    summary_rags,
    summary_rows,
)
from outputs.formatting import period_title


def as_at_date(page: BoardPage) -> dt.datetime:
    """The figures' as-at date ("30 September 2026 (figures …)") as midnight UTC."""
    day = dt.datetime.strptime(page.as_at.split(" (")[0], "%d %B %Y")
    return day.replace(tzinfo=dt.UTC)


def pdf_bytes(page: BoardPage, document: str) -> bytes:
    """The page's HTML printed by WeasyPrint as PDF/UA-1: tagged, titled, in English."""
    from weasyprint import HTML  # imported here: only runs that write PDFs pay for it

    rendered = HTML(string=document).render(pdf_variant="pdf/ua-1")
    stamp = as_at_date(page).strftime("%Y-%m-%dT%H:%M:%SZ")
    rendered.metadata.created = stamp
    rendered.metadata.modified = stamp
    identifier = f"{page.board_id}-{page.fy}-{page.suffix}".encode()
    pdf: bytes = rendered.write_pdf(pdf_variant="pdf/ua-1", pdf_identifier=identifier)
    return pdf


DOCX_COLUMNS = {
    "indicators": {
        "code": "Code",
        "title": "Measure",
        "previous": "Same period last year",
        "target": "Target to date",
        "actual": "Actual to date",
        "status": "Status",
        "direction": "Direction of travel",
        "commentary": "Commentary",
    },
    "summary": {"status": "Status", "measures": "Measures", "share": "Share of rated measures"},
    "milestones": {
        "ref": "Ref",
        "description": "Milestone",
        "due": "Due",
        "status": "Progress",
        "commentary": "Commentary",
    },
    "risks": {
        "ref": "Ref",
        "description": "Risk",
        "mitigation": "Mitigation",
        "progress": "Progress with mitigation",
    },
}


def _repeat_header(table: Table) -> None:
    """Word repeats the first row at the top of each page the table runs onto."""
    properties = table.rows[0]._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    properties.append(header)


def _shade(cell: object, fill: str) -> None:
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:fill"), fill.lstrip("#"))
    cell._tc.get_or_add_tcPr().append(shading)  # type: ignore[attr-defined]


def _word_table(
    word: WordDocument, frame: pl.DataFrame, columns: dict[str, str], rag: list[str | None]
) -> None:
    """A real Word table: a repeated header row, then a row per record, grouped by service
    (a full-width row) when the frame has one; status cells shaded as on the page."""
    table = word.add_table(rows=1, cols=len(columns))
    table.style = "Table Grid"
    for cell, label in zip(table.rows[0].cells, columns.values(), strict=True):
        cell.text = label
        cell.paragraphs[0].runs[0].bold = True
    _repeat_header(table)
    service = None
    for i, row in enumerate(frame.iter_rows(named=True)):
        if "service" in row and row["service"] != service:
            service = row["service"]
            group = table.add_row().cells
            group[0].merge(group[-1]).text = str(service)
            group[0].paragraphs[0].runs[0].bold = True
        cells = table.add_row().cells
        for cell, column in zip(cells, columns, strict=True):
            cell.text = str(row[column])
        status = rag[i] if i < len(rag) else None
        if status in STATUS_COLOURS and "status" in columns:
            _shade(cells[list(columns).index("status")], STATUS_COLOURS[status][1])


def docx_bytes(page: BoardPage) -> bytes:
    """The report as a Word document: headings, the tables as Word tables, status in words."""
    word = Document()
    word.add_heading(page.title, level=0)
    word.add_paragraph(page.council)
    period = period_title(page.fy, page.suffix)
    indicators = indicator_rows(page)
    summary = summary_rows(page)
    sections: list[tuple[str, str, pl.DataFrame, list[str | None]]] = [
        ("Summary", "summary", summary, summary_rags(page)),
        ("Performance indicators", "indicators", indicators, list(indicators["rag"])),
        ("Objectives and milestones", "milestones", milestone_rows(page), []),
        ("High risks", "risks", risk_rows(page), []),
    ]
    for heading, kind, frame, rag in sections:
        word.add_heading(heading, level=1)
        if kind == "summary":
            word.add_paragraph(page_summary_sentence(page))
        if frame.is_empty():
            word.add_paragraph(f"No {heading.lower()} were reported for {period}.")
            continue
        columns = DOCX_COLUMNS[kind]
        if kind == "indicators" and "forecast" in frame.columns:  # SPEC §5
            at = list(columns).index("actual") + 1
            items = list(columns.items())
            columns = dict([*items[:at], ("forecast", "Year-end forecast"), *items[at:]])
        _word_table(word, frame, columns, rag)
    if page.approval:  # who signed the figures off, and any changed since (as on the page)
        word.add_heading("Approval", level=1)
        for line in page.approval:
            word.add_paragraph(line)
    word.add_heading("Notes", level=1)
    for term, meaning in notes_items(page):
        paragraph = word.add_paragraph()
        paragraph.add_run(f"{term}: ").bold = True
        paragraph.add_run(meaning)
    return _stamped(word, as_at_date(page))


def _stamped(word: WordDocument, when: dt.datetime) -> bytes:
    """The document's bytes with its dates (core properties and zip entries) set to ``when``."""
    properties = word.core_properties
    properties.created = when
    properties.modified = when
    properties.last_printed = when
    properties.author = "boardpack"
    properties.last_modified_by = "boardpack"
    properties.revision = 1
    saved = io.BytesIO()
    word.save(saved)
    stamped = io.BytesIO()
    with (
        zipfile.ZipFile(saved) as source,
        zipfile.ZipFile(stamped, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for item in source.infolist():
            entry = zipfile.ZipInfo(item.filename, date_time=when.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(entry, source.read(item.filename))
    return stamped.getvalue()
