"""prefect.yaml, a process worker and the failure alert against a real Prefect server.

One server for the session (tests/conftest.py, on PostgreSQL): the work pool is created and
`prefect deploy --all` run from the repository root, exactly as the README says.
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import time
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
from tests.test_cli import boardpack

pytestmark = pytest.mark.prefect

POOL = "boardpack"
DEPLOYMENTS = {
    "nightly": "boardpack-nightly/nightly",
    "backfill": "boardpack-backfill/backfill",
    "publish": "boardpack-publish/publish",
    "councils": "boardpack-councils/councils",
}
ALERT_COPY = ROOT / "var" / "alerts" / "failed-nightly.txt"  # the last failed-nightly alert
COUNCIL_KEY = "brookfield-borough-council"  # the demo council's name, as artifact keys write it
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


def test_deploy_all_creates_the_four_deployments_as_prefect_yaml_says(
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
        # Each has a time limit, given to the flow run's process.
        assert int(deployment["job_variables"]["env"]["BOARDPACK_FLOW_TIMEOUT_SECONDS"]) > 0
    assert deployed["nightly"]["parameters"] == {
        "config": "examples/demo-council",
        "wait_seconds": 3600,
    }
    assert [s["schedule"] for s in deployed["nightly"]["schedules"]] == [
        {"cron": "0 2 * * *", "timezone": "Europe/London", "day_or": True}
    ]
    assert deployed["backfill"]["schedules"] == deployed["publish"]["schedules"] == []
    assert deployed["councils"]["parameters"] == {
        "councils_file": "examples/councils.yaml",
        "wait_seconds": 3600,
    }


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
    # The demo's planted mistakes: completed, under a name the UI shows and the alert hears.
    assert state["name"] == "Completed with rejections"
    assert "9 rejected" in state["message"]
    assert (out / "index.html").exists()
    assert (out / "data-quality.html").exists()
    assert (out / "2026-27" / "Q2" / "cyp-ppb.html").exists()
    assert (tmp_path / "warehouse.sqlite").exists()
    assert "warehouse.sqlite" not in str(server.get(f"flow_runs/{nightly_run}")["parameters"])
    # The run's artifacts, shown in the UI: rows per file, the rejections, the summary.
    artifacts = server.post(
        "artifacts/filter", {"artifacts": {"flow_run_id": {"any_": [nightly_run]}}}
    )
    # Keyed by council and deployment: "latest" is that council's last nightly's.
    assert {a["key"] for a in artifacts} == {
        f"boardpack-{COUNCIL_KEY}-nightly-sources",
        f"boardpack-{COUNCIL_KEY}-nightly-data-quality",
        f"boardpack-{COUNCIL_KEY}-nightly-run-summary",
        f"boardpack-{COUNCIL_KEY}-nightly-digest",  # the demo's first nightly: all is new
    }

    # Which rows were rejected, and why: as the runbook says to look.
    rejections = boardpack("export", "rejections", "--config", str(council), "--warehouse", url)
    assert rejections.returncode == 0, rejections.stderr
    assert rejections.stdout.startswith("source_id,file,row_number,column,reason_code,message")
    assert "duplicate_in_extract" in rejections.stdout

    # boardpack's own progress lines are in the run's log, as the Prefect UI shows it.
    logs = server.post("logs/filter", {"logs": {"flow_run_id": {"any_": [nightly_run]}}})
    messages = {log["message"] for log in logs}
    sources = len(yaml.safe_load((council / "council.yaml").read_text())["sources"])
    assert {f"Reading {sources} sources", "Publishing the board reports that changed"} <= messages

    page = out / "2026-27" / "Q2" / "cyp-ppb.html"
    written = page.stat().st_mtime_ns
    # The next night (run now, as the runbook says to), nothing new: the run completes and
    # rewrites no report.
    quiet_run = server.start_deployment(
        DEPLOYMENTS["nightly"],
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


def test_the_alerts_are_accepted_by_the_server(
    server: PrefectServer, receiver: WebhookReceiver, alert: str
) -> None:
    assert notify.AUTOMATION_NAME in alert
    assert notify.OVERDUE_NAME in alert
    # Running it again replaces the automations rather than adding second ones.
    again = server.run(str(PYTHON), "-m", "flows.notify", "--webhook-url", receiver.url)
    assert notify.AUTOMATION_NAME in again
    automations = {a["name"]: a for a in server.post("automations/filter", {})}
    assert set(automations) >= {notify.AUTOMATION_NAME, notify.OVERDUE_NAME}
    assert len([a for a in server.post("automations/filter", {}) if "boardpack" in a["name"]]) == 2
    block = server.get(f"block_types/slug/custom-webhook/block_documents/name/{notify.BLOCK_NAME}")

    failed = automations[notify.AUTOMATION_NAME]
    assert failed["enabled"] is True
    trigger = failed["trigger"]
    assert set(trigger["expect"]) == {
        "prefect.flow-run.Failed",
        "prefect.flow-run.Crashed",
        "prefect.flow-run.TimedOut",
        "prefect.flow-run.Completed with rejections",
    }
    # Every boardpack deployment's flow, so backfills, publishing and the shared service too.
    assert set(trigger["match_related"]["prefect.resource.name"]) == {
        "boardpack-nightly",
        "boardpack-backfill",
        "boardpack-publish",
        "boardpack-councils",
    }
    assert trigger["posture"] == "Reactive"
    assert trigger["threshold"] == 1
    [action] = failed["actions"]
    assert action["type"] == "send-notification"
    assert action["block_document_id"] == block["id"]

    # A nightly that has not finished four hours after it started (or was marked Late).
    overdue = automations[notify.OVERDUE_NAME]["trigger"]
    assert overdue["posture"] == "Proactive"
    assert set(overdue["after"]) == {"prefect.flow-run.Running", "prefect.flow-run.Late"}
    assert "prefect.flow-run.Completed*" in overdue["expect"]
    assert "prefect.flow-run.Failed" in overdue["expect"]
    assert overdue["for_each"] == ["prefect.resource.id"]
    assert overdue["within"] == 4 * 3600
    assert set(overdue["match_related"]["prefect.resource.name"]) == {
        "boardpack-nightly",
        "boardpack-councils",
    }
    [action] = automations[notify.OVERDUE_NAME]["actions"]
    assert action["block_document_id"] == block["id"]
    # The URL is a secret of the block: neither the automations nor the block show it.
    assert receiver.url not in str(automations)
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
    run_name, message = alert_for(server, receiver, flow_run_id)
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


def flow_run_log(server: PrefectServer, flow_run_id: str) -> str:
    """Every line the flow run (and its tasks) logged, as the Prefect UI shows them."""
    lines: list[str] = []
    while True:  # the server answers a page (200 lines) at a time
        page = server.post(
            "logs/filter",
            {
                "logs": {"flow_run_id": {"any_": [flow_run_id]}},
                "sort": "TIMESTAMP_ASC",
                "offset": len(lines),
            },
        )
        lines += [log["message"] for log in page]
        if not page:
            return "\n".join(lines)


def flow_run_log_once(
    server: PrefectServer, flow_run_id: str, line: str, seconds: float = 60
) -> str:
    """The flow run's log once ``line`` is in it (or ``seconds`` have passed): a run's last
    lines reach the server a moment after its final state, its logs being sent in batches."""
    deadline = time.monotonic() + seconds
    while True:
        log = flow_run_log(server, flow_run_id)
        if line in log or time.monotonic() > deadline:
            return log
        time.sleep(0.5)


def alert_for(
    server: PrefectServer,
    receiver: WebhookReceiver,
    flow_run_id: str,
    saying: str = "",
    seconds: float = 120,
) -> tuple[str, dict[str, Any]]:
    """The run's name and the alert (``saying`` that) the webhook received about it."""
    run_name = str(server.get(f"flow_runs/{flow_run_id}")["name"])

    def posted() -> dict[str, Any] | None:
        return next(
            (m for m in receiver.received if run_name in m.get("text", "") and saying in m["text"]),
            None,
        )

    return run_name, poll("the webhook to receive the alert", posted, seconds=seconds, every=2)


