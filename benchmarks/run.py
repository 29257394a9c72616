"""``make bench``: time each stage of a nightly run at several sizes, with peak memory.

    .venv/bin/python -m benchmarks.run [--sizes 100000,1000000,10000000]

Each size runs in its own process (its council generated in another one before) so that
its peak memory is the pipeline's own. Results go to the
screen and to benchmarks/results.md. Nothing here fails on timing.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import multiprocessing
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results.md"
AS_OF = dt.date(2026, 3, 31)
RENDER_BOARDS = 100


COMPUTE_REPEATS = 3
# The DuckDB reference from the extracts to its database file: best of 2 (a fresh file each).
END_TO_END_REPEATS = 2
# A first run publishes every period of ten years: ~2,000 pages at 10^6, ~60,000 at 10^7.
FIRST_RUN_MAX_SIZE = 1_000_000

NIGHTLY = "nightly (read to publish)"
NO_CHANGE = "second nightly, no new data"
NEW_MONTH = "nightly when a new month arrives (a new file per source)"
FIRST_RUN = "first run into an empty warehouse, every period published"
COMPUTE = "compute (in memory)"
DUCKDB_COMPUTE = "compute, DuckDB reference"
DUCKDB_END_TO_END = "DuckDB reference: read, validate, compute and write"
# The cluster: a LocalCluster of 2 worker processes, or the scheduler at $BENCH_CLUSTER
# (`--cluster ADDRESS`: a real cluster of many machines, to show how the run scales).
CLUSTER_VARIABLE = "BENCH_CLUSTER"
ON_CLUSTER = "nightly on a 2-worker LocalCluster"
FIRST_RUN_ON_CLUSTER = "first run on a 2-worker LocalCluster, every period published"
CLUSTER_START = "start a 2-worker LocalCluster and import boardpack on it (not in the above)"
# The same nightly into a PostgreSQL warehouse: the suite's server (tests/postgres.py),
# started for the bench on loopback, syncing to disk as SQLite does, its own process (not
# in the peak memory).
ON_POSTGRESQL = "nightly on PostgreSQL (read to publish)"
# Up to 10^6 (FIRST_RUN_MAX_SIZE), councils of the same figures: one whose boards carry
# hundreds of indicators each, and one that asks for Word and PDF copies of its reports.
LARGE_BOARD = 400  # indicators a board (the council: ~420 over 20 boards)
LARGE_BOARDS_FIRST_RUN = f"first run, boards of {LARGE_BOARD} indicators, every period published"
WITH_DOCUMENTS = "nightly with Word and PDF copies of the latest reports (read to publish)"
LARGE_BOARDS = "large-boards"
DOCUMENTS = "documents"


def _clock() -> float:
    return time.perf_counter()


def _best_of(repeats: int, function: Any, *args: Any) -> tuple[Any, float]:
    """The result and the fastest of ``repeats`` timings (warm caches for every contender)."""
    best = float("inf")
    result = None
    for _ in range(repeats):
        start = _clock()
        result = function(*args)
        best = min(best, _clock() - start)
    return result, best


class PeakMemory:
    """This process's resident memory sampled every 10 ms (Linux /proc): the peak of each
    stage, so that the table says where the memory goes, not only how much."""

    def __init__(self) -> None:
        self._peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    @staticmethod
    def resident_mb() -> float:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1024**2

    def _sample(self) -> None:
        while not self._stop.wait(0.01):
            self._peak = max(self._peak, self.resident_mb())

    def take(self) -> float:
        """The peak since the last call (or since sampling began)."""
        now = self.resident_mb()
        peak, self._peak = max(self._peak, now), now
        return peak

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def _council(size: int, workdir: Path) -> dict[str, int]:
    """The council's dimensions, generating it here unless ``--generate`` already did."""
    from benchmarks.generate import generate_council

    shape_file = workdir / "shape.json"
    if not shape_file.exists():
        shape = generate_council(workdir / "council", size, hold_back=True)
        if size <= FIRST_RUN_MAX_SIZE:
            large = generate_council(workdir / LARGE_BOARDS, size, per_board=LARGE_BOARD)
            shape["large_boards"] = large["boards"]
            generate_council(workdir / DOCUMENTS, size, hold_back=True, documents=True)
        shape_file.write_text(json.dumps(shape))
    return dict(json.loads(shape_file.read_text()))


