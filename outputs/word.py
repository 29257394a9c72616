"""A committee document (outputs.documents) as Word (python-docx).

A4 landscape with 2 cm margins; the council, board and period in the page header and
"Page 2 of 5" in the footer (Word's PAGE and NUMPAGES fields); British English on every
style; real tables with fixed column widths that follow the content, the header row
repeated on each page (``tblHeader``) and no row split across pages (``cantSplit``);
figures and codes kept whole (their columns as wide as the longest entry);
statuses in words and symbol, shaded as on the page. No images: the trend sparklines are
left to the PDF and the web page, whose direction-of-travel column says the same in words.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from typing import Any

from docx import Document as new_document
from docx.document import Document as WordDocument
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from docx.table import Table as WordTable
from docx.table import _Cell, _Row
from docx.text.paragraph import Paragraph

from outputs.board import STATUS_COLOURS
from outputs.documents import FONT_PT, Column, Document, Section, Table

LANGUAGE = "en-GB"
FONT = "Arial"
HEADER_FILL = "E8ECF2"
GROUP_FILL = "F4F4F4"


def _set_language(word: WordDocument) -> None:
    """British English on the document's defaults and every style that names a language."""
    styles = word.styles.element
    defaults = styles.find(qn("w:docDefaults"))
    assert defaults is not None  # python-docx's template has them
    for lang in styles.iter(qn("w:lang")):
        lang.set(qn("w:val"), LANGUAGE)
        lang.set(qn("w:eastAsia"), LANGUAGE)
    word.core_properties.language = LANGUAGE


def _set_fonts(word: WordDocument) -> None:
    """Arial throughout (the theme's Calibri/Cambria are not on every machine)."""
    for style in word.styles:
        element = style.element
        fonts = element.find(f"{qn('w:rPr')}/{qn('w:rFonts')}")
        if fonts is not None:
            for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
                fonts.attrib.pop(qn(theme), None)
    defaults = word.styles.element.find(qn("w:docDefaults"))
    assert defaults is not None
    fonts = defaults.find(f"{qn('w:rPrDefault')}/{qn('w:rPr')}/{qn('w:rFonts')}")
    if fonts is not None:
        for name in list(fonts.attrib):
            del fonts.attrib[name]
        for attribute in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
            fonts.set(qn(attribute), FONT)
    normal = word.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(10)
    normal.paragraph_format.space_after = Pt(4)
    normal.paragraph_format.line_spacing = 1.1
    for level in ("Title", "Heading 1", "Heading 2"):
        word.styles[level].font.name = FONT


def _field(paragraph: Paragraph, instruction: str) -> None:
    """A Word field (PAGE, NUMPAGES) that the reader's application fills in."""
    run = paragraph.add_run()
    for kind, text in (("begin", None), (None, instruction), ("separate", None), (None, "1")):
        if kind is not None:
            char = OxmlElement("w:fldChar")
            char.set(qn("w:fldCharType"), kind)
            run._r.append(char)
        elif text == instruction:
            code = OxmlElement("w:instrText")
            code.set(qn("xml:space"), "preserve")
            code.text = f" {instruction} "
            run._r.append(code)
        else:
            shown = OxmlElement("w:t")
            shown.text = text
            run._r.append(shown)
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    run._r.append(end)


def _page_setup(word: WordDocument, document: Document) -> None:
    """A4 landscape, 2 cm margins, the running header and the page numbers."""
    section = word.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Mm(297), Mm(210)
    section.left_margin = section.right_margin = Mm(20)
    section.top_margin, section.bottom_margin = Mm(20), Mm(18)
    section.header_distance = section.footer_distance = Mm(9)
    header = section.header.paragraphs[0]
    header.text = document.running_header
    header.runs[0].font.size = Pt(8)
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    footer.add_run("Page ")
    _field(footer, "PAGE")
    footer.add_run(" of ")
    _field(footer, "NUMPAGES")
    for run in footer.runs:
        run.font.size = Pt(8)
    # A field's result is laid out in the paragraph's own size by some readers (LibreOffice).
    footer.paragraph_format.space_after = Pt(0)
    for paragraph in (header, footer):
        paragraph.style.font.size = Pt(8)


def _shade(cell: _Cell, fill: str) -> None:
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill.lstrip("#").upper())
    cell._tc.get_or_add_tcPr().append(shading)


def _row_properties(row: _Row, header: bool = False) -> None:
    """No row split across pages; the header row repeated on each page."""
    properties = row._tr.get_or_add_trPr()
    keep = OxmlElement("w:cantSplit")
    keep.set(qn("w:val"), "true")
    properties.append(keep)
    if header:
        repeat = OxmlElement("w:tblHeader")
        repeat.set(qn("w:val"), "true")
        properties.append(repeat)


