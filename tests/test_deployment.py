"""prefect.yaml, a process worker and the failure alert against a real Prefect server.

One server for the session (tests/conftest.py, on PostgreSQL): the work pool is created and
`prefect deploy --all` run from the repository root, exactly as the README says.
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml

from flows import notify
from tests.conftest import DEMO, DEMO_AS_OF, ROOT
from tests.prefect_server import (
    COMMAND_SECONDS,
    PYTHON,
    Background,
    PrefectServer,
    WebhookReceiver,
    clean_environment,
    free_port,
    poll,
    prefect_worker,
    wait_until_online,
    webhook_receiver,
)

pytestmark = pytest.mark.prefect

POOL = "boardpack"
DEPLOYMENTS = {
    "nightly": "boardpack-nightly/nightly",
    "backfill": "boardpack-backfill/backfill",
    "publish": "boardpack-publish/publish",
}
LONDON = ZoneInfo("Europe/London")
RUN_SECONDS = 300  # a demo nightly takes ~15 s through the worker on an idle machine


@pytest.fixture(scope="module")
def server(prefect_api: PrefectServer) -> PrefectServer:
    """The session's real Prefect server (tests/conftest.py), on PostgreSQL."""
    return prefect_api


@dataclass
class Stack:
    deployments: dict[str, dict[str, Any]]
    worker: Background