# A first run into an empty warehouse publishes every period of ten years; a nightly
# publishes the latest quarter's and half's reports (and those of years restated): the bench
# times what a nightly publishes.
LATEST_PERIODS = {(2025, "Q4"), (2025, "H2")}


def publish_latest(
    engine: Any, council: Any, out: Path, as_of: Any, *_: Any, mapper: Any = None
) -> Any:
    """The nightly's publishing step, given the latest periods (see LATEST_PERIODS)."""
    from outputs import publish as publishing

    return publishing.publish(engine, council, out, as_of, LATEST_PERIODS, mapper=mapper)


def _nightly_steps() -> Any:
    """The nightly's steps, publishing what a nightly publishes (see LATEST_PERIODS)."""
    from boardpack import steps

    return dataclasses.replace(steps.DIRECT, publish_after_load=publish_latest)


def timed_steps(times: dict[str, float], peaks: dict[str, float], memory: PeakMemory) -> Any:
    """The nightly's own steps (boardpack.runs), each timed and its peak memory sampled."""
    from boardpack import steps

    def timing(stage: str, step: Any) -> Any:
        def run(*args: Any, **kwargs: Any) -> Any:
            start = _clock()
            result = step(*args, **kwargs)
            times[stage] = times.get(stage, 0.0) + _clock() - start
            peaks[stage] = memory.take()
            return result

        return run

    return dataclasses.replace(
        steps.DIRECT,
        read_sources=timing("read and validate", steps.read_sources),
        load_and_compute=timing("load, compute and store", steps.DIRECT.load_and_compute),
        publish_after_load=timing("publish the latest reports", publish_latest),
    )


