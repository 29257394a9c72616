"""Board report pages (SPEC §5): the right rows and statuses, escaping, determinism."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import polars as pl
import pytest
import sqlalchemy as sa

from boardpack.config import load_council
from outputs import publish as publishing
from tests.conftest import DEMO, DEMO_AS_OF
from warehouse.exports import export_csv


@pytest.fixture(scope="module")
def engine(demo_engine: sa.Engine) -> sa.Engine:
    return demo_engine


@pytest.fixture(scope="module")
def site(demo_site: Path) -> Path:
    return demo_site


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_every_board_and_period_with_data_has_a_page_at_the_spec_path(site: Path) -> None:
    manifest = json.loads((site / "manifest.json").read_text())
    paths = {r["path"] for r in manifest["reports"]}
    assert "2026-27/Q2/els-ppb.html" in paths
    assert "2026-27/H1/cabinet.html" in paths
    assert "2026-27/Q3/els-ppb.html" not in paths  # not ended by the as-of date
    assert len(paths) == 2 * 4 * 5 + 2 * 2 + 2 * 2 * 5 + 2  # 5 full years and 2026/27 so far
    for entry in manifest["reports"]:
        assert (site / entry["path"]).exists()
        assert (site / entry["csv"]).exists()
        # A CSV of each table beside the page, for authors who paste into Word.
        # Pages with benchmarked indicators also have a benchmarking table and page (SPEC §7).
        benchmarked = {"benchmarks"} if "benchmarking" in entry else set()
        assert (
            set(entry["tables"]) == {"indicators", "summary", "milestones", "risks"} | benchmarked
        )
        assert not benchmarked or (site / entry["benchmarking"]).exists()
        assert all((site / path).exists() for path in entry["tables"].values())
    benchmarking = {r["benchmarking"] for r in manifest["reports"] if "benchmarking" in r}
    assert "2026-27/Q2/cyp-ppb-benchmarking.html" in benchmarking
    assert "2026-27/Q2/els-ppb-benchmarking.html" not in benchmarking  # nothing benchmarked
    milestones = csv_rows(site / "2026-27" / "Q2" / "els-ppb-milestones.csv")
    assert {r["ref"] for r in milestones} == {"ELS M01", "ELS M02", "ELS M03"}
    index = (site / "index.html").read_text()
    assert 'href="2026-27/Q2/els-ppb.html"' in index


def test_page_title_summary_and_known_rows(site: Path, engine: sa.Engine) -> None:
    html = (site / "2026-27" / "Q2" / "els-ppb.html").read_text()
    assert (
        "<title>Employment, Learning and Skills Policy and Performance Board"
        " — Quarter 2 2026/27: 1 July to 30 September 2026</title>" in html
    )
    assert '<html lang="en-GB">' in html
    text = text_of(html)
    summaries = pl.read_csv(export_csv(engine, "summary").encode()).to_dicts()
    summary = next(
        r for r in summaries if r["board_id"] == "els-ppb" and r["period"] == "2026/27 Q2"
    )
    assert (
        f"{summary['green']} ({summary['green_pct']}%) of our measures are on track (green), "
        f"{summary['amber']} ({summary['amber_pct']}%) amber, "
        f"{summary['red']} ({summary['red_pct']}%) red"
    ) in text
    rows = {
        r["code"].replace(" ★", ""): r for r in csv_rows(site / "2026-27" / "Q2" / "els-ppb.csv")
    }
    # Annual measures join a quarterly board's report at Q4 only.
    assert set(rows) == set(
        load_council(DEMO).indicators.filter(
            pl.col("code").str.starts_with("ELS") & (pl.col("frequency") != "annual")
        )["code"]
    )
    assert rows["ELS LI 03"]["status"] == "○ Data only"
    # Status is in words and symbol, never colour alone.
    assert all(r["status"].split(" ", 1)[0] in "✔▲✖○–…" for r in rows.values())
    # The ELS source sent nothing for August: ES 02's total of 5 of 6 months is not rated
    # against a full half's target or last year's (issue 23).
    assert rows["ELS ES 02"]["status"] == "… Incomplete: 5 of 6 months"
    assert rows["ELS ES 02"]["direction"] == "· Not comparable"
    # A mean of the quarters present says it is one.
    assert rows["ELS AL 03"]["actual"].endswith("(based on 1 of 2 quarters)")
    assert "Objectives and milestones" in text
    assert "ELS M02" in text
    assert "High risks" in text
    assert "Data as at 30 September 2026" in text


def csv_rows(path: Path) -> list[dict[str, str]]:
    import csv

    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_figures_are_formatted_by_unit(site: Path) -> None:
    rows = {
        r["code"].replace(" ★", ""): r for r in csv_rows(site / "2026-27" / "H1" / "cabinet.csv")
    }
    assert rows["FIN 01"]["target"] == "57.0%"  # the Q2 profile of council tax collection
    assert re.fullmatch(r"−?£[\d,]+", rows["FIN 06"]["actual"])
    assert rows["FIN 06"]["target"] == "£0"
    assert rows["FIN 04"]["actual"].endswith(" days")


def test_key_measures_are_marked(site: Path) -> None:
    codes = [r["code"] for r in csv_rows(site / "2026-27" / "H1" / "cabinet.csv")]
    assert "PL 01 ★" in codes
    assert "PL 02" in codes


def test_text_from_extracts_is_escaped(site: Path) -> None:
    html = (site / "2024-25" / "Q2" / "cyp-ppb.html").read_text()
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    assert "&lt;b&gt;AB&lt;/b&gt; &amp; team" in html


def test_the_same_warehouse_renders_byte_identical_files(
    engine: sa.Engine, site: Path, tmp_path: Path
) -> None:
    shutil.copytree(site, tmp_path / "again")  # the site is the engine's first rendering
    publishing.publish(engine, load_council(DEMO), tmp_path / "again2", DEMO_AS_OF)
    first = sorted(
        p.relative_to(tmp_path / "again") for p in (tmp_path / "again").rglob("*") if p.is_file()
    )
    assert first
    for relative in first:
        assert (tmp_path / "again" / relative).read_bytes() == (
            tmp_path / "again2" / relative
        ).read_bytes()


def test_pages_rendered_over_worker_processes_are_the_same_files(
    engine: sa.Engine, site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import outputs.site

    monkeypatch.setattr(outputs.site, "PAGES_PER_WORKER", 1)  # a process per core, even here
    publishing.publish(engine, load_council(DEMO), tmp_path / "pool", DEMO_AS_OF)
    written = sorted(p.relative_to(site) for p in site.rglob("*.html"))
    assert len(written) > 2
    for relative in written:
        assert (tmp_path / "pool" / relative).read_bytes() == (site / relative).read_bytes()


def test_tolerance_note_lists_only_the_boards_own_measures_in_their_units(site: Path) -> None:
    cabinet = text_of((site / "2026-27" / "H1" / "cabinet.html").read_text())
    children = text_of((site / "2026-27" / "Q2" / "cyp-ppb.html").read_text())
    assert "Measures with their own tolerance: FIN 06: £250,000." in cabinet
    assert "CYP SC 07" not in cabinet
    assert "Measures with their own tolerance: CYP SC 07: 1.0." in children
    assert "FIN 06" not in children
    skills = text_of((site / "2026-27" / "Q2" / "els-ppb.html").read_text())
    assert "Measures with their own tolerance" not in skills  # none of its measures has one


def test_milestones_are_due_on_uk_dates(site: Path) -> None:
    html = (site / "2026-27" / "Q2" / "els-ppb.html").read_text()
    dues = [r["due"] for r in csv_rows(site / "2026-27" / "Q2" / "els-ppb-milestones.csv")]
    assert dues
    day = r"\d{1,2} [A-Z][a-z]+ 20\d\d"
    # A revised date shows with the original: "31 January 2027 (revised from 30 November 2026)".
    assert all(re.fullmatch(rf"{day}( \(revised from {day}\))?|–", due) for due in dues)
    assert any("(revised from" in due for due in dues)
    assert all(f">{due}</td>" in html for due in dues)
    assert not re.search(r">20\d\d-\d\d-\d\d<", html)


def test_sparkline_text_is_rounded_and_written_like_the_figures() -> None:
    from outputs.board import trend_texts

    frame = pl.DataFrame(
        {
            "trend": [[88.85, None, 90.0], [250000.4, 1234.5], None],
            "unit": ["percent", "gbp", "count"],
            "decimals": [1, 0, 0],
            "frequency": ["monthly", "quarterly", "annual"],
        }
    )
    assert trend_texts(frame) == [
        "Quarterly values, oldest first: 88.9%, no data, 90.0%",
        "Quarterly values, oldest first: £250,000, £1,235",
        "Yearly values, oldest first: no data",
    ]


def test_chart_page_draws_each_measure_against_its_target_with_the_figures_in_words(
    site: Path,
) -> None:
    manifest = json.loads((site / "manifest.json").read_text())
    (entry,) = [e for e in manifest["reports"] if e["path"] == "2026-27/H1/cabinet.html"]
    assert entry["charts"] == "2026-27/H1/cabinet-charts.html"
    charts = (site / entry["charts"]).read_text()
    report = (site / entry["path"]).read_text()
    assert 'href="cabinet-charts.html"' in report
    assert 'href="cabinet.html"' in charts
    codes = {r["code"].removesuffix(" ★") for r in csv_rows(site / entry["csv"])}
    assert set(re.findall(r'<figure class="chart" id="chart-([a-z0-9-]+)"', charts)) == {
        code.lower().replace(" ", "-") for code in codes
    }
    # Eight quarters up to Q2 2026/27, oldest first, rounded as the report rounds them.
    words = re.search(r'id="chart-cs-01".*?oldest first: ([^<]*)\.</p>', charts)
    assert words is not None
    periods = [p.split(":")[0] for p in words.group(1).split("; ")]
    assert periods[0] == "2024/25 Q3"
    assert periods[-1] == "2026/27 Q2"
    assert len(periods) == 8
    assert all(
        re.fullmatch(r"\d+\.\d%", p.split(": ")[1].split(" ")[0])
        for p in words.group(1).split("; ")
    )
    assert "(target 80.0%)" in words.group(1)
    assert "<polyline" in charts
    assert "stroke-dasharray" in charts  # the target line


def test_index_shows_each_boards_latest_summary_in_words(site: Path) -> None:
    index = text_of((site / "index.html").read_text())
    summary = csv_rows(site / "2026-27" / "Q2" / "cyp-ppb-summary.csv")
    counts = [r["measures"] for r in summary]
    assert (
        f"Latest: Quarter 2 2026/27 : {counts[0]} on target, {counts[1]} near target, "
        f"{counts[2]} off target, {counts[3]} data only, {counts[4]} no data, "
        f"{counts[5]} incomplete." in index
    )


def test_each_page_defines_every_svg_fill_it_uses_once(site: Path) -> None:
    """The sparklines' hatched fill is defined once a page, not in every row: each page's
    ids are unique and every ``url(#…)`` fill names one of them."""
    pages = sorted(site.rglob("*.html"))
    with_sparklines = 0
    for page in pages:
        html = page.read_text(encoding="utf-8")
        ids = re.findall(r'\bid="([^"]+)"', html)
        assert len(ids) == len(set(ids)), page
        used = set(re.findall(r"url\(#([^)]+)\)", html))
        assert used <= set(ids), (page, used - set(ids))
        if 'class="area-closed"' in html:
            with_sparklines += 1
            assert html.count("<pattern ") == 1, page
    assert with_sparklines > 10


def _polars_threads() -> int:
    return pl.thread_pool_size()


def test_render_workers_give_polars_one_thread_each(monkeypatch: pytest.MonkeyPatch) -> None:
    """The render pool's processes run polars on one thread each (the pool is the
    parallelism); the run's own process and environment are left as they were."""
    import multiprocessing
    import os
    from concurrent.futures import ProcessPoolExecutor

    from outputs.pool import POLARS_THREADS_VARIABLE, one_polars_thread_each

    monkeypatch.setenv(POLARS_THREADS_VARIABLE, "2")
    spawn = multiprocessing.get_context("spawn")
    with one_polars_thread_each(), ProcessPoolExecutor(1, mp_context=spawn) as pool:
        assert pool.submit(_polars_threads).result() == 1
    assert os.environ[POLARS_THREADS_VARIABLE] == "2"
    monkeypatch.delenv(POLARS_THREADS_VARIABLE)
    with one_polars_thread_each():
        pass
    assert POLARS_THREADS_VARIABLE not in os.environ


def _collector(_: int) -> tuple[int, int]:
    import gc

    return gc.get_threshold()[0], gc.get_freeze_count()


def test_render_workers_collect_less_often_and_leave_imported_objects_alone() -> None:
    """A render worker's collector runs less often than Python's default and skips what
    its modules made at import (collections were a tenth of a page's rendering); this
    process's collector is left as it was."""
    import gc

    from outputs.pool import COLLECT_AFTER, in_processes

    before = gc.get_threshold()
    settings = list(in_processes(_collector, range(4), workers=2))
    assert all(threshold == COLLECT_AFTER and frozen > 10_000 for threshold, frozen in settings)
    assert gc.get_threshold() == before
