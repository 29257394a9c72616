"""Committee documents (SPEC §5): the demo's latest Word and PDF copies and committee packs,
opened as a clerk would open them.

Each Word file is printed to PDF by LibreOffice (a real word processor, not our reading of
the XML); that PDF and WeasyPrint's own are checked for A4 landscape pages, a page count in
range, page numbers, every figure of the report whole in the text, and no link out of the
document.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import yaml
from docx import Document as open_word
from docx.oxml.ns import qn
from pypdf import PdfReader

from boardpack.config import load_council
from core.errors import ConfigError
from core.files import FolderListing
from outputs import publish as publishing
from outputs.documents import (
    INDICATOR_COLUMNS,
    appendix_heading,
    column_widths,
    write_documents,
)
from outputs.site import already_published
from outputs.sparklines import printed_sparkline, sparkline
from tests.conftest import DEMO, DEMO_AS_OF
from tests.test_reports import text_of
from tests.test_warehouse import demo_warehouse

LATEST = {
    "cyp-ppb": "2026-27/Q2",
    "els-ppb": "2026-27/Q2",
    "cabinet": "2026-27/H1",
    "community-services": "2026-27/H1",
}
A4_LANDSCAPE = (841.9, 595.3)  # points
SERVICES = {
    "cabinet": [
        "Finance",
        "Customer Services",
        "Human Resources",
        "Planning",
        "Waste and Recycling",
    ],
    "community-services": ["Open Spaces", "Leisure Services", "Communities and Partnerships"],
}


@pytest.fixture(scope="module")
def site(demo_site: Path) -> Path:
    """The demo's reports published as a first nightly publishes them (every period)."""
    return demo_site


def documents(site: Path, ending: str) -> list[Path]:
    return [site / folder / f"{board}{ending}" for board, folder in LATEST.items()]


