"""Scale-out: the same runs on a Dask cluster (a ``distributed.LocalCluster`` of 2 worker
processes), from the command line and as Prefect flows on prefect-dask's DaskTaskRunner,
give byte for byte the warehouse exports and reports of a run in one process; and a shared
service's councils run side by side, one failing alone."""

from __future__ import annotations

import contextlib
import filecmp
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml

from tests.conftest import DEMO, DEMO_AS_OF, ROOT
from tests.test_cli import boardpack, installed

if TYPE_CHECKING:
    from distributed import LocalCluster

    from tests.prefect_server import PrefectServer

pytestmark = pytest.mark.cluster


@pytest.fixture(scope="session")
def cluster() -> Iterator[LocalCluster]:
    from distributed import LocalCluster

    with LocalCluster(  # type: ignore[no-untyped-call]
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    ) as running:
        yield running


def demo_sources() -> int:
    """How many sources the demo council reads (a task each)."""
    from boardpack.config import load_council
    from tests.conftest import DEMO

    return len(load_council(DEMO).settings.sources)


def tasks_done(cluster: LocalCluster) -> dict[str, int]:
    """How many tasks of each kind (the function's name) the cluster's workers finished."""

    def finished(dask_scheduler: Any) -> dict[str, int]:
        return {
            name: prefix.state_counts.get("memory", 0)
            for name, prefix in dask_scheduler.task_prefixes.items()
        }

    from distributed import Client

    with Client(cluster.scheduler_address, set_as_default=False) as client:  # type: ignore[no-untyped-call]
        return dict(client.run_on_scheduler(finished))


def demo_run(tmp_path: Path, name: str, *options: str) -> tuple[Path, dict[str, str]]:
    """The demo nightly with ``options``; its reports folder and its three exports."""
    url = f"sqlite:///{tmp_path / f'{name}.sqlite'}"
    out = tmp_path / name
    result = boardpack(
        "run", "--config", str(DEMO), "--warehouse", url, "--out", str(out),
        "--as-of", DEMO_AS_OF.isoformat(), *options,
    )  # fmt: skip
    assert result.returncode == 1, result.stderr  # the demo's planted mistakes, as ever
    assert "9 rejected" in result.stdout
    return out, exports(url)


def exports(url: str) -> dict[str, str]:
    tables = ("measures", "summary", "rejections")
    return {
        t: boardpack("export", t, "--config", str(DEMO), "--warehouse", url).stdout for t in tables
    }


def assert_same_files(one: Path, other: Path) -> None:
    """Every file of both folders, byte for byte."""
    files = sorted(p.relative_to(one) for p in one.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(other) for p in other.rglob("*") if p.is_file())
    match, mismatch, errors = filecmp.cmpfiles(one, other, [str(f) for f in files], shallow=False)
    assert (mismatch, errors) == ([], [])
    assert len(match) > 60


