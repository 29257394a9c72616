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

    batch = ingest.ingest_all(load_council(DEMO), DEMO_AS_OF)
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
    "2024-25/Q2/cyp-ppb.html",
    "2026-27/Q2/cyp-ppb-benchmarking.html",
    "2026-27/H1/cabinet-benchmarking.html",
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