@pytest.fixture(scope="module")
def word_printed(site: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[Path, Path]:
    """Each latest Word file (report and pack) printed to PDF by LibreOffice."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    assert soffice, "LibreOffice is needed: `make test` installs libreoffice-writer-nogui"
    printed = {}
    for ending in (".docx", "-pack.docx"):
        for word in documents(site, ending):
            folder = tmp_path_factory.mktemp("printed")
            profile = f"-env:UserInstallation=file://{folder / 'profile'}"
            subprocess.run(
                [
                    soffice,
                    profile,
                    "--headless",
                    "--convert-to",
                    "pdf",
                    "--outdir",
                    str(folder),
                    str(word),
                ],
                check=True,
                capture_output=True,
                timeout=180,
            )
            printed[word] = folder / f"{word.stem}.pdf"
    return printed


def pdf_text(path: Path) -> list[str]:
    """Each page's text, runs of white space made one space."""
    return [re.sub(r"\s+", " ", page.extract_text()) for page in PdfReader(path).pages]


def shown_figures(site: Path, board: str) -> list[str]:
    """Every figure the report's indicator table shows (its CSV, as the page has it)."""
    with (site / LATEST[board] / f"{board}.csv").open(encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    return [r[c] for r in rows for c in ("previous", "target", "actual") if r[c] not in ("", "–")]


def assert_a4_landscape(path: Path, pages: range) -> None:
    reader = PdfReader(path)
    assert len(reader.pages) in pages, f"{path.name}: {len(reader.pages)} pages"
    for page in reader.pages:
        size = (float(page.mediabox.width), float(page.mediabox.height))
        assert size == pytest.approx(A4_LANDSCAPE, abs=1), f"{path.name}: {size}"


# Each priority's pages in the demo's latest periods (its Q2 boards' and its H1 boards').
PRIORITY_PAGES = [f"2026-27/{p}/priority-{i}" for p in ("Q2", "H1") for i in ("people", "place")]


def test_documents_are_made_for_the_latest_periods_only_by_default(site: Path) -> None:
    for board, folder in LATEST.items():
        for ending in (".pdf", ".docx", "-exceptions.pdf", "-exceptions.docx"):
            assert (site / folder / f"{board}{ending}").is_file()
        for ending in ("-pack.pdf", "-pack.docx"):
            assert (site / folder / f"{board}{ending}").is_file()
    for page in PRIORITY_PAGES:
        assert (site / f"{page}.pdf").is_file()
        assert (site / f"{page}.docx").is_file()
    assert not list((site / "2025-26").rglob("*.pdf"))
    assert not list((site / "2026-27" / "Q1").rglob("*.docx"))
    manifest = json.loads((site / "manifest.json").read_text(encoding="utf-8"))
    latest = {e["path"]: e for e in manifest["reports"]}["2026-27/H1/cabinet.html"]
    assert latest["exceptions_pdf"]["path"] == "2026-27/H1/cabinet-exceptions.pdf"
    assert latest["exceptions_docx"]["path"] == "2026-27/H1/cabinet-exceptions.docx"
    place = {e["path"]: e for e in manifest["priorities"]}["2026-27/H1/priority-place.html"]
    assert (place["pdf"]["path"], place["docx"]["path"]) == (
        "2026-27/H1/priority-place.pdf",
        "2026-27/H1/priority-place.docx",
    )


def test_word_copies_print_on_a4_landscape_with_every_figure_whole(
    site: Path, word_printed: dict[Path, Path]
) -> None:
    for board in LATEST:
        report = word_printed[site / LATEST[board] / f"{board}.docx"]
        assert_a4_landscape(report, range(1, 8))
        pages = pdf_text(report)
        text = " ".join(pages)
        for figure in shown_figures(site, board):
            assert figure in text, f"{board}.docx: {figure} is not whole"
        for number, page in enumerate(pages, start=1):
            assert f"Page {number} of {len(pages)}" in page
        assert "Brookfield Borough Council" in pages[-1]  # the running header
    for board in LATEST:
        assert_a4_landscape(word_printed[site / LATEST[board] / f"{board}-pack.docx"], range(2, 14))


def assert_printable_pdf(path: Path) -> list[str]:
    """A4 landscape, numbered pages with the running header, PDF/UA's language, tags and
    title, no link out of the document; the pages' text."""
    assert_a4_landscape(path, range(1, 14))
    pages = pdf_text(path)
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in page
        assert "Brookfield Borough Council · " in page
    reader = PdfReader(path)
    root: Any = reader.trailer["/Root"]
    assert root["/Lang"] == "en-GB"
    assert "/StructTreeRoot" in root
    assert root["/MarkInfo"]["/Marked"]
    assert reader.metadata is not None
    assert reader.metadata.title
    for sheet in reader.pages:
        for annotation in sheet.get("/Annots") or []:
            action = annotation.get_object().get("/A", {})
            assert "/URI" not in action, f"{path.name} links to {action.get('/URI')}"
    return pages


def test_pdf_copies_keep_money_and_codes_whole_number_their_pages_and_link_nowhere(
    site: Path,
) -> None:
    for board in LATEST:
        for path in (
            site / LATEST[board] / f"{board}.pdf",
            site / LATEST[board] / f"{board}-pack.pdf",
        ):
            text = " ".join(assert_printable_pdf(path))
            for figure in shown_figures(site, board):
                assert figure in text, f"{path.name}: {figure} is not whole"
    money = [f for f in shown_figures(site, "cabinet") if "£" in f]
    assert "£1,140,000" in money  # the figure the issue saw broken


def assert_british_a4_word(word: Any) -> None:
    """Word's A4 landscape with 2 cm margins, en-GB, page numbers and the running header,
    no images, header rows repeated and rows that never split."""
    section: Any = word.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (297, 210)
    assert round(section.left_margin.mm) == round(section.right_margin.mm) == 20
    languages = {e.get(qn("w:val")) for e in word.styles.element.iter(qn("w:lang"))}
    assert languages == {"en-GB"}
    footer = section.footer._element.xml
    assert "PAGE" in footer
    assert "NUMPAGES" in footer
    assert "Brookfield Borough Council" in section.header.paragraphs[0].text
    assert not word.inline_shapes  # no images for screen readers to stumble on
    for table in word.tables:
        assert table.rows[0]._tr.get_or_add_trPr().find(qn("w:tblHeader")) is not None
        for row in table.rows:
            assert row._tr.get_or_add_trPr().find(qn("w:cantSplit")) is not None


def test_word_copies_are_british_a4_with_page_numbers_and_rows_kept_whole(site: Path) -> None:
    for path in documents(site, ".docx") + documents(site, "-pack.docx"):
        word = open_word(str(path))
        assert_british_a4_word(word)
        (indicators, *_) = [t for t in word.tables if t.rows[0].cells[2].text.startswith("Same")]
        labels = [c.text for c in indicators.rows[0].cells]
        widths = dict(zip(labels, (c.width for c in indicators.columns), strict=True))
        widest = sorted(widths, key=lambda label: widths[label])[-2:]
        assert set(widest) == {"Measure", "Commentary"}, widths


def headings(path: Path) -> list[str]:
    word = open_word(str(path))
    styled = [(p.text, p.style.name if p.style else "") for p in word.paragraphs]
    return [text for text, style in styled if style.startswith(("Heading", "Title"))]


def test_word_and_pdf_have_every_section_of_the_page_benchmarking_included(site: Path) -> None:
    shown = headings(site / LATEST["cabinet"] / "cabinet.docx")
    assert shown[0] == "Cabinet — Half-year 1 2026/27: 1 April to 30 September 2026"
    # The page's sections in the page's order (with any others it has between them).
    sections = [
        "Summary",
        "Performance indicators",
        "Measures not reported this period",
        "Key developments and emerging issues",
        "Benchmarking",
        "Objectives and milestones",
        "High risks",
        "Notes",
    ]
    assert [h for h in shown if h in sections] == sections
    text = " ".join(pdf_text(site / LATEST["cabinet"] / "cabinet.pdf"))
    for heading in shown[1:]:
        assert heading in text
    assert "CIPFA nearest neighbours" in text


def test_the_committee_pack_starts_with_the_summary_and_exceptions_then_an_appendix_per_service(
    site: Path,
) -> None:
    for board, services in SERVICES.items():
        path = site / LATEST[board] / f"{board}-pack.docx"
        shown = headings(path)
        assert shown[1:3] == ["Summary", "Exceptions"]
        appendices = [h for h in shown if h.startswith("Appendix")]
        assert appendices == [appendix_heading(i, s) for i, s in enumerate(services)]
        assert shown[-1] == "Notes"
        rows = list(csv.DictReader((site / LATEST[board] / f"{board}.csv").open(encoding="utf-8")))
        red = {  # what the exceptions page lists: red, incomplete and no data
            r["code"]
            for r in rows
            if r["status"].endswith(("Off target", "No data")) or "Incomplete" in r["status"]
        }
        exceptions = open_word(str(path)).tables[1]
        assert {r.cells[0].text for r in exceptions.rows[1:]} == red
    assert appendix_heading(0, "Open Spaces") == "Appendix A – Open Spaces"
    pdf = " ".join(pdf_text(site / LATEST["community-services"] / "community-services-pack.pdf"))
    assert "Appendix C – Communities and Partnerships" in pdf


def first_column(table: Any) -> list[str]:
    """A Word table's first cells, header and service rows left out."""
    cells = [row.cells for row in table.rows[1:]]
    return [c[0].text for c in cells if c[0].text != c[-1].text]  # a service row spans them


def test_exceptions_copies_list_what_the_exceptions_page_lists(site: Path) -> None:
    for board, folder in LATEST.items():
        page = text_of((site / folder / f"{board}-exceptions.html").read_text(encoding="utf-8"))
        word = open_word(str(site / folder / f"{board}-exceptions.docx"))
        assert_british_a4_word(word)
        shown = headings(site / folder / f"{board}-exceptions.docx")
        assert shown[1:] == [
            "Summary",
            "Measures needing attention",
            "Milestones overdue or off track",
            "High risks",
            "Notes",
        ]
        pdf = " ".join(assert_printable_pdf(site / folder / f"{board}-exceptions.pdf"))
        for table in word.tables:
            for code in first_column(table):
                assert code in page, f"{board}-exceptions.docx: {code} is not on the page"
                assert code in pdf, f"{board}-exceptions.pdf: {code} is missing"
        for sentence in re.findall(r"This period: [^.]+\.|No [a-z ]+ this period\.", page):
            assert sentence in " ".join(p.text for p in word.paragraphs), sentence
            assert sentence in pdf, sentence
    cabinet = open_word(str(site / LATEST["cabinet"] / "cabinet-exceptions.docx"))
    assert first_column(cabinet.tables[1]) == ["WR M01 ★"]  # overdue, due 1 April 2026
    assert first_column(cabinet.tables[2])[0] == "WR R01"  # the highest risk first


def test_priority_copies_gather_what_the_priority_page_gathers(site: Path) -> None:
    for name in PRIORITY_PAGES:
        page = text_of((site / f"{name}.html").read_text(encoding="utf-8"))
        word = open_word(str(site / f"{name}.docx"))
        assert_british_a4_word(word)
        assert headings(site / f"{name}.docx")[1:] == [
            "Summary",
            "Performance indicators",
            "Objectives and milestones",
            "Notes",
        ]
        pdf = " ".join(assert_printable_pdf(site / f"{name}.pdf"))
        summary = re.search(r"\d+ \(\d+%\) of our measures[^.]+\.", page)
        assert summary is not None
        assert summary.group(0) in pdf
        codes = [code for table in word.tables for code in first_column(table)]
        assert codes
        for code in codes:
            assert code in page, f"{name}.docx: {code} is not on the page"
            assert code in pdf, f"{name}.pdf: {code} is missing"
    boards = {
        p.text
        for t in open_word(str(site / "2026-27/H1/priority-place.docx")).tables
        for p in t.rows[1].cells[0].paragraphs
    }
    assert boards & {"Cabinet", "Community Services Committee"}


def test_a_printed_sparkline_is_neutral_and_keeps_its_words() -> None:
    values = [1.0, 2.0, None, 3.0]
    printed = printed_sparkline(values, "Quarterly values, oldest first: 1, 2, no data, 3")
    assert 'aria-label="Quarterly values, oldest first: 1, 2, no data, 3"' in printed
    assert "#FF0000" in sparkline(values, "x")  # the page's own, red points and hatching
    assert "#FF0000" not in printed
    assert "pattern" not in printed
    assert printed_sparkline([None, None], "nothing") == ""


def test_column_widths_follow_the_content() -> None:
    rows: list[dict[str, Any]] = [
        {
            "code": "FIN 01 ★",
            "title": "Sundry debt over 90 days old",
            "previous": "£1,397,771",
            "target": "£1,140,000",
            "actual": "−£205,000",
            "status": "✖ Off target",
            "direction": "→ Not comparable",
            "trend": [1.0],
            "commentary": "Improvement following the new triage process & extra staffing.",
        }
    ]
    shown = tuple(c for c in INDICATOR_COLUMNS if c.key in rows[0])  # as a table shows them
    keys = [c.key for c in shown]
    widths = dict(zip(keys, column_widths(shown, rows), strict=True))
    assert sum(widths.values()) <= 257.1  # A4 landscape less 2 cm margins
    assert widths["target"] > widths["code"]
    assert max(widths, key=lambda key: widths[key]) in ("title", "commentary")
    assert sorted(widths, key=lambda key: widths[key])[-2:] in (
        ["title", "commentary"],
        ["commentary", "title"],
    )


def test_a_progress_label_with_its_detail_fits_its_column_in_the_pdf() -> None:
    from outputs.documents import MILESTONE_COLUMNS, _table
    from outputs.pdf import table_html

    overdue = "⚠ Overdue (off track)"
    row = {"ref": "WR M01 ★", "description": "Introduce weekly food waste collections"}
    row |= {"owner": "Head of Waste", "due": "1 April 2026", "status": overdue, "commentary": "x"}
    table = _table("Milestones", MILESTONE_COLUMNS, pl.DataFrame([row]))
    printed = table_html(table)
    # Only "⚠ Overdue" is kept on one line, and the column is as wide as that; "(off track)"
    # wraps below it rather than running into the commentary.
    assert '<td class="label"><span class="whole">⚠ Overdue</span> (off track)</td>' in printed


@pytest.mark.parametrize(
    ("documents", "expected"),
    [
        ("true", {"appendix_by_service": False, "periods": "latest"}),
        ("false", None),
        (
            "{appendix_by_service: true, periods: all}",
            {"appendix_by_service": True, "periods": "all"},
        ),
    ],
)
def test_documents_setting_takes_true_false_or_options(
    demo_copy: Path, documents: str, expected: dict[str, Any] | None
) -> None:
    path = demo_copy / "council.yaml"
    text = re.sub(
        r"^documents: .*$", f"documents: {documents}", path.read_text("utf-8"), flags=re.M
    )
    path.write_text(text, encoding="utf-8")
    settings = load_council(demo_copy).settings.documents
    assert (None if settings is None else settings.model_dump()) == expected


def test_an_unknown_documents_option_is_refused_by_name(demo_copy: Path) -> None:
    path = demo_copy / "council.yaml"
    config = yaml.safe_load(path.read_text("utf-8"))
    config["documents"] = {"appendix_by_servce": True}
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    with pytest.raises(ConfigError, match="appendix_by_servce"):
        load_council(demo_copy)


def test_a_single_publish_makes_the_documents_of_what_it_publishes(
    site: Path, tmp_path: Path
) -> None:
    engine = demo_warehouse(f"sqlite:///{tmp_path / 'w.sqlite'}")
    out = tmp_path / "out"
    publishing.publish(engine, load_council(DEMO), out, DEMO_AS_OF, {(2026, "Q1")}, ["els-ppb"])
    engine.dispose()
    assert (out / "2026-27" / "Q1" / "els-ppb.pdf").is_file()
    assert (out / "2026-27" / "Q1" / "els-ppb-pack.docx").is_file()
    created = open_word(str(out / "2026-27" / "Q1" / "els-ppb.docx")).core_properties.created
    assert created == dt.datetime(2026, 9, 30, tzinfo=dt.UTC)  # the figures' as-at date


def test_a_report_rewritten_without_documents_loses_its_old_copies(tmp_path: Path) -> None:
    """An older report re-rendered by a nightly (its figures changed) gets no documents: the
    copies left from before would show other figures than the page beside them."""
    page = Path("2025-26") / "Q4" / "els-ppb.html"
    (tmp_path / page.parent).mkdir(parents=True)
    made = write_documents(tmp_path, page, {".pdf": b"%PDF old", "-pack.docx": b"PK old"})
    assert set(made) == {"pdf", "pack_docx"}
    assert made["pdf"]["path"] == "2025-26/Q4/els-ppb.pdf"
    assert write_documents(tmp_path, page, {}) == {}
    assert not list((tmp_path / page.parent).iterdir())
    # A publish lists each folder once for the copies there before it: the same removals.
    write_documents(tmp_path, page, {".pdf": b"%PDF old", "-exceptions.docx": b"PK old"})
    present = FolderListing()
    assert tmp_path / page.with_name("els-ppb.pdf") in present
    assert tmp_path / page.with_name("els-ppb.docx") not in present
    assert write_documents(tmp_path, page, {".docx": b"PK new"}, present=present) != {}
    assert [p.name for p in (tmp_path / page.parent).iterdir()] == ["els-ppb.docx"]


def test_a_nightly_publishes_the_latest_reports_again_when_their_documents_are_missing(
    tmp_path: Path,
) -> None:
    """Documents turned on after the latest reports were published: the next nightly makes
    them, rather than finding the reports already published."""
    (tmp_path / "2026-27" / "Q2").mkdir(parents=True)
    (tmp_path / "2026-27" / "Q2" / "els-ppb.html").write_text("<p>page</p>", encoding="utf-8")
    entry: dict[str, Any] = {
        "board": "ELS",
        "period": "2026/27 Q2",
        "title": "Quarter 2 2026/27",
        "path": "2026-27/Q2/els-ppb.html",
        "csv": "2026-27/Q2/els-ppb.csv",
        "as_at": "30 September 2026",
    }
    manifest = {"council": "Brookfield", "reports": [entry]}
    (tmp_path / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    latest = {(2026, "Q2")}
    assert already_published(tmp_path, latest, "30 September 2026")
    assert not already_published(tmp_path, latest, "30 September 2026", latest)
    entry["pdf"] = {"path": "2026-27/Q2/els-ppb.pdf", "sha256": "0"}
    (tmp_path / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    assert already_published(tmp_path, latest, "30 September 2026", latest)