@pytest.fixture(scope="module")
def single_process(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    return demo_run(tmp_path_factory.mktemp("single"), "single")


def test_the_command_line_on_a_cluster_gives_the_same_reports_and_warehouse(
    cluster: LocalCluster, single_process: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    before = tasks_done(cluster)
    staging = tmp_path / "shared-staging"
    staging.mkdir()
    out, exported = demo_run(
        tmp_path, "cluster", "--cluster", cluster.scheduler_address, "--staging", str(staging)
    )
    assert_same_files(single_process[0], out)
    assert exported == single_process[1]
    assert exported["measures"].count("\n") > 2000
    # The sources were read and the pages rendered by the cluster's workers: one task per
    # source of the demo, the pages in chunks.
    after = tasks_done(cluster)
    assert after["read_source"] - before.get("read_source", 0) == demo_sources()
    assert after["render_chunk"] - before.get("render_chunk", 0) >= 3
    # The rows staged for the load were in the shared folder, and are gone with the run.
    assert list(staging.iterdir()) == []


@pytest.fixture(scope="module")
def dask_commands(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A scheduler and a worker command of two processes, started as the README shows."""
    from distributed import Client

    folder = tmp_path_factory.mktemp("dask")
    file = folder / "cluster.json"
    dask = str(ROOT / ".venv" / "bin" / "dask")
    with open(folder / "log", "w") as log:
        started = [
            subprocess.Popen(
                [dask, "scheduler", "--scheduler-file", str(file), "--host", "127.0.0.1",
                 "--port", "0", "--no-dashboard"],
                stdout=log, stderr=subprocess.STDOUT,
            ),
            subprocess.Popen(
                [dask, "worker", "--scheduler-file", str(file), "--nworkers", "2",
                 "--nthreads", "1", "--no-dashboard"],
                stdout=log, stderr=subprocess.STDOUT,
            ),
        ]  # fmt: skip
    try:
        for _ in range(600):
            if file.exists():
                break
            time.sleep(0.2)
        with Client(scheduler_file=str(file), set_as_default=False) as client:  # type: ignore[no-untyped-call]
            client.wait_for_workers(2, timeout=300)
            yield str(client.scheduler.address)
    finally:
        for process in reversed(started):
            process.terminate()
            process.wait(timeout=60)


def test_the_installed_command_on_dask_workers_started_by_hand(
    dask_commands: str, single_process: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    """The README's commands: `dask scheduler`, `dask worker --nworkers 2 --nthreads 1`, then
    `boardpack run --cluster ADDRESS --staging DIR` from the installed command."""
    staging = tmp_path / "staging"
    staging.mkdir()
    url = f"sqlite:///{tmp_path / 'w.sqlite'}"
    result = installed(
        "run", "--config", str(DEMO), "--warehouse", url, "--out", str(tmp_path / "out"),
        "--as-of", DEMO_AS_OF.isoformat(), "--cluster", dask_commands, "--staging", str(staging),
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    assert f"Reports written to {tmp_path / 'out' / 'index.html'}" in result.stdout.splitlines()
    assert_same_files(single_process[0], tmp_path / "out")
    assert exports(url) == single_process[1]
    assert list(staging.iterdir()) == []


def test_an_unreachable_cluster_is_one_line_and_exit_3(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cluster named by the environment, as a worker's service would set it."""
    monkeypatch.setattr("boardpack.cluster.CONNECT_TIMEOUT", "2s")
    monkeypatch.setenv("BOARDPACK_CLUSTER", "tcp://127.0.0.1:9")
    result = boardpack(
        "run", "--config", str(DEMO), "--warehouse", f"sqlite:///{tmp_path / 'w.sqlite'}",
        "--out", str(tmp_path / "out"),
    )  # fmt: skip
    assert result.returncode == 3
    assert result.stderr.startswith("boardpack: the Dask cluster at tcp://127.0.0.1:9 could not")
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_the_flows_run_their_tasks_on_the_cluster_boardpack_cluster_names(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What a deployment's job variables set: BOARDPACK_CLUSTER chooses the task runner."""
    from prefect.task_runners import ThreadPoolTaskRunner
    from prefect_dask.task_runners import DaskTaskRunner

    from flows.nightly import task_runner

    monkeypatch.delenv("BOARDPACK_CLUSTER", raising=False)
    assert isinstance(task_runner(), ThreadPoolTaskRunner)
    monkeypatch.setenv("BOARDPACK_CLUSTER", "tcp://10.0.0.5:8786")
    runner = task_runner()
    assert isinstance(runner, DaskTaskRunner)
    assert runner.address == "tcp://10.0.0.5:8786"
    assert task_runner("tcp://10.0.0.6:8786").address == "tcp://10.0.0.6:8786"  # type: ignore[attr-defined]


@pytest.mark.prefect
def test_the_nightly_flow_on_dask_task_runner_gives_the_same_reports_and_warehouse(
    cluster: LocalCluster,
    prefect_api: PrefectServer,
    single_process: tuple[Path, dict[str, str]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from prefect.settings import PREFECT_API_URL, temporary_settings
    from prefect_dask.task_runners import DaskTaskRunner

    from flows.nightly import nightly

    url = f"sqlite:///{tmp_path / 'flow.sqlite'}"
    monkeypatch.setenv("BOARDPACK_WAREHOUSE_URL", url)
    monkeypatch.setenv("PREFECT_API_URL", prefect_api.api_url)  # for the workers' task runs
    runner: Any = DaskTaskRunner(address=cluster.scheduler_address)
    on_dask = nightly.with_options(task_runner=runner)
    with temporary_settings(updates={PREFECT_API_URL: prefect_api.api_url}):
        state = on_dask(str(DEMO), None, str(tmp_path / "out"), DEMO_AS_OF, return_state=True)
    assert state.is_completed()
    assert_same_files(single_process[0], tmp_path / "out")
    assert exports(url) == single_process[1]
    # The Prefect UI shows a task per source and the rendering, all completed.
    runs = prefect_api.post(
        "task_runs/filter", {"flow_runs": {"id": {"any_": [str(state.state_details.flow_run_id)]}}}
    )
    names = sorted(r["name"] for r in runs)
    assert len([n for n in names if n.startswith("read source ")]) == demo_sources()
    assert len([n for n in names if n.startswith("render pages")]) >= 3
    assert {r["state_type"] for r in runs} == {"COMPLETED"}


def councils_file(tmp_path: Path, broken_warehouse: str) -> Path:
    """A shared service of two councils (copies of the demo) and one whose warehouse is
    unusable."""
    for name in ("north", "south"):
        shutil.copytree(DEMO, tmp_path / name)
    service = {
        "councils": [
            {"id": "north", "config": "north"},
            {"id": "broken", "config": "north", "warehouse": broken_warehouse},
            {"id": "south", "config": "south", "out": "reports/south"},
        ]
    }
    path = tmp_path / "councils.yaml"
    path.write_text(yaml.safe_dump(service), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "how",
    ["one-process", "cluster", pytest.param("prefect-on-cluster", marks=pytest.mark.prefect)],
)
def test_a_shared_service_runs_every_council_and_one_failure_stops_no_other(
    how: str,
    cluster: LocalCluster,
    single_process: tuple[Path, dict[str, str]],
    tmp_path: Path,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    corrupt = tmp_path / "corrupt.sqlite"
    corrupt.write_bytes(b"this is not a database" * 100)
    path = councils_file(tmp_path, f"sqlite:///{corrupt}")
    options = ["--cluster", cluster.scheduler_address] if how != "one-process" else []
    server: PrefectServer | None = None
    settings: contextlib.AbstractContextManager[object] = contextlib.nullcontext()
    if how == "prefect-on-cluster":  # the councils flow, its tasks on the cluster
        from prefect.settings import PREFECT_API_URL, temporary_settings

        server = request.getfixturevalue("prefect_api")
        monkeypatch.setenv("PREFECT_API_URL", server.api_url)
        # The command runs in this process, where Prefect read its settings when first
        # imported (by an earlier test, in a whole run): the server is named to them too.
        settings = temporary_settings(updates={PREFECT_API_URL: server.api_url})
        options.append("--prefect")
    with settings:
        result = boardpack(
            "run", "--councils", str(path), "--as-of", DEMO_AS_OF.isoformat(), *options
        )  # fmt: skip
    assert result.returncode == 3, result.stderr  # the worst of the councils' statuses
    if server is not None:  # the run and a task per council are on the server, as the UI shows
        councils = ["nightly north", "nightly broken", "nightly south"]
        runs = server.post("task_runs/filter", {"task_runs": {"name": {"any_": councils}}})
        assert sorted(r["name"] for r in runs) == sorted(councils)
        # Each council's account in the UI, keyed by its id: "latest" is that council's.
        keys = [f"boardpack-{c}-councils-{what}" for c in ("north", "south", "broken")
                for what in ("sources", "run-summary")]  # fmt: skip
        kept = server.post("artifacts/filter", {"artifacts": {"key": {"any_": keys}}})
        assert {a["key"] for a in kept} == {k for k in keys if "broken" not in k}
    lines = result.stdout.splitlines()
    assert lines, result.stderr  # (what a run that printed no account said instead)
    assert lines[-1] == "3 councils: 2 completed; could not complete: broken"
    broken = lines[lines.index("[broken]") + 1]
    assert broken == (
        f"could not complete: the warehouse sqlite:///{corrupt} cannot be used: "
        "file is not a database"
    )
    # Each of the others has its own warehouse and reports, as if run alone.
    assert_same_files(single_process[0], tmp_path / "out" / "north")
    assert_same_files(single_process[0], tmp_path / "reports" / "south")
    for name in ("north", "south"):
        exported = exports(f"sqlite:///{tmp_path / 'var' / f'{name}.sqlite'}")
        # (the demo's database source is named by its path, which is the copy's here)
        moved = {t: text.replace(str(tmp_path / name), str(DEMO)) for t, text in exported.items()}
        assert moved == single_process[1]


def test_a_councils_file_with_two_councils_on_one_warehouse_is_refused(tmp_path: Path) -> None:
    path = councils_file(tmp_path, f"sqlite:///{tmp_path / 'var' / 'north.sqlite'}")
    result = boardpack("run", "--councils", str(path))
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"boardpack: {path}: councils 'north' and 'broken' share the warehouse "
        f"sqlite:///{tmp_path / 'var' / 'north.sqlite'}"
    )
