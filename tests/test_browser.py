"""The reports in a real browser: Debian's Chromium, driven by Playwright, checked by axe-core."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from boardpack.config import load_council
from outputs import publish as publishing
from schemas import ingest
from tests.conftest import DEMO, DEMO_AS_OF, ROOT
from tests.test_warehouse import demo_warehouse

pytestmark = pytest.mark.browser
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOT = ROOT / "var" / "screenshots" / "board-report.png"  # docs/ holds a copy


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("browser")
    engine = demo_warehouse(f"sqlite:///{folder / 'w.sqlite'}")
    publishing.publish(
        engine,
        load_council(DEMO),
        folder / "out",
        DEMO_AS_OF,
        periods={(2026, "Q2"), (2026, "H1"), (2024, "Q2")},
    )
    from outputs.quality import write_quality_page

    batch = ingest.ingest_all(load_council(DEMO), DEMO_AS_OF, folder)
    write_quality_page(
        folder / "out",
        "Brookfield Borough Council",
        "30 September 2026",
        [vars(f) for f in batch.files],
        batch.frame("rejections"),
    )
    return folder / "out"


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


PAGES = [
    "2026-27/Q2/cyp-ppb.html",
    "2026-27/H1/cabinet.html",
    "2026-27/H1/community-services.html",
    "2026-27/H1/cabinet-exceptions.html",
    "2026-27/Q2/els-ppb-exceptions.html",
    "2026-27/H1/priority-place.html",
    "2024-25/Q2/cyp-ppb.html",
    "2026-27/Q2/cyp-ppb-benchmarking.html",
    "2026-27/H1/cabinet-benchmarking.html",
    "2026-27/H1/cabinet-charts.html",
    "index.html",
    "data-quality.html",
]


@pytest.mark.parametrize("page_path", PAGES)
def test_page_renders_without_errors_and_passes_axe(
    browser: object, site: Path, page_path: str
) -> None:
    from axe_playwright_python.sync_playwright import Axe

    page = browser.new_page(viewport={"width": 1400, "height": 900})  # type: ignore[attr-defined]
    errors: list[str] = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    page.on("pageerror", lambda error: errors.append(str(error)))
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto((site / page_path).as_uri())
    assert errors == []
    assert dialogs == []  # the <script> in a commentary cell never runs
    results = Axe().run(
        page,
        options={
            "runOnly": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
        },
    )
    assert results.violations_count == 0, results.generate_report()
    if page_path == PAGES[0]:
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT), full_page=False)
    page.close()


def test_hostile_commentary_shows_as_text(browser: object, site: Path) -> None:
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto((site / "2024-25" / "Q2" / "cyp-ppb.html").as_uri())
    assert "Data checked <script>alert('x')</script> by <b>AB</b> & team" in page.inner_text("main")
    page.close()


# A4 less the 12 mm margins of the print stylesheet, in CSS pixels (96 per inch).
A4_WIDTH_PX = {
    "portrait": round((210 - 24) / 25.4 * 96),
    "landscape": round((297 - 24) / 25.4 * 96),
}
BOARD_PAGES = [
    p for p in PAGES if p.count("/") == 2 and not p.endswith(("-charts.html", "-benchmarking.html"))
]
WIDEST_ELEMENT = """() => Math.max(document.documentElement.scrollWidth,
    ...[...document.body.querySelectorAll('*')].map(e => e.getBoundingClientRect().right))"""
PRINT_RULES = """() => {
    const style = e => getComputedStyle(e);
    // The first rated status (a "Data only" cell has no colour to keep).
    const status = [...document.querySelectorAll('td[headers$="-indicators-status"]')]
        .find(e => /^[✔▲✖]/.test(e.innerText.trim()));
    return {
        thead: [...document.querySelectorAll('thead')].map(e => style(e).display),
        rows: [...document.querySelectorAll('tbody tr')].map(e => style(e).breakInside),
        colour: style(status).printColorAdjust,
        background: style(status).backgroundColor,
        words: status.innerText,
    };
}"""


def orientation(page_path: str) -> str:
    return "landscape" if page_path in BOARD_PAGES else "portrait"


@pytest.mark.parametrize("page_path", PAGES)
def test_page_prints_on_a4_with_nothing_cut_off(
    browser: object, site: Path, page_path: str, tmp_path: Path
) -> None:
    """Print emulation at the A4 page box's width: nothing wider than the page, and Chromium's
    own PDF of the page is A4 in the orientation the page asks for."""
    from pypdf import PdfReader

    width = A4_WIDTH_PX[orientation(page_path)]
    page = browser.new_page(viewport={"width": width, "height": 1000})  # type: ignore[attr-defined]
    page.emulate_media(media="print")
    page.goto((site / page_path).as_uri())
    assert page.evaluate(WIDEST_ELEMENT) <= width
    pdf = tmp_path / "printed.pdf"
    page.pdf(path=str(pdf), prefer_css_page_size=True, print_background=True)
    page.close()
    box = PdfReader(pdf).pages[0].mediabox
    size = sorted((round(float(box.width)), round(float(box.height))))
    assert size == [595, 842]  # A4 in points
    assert (box.width > box.height) == (orientation(page_path) == "landscape")


@pytest.mark.parametrize("page_path", BOARD_PAGES)
def test_printed_rows_stay_whole_with_headers_repeated_and_colours_kept(
    browser: object, site: Path, page_path: str
) -> None:
    page = browser.new_page(viewport={"width": A4_WIDTH_PX["landscape"], "height": 1000})  # type: ignore[attr-defined]
    page.emulate_media(media="print")
    page.goto((site / page_path).as_uri())
    rules = page.evaluate(PRINT_RULES)
    page.close()
    assert set(rules["thead"]) == {"table-header-group"}
    assert set(rules["rows"]) == {"avoid"}
    assert rules["colour"] == "exact"
    assert rules["background"] in {"rgb(215, 240, 221)", "rgb(255, 233, 168)", "rgb(249, 211, 215)"}
    assert rules["words"].split(" ", 1)[1] in {"On target", "Near target", "Off target"}


PHONE = {"width": 390, "height": 844}
PHONE_CELLS = """() => [...document.querySelectorAll(
    'td[headers$="-indicators-code"], td[headers$="-indicators-title"],'
    + 'td[headers$="-indicators-actual"], td[headers$="-indicators-status"],'
    + 'td[headers$="-indicators-direction"]')].map(e => {
        const r = e.getBoundingClientRect();
        return {left: r.left, right: r.right, text: e.innerText};
    })"""
CODE_LINES = """() => [...document.querySelectorAll('td[headers$="-indicators-code"]')].map(e => {
    const range = document.createRange();
    range.selectNodeContents(e);
    return new Set([...range.getClientRects()].map(r => Math.round(r.top))).size;
})"""


@pytest.mark.parametrize("page_path", BOARD_PAGES)
def test_phone_shows_code_figures_status_and_direction_without_sideways_scrolling(
    browser: object, site: Path, page_path: str
) -> None:
    from axe_playwright_python.sync_playwright import Axe

    page = browser.new_page(viewport=PHONE)  # type: ignore[attr-defined]
    page.goto((site / page_path).as_uri())
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    cells = page.evaluate(PHONE_CELLS)
    assert cells
    outside = [c for c in cells if c["left"] < 0 or c["right"] > PHONE["width"]]
    assert outside == []
    assert set(page.evaluate(CODE_LINES)) == {1}  # no code wraps
    # Each figure still says which column it is.
    actual = page.locator('td[headers$="-indicators-actual"]').first
    assert actual.evaluate("e => getComputedStyle(e, '::before').content") == '"Actual to date: "'
    results = Axe().run(page, options={"runOnly": ["wcag2a", "wcag2aa", "wcag21aa", "wcag22aa"]})
    page.close()
    assert results.violations_count == 0, results.generate_report()


def test_printed_index_still_names_each_boards_latest_report(browser: object, site: Path) -> None:
    page = browser.new_page(viewport={"width": A4_WIDTH_PX["portrait"], "height": 1000})  # type: ignore[attr-defined]
    page.emulate_media(media="print")
    page.goto((site / "index.html").as_uri())
    text = page.inner_text("main")
    page.close()
    assert "Latest: Quarter 2 2026/27: " in text
    assert "Latest: Half-year 1 2026/27: " in text


@pytest.mark.parametrize("page_path", PAGES)
def test_every_page_fits_a_phone_screen(browser: object, site: Path, page_path: str) -> None:
    page = browser.new_page(viewport=PHONE)  # type: ignore[attr-defined]
    page.goto((site / page_path).as_uri())
    width = page.evaluate("document.documentElement.scrollWidth")
    page.close()
    assert width <= PHONE["width"]


def _changed_pixels(before: bytes, after: bytes) -> tuple[float, int]:
    """Between two screenshots of the same size: the share of pixels whose grey level
    changed at all, and the largest change (of 255)."""
    import io

    from PIL import Image, ImageChops

    first, second = (Image.open(io.BytesIO(shot)).convert("L") for shot in (before, after))
    assert first.size == second.size
    counts = ImageChops.difference(first, second).histogram()
    changed = sum(counts[1:]) / (first.width * first.height)
    return changed, max(level for level, count in enumerate(counts) if count)


def test_sparklines_look_as_great_tables_drew_them(browser: object, tmp_path: Path) -> None:
    """Each sparkline with the page's one hatched fill looks, pixel for pixel, as great-tables'
    nanoplot with a fill of its own in every plot, its coordinates written to one decimal as
    ours are; and against great-tables' own plot, writing them to one decimal changes only
    the odd anti-aliased pixel at an edge (the screenshots were compared by eye too)."""
    from outputs.sparklines import PATTERN_DEFINITION
    from tests.test_sparklines import _great_tables, _ours, _to_one_decimal

    trends: list[list[float | None] | None] = [
        [12.0, 47.0, 30.0, None, 8.5, 9.0, 10.0, 11.0],
        [5.0, 5.0, 5.0],
        [88.3, 88.8, 90.9, 90.8, 92.5, 93.1],
    ]
    alts = ["first", "second", "third"]
    drawn = _great_tables(trends, alts)
    tables = {
        "great-tables": drawn,
        "great-tables to one decimal": _to_one_decimal(drawn),
        "ours": PATTERN_DEFINITION + _ours(trends, alts),
    }
    page = browser.new_page(device_scale_factor=2)  # type: ignore[attr-defined]
    shots = {}
    for name, table in tables.items():
        path = tmp_path / f"{name}.html"
        path.write_text(f"<!DOCTYPE html><html><body>{table}</body></html>", encoding="utf-8")
        page.goto(path.as_uri())
        shots[name] = page.locator("table").screenshot()
    page.close()
    assert shots["ours"] == shots["great-tables to one decimal"]
    # A coordinate moves by at most 0.05 of a unit (a fortieth of a pixel): only the odd
    # anti-aliased edge pixel changes, and none by more than a quarter of its grey level.
    changed, most = _changed_pixels(shots["great-tables"], shots["ours"])
    assert changed < 0.005
    assert most <= 64