def save_secret(server: PrefectServer, name: str, value: str) -> None:
    """A Secret block, as the README says to make one."""
    code = f"from prefect.blocks.system import Secret; Secret(value={value!r}).save({name!r})"
    server.run(str(PYTHON), "-c", code)


def test_a_nightly_with_a_broken_source_ends_failed_saying_why_and_the_alert_carries_it(
    server: PrefectServer,
    deployed: dict[str, dict[str, Any]],
    worker: Background,
    receiver: WebhookReceiver,
    alert: str,
    tmp_path: Path,
) -> None:
    council = tmp_path / "council"
    shutil.copytree(DEMO, council)
    (council / "extracts" / "community" / "community.db").write_bytes(b"this is not a database")
    secret_file = tmp_path / "kept-secret-warehouse.sqlite"
    save_secret(server, "broken-night", f"sqlite:///{secret_file}")
    # Due yesterday at 23:59 UK time and started late (now, past midnight): with no as_of
    # given it reports the day it was due, not the worker's today.
    due = (dt.datetime.now(LONDON) - dt.timedelta(days=1)).replace(
        hour=23, minute=59, second=0, microsecond=0
    )
    created = server.post(
        f"deployments/{deployed['nightly']['id']}/create_flow_run",
        {
            "parameters": {"config": str(council), "warehouse": "broken-night"},
            "state": {"type": "SCHEDULED", "state_details": {"scheduled_time": due.isoformat()}},
        },
    )
    flow_run_id = str(created["id"])
    state = server.final_state(flow_run_id, RUN_SECONDS)
    assert state["type"] == "FAILED", f"{state}\n{worker.output()}"
    # The failed source and why, then the run's counts: the rest loaded and was published.
    message = state["message"]
    assert message.startswith("source(s) failed: community-db: "), message
    assert "file is not a database" in message
    assert "rows read" in message
    assert "2350 measures" in message
    assert secret_file.exists()

    # A clean log: the reason in a line, no engine dump of the run's result; the same
    # through the CLI, as the runbook reads it.
    log = flow_run_log_once(server, flow_run_id, "source(s) failed: community-db")
    assert "source(s) failed: community-db" in log
    assert "source(s) failed: community-db" in server.prefect("flow-run", "logs", flow_run_id)
    for noise in ("Traceback", "TypeError", "Engine execution exited"):
        assert noise not in log, log

    [summary] = server.post(
        "artifacts/filter",
        {
            "artifacts": {
                "flow_run_id": {"any_": [flow_run_id]},
                "key": {"any_": [f"boardpack-{COUNCIL_KEY}-nightly-run-summary"]},
            }
        },
    )
    assert f"As of {due.date().isoformat()}." in summary["data"]

    # The alert carries the reason and the counts.
    run_name, posted = alert_for(server, receiver, flow_run_id)
    text = posted["text"]
    # Kept for a person to read, as the screenshots are (var/ is not committed).
    ALERT_COPY.parent.mkdir(parents=True, exist_ok=True)
    ALERT_COPY.write_text(text, encoding="utf-8")
    assert f"{run_name} Failed" in text
    assert "community-db: " in text
    assert "file is not a database" in text
    assert "rows read" in text

    # The warehouse's URL reached nothing: parameters, state, log, events, the alert.
    events = server.post(
        "events/filter",
        {"filter": {"any_resource": {"id": [f"prefect.flow-run.{flow_run_id}"]}}},
    )
    assert events["events"]
    for seen in (server.get(f"flow_runs/{flow_run_id}"), log, events, receiver.received):
        assert str(secret_file) not in str(seen)
    server.assert_log_clean()


