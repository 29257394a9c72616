"""A committee document (outputs.documents) as PDF/UA-1, printed by WeasyPrint.

The HTML here is written for paper, not taken from the web page: A4 landscape with 2 cm
margins, the council, board and period at the head of every page and "Page 2 of 5" at the
foot (CSS page-margin boxes and counters), fixed column widths that follow the content,
figures and codes kept whole (``white-space: nowrap``), rows kept whole, header rows
repeated, headings kept with what follows, no link out of the document. Everything from
extracts or configuration is escaped.
"""

from __future__ import annotations

import html
from typing import Any

from outputs.board import STATUS_COLOURS
from outputs.documents import FONT_PT, Document, Section, Table, unbroken_part
from outputs.sparklines import printed_sparkline

PRINT_CSS = f"""
@page {{
  size: A4 landscape;
  margin: 20mm 20mm 18mm 20mm;
  @top-left {{ font: 8pt Arial, Helvetica, sans-serif;
               color: #3d3d3d; vertical-align: bottom; padding-bottom: 3mm; }}
  @bottom-right {{ content: "Page " counter(page) " of " counter(pages);
                   font: 8pt Arial, Helvetica, sans-serif; color: #3d3d3d;
                   vertical-align: top; padding-top: 3mm; }}
}}
html {{ font-family: Arial, Helvetica, sans-serif; font-size: 10pt; color: #1a1a1a;
        line-height: 1.3; }}
body {{ margin: 0; }}
h1 {{ font-size: 16pt; margin: 0 0 2mm; }}
h2 {{ font-size: 13pt; margin: 6mm 0 2mm; border-bottom: 1.5pt solid #1d4f91;
      break-after: avoid; }}
h3 {{ font-size: 11pt; margin: 5mm 0 2mm; break-after: avoid; }}
h2.appendix {{ break-before: page; margin-top: 0; }}
p {{ margin: 0 0 2mm; break-after: avoid; orphans: 3; widows: 3; }}
table {{ border-collapse: collapse; table-layout: fixed; font-size: {FONT_PT}pt;
         margin-bottom: 3mm; }}
caption {{ text-align: left; font-weight: bold; padding-bottom: 1mm; break-after: avoid; }}
th, td {{ border: 0.5pt solid #8c8c8c; padding: 1mm 1.5mm; vertical-align: top;
          text-align: left; overflow-wrap: break-word; }}
thead {{ display: table-header-group; }}
thead th {{ background: #e8ecf2; font-weight: bold; vertical-align: bottom; }}
tr {{ break-inside: avoid; }}
tr.group th {{ background: #f4f4f4; }}
tbody.lead {{ break-inside: avoid; }}
td.right, th.right {{ text-align: right; }}
td.code, span.whole {{ white-space: nowrap; }}
td.status {{ font-weight: bold; }}
td.sparkline {{ text-align: center; vertical-align: middle; }}
td.sparkline svg {{ width: 20mm; height: 6mm; }}
dl {{ margin: 0; }}
dt {{ font-weight: bold; margin-top: 1.5mm; break-after: avoid; }}
dd {{ margin: 0 0 0 6mm; }}
""" + "".join(
    f"td.s-{rag} {{ background: {fill}; color: {text}; }}\n"
    for rag, (text, fill) in STATUS_COLOURS.items()
)


def css_string(text: str) -> str:
    """``text`` as a quoted CSS string: quotes and backslashes escaped, and ``<`` too, so
    that nothing in a council's or board's name can close the style element."""
    escaped = "".join(f"\\{ord(c):x} " if c in '\\"<>\n\r' else c for c in text)
    return f'"{escaped}"'