def _write_cell(cell: _Cell, text: str, column: Column | None, bold: bool = False) -> Paragraph:
    """One paragraph of table text. A figure or code is kept whole by its column's width
    (as wide as its longest entry), not by no-break spaces, so that its text reads and
    searches as it is written."""
    paragraph: Paragraph = cell.paragraphs[0]
    run = paragraph.add_run(text)
    run.font.size = Pt(FONT_PT)
    run.bold = bold
    paragraph.paragraph_format.space_after = Pt(0)
    paragraph.paragraph_format.line_spacing = 1.0
    if column is not None and column.align == "right":
        paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    return paragraph


def _fixed_layout(table: WordTable, widths: list[float]) -> None:
    """The widths worked out for the content, not Word's own: fixed layout, each column's
    width in the grid and on every cell (LibreOffice reads the one, Word the other)."""
    table.autofit = False
    properties = table._tbl.tblPr
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    properties.append(layout)
    width = OxmlElement("w:tblW")
    width.set(qn("w:w"), str(int(Mm(sum(widths)).twips)))
    width.set(qn("w:type"), "dxa")
    for old in properties.findall(qn("w:tblW")):
        properties.remove(old)
    properties.append(width)
    for column, mm in zip(table.columns, widths, strict=True):
        column.width = Mm(mm)
        for cell in column.cells:
            cell.width = Mm(mm)


def _word_table(word: WordDocument, table: Table) -> None:
    """A Word table of ``table``'s printable columns (no sparkline)."""
    pairs = list(zip(table.columns, table.widths_mm, strict=True))
    # The sparkline's width goes to the text columns, in proportion to their own.
    spare = sum(w for c, w in pairs if c.kind == "sparkline")
    texts = sum(w for c, w in pairs if c.kind == "text") or 1.0
    shown = [(c, w + spare * w / texts if c.kind == "text" else w) for c, w in pairs]
    shown = [(c, w) for c, w in shown if c.kind != "sparkline"]
    columns = tuple(c for c, _ in shown)
    widths = [w for _, w in shown]
    grid = word.add_table(rows=1, cols=len(columns))
    grid.style = "Table Grid"
    grid.alignment = WD_TABLE_ALIGNMENT.LEFT
    header = grid.rows[0]
    for cell, column in zip(header.cells, columns, strict=True):
        _write_cell(cell, column.label, None, bold=True)
        _shade(cell, HEADER_FILL)
    _row_properties(header, header=True)
    group = None
    for row in table.rows:
        if table.group_of(row) not in (None, group):
            group = table.group_of(row)
            _group_row(grid, str(group))
        cells = grid.add_row().cells
        for cell, column in zip(cells, columns, strict=True):
            _write_cell(cell, _text(row[column.key]), column, bold=column.kind == "status")
            if column.kind == "status" and row.get("rag") in STATUS_COLOURS:
                text, fill = STATUS_COLOURS[row["rag"]]
                _shade(cell, fill)
                cell.paragraphs[0].runs[0].font.color.rgb = RGBColor.from_string(
                    text.lstrip("#").upper()
                )
        _row_properties(grid.rows[-1])
    _fixed_layout(grid, widths)
    word.add_paragraph().paragraph_format.space_after = Pt(2)


def _group_row(grid: WordTable, name: str) -> None:
    """A service's row across the table, kept with the first of its rows."""
    cells = grid.add_row().cells  # type: ignore[no-untyped-call]
    merged = cells[0].merge(cells[-1])
    paragraph = _write_cell(merged, name, None, bold=True)
    paragraph.paragraph_format.keep_with_next = True
    _shade(merged, GROUP_FILL)
    _row_properties(grid.rows[-1])


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _section(word: WordDocument, section: Section) -> None:
    heading = word.add_heading(section.heading, level=section.level)
    heading.paragraph_format.keep_with_next = True
    if section.new_page:
        heading.paragraph_format.page_break_before = True
    for text in section.paragraphs:
        word.add_paragraph(text).paragraph_format.keep_with_next = True
    if section.table is not None:
        caption = word.add_paragraph()
        caption.add_run(section.table.caption).bold = True
        caption.paragraph_format.keep_with_next = True
        _word_table(word, section.table)
    elif section.empty:
        word.add_paragraph(section.empty)
    for term, meaning in section.notes:
        paragraph = word.add_paragraph()
        paragraph.add_run(f"{term}: ").bold = True
        paragraph.add_run(meaning)


def docx_bytes(document: Document) -> bytes:
    """The document as Word: its title, council, sections and tables."""
    word = new_document()
    _set_language(word)
    _set_fonts(word)
    _page_setup(word, document)
    word.add_heading(document.title, level=0)
    word.add_paragraph(document.council)
    for section in document.sections:
        _section(word, section)
    word.core_properties.title = document.title
    return _stamped(word, document.created)


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