def measure(size: int, workdir: Path) -> dict[str, Any]:
    """Run the nightly (boardpack.runs) at ``size`` observations in this process, each step
    timed, then a no-change nightly, a render of 100 boards and the compute references."""
    from benchmarks.compare import differences
    from benchmarks.generate import send_held_back
    from benchmarks.reference_duckdb import compute_measures_duckdb, read_measures
    from benchmarks.reference_pandas import compute_measures_pandas
    from boardpack import runs
    from boardpack.config import load_council
    from outputs import publish as publishing
    from outputs.site import board_pages, write_site
    from transforms.measures import compute_measures
    from warehouse import store
    from warehouse.models import Measure
    from warehouse.schema import connect

    shape = _council(size, workdir)
    memory = PeakMemory()
    times: dict[str, float] = {}
    peaks: dict[str, float] = {"start": memory.take()}
    url = f"sqlite:///{workdir / 'warehouse.sqlite'}"
    out = workdir / "out"
    start = _clock()
    first = runs.nightly(
        workdir / "council", url, out, AS_OF, steps=timed_steps(times, peaks, memory)
    )
    times[NIGHTLY] = _clock() - start
    peaks["nightly: data-quality page and coverage"] = memory.take()
    # The nightly's own peak, before the cluster and the first run add theirs to this
    # process (the new-month and no-change nightlies' sampled peaks are added below).
    nightly_peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # The same nightly on a cluster, into a warehouse of its own: the same reports.
    agreement = {"cluster": on_cluster(size, workdir, times, out)}
    peaks[ON_CLUSTER] = memory.take()

    first_run_reports = large_boards = documents = None
    if size <= FIRST_RUN_MAX_SIZE:
        # What `boardpack run` does the first time: every period of every board published.
        fresh = f"sqlite:///{workdir / 'first-run.sqlite'}"
        first_run = _fresh_nightly(workdir / "council", fresh, workdir / "first-run")
        times[FIRST_RUN], peaks[FIRST_RUN] = first_run.seconds, first_run.peak_mb
        first_run_reports = len(first_run.outcome.reports)
        large_boards = first_run_on_large_boards(workdir, times, peaks)
        documents = nightly_with_documents(workdir, times, peaks)
    # The same nightly into PostgreSQL, before the new month: the same reports.
    agreement["PostgreSQL"] = on_postgresql(workdir, times, peaks, out)

    # The last month arrives: a new file from each source, as departments send them.
    new_rows = send_held_back(workdir / "council")
    new_month = _fresh_nightly(workdir / "council", url, out)
    times[NEW_MONTH], peaks[NEW_MONTH] = new_month.seconds, new_month.peak_mb
    monthly = new_month.outcome
    no_change = _fresh_nightly(workdir / "council", url, out)
    times[NO_CHANGE], peaks[NO_CHANGE] = no_change.seconds, no_change.peak_mb
    again = no_change.outcome
    peak_mb = max(nightly_peak_mb, peaks[NEW_MONTH], peaks[NO_CHANGE])

    council = load_council(workdir / "council")
    engine = connect(url)
    latest_periods = LATEST_PERIODS
    with engine.connect() as connection:
        inputs = publishing.site_inputs(connection, council, AS_OF, latest_periods)
    latest = board_pages(inputs, latest_periods)[:RENDER_BOARDS]
    start = _clock()
    write_site(latest, workdir / "render", inputs.council, inputs.as_at)
    times[f"render {RENDER_BOARDS} boards' reports"] = _clock() - start
    del inputs

    with engine.connect() as connection:
        observations = store.current_observations(
            connection, ["indicator_code", "fy", "fm", "value", "numerator", "denominator"]
        ).rename({"indicator_code": "code"})
    args = (council.indicators, observations, council.targets, AS_OF)
    measures, times[COMPUTE] = _best_of(COMPUTE_REPEATS, compute_measures, *args)
    peaks["compute (in memory), all indicators at once"] = memory.take()
    with engine.connect() as connection:
        stored = store.read_table(connection, Measure)
    # The warehouse's measures were computed a slice of indicators at a time.
    agreement["stored"] = differences(stored, measures)
    del stored
    for name, reference in (
        ("DuckDB", compute_measures_duckdb),
        ("pandas", compute_measures_pandas),
    ):
        theirs, times[f"compute, {name} reference"] = _best_of(COMPUTE_REPEATS, reference, *args)
        agreement[name] = differences(measures, theirs)
        del theirs
    database = workdir / "reference.duckdb"
    reference, times[DUCKDB_END_TO_END] = _best_of(
        END_TO_END_REPEATS, _end_to_end, workdir / "council", database
    )
    agreement["DuckDB end to end"] = differences(measures, read_measures(database))
    loaded = sum(f.rows_loaded for f in [*first.files, *monthly.files])
    if reference.accepted != loaded:
        agreement["DuckDB end to end"].append(f"{reference.accepted} rows loaded, not {loaded}")
    rejected = dict(Counter(r["reason_code"] for r in [*first.rejections, *monthly.rejections]))
    if reference.rejected != rejected:
        agreement["DuckDB end to end"].append(f"rejected {reference.rejected}, not {rejected}")
    memory.stop()
    return {
        "size": size,
        **shape,
        "measures": first.measures,
        "rendered": len(latest),
        "rejected": rejected,
        "first_run_reports": first_run_reports,
        "large_boards_reports": large_boards,
        "documents": documents,
        "published": len(first.reports),
        "new_month_rows": new_rows,
        "new_month_reports": len(monthly.reports),
        "republished": len(again.reports),
        "times": times,
        "peak_mb": peak_mb,
        "stage_peaks_mb": peaks,
        "agreement": agreement,
    }