def test_a_bad_range_or_board_fails_at_once_saying_so(
    server: PrefectServer, deployed: dict[str, dict[str, Any]], worker: Background
) -> None:
    """Before any work: the warehouse is not opened, no measure recomputed."""
    backfill_id = deployed["backfill"]["id"]
    reversed_run = server.create_run(backfill_id, start="2025/26 Q4", end="2025/26 Q1")
    unknown_board = server.create_run(
        backfill_id,
        start="2025/26 Q1",
        end="2025/26 Q2",
        boards=["cabinet", "nope"],  # type: ignore[arg-type]
    )
    state = server.final_state(reversed_run, RUN_SECONDS)
    assert state["type"] == "FAILED", f"{state}\n{worker.output()}"
    assert state["message"] == (
        "the range '2025/26 Q4' to '2025/26 Q1' is reversed: it ends before it starts"
    )
    state = server.final_state(unknown_board, RUN_SECONDS)
    assert state["type"] == "FAILED", f"{state}\n{worker.output()}"
    assert "no board 'nope'" in state["message"]
    for flow_run_id, said in ((reversed_run, "is reversed"), (unknown_board, "no board 'nope'")):
        log = flow_run_log_once(server, flow_run_id, said)
        assert said in log
        assert "Recomputing" not in log  # stopped before the work began
        assert "Traceback" not in log, log


def test_every_flow_parameter_is_described_and_the_warehouse_takes_only_a_block_name(
    server: PrefectServer, deployed: dict[str, dict[str, Any]]
) -> None:
    for name, deployment in deployed.items():
        schema = deployment["parameter_openapi_schema"]["properties"]
        undescribed = [p for p, spec in schema.items() if not spec.get("description")]
        assert not undescribed, f"{name}: no description for {undescribed}"
    url = "postgresql://boardpack:s3cret@db.example.org/warehouse"
    for name in ("nightly", "backfill", "publish"):
        deployment = deployed[name]
        assert (
            "Secret block"
            in deployment["parameter_openapi_schema"]["properties"]["warehouse"]["description"]
        )
        parameters = {**deployment["parameters"], "warehouse": url}
        response = server.http.post(
            f"deployments/{deployment['id']}/create_flow_run", json={"parameters": parameters}
        )
        assert response.status_code in (409, 422), response.text
        assert "warehouse" in response.text
    assert url not in str(server.post("flow_runs/filter", {}))


