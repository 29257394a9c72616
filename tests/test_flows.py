"""The Prefect flows under one test harness per session (it takes ~20 s to start)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
import yaml

from tests.conftest import DEMO, DEMO_AS_OF, ROOT
from warehouse.exports import export_csv
from warehouse.schema import connect

pytestmark = pytest.mark.prefect


@pytest.fixture(scope="session")
def harness() -> Iterator[None]:
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


def test_nightly_flow_runs_the_demo_end_to_end(harness: None, tmp_path: Path) -> None:
    from flows.nightly import nightly

    url = f"sqlite:///{tmp_path / 'w.sqlite'}"
    outcome = nightly(str(DEMO), url, str(tmp_path / "out"), DEMO_AS_OF)
    assert outcome.exit_code == 1  # the demo's planted mistakes are rejected
    assert len(outcome.rejections) == 9
    assert outcome.measures == 2350
    assert (tmp_path / "out" / "2026-27" / "Q2" / "cyp-ppb.html").exists()
    quality = (tmp_path / "out" / "data-quality.html").read_text()
    assert "CYP SC 09" in quality and "duplicate_in_extract" in quality
    # ELS has not sent its quarterly return for 2026/27 Q2 yet.
    assert "Sources with no figures for 2026/27 Q2" in quality and "els-quarterly" in quality
    page = tmp_path / "out" / "2026-27" / "Q2" / "cyp-ppb.html"
    written = page.stat().st_mtime_ns
    again = nightly(str(DEMO), url, str(tmp_path / "out"), DEMO_AS_OF)
    assert all(f.skipped for f in again.files)
    assert again.exit_code == 0
    # Nothing new: nothing recomputed and nothing re-rendered, on the same day or the next
    # (the reports keep the as-at of the figures they show).
    assert again.reports == [] and page.stat().st_mtime_ns == written
    next_day = nightly(str(DEMO), url, str(tmp_path / "out"), DEMO_AS_OF + dt.timedelta(days=1))
    assert next_day.reports == [] and page.stat().st_mtime_ns == written
    # A report missing from the folder is written again, as it was.
    published = page.read_bytes()
    page.unlink()
    nightly(str(DEMO), url, str(tmp_path / "out"), DEMO_AS_OF + dt.timedelta(days=1))
    assert page.read_bytes() == published


def test_backfill_over_two_years_equals_a_fresh_full_run(harness: None, tmp_path: Path) -> None:
    from flows.nightly import backfill, nightly

    url = f"sqlite:///{tmp_path / 'w.sqlite'}"
    nightly(str(DEMO), url, str(tmp_path / "full"), DEMO_AS_OF)
    outcome = backfill(
        str(DEMO), "2024/25 Q1", "2025/26 Q4", url, str(tmp_path / "back"), None, DEMO_AS_OF
    )
    assert {r["period"] for r in outcome.reports} == {
        f"{fy} {p}" for fy in ("2024/25", "2025/26") for p in ("Q1", "Q2", "Q3", "Q4", "H1", "H2")
    }
    assert len(outcome.reports) == 2 * (2 * 4 + 2 * 2)  # two quarterly and two half-yearly boards
    for entry in outcome.reports:
        assert (tmp_path / "back" / entry["path"]).read_bytes() == (
            tmp_path / "full" / entry["path"]
        ).read_bytes()


def test_a_failing_source_leaves_the_others_loaded(
    harness: None, tmp_path: Path, demo_copy: Path
) -> None:
    from flows.nightly import nightly

    (demo_copy / "extracts" / "community" / "community.db").write_bytes(b"this is not a database")
    url = f"sqlite:///{tmp_path / 'w.sqlite'}"
    outcome = nightly(str(demo_copy), url, str(tmp_path / "out"), DEMO_AS_OF)
    assert outcome.exit_code == 1
    broken = [r for r in outcome.rejections if r["source_id"] == "community-db"]
    assert [r["reason_code"] for r in broken] == ["unreadable_file"]
    measures = pl.read_csv(export_csv(connect(url), "measures").encode())
    loaded = measures.filter(pl.col("months_present") > 0)["indicator_code"].unique()
    assert "CYP SC 01" in loaded.to_list() and "LS 01" not in loaded.to_list()


def test_prefect_yaml_entrypoints_and_schedules_resolve(harness: None) -> None:
    import importlib

    spec = yaml.safe_load((ROOT / "prefect.yaml").read_text())
    names = {d["name"]: d for d in spec["deployments"]}
    assert set(names) == {"nightly", "backfill", "publish"}
    assert names["nightly"]["schedules"] == [{"cron": "0 2 * * *", "timezone": "Europe/London"}]
    for deployment in spec["deployments"]:
        module, function = deployment["entrypoint"].split(":")
        flow = getattr(
            importlib.import_module(module.replace("/", ".").removesuffix(".py")), function
        )
        assert set(deployment["parameters"]) <= set(flow.parameters.properties)


def test_a_source_task_that_crashes_fails_alone_and_the_run_says_so(
    harness: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import flows.nightly as flows
    from schemas import ingest

    real = ingest.ingest_source

    def crash_for_community(council: object, source: object, *args: object) -> object:
        if source.id == "community-db":  # type: ignore[attr-defined]
            raise ConnectionError("community database server refused the connection")
        return real(council, source, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(ingest, "ingest_source", crash_for_community)
    monkeypatch.setattr(flows, "read_source", flows.read_source.with_options(retries=0))
    url = f"sqlite:///{tmp_path / 'w.sqlite'}"
    outcome = flows.nightly(str(DEMO), url, str(tmp_path / "out"), DEMO_AS_OF)
    assert list(outcome.failed_sources) == ["community-db"]
    assert "refused the connection" in outcome.failed_sources["community-db"]
    assert outcome.exit_code == 1
    assert any("community-db: FAILED" in line for line in outcome.lines())
    measures = pl.read_csv(export_csv(connect(url), "measures").encode())
    loaded = set(measures.filter(pl.col("months_present") > 0)["indicator_code"])
    assert "CYP SC 01" in loaded and "LS 01" not in loaded
    assert (tmp_path / "out" / "2026-27" / "Q2" / "cyp-ppb.html").exists()