def on_cluster(size: int, workdir: Path, times: dict[str, float], out: Path) -> list[str]:
    """The same nightly (and, up to 10^6, the same first run) with its sources read and its
    pages rendered on a LocalCluster of 2 worker processes (``boardpack run --cluster``),
    into warehouses of their own; the reports must be byte for byte the one-process run's."""
    from distributed import Client, LocalCluster

    from boardpack import runs
    from boardpack.cluster import cluster_steps, on_client

    start = _clock()
    address = os.environ.get(CLUSTER_VARIABLE)
    cluster = None
    if not address:
        cluster = LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        )
    client = Client(address or cluster, set_as_default=False)  # type: ignore[no-untyped-call]
    client.run(_import_boardpack)  # once per worker, as a standing cluster has done
    times[CLUSTER_START] = _clock() - start
    steps = cluster_steps(client)

    on_workers = partial(publish_latest, mapper=partial(on_client, client))
    council, differ = workdir / "council", []
    try:
        start = _clock()
        runs.nightly(
            council, f"sqlite:///{workdir / 'cluster.sqlite'}", workdir / "cluster-out", AS_OF,
            steps=dataclasses.replace(steps, publish_after_load=on_workers),
        )  # fmt: skip
        times[ON_CLUSTER] = _clock() - start
        differ += _different_files(out, workdir / "cluster-out")
        if size <= FIRST_RUN_MAX_SIZE:
            start = _clock()
            fresh = f"sqlite:///{workdir / 'first-run-cluster.sqlite'}"
            runs.nightly(council, fresh, workdir / "first-run-cluster", AS_OF, steps=steps)
            times[FIRST_RUN_ON_CLUSTER] = _clock() - start
    finally:
        client.close()  # type: ignore[no-untyped-call]
        if cluster is not None:
            cluster.close()
    return differ


@dataclasses.dataclass(frozen=True)
class FreshNightly:
    """A nightly run in a process of its own: its time, the process's peak memory and
    what the run reported."""

    seconds: float
    peak_mb: float
    outcome: Any  # boardpack.outcome.RunOutcome


def _fresh_nightly(council: Path, url: str, out: Path, latest_only: bool = False) -> FreshNightly:
    """``runs.nightly`` in a new process, as each scheduled run is one: its time and memory
    are its own, not those of this process's earlier runs (a heap grown by a first run of
    every period, or by the cluster's client). ``latest_only``: publishing the latest
    periods, as the timed nightly does (:data:`LATEST_PERIODS`)."""
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as process:
        return process.submit(_timed_nightly, council, url, out, latest_only).result()


def _timed_nightly(council: Path, url: str, out: Path, latest_only: bool) -> FreshNightly:
    from boardpack import runs, steps

    chosen = _nightly_steps() if latest_only else steps.DIRECT
    start = _clock()
    outcome = runs.nightly(council, url, out, AS_OF, steps=chosen)
    seconds = _clock() - start
    return FreshNightly(seconds, _own_peak_mb(), outcome)


def _own_peak_mb() -> float:
    """This process's own peak resident memory (``VmHWM``): ``ru_maxrss`` would be the
    parent's at the fork that started it, which Linux carries across the exec."""
    with open("/proc/self/status") as status:  # Linux, as PeakMemory's sampling is
        peak = next(line for line in status if line.startswith("VmHWM:"))
    return int(peak.split()[1]) / 1024


def on_postgresql(
    workdir: Path, times: dict[str, float], peaks: dict[str, float], out: Path
) -> list[str]:
    """The same nightly into a new PostgreSQL warehouse (a server started for it on
    loopback, as the suite starts one); its reports must be byte for byte SQLite's."""
    from tests.postgres import postgres_server

    with postgres_server(durable=True) as url:
        run = _fresh_nightly(workdir / "council", url, workdir / "postgresql-out", True)
    times[ON_POSTGRESQL], peaks[ON_POSTGRESQL] = run.seconds, run.peak_mb
    return _different_files(out, workdir / "postgresql-out")


