"""The returns page in Chromium: accessible (axe-core), fits a laptop and a phone, and shows
text from the configuration as text."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from core.settings import Contact, ReturnDue, Source
from outputs.returns import write_returns_page
from tests.test_browser import browser  # noqa: F401 - the Chromium fixture
from transforms.returns import register_frame, source_register

pytestmark = pytest.mark.browser


def a_register() -> pl.DataFrame:
    source = Source(
        id="els-quarterly",
        department="Employment, Learning & <Skills>",
        kind="observations",
        format="csv",
        path="x/*.csv",
        due=ReturnDue(working_days_after=10),
        contact=Contact(name="ELS business support manager", email="els.returns@x.example"),
    )
    on_time = {
        "fy": 2026,
        "fm": 3,
        "file": "/councils/brookfield/extracts/els/q1.xlsx",
        "run_id": 1,
        "received": dt.date(2026, 7, 10),
        "rows": 33,
        "rejected": 1,
    }
    loads = pl.DataFrame([on_time])
    rows = source_register(source, loads, dt.date(2026, 10, 20), dt.date(2026, 7, 1))
    return register_frame(rows)


def test_the_returns_page_passes_axe_and_fits_the_screen(
    browser: object,  # noqa: F811
    tmp_path: Path,
) -> None:
    from axe_playwright_python.sync_playwright import Axe

    path = write_returns_page(tmp_path, "Brookfield <Borough>", "20 October 2026", a_register())
    assert path is not None
    for width in (1400, 390):
        page = browser.new_page(viewport={"width": width, "height": 900})  # type: ignore[attr-defined]
        page.goto(path.as_uri())
        results = Axe().run(
            page, options={"runOnly": ["wcag2a", "wcag2aa", "wcag21aa", "best-practice"]}
        )
        assert results.violations_count == 0, results.generate_report()
        text = page.inner_text("body")
        assert "Employment, Learning & <Skills>" in text  # escaped, shown as written
        assert "✖ Late: outstanding" in text  # Q2: due 14 October, nothing by the 20th
        assert "✔ On time" in text  # Q1: received 10 July, due 14 July
        assert page.evaluate("document.documentElement.scrollWidth") <= width  # no sideways
        page.close()