def prefect_cli(server: PrefectServer, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(PYTHON.parent / "prefect"), *args],
        cwd=ROOT,
        env=server.env(COLUMNS="200"),
        capture_output=True,
        text=True,
        timeout=COMMAND_SECONDS,
        check=False,
    )


@pytest.mark.parametrize(
    ("parameter", "value"),
    [
        ("start", "2019/20 Q5"),
        ("start", "2019/20 H3"),
        ("start", "2019-20 Q1"),
        ("warehouse", "postgresql://boardpack:s3cret@db.example.org/warehouse"),
    ],
)
def test_the_prefect_cli_says_why_a_parameter_is_refused_without_crashing(
    server: PrefectServer, deployed: dict[str, dict[str, Any]], parameter: str, value: str
) -> None:
    """The patterns print: no rich MarkupError on a "[/" in them."""
    parameters = {"start": "2019/20 Q1", "end": "2019/20 Q4", parameter: value}
    args = [f"--param={name}={given}" for name, given in parameters.items()]
    done = prefect_cli(server, "deployment", "run", DEPLOYMENTS["backfill"], *args)
    output = done.stdout + done.stderr
    assert done.returncode != 0, output
    assert "MarkupError" not in output
    assert "Traceback" not in output
    assert parameter in output
    assert "does not match" in output or "pattern" in output, output


def test_a_nightly_still_running_after_its_window_raises_the_overdue_alert(
    server: PrefectServer,
    deployed: dict[str, dict[str, Any]],
    worker: Background,
    receiver: WebhookReceiver,
    alert: str,
    tmp_path: Path,
) -> None:
    """The overdue automation (a proactive trigger) fires for a nightly that has not
    finished in time: here a window of 18 s, the run held waiting for the warehouse."""
    from warehouse.lock import exclusive_run
    from warehouse.schema import connect

    url = f"sqlite:///{tmp_path / 'held.sqlite'}"
    save_secret(server, "held-warehouse", url)
    server.run(
        str(PYTHON),
        "-m",
        "flows.notify",
        "--webhook-url",
        receiver.url,
        "--overdue-hours",
        "0.005",
    )
    try:
        with exclusive_run(connect(url)):  # another run holds the warehouse
            created = server.post(
                f"deployments/{deployed['nightly']['id']}/create_flow_run",
                {
                    "parameters": {
                        "config": str(DEMO),
                        "warehouse": "held-warehouse",
                        "out": str(tmp_path / "out"),
                        "as_of": DEMO_AS_OF.isoformat(),
                        "wait_seconds": 600,
                    }
                },
            )
            flow_run_id = str(created["id"])
            _, overdue = alert_for(
                server, receiver, flow_run_id, saying="has not finished", seconds=240
            )
            text = overdue["text"]
            assert "docs/runbook.md" in text
            assert server.get(f"flow_runs/{flow_run_id}")["state"]["type"] == "RUNNING"
            # Stuck: the runbook says to cancel it (then run it again).
            server.prefect("flow-run", "cancel", flow_run_id)
            state = server.final_state(flow_run_id, RUN_SECONDS)
            assert state["type"] == "CANCELLED", f"{state}\n{worker.output()}"
    finally:
        server.run(str(PYTHON), "-m", "flows.notify", "--webhook-url", receiver.url)


def test_the_councils_deployment_runs_a_shared_service_with_warehouses_from_secret_blocks(
    server: PrefectServer,
    deployed: dict[str, dict[str, Any]],
    worker: Background,
    tmp_path: Path,
) -> None:
    shutil.copytree(DEMO, tmp_path / "brookfield")
    secret_file = tmp_path / "brookfield-secret.sqlite"
    save_secret(server, "brookfield-warehouse", f"sqlite:///{secret_file}")
    councils = tmp_path / "councils.yaml"
    councils.write_text(
        "councils:\n"
        "  - id: brookfield\n"
        "    config: brookfield/\n"
        '    warehouse: "{{ prefect.blocks.secret.brookfield-warehouse }}"\n'
    )
    flow_run_id = server.create_run(
        deployed["councils"]["id"], councils_file=str(councils), as_of=DEMO_AS_OF.isoformat()
    )
    state = server.final_state(flow_run_id, RUN_SECONDS)
    assert state["type"] == "COMPLETED", f"{state}\n{worker.output()}"
    assert state["name"] == "Completed with rejections"
    assert state["message"] == "1 councils: 1 completed"
    assert secret_file.exists()
    assert (tmp_path / "out" / "brookfield" / "index.html").exists()
    assert str(secret_file) not in flow_run_log(server, flow_run_id)