def first_run_on_large_boards(
    workdir: Path, times: dict[str, float], peaks: dict[str, float]
) -> int:
    """``boardpack run`` the first time on the council of large boards: its reports."""
    url = f"sqlite:///{workdir / 'large-boards.sqlite'}"
    run = _fresh_nightly(workdir / LARGE_BOARDS, url, workdir / "large-boards-out")
    times[LARGE_BOARDS_FIRST_RUN], peaks[LARGE_BOARDS_FIRST_RUN] = run.seconds, run.peak_mb
    return len(run.outcome.reports)


def nightly_with_documents(workdir: Path, times: dict[str, float], peaks: dict[str, float]) -> int:
    """The nightly of a council that asks for documents: the Word and PDF files it made."""
    out = workdir / "documents-out"
    database = f"sqlite:///{workdir / 'documents.sqlite'}"
    run = _fresh_nightly(workdir / DOCUMENTS, database, out, latest_only=True)
    times[WITH_DOCUMENTS], peaks[WITH_DOCUMENTS] = run.seconds, run.peak_mb
    return sum(1 for p in out.rglob("*") if p.suffix in {".pdf", ".docx"})


def _import_boardpack() -> None:
    import outputs.site  # noqa: F401
    import schemas.ingest  # noqa: F401


def _different_files(one: Path, other: Path) -> list[str]:
    """Files that are not byte for byte the same in both folders (or only in one)."""
    names = {p.relative_to(one) for p in one.rglob("*") if p.is_file()}
    theirs = {p.relative_to(other) for p in other.rglob("*") if p.is_file()}
    return sorted(
        str(name)
        for name in names | theirs
        if name not in names & theirs or (one / name).read_bytes() != (other / name).read_bytes()
    )


def _end_to_end(council: Path, database: Path) -> Any:
    """The DuckDB reference into a new database file."""
    from benchmarks.reference_duckdb import end_to_end_duckdb

    database.unlink(missing_ok=True)
    return end_to_end_duckdb(council, database, AS_OF)


def _child(size: int) -> dict[str, Any]:
    """One size in fresh processes: the council is generated in one, measured in the next,
    so that the generator's memory is not counted as the pipeline's."""
    with tempfile.TemporaryDirectory(prefix="boardpack-bench-") as workdir:
        for mode in ("--generate", "--one"):
            completed = subprocess.run(
                [sys.executable, "-m", "benchmarks.run", mode, str(size), "--workdir", workdir],
                capture_output=True,
                text=True,
                check=True,
            )
    return dict(json.loads(completed.stdout.strip().splitlines()[-1]))


def _cells(results: list[dict[str, Any]], cell: Callable[[dict[str, Any]], str]) -> str:
    return " | ".join(cell(r) for r in results)


def _or_dash(count: int | None) -> str:
    return "—" if count is None else f"{count:,}"


