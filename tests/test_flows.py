"""The Prefect flows, run in this process against the session's real Prefect server."""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
import sqlalchemy as sa
import yaml

from tests.conftest import DEMO, DEMO_AS_OF, ROOT
from tests.prefect_server import PrefectServer, free_port
from tests.test_digest import Inbox, plain_text
from tests.test_returns import send, write_council
from tests.test_sql_sources import SilentServer, council_with_sql_source
from warehouse.exports import export_csv
from warehouse.lock import exclusive_run
from warehouse.schema import connect

pytestmark = pytest.mark.prefect


@pytest.fixture
def harness(prefect_api: PrefectServer) -> Iterator[None]:
    """The flows report to the session's real Prefect server (not a temporary API)."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: prefect_api.api_url}):
        yield


@pytest.fixture
def worker_warehouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The warehouse a worker finds in its environment (URLs are never flow parameters)."""
    url = f"sqlite:///{tmp_path / 'w.sqlite'}"
    monkeypatch.setenv("BOARDPACK_WAREHOUSE_URL", url)
    return url


def test_nightly_flow_runs_the_demo_end_to_end(
    harness: None, tmp_path: Path, worker_warehouse: str
) -> None:
    from flows.nightly import nightly

    outcome = nightly(str(DEMO), None, str(tmp_path / "out"), DEMO_AS_OF)
    assert outcome.exit_code == 1  # the demo's planted mistakes are rejected
    assert len(outcome.rejections) == 9
    assert outcome.measures == 2350
    assert (tmp_path / "out" / "2026-27" / "Q2" / "cyp-ppb.html").exists()
    quality = (tmp_path / "out" / "data-quality.html").read_text()
    assert "CYP SC 09" in quality
    assert "duplicate_in_extract" in quality
    # ELS has not sent its quarterly return for 2026/27 Q2 yet.
    assert "Sources with no figures for 2026/27 Q2" in quality
    assert "els-quarterly" in quality
    page = tmp_path / "out" / "2026-27" / "Q2" / "cyp-ppb.html"
    written = page.stat().st_mtime_ns
    again = nightly(str(DEMO), None, str(tmp_path / "out"), DEMO_AS_OF)
    # Unchanged files are skipped, except one holding a figure for a period after the as-of
    # date: it is checked again each night until the figure is due.
    waiting = {r["file"] for r in outcome.rejections if r["reason_code"] == "future_period"}
    assert waiting
    assert {f.file for f in again.files if not f.skipped} == waiting
    assert [r["reason_code"] for r in again.rejections] == ["future_period"]
    # Nothing new: nothing recomputed and nothing re-rendered, on the same day or the next
    # (the reports keep the as-at of the figures they show).
    assert again.reports == []
    assert page.stat().st_mtime_ns == written
    next_day = nightly(str(DEMO), None, str(tmp_path / "out"), DEMO_AS_OF + dt.timedelta(days=1))
    assert next_day.reports == []
    assert page.stat().st_mtime_ns == written
    # A report missing from the folder is written again, as it was.
    published = page.read_bytes()
    page.unlink()
    nightly(str(DEMO), None, str(tmp_path / "out"), DEMO_AS_OF + dt.timedelta(days=1))
    assert page.read_bytes() == published


def test_backfill_over_two_years_equals_a_fresh_full_run(
    harness: None, tmp_path: Path, worker_warehouse: str
) -> None:
    from boardpack import runs
    from flows.nightly import backfill

    runs.nightly(DEMO, None, tmp_path / "full", DEMO_AS_OF)
    outcome = backfill(
        str(DEMO), "2024/25 Q1", "2025/26 Q4", None, str(tmp_path / "back"), None, DEMO_AS_OF
    )
    assert {r["period"] for r in outcome.reports} == {
        f"{fy} {p}" for fy in ("2024/25", "2025/26") for p in ("Q1", "Q2", "Q3", "Q4", "H1", "H2")
    }
    assert len(outcome.reports) == 2 * (2 * 4 + 2 * 2)  # two quarterly and two half-yearly boards
    for entry in outcome.reports:
        assert (tmp_path / "back" / entry["path"]).read_bytes() == (
            tmp_path / "full" / entry["path"]
        ).read_bytes()


