"""A real Prefect server, worker and CLI for the deployment tests, each in its own process group.

Prefect's ephemeral API times out on a busy machine, so these tests run what a council runs:
`prefect server start` on a free port with its own PREFECT_HOME and SQLite database, and the
project's own `prefect` command against it.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar

import httpx

from tests.conftest import ROOT

BIN = Path(sys.executable).parent  # the project's environment (.venv/bin)
PREFECT = BIN / "prefect"
PYTHON = BIN / "python"
STARTUP_SECONDS = 180  # `import prefect` alone takes ~6 s on a busy two-core machine
COMMAND_SECONDS = 180

T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def clean_environment(home: Path, **extra: str) -> dict[str, str]:
    """This process's environment without any Prefect or boardpack setting, then ours."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "BOARDPACK_"))}
    env.update(
        PREFECT_HOME=str(home),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        DO_NOT_TRACK="1",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def poll(what: str, check: Callable[[], T | None], seconds: float, every: float = 1) -> T:
    """``check()`` until it returns something other than None, or fail naming ``what``."""
    deadline = time.monotonic() + seconds
    while True:
        result = check()
        if result is not None:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {seconds:.0f} s waiting for {what}")
        time.sleep(every)


@dataclass
class Background:
    """A long-running command in its own process group, its output in a log file."""

    name: str
    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        if not self.alive():
            return
        for sig, grace in ((signal.SIGTERM, 20), (signal.SIGKILL, 10)):
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                return
            try:
                self.process.wait(grace)
                return
            except subprocess.TimeoutExpired:
                continue


@contextmanager
def background(name: str, args: list[str], env: dict[str, str], log: Path) -> Iterator[Background]:
    with log.open("wb") as sink:
        process = subprocess.Popen(
            args,
            cwd=ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    running = Background(name, process, log)
    try:
        yield running
    finally:
        running.stop()


@dataclass
class PrefectServer:
    home: Path
    api_url: str
    process: Background
    http: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.http = httpx.Client(base_url=self.api_url.rstrip("/") + "/", timeout=60)

    def env(self, **extra: str) -> dict[str, str]:
        return clean_environment(self.home, PREFECT_API_URL=self.api_url, **extra)

    def run(self, *args: str, timeout: float = COMMAND_SECONDS) -> str:
        """A command (``prefect ...``, ``python -m ...``) against this server: its output."""
        done = subprocess.run(
            list(args),
            cwd=ROOT,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        output = done.stdout + done.stderr
        assert done.returncode == 0, f"{' '.join(args)} exited {done.returncode}:\n{output}"
        return output

    def prefect(self, *args: str, timeout: float = COMMAND_SECONDS) -> str:
        return self.run(str(PREFECT), *args, timeout=timeout)

    def get(self, path: str) -> Any:
        response = self.http.get(path)
        response.raise_for_status()
        return response.json()

    def post(self, path: str, body: dict[str, Any]) -> Any:
        response = self.http.post(path, json=body)
        response.raise_for_status()
        return response.json()

    def deployment(self, flow_and_name: str) -> dict[str, Any]:
        result: dict[str, Any] = self.get(f"deployments/name/{flow_and_name}")
        return result

    def start_deployment(self, flow_and_name: str, **parameters: str) -> str:
        """`prefect deployment run` with these parameters: the new flow run's id."""
        args = [f"--param={name}={value}" for name, value in parameters.items()]
        output = self.prefect("deployment", "run", flow_and_name, *args)
        found = re.search(r"UUID: ([0-9a-f-]{36})", output)
        assert found, f"no flow run id in:\n{output}"
        return found.group(1)

    def create_run(self, deployment_id: str, **parameters: str) -> str:
        """A run of the deployment, as its Run button makes one: the flow run's id."""
        run = self.post(f"deployments/{deployment_id}/create_flow_run", {"parameters": parameters})
        return str(run["id"])

    def final_state(self, flow_run_id: str, seconds: float) -> dict[str, Any]:
        def finished() -> dict[str, Any] | None:
            state: dict[str, Any] = self.get(f"flow_runs/{flow_run_id}")["state"]
            return state if state["type"] in FINAL_STATE_TYPES else None

        return poll(f"flow run {flow_run_id} to finish", finished, seconds, every=2)

    def assert_log_clean(self) -> None:
        log = self.process.output()
        bad = [line for line in log.splitlines() if "ERROR" in line or "Traceback" in line]
        assert not bad, "the Prefect server logged errors:\n" + log


FINAL_STATE_TYPES = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


@contextmanager
def prefect_server(folder: Path, database: str | None = None) -> Iterator[PrefectServer]:
    """`prefect server start` on a free port, on ``database`` (a SQLAlchemy async URL), else
    a SQLite database in ``folder``. On a busy machine SQLite's lock makes the server log
    "database is locked" errors: production servers, and these tests, use PostgreSQL."""
    home = folder / "home"
    home.mkdir(parents=True)
    port = free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    env = clean_environment(
        home,
        PREFECT_API_URL=api_url,
        PREFECT_SERVER_DATABASE_CONNECTION_URL=database
        or f"sqlite+aiosqlite:///{folder / 'prefect.db'}",
    )
    args = [str(PREFECT), "server", "start", "--host", "127.0.0.1", "--port", str(port)]
    with background("server", args, env, folder / "server.log") as process:
        server = PrefectServer(home, api_url, process)

        def healthy() -> bool | None:
            assert process.alive(), "prefect server start exited:\n" + process.output()
            try:
                return server.http.get("health", timeout=5).status_code == 200 or None
            except httpx.HTTPError:
                return None

        poll("the Prefect server's /api/health", healthy, STARTUP_SECONDS)
        try:
            yield server
        finally:
            server.http.close()


@contextmanager
def prefect_worker(server: PrefectServer, pool: str, log: Path, **env: str) -> Iterator[Background]:
    """`prefect worker start --pool POOL`, polling every 2 s (see `wait_until_online`)."""
    args = [str(PREFECT), "worker", "start", "--pool", pool]
    worker_env = server.env(PREFECT_WORKER_QUERY_SECONDS="2", **env)
    with background("worker", args, worker_env, log) as worker:
        yield worker


def wait_until_online(server: PrefectServer, pool: str, worker: Background) -> None:
    def online() -> bool | None:
        assert worker.alive(), "prefect worker start exited:\n" + worker.output()
        workers = server.post(f"work_pools/{pool}/workers/filter", {})
        return True if any(w["status"] == "ONLINE" for w in workers) else None

    poll("the worker to come online", online, STARTUP_SECONDS, every=2)


@dataclass
class WebhookReceiver:
    """A local HTTP endpoint standing in for Slack or Teams: the JSON bodies posted to it."""

    url: str
    received: list[dict[str, Any]]


@contextmanager
def webhook_receiver() -> Iterator[WebhookReceiver]:
    received: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            received.append({"path": self.path, **json.loads(body or b"{}")})
            self.send_response(200)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield WebhookReceiver(f"http://127.0.0.1:{httpd.server_address[1]}/hook", received)
    finally:
        httpd.shutdown()
        httpd.server_close()