def table(results: list[dict[str, Any]]) -> str:
    """Every stage's time and peak memory, a column per size."""
    stages = list(dict.fromkeys(stage for r in results for stage in r["times"]))
    header = "| stage | " + " | ".join(f"{r['observations']:,} obs" for r in results) + " |"
    lines = [header, "|---" * (len(results) + 1) + "|"]
    for stage in stages:
        cells = " | ".join(
            f"{r['times'][stage]:.2f} s" if stage in r["times"] else "—" for r in results
        )
        lines.append(f"| {stage} | {cells} |")
    for stage in dict.fromkeys(stage for r in results for stage in r["stage_peaks_mb"]):
        peaks = [r["stage_peaks_mb"].get(stage) for r in results]
        cells = " | ".join("—" if mb is None else f"{mb:,.0f} MB" for mb in peaks)
        lines.append(f"| peak memory: {stage} | {cells} |")
    lines += [
        "| **peak memory of the nightly runs** | "
        + _cells(results, lambda r: f"**{r['peak_mb']:,.0f} MB**")
        + " |",
        "| indicators / boards / measures | "
        + _cells(results, lambda r: f"{r['indicators']:,} / {r['boards']:,} / {r['measures']:,}")
        + " |",
        "| reports published by the nightly / the new-month nightly / the no-change nightly"
        " / a first run | "
        + _cells(
            results,
            lambda r: (
                f"{r['published']:,} / {r['new_month_reports']:,} / "
                f"{r['republished']:,} / "
                + (f"{r['first_run_reports']:,}" if r.get("first_run_reports") is not None else "—")
            ),
        )
        + " |",
        "| large boards: reports of the first run; documents: Word and PDF files made | "
        + _cells(
            results,
            lambda r: f"{_or_dash(r.get('large_boards_reports'))} / {_or_dash(r.get('documents'))}",
        )
        + " |",
        "| rows rejected by boardpack (the DuckDB reference: see its row below) | "
        + _cells(results, lambda r: f"{sum(r['rejected'].values()):,}")
        + " |",
    ]
    for name in ("DuckDB", "pandas"):
        cells = " | ".join(
            f"{r['times'][f'compute, {name} reference'] / r['times'][COMPUTE]:.2f}x"
            f" ({'agree' if not r['agreement'][name] else 'DIFFER'})"
            for r in results
        )
        lines.append(f"| {name} compute time / boardpack compute time (measures) | {cells} |")
    for name, what in (
        ("DuckDB end to end", "DuckDB end-to-end reference: rows loaded, rejected, measures"),
        ("stored", "stored measures (sliced) / in-memory compute"),
        ("cluster", "nightly's reports on a 2-worker LocalCluster / in one process"),
        ("PostgreSQL", "nightly's reports on PostgreSQL / on SQLite"),
    ):
        cells = " | ".join("agree" if not r["agreement"][name] else "DIFFER" for r in results)
        lines.append(f"| {what} | {cells} |")
    return "\n".join(lines)


@dataclasses.dataclass(frozen=True)
class Goal:
    """One of the issues' goals: a figure from one size's results (None where it is not
    measured), how it is shown, and the test it must pass (None: a figure reported beside
    the others, with no goal of its own)."""

    name: str
    figure: Callable[[dict[str, Any]], float | None]
    goal: str
    met: Callable[[float], bool] | None
    shown: str = "{:.2f}"


def ratio(numerator: str, denominator: str) -> Callable[[dict[str, Any]], float | None]:
    """One timed stage over another, where both were timed."""

    def figure(result: dict[str, Any]) -> float | None:
        times = result["times"]
        if numerator not in times or denominator not in times:
            return None
        return float(times[numerator] / times[denominator])

    return figure


def seconds(stage: str) -> Callable[[dict[str, Any]], float | None]:
    return lambda result: result["times"].get(stage)


def _against_duckdb(stage: str, what: str) -> Goal:
    """A run beside the DuckDB reference's end to end, timed in the same run (issue 27)."""
    return Goal(f"{what} / DuckDB end to end", ratio(stage, DUCKDB_END_TO_END), "reported", None)