def test_a_database_that_is_down_is_retried_then_fails_the_flow_run_after_the_rest_loads(
    harness: None,
    tmp_path: Path,
    demo_copy: Path,
    worker_warehouse: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import flows.nightly as flows

    (demo_copy / "extracts" / "community" / "community.db").write_bytes(b"this is not a database")
    # The retries happen as configured (twice), without their waits.
    monkeypatch.setattr(flows, "read_source", flows.read_source.with_options(retry_delay_seconds=0))
    state = flows.nightly.with_options(retries=0)(
        str(demo_copy), None, str(tmp_path / "out"), DEMO_AS_OF, return_state=True
    )
    assert state.is_failed()
    # Each failed source and why, then the run's counts: what the alert quotes.
    assert state.message.startswith("source(s) failed: community-db: ")
    assert "file is not a database" in state.message
    assert "rows read" in state.message
    assert "7 rejected" in state.message
    outcome = state.result(raise_on_failure=False).account
    assert outcome.exit_code == 1
    assert list(outcome.failed_sources) == ["community-db"]
    broken = [r for r in outcome.rejections if r["source_id"] == "community-db"]
    assert [r["reason_code"] for r in broken] == ["unreadable_file"]
    assert "could not be read" in broken[0]["message"]
    # The other sources loaded and the reports were published all the same.
    measures = pl.read_csv(export_csv(connect(worker_warehouse), "measures").encode())
    loaded = measures.filter(pl.col("months_present") > 0)["indicator_code"].unique()
    assert "CYP SC 01" in loaded.to_list()
    assert "LS 01" not in loaded.to_list()
    assert (tmp_path / "out" / "2026-27" / "Q2" / "cyp-ppb.html").exists()
    # The run's log in Prefect: rejections as warnings, the failure as an error (boardpack's
    # progress lines, at INFO, are checked through a worker in tests/test_deployment.py).
    logged = run_log(state.state_details.flow_run_id)
    assert (logging.WARNING, "8 row(s) or file(s) rejected") in logged  # 7 rows, 1 source
    assert any(
        level == logging.ERROR and "source community-db failed" in text for level, text in logged
    )
    # Lines, not dumps: no traceback and no engine error about the run's result.
    assert not [text for _, text in logged if "Traceback" in text or "TypeError" in text]


def run_log(flow_run_id: object) -> list[tuple[int, str]]:
    """(level, message) of every line a flow run logged, as the Prefect UI shows them."""
    from prefect import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId
    from prefect.logging.handlers import APILogWorker
    from prefect.utilities.asyncutils import run_coro_as_sync

    APILogWorker.drain_all(timeout=30)  # lines are sent in batches: send the last ones now

    async def read() -> list[tuple[int, str]]:
        async with get_client() as client:
            where = LogFilter(flow_run_id=LogFilterFlowRunId(any_=[flow_run_id]))
            return [(log.level, log.message) for log in await client.read_logs(where)]

    return run_coro_as_sync(read()) or []


def test_prefect_yaml_entrypoints_and_schedules_resolve(harness: None) -> None:
    import importlib

    spec = yaml.safe_load((ROOT / "prefect.yaml").read_text())
    names = {d["name"]: d for d in spec["deployments"]}
    assert set(names) == {"nightly", "backfill", "publish", "councils"}
    assert names["nightly"]["schedules"] == [{"cron": "0 2 * * *", "timezone": "Europe/London"}]
    for deployment in spec["deployments"]:
        module, function = deployment["entrypoint"].split(":")
        flow = getattr(
            importlib.import_module(module.replace("/", ".").removesuffix(".py")), function
        )
        assert set(deployment["parameters"]) <= set(flow.parameters.properties)
        # Every deployment has a time limit of its own (a flow run still going ends TimedOut).
        env = deployment["work_pool"]["job_variables"]["env"]
        assert int(env["BOARDPACK_FLOW_TIMEOUT_SECONDS"]) > 0


def test_a_source_task_that_crashes_fails_alone_and_the_run_says_so(
    harness: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import flows.nightly as flows
    from schemas import ingest

    real = ingest.ingest_source
    attempts: list[int] = []

    def crash_for_community(council: object, source: object, *args: object) -> object:
        if source.id == "community-db":  # type: ignore[attr-defined]
            attempts.append(1)
            raise ConnectionError("community database server refused the connection")
        return real(council, source, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(flows, "ingest_source", crash_for_community)
    monkeypatch.setattr(flows, "read_source", flows.read_source.with_options(retry_delay_seconds=0))
    url = f"sqlite:///{tmp_path / 'w.sqlite'}"
    monkeypatch.setenv("BOARDPACK_WAREHOUSE_URL", url)
    state = flows.nightly(str(DEMO), None, str(tmp_path / "out"), DEMO_AS_OF, return_state=True)
    assert state.is_failed()
    assert "community-db: community database server refused the connection" in state.message
    outcome = state.result(raise_on_failure=False).account
    assert attempts == [1, 1, 1]  # tried three times (two retries) before failing
    assert list(outcome.failed_sources) == ["community-db"]
    assert "refused the connection" in outcome.failed_sources["community-db"]
    assert outcome.exit_code == 1
    assert any("community-db: FAILED" in line for line in outcome.lines())
    measures = pl.read_csv(export_csv(connect(url), "measures").encode())
    loaded = set(measures.filter(pl.col("months_present") > 0)["indicator_code"])
    assert "CYP SC 01" in loaded
    assert "LS 01" not in loaded
    assert (tmp_path / "out" / "2026-27" / "Q2" / "cyp-ppb.html").exists()


def test_the_warehouse_url_comes_from_a_secret_block_not_a_parameter(
    harness: None, tmp_path: Path
) -> None:
    from prefect import get_client
    from prefect.blocks.system import Secret
    from prefect.utilities.asyncutils import run_coro_as_sync

    from flows.nightly import nightly

    url = f"sqlite:///{tmp_path / 'kept-secret.sqlite'}"
    Secret(value=url).save("warehouse-url", overwrite=True)
    state = nightly(
        str(DEMO), "warehouse-url", str(tmp_path / "out"), DEMO_AS_OF, return_state=True
    )
    assert state.result(raise_on_failure=False).measures == 2350
    assert (tmp_path / "kept-secret.sqlite").exists()

    async def parameters() -> dict[str, object]:
        async with get_client() as client:
            run = await client.read_flow_run(state.state_details.flow_run_id)
            return dict(run.parameters)

    stored = run_coro_as_sync(parameters())
    assert stored["warehouse"] == "warehouse-url"
    assert "kept-secret" not in repr(stored)


def test_the_command_line_runs_through_prefect_when_a_server_is_configured(
    harness: None, prefect_api: PrefectServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With PREFECT_API_URL set, `boardpack run` is a flow run the Prefect UI shows."""
    from tests.test_cli import boardpack

    monkeypatch.setenv("PREFECT_API_URL", prefect_api.api_url)
    # The command hands --warehouse to the flow through the environment: restored afterwards.
    monkeypatch.delenv("BOARDPACK_WAREHOUSE_URL", raising=False)
    completed = {"flow_runs": {"state": {"type": {"any_": ["COMPLETED"]}}}}
    before = len(prefect_api.post("flow_runs/filter", completed))
    result = boardpack(
        "run",
        "--config",
        str(DEMO),
        "--warehouse",
        f"sqlite:///{tmp_path / 'w.sqlite'}",
        "--out",
        str(tmp_path / "out"),
        "--as-of",
        DEMO_AS_OF.isoformat(),
    )
    assert result.returncode == 1, result.stderr  # the demo's planted mistakes, as ever
    assert "9 rejected" in result.stdout
    assert (tmp_path / "out" / "index.html").exists()
    # One more completed flow run on the server (scheduled nightlies may wait there too).
    assert len(prefect_api.post("flow_runs/filter", completed)) == before + 1


def test_a_url_given_as_the_warehouse_fails_the_run_without_repeating_it(
    harness: None, caplog: pytest.LogCaptureFixture
) -> None:
    """The warehouse parameter takes a Secret block's name: a URL is refused when the run
    starts too (the server refuses it earlier, when a deployment's run is created), and the
    password appears in neither the state's message nor the run's log."""
    from flows.nightly import nightly

    url = "postgresql://boardpack:s3cret-password@db.example.org/warehouse"
    state = nightly(str(DEMO), url, return_state=True)
    assert state.is_failed()
    assert "warehouse: String should match pattern" in str(state.message)
    assert "s3cret-password" not in str(state.message)
    logged = run_log(state.state_details.flow_run_id)
    assert not [text for _, text in logged if "s3cret-password" in text]
    assert "s3cret-password" not in caplog.text  # nor in the worker's own output


def test_a_nightly_still_going_at_its_time_limit_ends_timed_out_and_frees_the_warehouse(
    harness: None, tmp_path: Path, worker_warehouse: str, silent_server: SilentServer
) -> None:
    """What each deployment's BOARDPACK_FLOW_TIMEOUT_SECONDS is for: a run still going at
    its time limit (here a source that waits longer than the limit) ends TimedOut, a Failed
    state the alert automation hears, and leaves the warehouse free for the next night."""
    from flows.nightly import nightly

    council = council_with_sql_source(
        tmp_path / "council",
        url=f"postgresql+psycopg://kpi@127.0.0.1:{silent_server.port}/returns",
        timeout={"connect": 8, "statement": 8},  # longer than the run's limit
        retries={"attempts": 1, "wait": [0]},
    )
    limited = nightly.with_options(timeout_seconds=3)
    state = limited(str(council), None, str(tmp_path / "out"), DEMO_AS_OF, return_state=True)
    assert state.name == "TimedOut"
    assert state.is_failed()
    engine = connect(worker_warehouse)
    with exclusive_run(engine):  # the lock was let go
        pass
    with engine.connect() as connection:
        statuses = connection.execute(sa.text("SELECT status FROM runs")).scalars().all()
    assert "running" not in statuses
    engine.dispose()


def test_the_nightly_flow_emails_its_digest_and_one_not_sent_is_told_the_next_night(
    harness: None,
    tmp_path: Path,
    worker_warehouse: str,
    inbox: Inbox,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Under Prefect the digest goes by prefect-email's task, with the EmailServerCredentials
    block the run names (else the worker's SMTP settings); a mail server that is down loses
    no item."""
    from prefect_email import EmailServerCredentials

    from flows.nightly import nightly

    working = os.environ["BOARDPACK_SMTP_PORT"]
    monkeypatch.setenv("BOARDPACK_SMTP_PORT", str(free_port()))  # nothing listens there
    folder = write_council(tmp_path / "council")
    send(folder, "waste", "q3.csv", [("WS 01", "2025/26 Q3", 40)])
    homes = [("HS 01", "2025/26 Q1", 10), ("HS 01", "2025/26 Q2", 10), ("HS 01", "2025/26 Q3", 11)]
    send(folder, "housing", "q3.csv", homes)
    out = str(folder / "out")
    first = nightly(str(folder), None, out, dt.date(2026, 1, 15), return_state=True)
    assert first.is_completed()  # the run's work is done; only the email failed
    assert inbox.received == []
    # The next night names a block for the working server (the environment's is still down).
    block = EmailServerCredentials(
        smtp_server="127.0.0.1", smtp_port=int(working), smtp_type="INSECURE"
    )
    block.save("digest-mail", overwrite=True)
    second = nightly(
        str(folder), None, out, dt.date(2026, 1, 16), email="digest-mail", return_state=True
    )
    assert second.is_completed()
    [(recipients, message)] = inbox.received
    assert recipients == ["place.panel@riverside.example"]
    assert "WS 01 Household waste recycled is Off target at 2025/26 Q3" in plain_text(message)
