"""What members read (SPEC §5, issue 24): dated periods, indicators not reported and why,
each report's own as-at, exceptions and priority pages, fuller milestones and risks,
narrative, and a demo whose words agree with its figures."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import polars as pl
import pytest

from boardpack.config import load_council
from outputs.formatting import dated_period_title
from outputs.registers import milestone_rows, overdue, risk_rows, with_previous_scores
from schemas.registers import register_date, split_register
from tests.conftest import DEMO
from tests.test_reports import csv_rows, text_of


@pytest.fixture(scope="module")
def site(demo_site: Path) -> Path:
    return demo_site


def page_text(site: Path, path: str) -> str:
    return text_of((site / path).read_text(encoding="utf-8"))


def test_period_titles_name_their_dates() -> None:
    assert dated_period_title(2026, "Q2") == "Quarter 2 2026/27: 1 July to 30 September 2026"
    assert dated_period_title(2026, "H2") == (
        "Half-year 2 2026/27: 1 October 2026 to 31 March 2027"
    )
    # A council whose year starts in January.
    assert dated_period_title(2026, "Q1", 1) == "Quarter 1 2026/27: 1 January to 31 March 2026"


def test_annual_indicators_not_reported_are_named_with_the_reason(site: Path) -> None:
    text = page_text(site, "2026-27/H1/community-services.html")
    assert "Half-year 1 2026/27: 1 April to 30 September 2026" in text
    for code in ("CP 03", "OS 02", "OS 04"):
        assert re.search(rf"{code} [^:]+: reported annually: next at 2026/27 year end", text), code
    els = page_text(site, "2026-27/Q2/els-ppb.html")
    assert re.search(r"ELS AL 04 [^:]+: reported annually: next at 2026/27 year end", els)
    # At the year end the annual measures are in the table, not in the list.
    year_end = page_text(site, "2025-26/H2/community-services.html")
    assert "Measures not reported this period" not in year_end


def test_owner_is_shown_with_the_indicator(site: Path) -> None:
    rows = {r["code"]: r for r in csv_rows(site / "2026-27" / "H1" / "community-services.csv")}
    assert rows["OS 01"]["title"] == "Parks inspections completed on time"
    assert rows["OS 01"]["owner"] == "Parks and Open Spaces Manager"
    text = page_text(site, "2026-27/H1/community-services.html")
    assert (
        "Parks inspections completed on time (lead officer: Parks and Open Spaces Manager)" in text
    )


def test_each_report_gives_its_own_data_as_at(site: Path) -> None:
    manifest = json.loads((site / "manifest.json").read_text(encoding="utf-8"))
    by_path = {e["path"]: e for e in manifest["reports"]}
    old = by_path["2021-22/Q2/cyp-ppb.html"]["data_as_at"]
    assert old.startswith("30 September 2021, the end of the period")
    assert by_path["2026-27/Q2/cyp-ppb.html"]["data_as_at"].startswith("30 September 2026")
    index = page_text(site, "index.html")
    assert "data as at 30 September 2021, the end of the period" in index
    assert "Data as at 30 September 2021, the end of the period" in page_text(
        site, "2021-22/Q2/cyp-ppb.html"
    )


def test_exceptions_page_gathers_reds_overdue_milestones_and_high_risks(site: Path) -> None:
    path = "2026-27/H1/cabinet-exceptions.html"
    text = page_text(site, path)
    board = csv_rows(site / "2026-27" / "H1" / "cabinet.csv")
    reds = [r["code"].replace(" ★", "") for r in board if r["status"].endswith("Off target")]
    greens = [r["code"].replace(" ★", "") for r in board if r["status"].endswith("On target")]
    assert reds
    assert all(code in text for code in reds)
    assert not any(re.search(rf"\b{code}\b", text) for code in greens)
    # WR M01 was due on 1 April 2026 and is not complete: overdue, not only off track.
    assert "WR M01 ★ Introduce weekly food waste collections" in text
    assert "⚠ Overdue (off track)" in text
    assert "FIN M01" not in text  # complete
    # High risks, highest score first.
    assert text.index("WR R01") < text.index("FIN R01")
    assert 'href="cabinet-exceptions.html"' in (site / "2026-27/H1/cabinet.html").read_text()
    assert 'href="2026-27/H1/cabinet-exceptions.html"' in (site / "index.html").read_text()


def test_an_empty_exceptions_section_says_so(site: Path) -> None:
    text = page_text(site, "2026-27/H1/community-services-exceptions.html")
    assert "No milestones are overdue or off track this period." in text


def test_priority_page_gathers_measures_and_milestones_from_every_board(site: Path) -> None:
    text = page_text(site, "2026-27/H1/priority-place.html")
    assert "A clean, green and growing place — Half-year 1 2026/27" in text
    assert "Cabinet" in text
    assert "Community Services Committee" in text
    assert "WR 01" in text
    assert "OS 01" in text
    assert "FIN 01" not in text
    assert "WR M01" in text
    assert "OS M01" in text
    council = load_council(DEMO)
    place = council.indicators.filter(
        pl.col("priority").str.contains("place")
        & pl.col("service").is_in(
            [s for b in council.settings.boards if b.cadence == "half-yearly" for s in b.services]
        )
        & (pl.col("frequency") != "annual")
    )
    assert re.search(r"\d+ \(\d+%\) of our measures are on track", text)
    counted = sum(int(n) for n in re.findall(r"(\d+) \(\d+%\)", text))
    unrated = sum(
        int(found.group(1))
        for words in ("reported for information only", "incomplete", "with no data yet")
        if (found := re.search(rf"(\d+) {words}", text))
    )
    assert counted + unrated == place.height
    index = page_text(site, "index.html")
    assert "Council priorities" in index
    assert "A well-run council" in index


def test_milestones_overdue_by_revised_else_original_date() -> None:
    frame = pl.DataFrame(
        {
            "service": ["S"] * 4,
            "ref": ["A", "B", "C", "D"],
            "description": ["d"] * 4,
            "due_date": [dt.date(2026, 4, 1)] * 3 + [dt.date(2026, 12, 1)],
            "revised_date": [None, dt.date(2026, 12, 31), None, None],
            "status": ["off_track", "at_risk", "complete", "on_track"],
            "commentary": [None] * 4,
        }
    )
    end = dt.date(2026, 9, 30)
    assert overdue(frame, end).to_list() == [True, False, False, False]
    rows = milestone_rows(frame, end)
    assert rows["status"].to_list() == [
        "⚠ Overdue (off track)",
        "? At risk",
        "✔ Complete",
        "► On track",
    ]
    assert rows["due"][1] == "31 December 2026 (revised from 1 April 2026)"


def register(kind: str, **columns: list[str | None]) -> pl.DataFrame:
    height = len(next(iter(columns.values())))
    frame = pl.DataFrame(
        {"row_number": list(range(2, height + 2)), **columns}, schema_overrides=None
    )
    from core.columns import CANONICAL

    return frame.with_columns(
        pl.lit(None, dtype=pl.String).alias(c) for c in CANONICAL[kind] if c not in columns
    ).with_columns(pl.lit(None, dtype=pl.String).alias("header"))


def test_register_dates_read_the_ways_departments_write_them() -> None:
    frame = pl.DataFrame({"d": ["2026-04-01", "01/04/2026", "1/4/26", "01-04-2026", "4/1/2026x"]})
    parsed = frame.select(register_date(pl.col("d"))).to_series().to_list()
    assert parsed[:3] == [dt.date(2026, 4, 1)] * 3
    # SPEC §4 lists the forms; a dash form invites MM-DD guesses and is rejected.
    assert parsed[3:] == [None, None]


def test_milestone_fields_are_checked_and_kept() -> None:
    frame = register(
        "milestones",
        ref=["M1", "M2", "M3"],
        service=["S"] * 3,
        description=["d"] * 3,
        status=["on_track"] * 3,
        period=["2026/27 Q2"] * 3,
        owner=["Head of Parks", None, None],
        revised_date=["31/12/26", "someday", None],
        priority=["place | people", None, "nowhere"],
        key=["TRUE", None, None],
    )
    accepted, rejected = split_register(frame, "milestones", 4, frozenset({"place", "people"}))
    row = accepted.row(0, named=True)
    assert (row["owner"], row["revised_date"], row["priority"], row["key"]) == (
        "Head of Parks",
        dt.date(2026, 12, 31),
        "place|people",
        True,
    )
    assert rejected.select("row_number", "reason_code", "column").rows() == [
        (3, "invalid_date", "revised_date"),
        (4, "invalid_choice", "priority"),
    ]


def test_risk_rating_follows_likelihood_times_impact_and_the_councils_bands() -> None:
    frame = register(
        "risks",
        ref=["R1", "R2", "R3", "R4", "R5"],
        service=["S"] * 5,
        description=["d"] * 5,
        rating=[None, None, None, "high", None],
        period=["2026/27 Q2"] * 5,
        likelihood=["3", "2", "1", "1", "6"],
        impact=["5", "4", "2", "1", "1"],
    )
    accepted, rejected = split_register(frame, "risks")
    assert accepted["rating"].to_list() == ["high", "medium", "low", "high"]
    assert rejected.select("row_number", "column").rows() == [(6, "likelihood")]
    # A council with its own bands.
    banded, _ = split_register(frame.head(3), "risks", bands=(10, 5))
    assert banded["rating"].to_list() == ["high", "medium", "low"]


def test_risk_movement_and_order_by_score() -> None:
    risks = pl.DataFrame(
        {
            "ref": ["A", "A", "B", "C"],
            "fy": [2025, 2026, 2026, 2026],
            "quarter": [4, 1, 1, 1],
            "service": ["S"] * 4,
            "description": ["a", "a", "b", "c"],
            "rating": ["high"] * 4,
            "mitigation": [None] * 4,
            "progress": [None] * 4,
            "likelihood": [3, 4, 5, None],
            "impact": [4, 4, 5, None],
            "corporate": [None, True, None, None],
        }
    )
    shown = risk_rows(with_previous_scores(risks).filter(pl.col("fy") == 2026))
    assert shown["ref"].to_list() == ["B", "A", "C"]
    assert shown["movement"].to_list() == ["• New this quarter", "↑ Score up", "– Not scored"]
    assert shown["description"][1] == "a (corporate risk)"
    assert shown["score"][1] == "16 (likelihood 4 × impact 4)"


def test_narrative_is_shown_under_its_service_and_escaped(site: Path) -> None:
    text = page_text(site, "2026-27/H1/community-services.html")
    assert "Key developments and emerging issues" in text
    assert "Open Spaces Key developments Riverside Park" in text
    assert "Awards and accreditations Quest 'Excellent' rating" in text.replace("&#x27;", "'")


def test_narrative_rows_are_validated() -> None:
    frame = register(
        "narrative",
        service=["Parks", "Parks", "Parks", None],
        period=["2026/27 Q2", "2026/27 Q2", "Summer", "2026/27 Q2"],
        heading=["Key developments", "Key developments", "Emerging issues", "Awards"],
        text=["a", "b", "c", "d"],
    )
    accepted, rejected = split_register(frame, "narrative")
    assert accepted.is_empty()
    assert sorted(rejected.select("row_number", "reason_code").rows()) == [
        (2, "duplicate_in_extract"),
        (3, "duplicate_in_extract"),
        (4, "bad_period"),
        (5, "missing_value"),
    ]


# Words that claim a status, and the statuses they may stand beside.
CLAIMS = {
    r"\b(below|behind) (profile|target)\b|\boff (target|track)\b|\bnot met\b": {"amber", "red"},
    r"\b(above|ahead of) (profile|target)\b|\bon (target|track)\b|\bexceed": {"green"},
}


def contradictions(rows: list[dict[str, str]]) -> list[str]:
    """Codes whose commentary claims a status other than the one shown beside it."""
    found = []
    for row in rows:
        status = STATUS_KEYS.get(row["status"].split(" ", 1)[-1])
        for pattern, allowed in CLAIMS.items():
            if re.search(pattern, row["commentary"], re.IGNORECASE) and status not in allowed:
                found.append(row["code"])
    return found


def test_a_commentary_claiming_another_status_is_caught() -> None:
    rows = [
        {"code": "CS 01", "status": "✔ On target", "commentary": "Below profile due to vacancies"},
        {"code": "CS 02", "status": "✖ Off target", "commentary": "Ahead of target"},
        {"code": "CS 03", "status": "✖ Off target", "commentary": "Below target: vacancies"},
    ]
    assert contradictions(rows) == ["CS 01", "CS 02"]


def test_demo_commentary_never_claims_a_status_its_figures_contradict(site: Path) -> None:
    manifest = json.loads((site / "manifest.json").read_text(encoding="utf-8"))
    tables = [site / entry["csv"] for entry in manifest["reports"]]
    assert len(tables) > 50
    for table in tables:
        assert contradictions(csv_rows(table)) == [], table


STATUS_KEYS = {
    "On target": "green",
    "Near target": "amber",
    "Off target": "red",
    "Data only": "no_target",
    "No data": "no_data",
}


def test_demo_fin_r01_progress_matches_fin_01(site: Path) -> None:
    fin = next(
        r for r in csv_rows(site / "2026-27/H1/cabinet.csv") if r["code"].startswith("FIN 01")
    )
    actual, target = (float(fin[k].rstrip("%")) for k in ("actual", "target"))
    risk = next(r for r in csv_rows(site / "2026-27/H1/cabinet-risks.csv") if r["ref"] == "FIN R01")
    assert f"{target - actual:.1f} points below profile" in risk["progress"]
    assert f"({fin['actual']} against {fin['target']})" in risk["progress"]


def test_an_indicator_naming_an_unknown_priority_is_a_configuration_error(
    demo_copy: Path,
) -> None:
    from core.errors import ConfigError

    indicators = demo_copy / "indicators.csv"
    text = indicators.read_text(encoding="utf-8")
    indicators.write_text(
        text.replace(",council,Chief Finance", ",council|growth,Chief Finance", 1)
    )
    with pytest.raises(ConfigError) as raised:
        load_council(demo_copy)
    assert raised.value.column == "priority"
    assert "'growth' is not one of the council's priorities" in str(raised.value)
    assert raised.value.row is not None
    assert text.splitlines()[raised.value.row - 1].startswith("FIN 01,")