# The issues' goals (16, then 27's), each a ratio or a figure of one run. Adding a goal is one
# line: a timed stage in ``measure``'s ``times`` and a Goal here.
GOALS: tuple[Goal, ...] = (
    Goal(
        "compute / best DuckDB compute",
        ratio(COMPUTE, DUCKDB_COMPUTE),
        "<= 1.5",
        lambda x: x <= 1.5,
    ),
    Goal(
        "nightly (read to publish) / DuckDB end to end (read, validate, compute, write); "
        "the goal is at 10^7",
        ratio(NIGHTLY, DUCKDB_END_TO_END),
        "<= 6",
        lambda x: x <= 6,
    ),
    Goal(
        "peak memory of the nightly runs",
        lambda r: float(r["peak_mb"]) / 1024,
        "<= 2 GB",
        lambda x: x <= 2,
        "{:.2f} GB",
    ),
    Goal(
        "no-change nightly / full nightly",
        ratio(NO_CHANGE, NIGHTLY),
        "<= 5%",
        lambda x: x <= 0.05,
        "{:.1%}",
    ),
    Goal(
        "new-month nightly (one month's new file per source) / full nightly",
        ratio(NEW_MONTH, NIGHTLY),
        "<= 10%",
        lambda x: x <= 0.10,
        "{:.1%}",
    ),
    Goal(
        "nightly on PostgreSQL / on SQLite",
        ratio(ON_POSTGRESQL, NIGHTLY),
        "<= 1.5",
        lambda x: x <= 1.5,
    ),
    Goal(
        "first run at 10^6, every period published",
        seconds(FIRST_RUN),
        "< 120 s",
        lambda x: x < 120,
        "{:.1f} s",
    ),
    Goal(
        f"first run at 10^6 on boards of {LARGE_BOARD} indicators, every period published",
        seconds(LARGE_BOARDS_FIRST_RUN),
        "< 60 s",
        lambda x: x < 60,
        "{:.1f} s",
    ),
    _against_duckdb(NEW_MONTH, "new-month nightly"),
    _against_duckdb(ON_POSTGRESQL, "nightly on PostgreSQL"),
    _against_duckdb(WITH_DOCUMENTS, "nightly with Word and PDF copies"),
    _against_duckdb(LARGE_BOARDS_FIRST_RUN, "first run on large boards"),
    # ---- Scale-out: the nightly and the first run on a LocalCluster (``on_cluster``) ----
    Goal(
        "nightly on a 2-worker LocalCluster / in one process",
        ratio(ON_CLUSTER, NIGHTLY),
        "<= 1",
        lambda x: x <= 1,
    ),
    Goal(
        "first run at 10^6 on a 2-worker LocalCluster / in one process",
        ratio(FIRST_RUN_ON_CLUSTER, FIRST_RUN),
        "<= 1",
        lambda x: x <= 1,
    ),
)


def goals_table(results: list[dict[str, Any]], goals: tuple[Goal, ...] = GOALS) -> str:
    """A row per goal: its figure at each size, whether met, and the goal."""
    header = "| goal (issues 16 and 27) | "
    header += " | ".join(f"{r['observations']:,} obs" for r in results)
    lines = [header + " | goal |", "|---" * (len(results) + 2) + "|"]
    for goal in goals:

        def cell(result: dict[str, Any], goal: Goal = goal) -> str:
            figure = goal.figure(result)
            if figure is None:
                return "not measured"
            shown = goal.shown.format(figure)
            if goal.met is None:
                return shown
            return shown + (" (met)" if goal.met(figure) else " (**not met**)")

        lines.append(f"| {goal.name} | {_cells(results, cell)} | {goal.goal} |")
    return "\n".join(lines)


def _memory_gb() -> float:
    pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    return pages / 1024**3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="100000,1000000,10000000")
    parser.add_argument(
        "--cluster",
        help="time the cluster rows on the Dask scheduler at this address instead of a "
        "2-worker LocalCluster (on several machines, set BOARDPACK_STAGING to a folder they "
        "share, and generate the councils there with TMPDIR)",
    )
    parser.add_argument("--generate", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--workdir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generate:
        print(json.dumps(_council(args.generate, Path(args.workdir))))
        return
    if args.one:
        print(json.dumps(measure(args.one, Path(args.workdir))))
        return
    if args.cluster:
        os.environ[CLUSTER_VARIABLE] = args.cluster  # for the child processes
    results = []
    for size in (int(s) for s in args.sizes.split(",")):
        print(f"benchmarking {size:,} observations ...", flush=True)
        results.append(_child(size))
    report = f"{goals_table(results)}\n\n{table(results)}"
    RESULTS.write_text(
        f"# boardpack benchmark results\n\nMachine: {os.cpu_count()} cores, {_memory_gb():.0f} GB; "
        f"Python {sys.version.split()[0]}; SQLite warehouse; as of {AS_OF}.\n\n{report}\n",
        encoding="utf-8",
    )
    print(report)
    print(f"\nwritten to {RESULTS}")


if __name__ == "__main__":
    main()