def _cell(table: Table, row: dict[str, Any], index: int) -> str:
    column = table.columns[index]
    value = row[column.key]
    classes: list[str] = [column.kind]
    if column.align == "right":
        classes.append("right")
    if column.kind == "status" and row.get("rag") in STATUS_COLOURS:
        classes.append(f"s-{row['rag']}")
    if column.kind == "sparkline":
        drawn = "" if value is None else printed_sparkline(value, row.get("trend_alt") or "")
        return f'<td class="{" ".join(classes)}">{drawn}</td>'
    text = str(value)
    # Whole; a detail ("Incomplete: 5 of 6 months", "⚠ Overdue (off track)") may wrap.
    if column.kind in ("status", "figure", "label"):
        whole = unbroken_part(text)
        shown = f'<span class="whole">{html.escape(whole)}</span>{html.escape(text[len(whole) :])}'
        return f'<td class="{" ".join(classes)}">{shown}</td>'
    return f'<td class="{" ".join(classes)}">{html.escape(text)}</td>'


def table_html(table: Table) -> str:
    """A table with its column widths fixed (mm), its header repeated, each row kept whole."""
    columns = table.columns
    cols = "".join(f'<col style="width: {w}mm">' for w in table.widths_mm)
    head = "".join(
        f'<th scope="col"{" class=" + chr(34) + "right" + chr(34) if c.align == "right" else ""}>'
        f"{html.escape(c.label)}</th>"
        for c in columns
    )
    # A service's name row and its first row share a row group kept on one page, so that
    # the name is never left alone at the foot of a page.
    body, group = ["<tbody>"], None
    for row in table.rows:
        cells = "<tr>" + "".join(_cell(table, row, i) for i in range(len(columns))) + "</tr>"
        if table.group_of(row) not in (None, group):
            group = table.group_of(row)
            body.append(
                '</tbody><tbody class="lead"><tr class="group">'
                f'<th colspan="{len(columns)}" scope="colgroup">{html.escape(str(group))}</th>'
                f"</tr>{cells}</tbody><tbody>"
            )
        else:
            body.append(cells)
    body.append("</tbody>")
    width = sum(table.widths_mm)
    return (
        f'<table style="width: {width:.1f}mm"><caption>{html.escape(table.caption)}</caption>'
        f"<colgroup>{cols}</colgroup><thead><tr>{head}</tr></thead>"
        f"{''.join(body).replace('<tbody></tbody>', '')}</table>"
    )


def _section_html(section: Section) -> str:
    tag = "h2" if section.level == 1 else "h3"
    classes = ' class="appendix"' if section.new_page else ""
    heading = html.escape(section.heading)
    parts = [f'<{tag} id="{html.escape(section.anchor)}"{classes}>{heading}</{tag}>']
    parts += [f"<p>{html.escape(text)}</p>" for text in section.paragraphs]
    if section.table is not None:
        parts.append(table_html(section.table))
    elif section.empty:
        parts.append(f"<p>{html.escape(section.empty)}</p>")
    if section.notes:
        items = "".join(
            f"<dt>{html.escape(term)}</dt><dd>{html.escape(meaning)}</dd>"
            for term, meaning in section.notes
        )
        parts.append(f"<dl>{items}</dl>")
    return f"<section>{''.join(parts)}</section>"


def document_html(document: Document) -> str:
    """The document as HTML for print: in British English, titled, its header text set."""
    title = html.escape(document.title)
    sections = "\n".join(_section_html(s) for s in document.sections)
    header = f"@page {{ @top-left {{ content: {css_string(document.running_header)}; }} }}\n"
    return (
        '<!DOCTYPE html>\n<html lang="en-GB">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{title}</title>\n<style>{PRINT_CSS}{header}</style>\n</head>\n<body>\n"
        f"<h1>{title}</h1>\n<p>{html.escape(document.council)}</p>\n{sections}\n"
        "</body>\n</html>\n"
    )


def pdf_bytes(document: Document) -> bytes:
    """The document printed by WeasyPrint as PDF/UA-1: tagged, titled, in British English."""
    from weasyprint import HTML  # imported here: only runs that write PDFs pay for it

    rendered = HTML(string=document_html(document)).render(pdf_variant="pdf/ua-1")
    stamp = document.created.strftime("%Y-%m-%dT%H:%M:%SZ")
    rendered.metadata.created = stamp
    rendered.metadata.modified = stamp
    pdf: bytes = rendered.write_pdf(
        pdf_variant="pdf/ua-1", pdf_identifier=document.identifier.encode()
    )
    return pdf
