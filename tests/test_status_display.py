"""Honest statuses on the page (SPEC §5, issue 23): part-year totals shown as incomplete and
never coloured, part-period figures saying so, the year-end forecast column, and the
council's own definitions in the notes and the summary sentence, in both ratings."""

from __future__ import annotations

import html
import re
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from boardpack import runs
from outputs.board import summary_sentence
from outputs.status import coverage, figure_text, status_definitions, status_text
from tests.conftest import DEMO_AS_OF, ROOT
from tests.test_reports import csv_rows, text_of
from warehouse.exports import export_csv
from warehouse.schema import connect

COLCHESTER = (
    "on track to be achieved ('Green'), 1 (10%) are not meeting expectations to date but "
    "with improvement likely ('Amber'), and 3 (30%) are currently not meeting expectations "
    "and unlikely to do so by the year-end ('Red')"
)


def test_coverage_reads_in_months_or_quarters() -> None:
    assert coverage(5, 6, "monthly") == "5 of 6 months"
    assert coverage(1, 2, "quarterly") == "1 of 2 quarters"
    assert coverage(6, 6, "monthly") is None  # all of it
    assert coverage(0, 6, "monthly") is None  # none of it: no data, not part of it
    assert status_text("… Incomplete", "incomplete", "5 of 6 months") == (
        "… Incomplete: 5 of 6 months"
    )
    assert figure_text("8.5", "amber", "1 of 2 quarters") == "8.5 (based on 1 of 2 quarters)"
    assert figure_text("480", "incomplete", "5 of 6 months") == "480"  # its status says so


def test_the_summary_sentence_uses_the_councils_definitions() -> None:
    summary: dict[str, int | None] = {
        "green": 10,
        "amber": 2,
        "red": 2,
        "no_target": 0,
        "no_data": 0,
        "incomplete": 1,
        "green_pct": 72,
        "amber_pct": 14,
        "red_pct": 14,
    }
    definitions = {
        "green": "on track to be achieved",
        "amber": "not meeting expectations to date but with improvement likely",
        "red": "currently not meeting expectations and unlikely to do so by the year-end",
    }
    colours = {"green": "Green", "amber": "Amber", "red": "Red"}
    assert summary_sentence(summary, colours, definitions) == (
        "10 (72%) of our measures are on track to be achieved ('Green'), 2 (14%) are not "
        "meeting expectations to date but with improvement likely ('Amber'), and 2 (14%) are "
        "currently not meeting expectations and unlikely to do so by the year-end ('Red'); "
        "1 incomplete (figures for part of the period only)."
    )
    # Two states in the council's words: no amber.
    two: dict[str, int | None] = {
        **summary,
        "amber": 0,
        "green_pct": 83,
        "amber_pct": 0,
        "red_pct": 17,
    }
    met = summary_sentence(two, {"green": "Met", "red": "Not met"}, {"green": "met"})
    assert met.startswith("10 (83%) of our measures are met ('Met') and 2 (17%) are not met")


def test_boardpacks_own_definitions_say_which_rating_is_in_force() -> None:
    assert "meets or beats the year-to-date target" in status_definitions("tolerance", {})["green"]
    assert "year-end forecast" in status_definitions("forecast", {})["amber"]
    assert status_definitions("forecast", {"red": "will not be met"})["red"] == "will not be met"


@pytest.fixture(scope="module")
def forecast_site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The demo generated with ``--rating forecast`` (Colchester's definitions), run."""
    folder = tmp_path_factory.mktemp("forecast")
    council = folder / "council"
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "examples" / "generate_demo.py"),
            "--out",
            str(council),
            "--rating",
            "forecast",
        ],
        check=True,
        capture_output=True,
    )
    url = f"sqlite:///{folder / 'w.sqlite'}"
    runs.nightly(council, url, folder / "out", DEMO_AS_OF)
    return folder / "out", url


def test_the_forecast_rated_demo_reads_in_colchesters_words(
    forecast_site: tuple[Path, str],
) -> None:
    out, url = forecast_site
    page = (out / "2026-27" / "Q2" / "cyp-ppb.html").read_text(encoding="utf-8")
    text = html.unescape(text_of(page))
    assert COLCHESTER in text
    assert "Green on track to be achieved." in text  # the notes define each status
    assert "Year-end forecast" in text
    rows = {
        r["code"].replace(" ★", ""): r for r in csv_rows(out / "2026-27" / "Q2" / "cyp-ppb.csv")
    }
    # Behind its target to date, but the service forecasts the year's target will be met.
    assert rows["CYP ED 05"]["status"] == "▲ Amber"
    assert (rows["CYP ED 05"]["actual"], rows["CYP ED 05"]["forecast"]) == ("74%", "76%")
    # Its first quarter's rows were rejected: a total of one quarter of two is not rated.
    assert rows["CYP SC 05"]["status"] == "… Incomplete: 1 of 2 quarters"
    measures = pl.read_csv(export_csv(connect(url), "measures").encode(), infer_schema_length=None)
    ed05 = measures.filter(
        (pl.col("indicator_code") == "CYP ED 05") & (pl.col("period") == "2026/27 Q2")
    )
    assert ed05.select("rag", "forecast_value").row(0) == ("amber", 76.0)


def test_an_incomplete_status_is_never_coloured(forecast_site: tuple[Path, str]) -> None:
    out, _ = forecast_site
    page = (out / "2026-27" / "Q2" / "cyp-ppb.html").read_text(encoding="utf-8")
    cell = re.search(r"<td[^>]*>… Incomplete: 1 of 2 quarters</td>", page)
    assert cell is not None
    assert "background" not in cell.group(0)
    summary = pl.read_csv(export_csv(connect(forecast_site[1]), "summary").encode())
    assert summary.columns[-4:] == ["incomplete", "green_pct", "amber_pct", "red_pct"]
    q2 = summary.filter((pl.col("board_id") == "cyp-ppb") & (pl.col("period") == "2026/27 Q2"))
    assert q2.select("green", "amber", "red", "incomplete").row(0) == (6, 1, 3, 1)
    # Charts mark the incomplete year to date, in words as well as a ring.
    charts = html.unescape(
        text_of((out / "2026-27" / "Q2" / "cyp-ppb-charts.html").read_text("utf-8"))
    )
    assert "2026/27 Q2: 9 (incomplete: part of the period's figures)" in charts


def test_the_run_summary_artifact_counts_incomplete_totals_apart() -> None:
    import datetime as dt

    from boardpack.outcome import RunOutcome

    report = {
        "board": "Cabinet",
        "period": "2026/27 H1",
        "path": "2026-27/H1/cabinet.html",
        "summary": {
            "green": 3,
            "amber": 1,
            "red": 0,
            "no_target": 2,
            "no_data": 0,
            "incomplete": 1,
        },
    }
    outcome = RunOutcome(1, dt.date(2026, 9, 30), "out", [], [], {}, reports=[report])
    assert (
        "- Cabinet 2026/27 H1: `2026-27/H1/cabinet.html` (3 on target, 1 near target, "
        "0 off target, 2 data only, 0 no data, 1 incomplete)"
    ) in outcome.markdown()