@pytest.fixture(scope="module")
def stack(server: PrefectServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """As the README says: the work pool, a worker (starting while the deploy runs), the deploy."""
    folder = tmp_path_factory.mktemp("prefect-worker")
    server.prefect("work-pool", "create", POOL, "--type", "process")
    # A scheduled 02:00 nightly picked up while the tests run writes here, not into ./var.
    guard = f"sqlite:///{folder / 'stray-warehouse.sqlite'}"
    with prefect_worker(server, POOL, folder / "worker.log", BOARDPACK_WAREHOUSE_URL=guard) as w:
        output = server.prefect("deploy", "--all", "--no-prompt")
        assert "Skipping" not in output, output  # an invalid prefect.yaml is skipped, not fatal
        yield Stack({name: server.deployment(path) for name, path in DEPLOYMENTS.items()}, w)


@pytest.fixture(scope="module")
def deployed(stack: Stack) -> dict[str, dict[str, Any]]:
    return stack.deployments


@pytest.fixture(scope="module")
def worker(server: PrefectServer, stack: Stack) -> Background:
    wait_until_online(server, POOL, stack.worker)
    return stack.worker


@pytest.fixture(scope="module")
def receiver() -> Iterator[WebhookReceiver]:
    with webhook_receiver() as running:
        yield running


@pytest.fixture(scope="module")
def alert(server: PrefectServer, receiver: WebhookReceiver) -> str:
    """The failure alert installed as the README says: the command's output."""
    return server.run(str(PYTHON), "-m", "flows.notify", "--webhook-url", receiver.url)


def test_deploy_all_creates_the_three_deployments_as_prefect_yaml_says(
    deployed: dict[str, dict[str, Any]],
) -> None:
    for name, deployment in deployed.items():
        assert deployment["work_pool_name"] == POOL
        assert deployment["entrypoint"] == f"flows/nightly.py:{name}"
        assert deployment["description"]
        assert set(deployment["tags"]) == {"boardpack", name}
        # One run of each at a time: a second waits for the first to finish.
        assert deployment["global_concurrency_limit"]["limit"] == 1
        assert deployment["concurrency_options"]["collision_strategy"] == "ENQUEUE"
        # Runs start in the checkout the deploy was run from, wherever that is.
        assert deployment["pull_steps"] == [
            {"prefect.deployments.steps.set_working_directory": {"directory": str(ROOT)}}
        ]
    assert deployed["nightly"]["parameters"] == {
        "config": "examples/demo-council",
        "wait_seconds": 3600,
    }
    assert [s["schedule"] for s in deployed["nightly"]["schedules"]] == [
        {"cron": "0 2 * * *", "timezone": "Europe/London", "day_or": True}
    ]
    assert deployed["backfill"]["schedules"] == deployed["publish"]["schedules"] == []


def test_the_server_schedules_the_nightly_at_two_in_the_morning_uk_time(
    server: PrefectServer, deployed: dict[str, dict[str, Any]]
) -> None:
    nightly_id = deployed["nightly"]["id"]

    def upcoming() -> list[dt.datetime] | None:
        runs = server.post(
            "flow_runs/filter",
            {
                "flow_runs": {
                    "deployment_id": {"any_": [nightly_id]},
                    "state": {"type": {"any_": ["SCHEDULED"]}},
                },
                "sort": "EXPECTED_START_TIME_ASC",
            },
        )
        starts = [dt.datetime.fromisoformat(r["expected_start_time"]) for r in runs]
        return starts if len(starts) >= 3 else None

    # The scheduler service looks at a new deployment within seconds; allow a loaded machine.
    starts = poll("scheduled nightly runs", upcoming, seconds=150, every=2)
    london = [start.astimezone(LONDON) for start in starts]
    assert all((t.hour, t.minute) == (2, 0) for t in london), london
    days = [t.date() for t in london]
    assert days == [days[0] + dt.timedelta(days=i) for i in range(len(days))]
    now = dt.datetime.now(LONDON)
    assert now < london[0] <= now + dt.timedelta(days=1)
    print("scheduled nightly runs:", ", ".join(t.isoformat() for t in london))
    server.assert_log_clean()


def test_nightly_then_backfill_runs_through_a_process_worker_complete_and_publish(
    server: PrefectServer,
    deployed: dict[str, dict[str, Any]],
    worker: Background,
    tmp_path: Path,
) -> None:
    council = tmp_path / "council"
    shutil.copytree(DEMO, council)
    # The warehouse URL travels in a Secret block; the run's parameters only name the block.
    url = f"sqlite:///{tmp_path / 'warehouse.sqlite'}"
    save_secret = f"from prefect.blocks.system import Secret; Secret(value={url!r}).save('wh')"
    server.run(str(PYTHON), "-c", save_secret)
    warehouse = "wh"
    out = tmp_path / "out"
    nightly_run = server.create_run(
        deployed["nightly"]["id"],
        config=str(council),
        warehouse=warehouse,
        out=str(out),
        as_of=DEMO_AS_OF.isoformat(),
    )
    state = server.final_state(nightly_run, RUN_SECONDS)
    assert state["type"] == "COMPLETED", f"{state}\n{worker.output()}"
    assert (out / "index.html").exists()
    assert (out / "data-quality.html").exists()
    assert (out / "2026-27" / "Q2" / "cyp-ppb.html").exists()
    assert (tmp_path / "warehouse.sqlite").exists()
    assert "warehouse.sqlite" not in str(server.get(f"flow_runs/{nightly_run}")["parameters"])
    # The run's artifacts, shown in the UI: rows per file, the rejections, the summary.
    artifacts = server.post(
        "artifacts/filter", {"artifacts": {"flow_run_id": {"any_": [nightly_run]}}}
    )
    assert {a["key"] for a in artifacts} == {
        "boardpack-sources",
        "boardpack-data-quality",
        "boardpack-run-summary",
    }

    # boardpack's own progress lines are in the run's log, as the Prefect UI shows it.
    logs = server.post("logs/filter", {"logs": {"flow_run_id": {"any_": [nightly_run]}}})
    messages = {log["message"] for log in logs}
    sources = len(yaml.safe_load((council / "council.yaml").read_text())["sources"])
    assert {f"Reading {sources} sources", "Publishing the board reports that changed"} <= messages

    # The next night, nothing new: the run completes and rewrites no report.
    page = out / "2026-27" / "Q2" / "cyp-ppb.html"
    written = page.stat().st_mtime_ns
    quiet_run = server.create_run(
        deployed["nightly"]["id"],
        config=str(council),
        warehouse=warehouse,
        out=str(out),
        as_of=DEMO_AS_OF.isoformat(),
    )
    state = server.final_state(quiet_run, RUN_SECONDS)
    assert state["type"] == "COMPLETED", f"{state}\n{worker.output()}"
    assert page.stat().st_mtime_ns == written
    seconds = server.get(f"flow_runs/{quiet_run}")["total_run_time"]
    print(f"no-change nightly through the deployment: {seconds:.1f} s of flow run time")

    # A backfill of two quarters, into a fresh folder: those periods' reports and no others.
    # Its config is prefect.yaml's relative examples/demo-council, found because the run
    # starts in the checkout the deploy recorded.
    again = tmp_path / "backfill"
    backfill_run = server.start_deployment(
        DEPLOYMENTS["backfill"],
        warehouse=warehouse,
        out=str(again),
        start="2025/26 Q4",
        end="2026/27 Q1",
        as_of=DEMO_AS_OF.isoformat(),
    )
    state = server.final_state(backfill_run, RUN_SECONDS)
    assert state["type"] == "COMPLETED", f"{state}\n{worker.output()}"
    assert (again / "2025-26" / "Q4" / "cyp-ppb.html").exists()
    assert (again / "2026-27" / "Q1" / "cyp-ppb.html").exists()
    assert not (again / "2026-27" / "Q2").exists()
    server.assert_log_clean()


def test_the_failure_alert_is_accepted_by_the_server(
    server: PrefectServer, receiver: WebhookReceiver, alert: str
) -> None:
    assert notify.AUTOMATION_NAME in alert
    # Running it again replaces the automation rather than adding a second one.
    again = server.run(str(PYTHON), "-m", "flows.notify", "--webhook-url", receiver.url)
    assert notify.AUTOMATION_NAME in again
    automations = server.post("automations/filter", {})
    [automation] = [a for a in automations if a["name"] == notify.AUTOMATION_NAME]
    assert automation["enabled"] is True
    trigger = automation["trigger"]
    assert set(trigger["expect"]) == {"prefect.flow-run.Failed", "prefect.flow-run.Crashed"}
    assert trigger["match_related"]["prefect.resource.name"] == "boardpack-nightly"
    assert trigger["posture"] == "Reactive"
    assert trigger["threshold"] == 1
    [action] = automation["actions"]
    block = server.get(f"block_types/slug/custom-webhook/block_documents/name/{notify.BLOCK_NAME}")
    assert action["type"] == "send-notification"
    assert action["block_document_id"] == block["id"]
    # The URL is a secret of the block: neither the automation nor the block shows it.
    assert receiver.url not in str(automation)
    assert receiver.url not in str(block)


def test_a_failed_nightly_run_posts_to_the_webhook(
    server: PrefectServer,
    deployed: dict[str, dict[str, Any]],
    worker: Background,
    receiver: WebhookReceiver,
    alert: str,
    tmp_path: Path,
) -> None:
    missing = tmp_path / "no-such-council"
    flow_run_id = server.create_run(deployed["nightly"]["id"], config=str(missing))
    state = server.final_state(flow_run_id, RUN_SECONDS)
    assert state["type"] == "FAILED", state
    run_name = server.get(f"flow_runs/{flow_run_id}")["name"]

    def posted() -> dict[str, Any] | None:
        return next((m for m in receiver.received if run_name in m.get("text", "")), None)

    message = poll("the webhook to receive the alert", posted, seconds=120)
    assert message["path"] == "/hook"
    # The run's state and why, as the server recorded it, then the link to the run.
    assert f"{run_name} Failed" in message["text"]
    assert state["message"] in message["text"]
    assert flow_run_id in message["text"]  # the link to the run in the Prefect UI
    server.assert_log_clean()


def test_the_alert_command_says_what_is_wrong_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv(notify.URL_VARIABLE, raising=False)
    assert notify.main([]) == 2
    assert capsys.readouterr().err == (
        f"boardpack notify: no webhook URL: pass --webhook-url or set {notify.URL_VARIABLE}\n"
    )
    assert notify.main(["--webhook-url", "hooks.slack.com/x"]) == 2
    assert "must start with https://" in capsys.readouterr().err
    monkeypatch.setenv(notify.URL_VARIABLE, "https://hooks.example.org/services/x")
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    assert notify.main([]) == 2
    assert "PREFECT_API_URL is not set" in capsys.readouterr().err


def test_the_alert_command_with_no_server_says_so_in_one_line(tmp_path: Path) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}/api"
    done = subprocess.run(
        [str(PYTHON), "-m", "flows.notify", "--webhook-url", "https://hooks.example.org/x"],
        cwd=ROOT,
        env=clean_environment(tmp_path, PREFECT_API_URL=nowhere),
        capture_output=True,
        text=True,
        timeout=COMMAND_SECONDS,
        check=False,
    )
    assert done.returncode == 3
    [line] = done.stderr.splitlines()
    assert line.startswith(f"boardpack notify: could not set up the alert on {nowhere}: ")
    assert "Traceback" not in done.stdout + done.stderr


def test_a_bad_period_or_board_is_refused_when_the_run_is_created(
    server: PrefectServer, deployed: dict[str, dict[str, Any]]
) -> None:
    """Not hours later when a worker picks the run up: the server checks the parameters."""
    backfill = deployed["backfill"]
    for parameters in (
        {"config": "examples/demo-council", "start": "2019/20 Q5", "end": "2019/20 Q4"},
        {"config": "examples/demo-council", "start": "last spring", "end": "2019/20 Q4"},
    ):
        response = server.http.post(
            f"deployments/{backfill['id']}/create_flow_run", json={"parameters": parameters}
        )
        assert response.status_code in (409, 422), response.text
        assert "start" in response.text
    publish = deployed["publish"]
    response = server.http.post(
        f"deployments/{publish['id']}/create_flow_run",
        json={"parameters": {"config": "x", "board": "../../etc", "period": "2026/27 H1"}},
    )
    assert response.status_code in (409, 422), response.text
