"""A run killed part-way (SIGKILL, no chance to tidy up) is finished by the next run: the
reports, manifest, index and exports end byte for byte as an uninterrupted run's (SPEC §5)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest
import sqlalchemy as sa

from tests.conftest import DEMO, DEMO_AS_OF, ROOT
from warehouse.exports import export_csv
from warehouse.schema import connect

BOARDPACK = ROOT / ".venv" / "bin" / "boardpack"
# Per run, not per site: which files were read and rejected this time.
RUN_PAGES = {"data-quality.html"}


def command(*args: str) -> list[str]:
    return [str(BOARDPACK), *args]


def run_args(url: str, out: Path) -> list[str]:
    """The nightly run on the demo (read only: every run reads the same files, whose paths
    the rejections name)."""
    return command(
        "run", "--config", str(DEMO), "--warehouse", url, "--out", str(out),
        "--as-of", DEMO_AS_OF.isoformat(),
    )  # fmt: skip


def site(out: Path) -> dict[str, bytes]:
    return {
        p.relative_to(out).as_posix(): p.read_bytes()
        for p in out.rglob("*")
        if p.is_file() and p.name not in RUN_PAGES
    }


def exports(url: str) -> dict[str, str]:
    """What ``boardpack export measures|summary|rejections`` writes."""
    engine = connect(url, create=False)
    try:
        return {t: export_csv(engine, t) for t in ("measures", "summary", "rejections")}
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, bytes], dict]:
    """What one run from scratch leaves: its site and its exports."""
    folder = tmp_path_factory.mktemp("uninterrupted")
    url = f"sqlite:///{folder / 'w.sqlite'}"
    done = subprocess.run(run_args(url, folder / "out"), capture_output=True, text=True)
    assert done.returncode == 1, done.stderr  # the demo's planted mistakes are rejected
    return site(folder / "out"), exports(url)


def pages(out: Path) -> int:
    return len(list(out.glob("*/*/*.html")))


def publishing(out: Path, url: str) -> bool:
    """Some report pages are written and the manifest is not: a publish is part-way."""
    return pages(out) >= 10 and not (out / "manifest.json").exists()


def loading(out: Path, url: str) -> bool:
    """The run is recorded in the warehouse (its schema is made) and no report page is
    written yet: it is reading, loading and computing."""
    if url.startswith("sqlite") and not Path(url.removeprefix("sqlite:///")).exists():
        return False
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            running = connection.execute(
                sa.text("SELECT count(*) FROM runs WHERE status = 'running'")
            ).scalar()
    except sa.exc.SQLAlchemyError:  # the tables are not made yet
        running = 0
    finally:
        engine.dispose()
    if running:
        time.sleep(0.3)  # into reading and loading the sources
    return bool(running)


def kill_when(
    args: list[str], moment: Callable[[Path, str], bool], out: Path, url: str
) -> list[psutil.Process]:
    """Start a run and SIGKILL it at ``moment``; the processes it had started then."""
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    started: list[psutil.Process] = []
    try:
        deadline = time.monotonic() + 60
        while not moment(out, url):
            assert process.poll() is None, "the run finished before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.02)
        started = psutil.Process(process.pid).children(recursive=True)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    return started


def still_running(processes: list[psutil.Process]) -> list[str]:
    """Those of ``processes`` still running half a minute on (a killed run's workers end as
    soon as they see it has ended)."""
    _, alive = psutil.wait_procs(processes, timeout=30)
    for process in alive:
        process.kill()  # not left behind by this test either
    return [" ".join(p.cmdline()[:3]) for p in alive if p.is_running()]


@pytest.mark.parametrize("moment", [loading, publishing])
def test_a_killed_first_run_is_finished_by_the_next(
    moment: Callable[[Path, str], bool],
    warehouse_url: str,
    tmp_path: Path,
    uninterrupted: tuple[dict[str, bytes], dict[str, str]],
) -> None:
    out = tmp_path / "out"
    args = run_args(warehouse_url, out)
    started = kill_when(args, moment, out, warehouse_url)
    if moment is loading:
        assert pages(out) == 0  # killed before publishing
    else:
        assert not (out / "manifest.json").exists()  # killed part-way through publishing
        # Its render workers, given pages by a run that is gone, end rather than wait on.
        assert started or (os.cpu_count() or 1) < 2  # one core: pages rendered in the run
    assert still_running(started) == []
    again = subprocess.run(args, capture_output=True, text=True)
    assert again.returncode in (0, 1), again.stderr
    assert "Traceback" not in again.stderr
    expected_site, expected_exports = uninterrupted
    assert site(out) == expected_site
    assert exports(warehouse_url) == expected_exports
    assert not os.path.exists(out / ".boardpack-publishing.json")


def pg_ctl(data: Path, *args: str) -> None:
    from tests.postgres import _as_server_user, _binary

    command = _as_server_user([_binary("pg_ctl"), "-D", str(data), *args])
    subprocess.run(command, check=True, capture_output=True)


def test_a_warehouse_that_goes_down_mid_run_exits_3_and_the_next_run_completes(
    tmp_path: Path, uninterrupted: tuple[dict[str, bytes], dict[str, str]]
) -> None:
    from tests.postgres import postgres_server

    with postgres_server() as url:  # a server of its own: this test stops it
        engine = sa.create_engine(url)
        with engine.connect() as connection:
            data = Path(str(connection.execute(sa.text("SHOW data_directory")).scalar()))
            port = connection.execute(sa.text("SHOW port")).scalar()
        engine.dispose()
        out = tmp_path / "out"
        args = run_args(url, out)
        process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while not loading(out, url):
            assert process.poll() is None
            assert time.monotonic() < deadline
            time.sleep(0.02)
        pg_ctl(data, "-m", "immediate", "stop")
        _, err = process.communicate(timeout=60)
        assert process.returncode == 3
        assert err.count("\n") == 1
        assert "Traceback" not in err
        assert err.startswith("boardpack: the warehouse could not be used: ")
        assert err.endswith("(the run could not complete)\n")
        options = f"-c listen_addresses=127.0.0.1 -p {port} -k {data.parent} -c fsync=off"
        pg_ctl(data, "-o", options, "-l", str(data.parent / "log"), "-w", "start")
        again = subprocess.run(args, capture_output=True, text=True)
        assert again.returncode in (0, 1), again.stderr
        expected_site, expected_exports = uninterrupted
        assert site(out) == expected_site
        assert exports(url) == expected_exports
