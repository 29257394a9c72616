"""Two runs at once, and a run killed half-way, on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import ROOT
from tests.test_warehouse import demo_warehouse, nightly
from warehouse.exports import export_csv
from warehouse.lock import WarehouseBusy, exclusive_run
from warehouse.models import Run, table_of
from warehouse.schema import connect

KILLED_RUN = """
import datetime as dt, pathlib, sys, time
from warehouse import load
from tests.test_warehouse import demo_warehouse, nightly
url, marker = sys.argv[1], pathlib.Path(sys.argv[2])
insert = load.store.insert_summaries

def half_way(connection, summaries):
    insert(connection, summaries)  # new measures written, not yet committed
    marker.write_text("half-way")
    time.sleep(300)

load.store.insert_summaries = half_way
nightly(url, as_of=dt.date(2026, 12, 31))  # the run holds the warehouse itself
"""


def test_a_second_run_refuses_while_the_first_holds_the_warehouse(warehouse_url: str) -> None:
    engine = connect(warehouse_url)
    with exclusive_run(engine):
        started = time.monotonic()
        with (
            pytest.raises(WarehouseBusy) as refused,
            exclusive_run(connect(warehouse_url), wait_seconds=1.5),
        ):
            pass
        assert time.monotonic() - started >= 1.5  # it waited as asked before refusing
    assert "is busy" in str(refused.value)
    assert "--wait" in str(refused.value)
    with exclusive_run(connect(warehouse_url)):  # free again once the first run ends
        pass


def test_a_run_waiting_for_the_warehouse_says_so_every_so_often(
    warehouse_url: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A long wait is never mistaken for a hang: a warning on the "boardpack" logger (the
    run's log under Prefect; printed at the terminal by Python's last-resort handler)."""
    from warehouse import lock

    monkeypatch.setattr(lock, "PROGRESS_SECONDS", 0.2)
    with (
        exclusive_run(connect(warehouse_url)),
        caplog.at_level("WARNING", logger="boardpack"),
        pytest.raises(WarehouseBusy),
        exclusive_run(connect(warehouse_url), wait_seconds=1.5),
    ):
        pass
    waits = [r for r in caplog.records if r.name == "boardpack"]
    assert waits
    assert all(r.levelname == "WARNING" for r in waits)
    assert all(r.getMessage().startswith("Waiting for the warehouse: ") for r in waits)
    assert "of up to 2 s" in waits[-1].getMessage()


def test_a_command_waiting_for_the_warehouse_prints_its_progress(tmp_path: Path) -> None:
    """On the command line, with no logging set up, the waits reach the terminal."""
    url = f"sqlite:///{tmp_path / 'w.sqlite'}"
    script = (
        "import sys; from warehouse import lock; from warehouse.schema import connect\n"
        "lock.PROGRESS_SECONDS = 0.2\n"
        "try:\n"
        "    with lock.exclusive_run(connect(sys.argv[1]), wait_seconds=1): pass\n"
        "except lock.WarehouseBusy: pass\n"
    )
    with exclusive_run(connect(url)):
        done = subprocess.run(
            [sys.executable, "-c", script, url],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
    assert "Waiting for the warehouse: " in done.stderr


def test_a_killed_run_leaves_the_previous_state_and_the_next_run_completes(
    warehouse_url: str, tmp_path: Path
) -> None:
    engine = demo_warehouse(warehouse_url)
    before = export_csv(engine, "measures")
    marker = tmp_path / "marker"
    child = subprocess.Popen(
        [sys.executable, "-c", KILLED_RUN, warehouse_url, str(marker)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():
            assert child.poll() is None, "the run ended before it was killed"
            assert time.monotonic() < deadline, "the run never got half-way"
            time.sleep(0.2)
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
    assert export_csv(engine, "measures") == before
    # The lock died with the process.
    with exclusive_run(connect(warehouse_url)), engine.connect() as connection:
        statuses = (
            connection.execute(sa.select(table_of(Run).c.status).order_by(table_of(Run).c.id))
            .scalars()
            .all()
        )
    assert statuses[-1] == "interrupted"
    after = nightly(warehouse_url, as_of=dt.date(2026, 12, 31))
    assert "2026/27 Q3" in export_csv(after, "measures")  # the next run completes
    # ... and leaves exactly what a run that was never interrupted leaves.
    fresh = nightly(f"sqlite:///{tmp_path / 'fresh.sqlite'}", as_of=dt.date(2026, 12, 31))
    for table in ("measures", "summary"):
        assert export_csv(after, table) == export_csv(fresh, table)
