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
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results.md"
AS_OF = dt.date(2026, 3, 31)
RENDER_BOARDS = 100


COMPUTE_REPEATS = 3


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
        shape_file.write_text(json.dumps(generate_council(workdir / "council", size)))
    return dict(json.loads(shape_file.read_text()))


# A first run into an empty warehouse publishes every period of ten years; a nightly
# publishes the latest quarter's and half's reports (and those of years restated): the bench
# times what a nightly publishes.
LATEST_PERIODS = {(2025, "Q4"), (2025, "H2")}


def timed_steps(times: dict[str, float], peaks: dict[str, float], memory: PeakMemory) -> Any:
    """The nightly's own steps (boardpack.runs), each timed and its peak memory sampled."""
    from boardpack import steps
    from outputs import publish as publishing

    def timing(stage: str, step: Any) -> Any:
        def run(*args: Any, **kwargs: Any) -> Any:
            start = _clock()
            result = step(*args, **kwargs)
            times[stage] = times.get(stage, 0.0) + _clock() - start
            peaks[stage] = memory.take()
            return result

        return run

    def publish_latest(engine: Any, council: Any, out: Path, as_of: Any, *_: Any) -> Any:
        return publishing.publish(engine, council, out, as_of, LATEST_PERIODS)

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
    from benchmarks.reference_duckdb import compute_measures_duckdb
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
    times["nightly (read to publish)"] = _clock() - start

    start = _clock()
    again = runs.nightly(workdir / "council", url, out, AS_OF)
    times["second nightly, no new data"] = _clock() - start
    peaks["second nightly, no new data"] = memory.take()
    # The pipeline's own peak, before the measurements below add theirs to this process.
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

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
    measures, times["compute (in memory)"] = _best_of(COMPUTE_REPEATS, compute_measures, *args)
    peaks["compute (in memory), all indicators at once"] = memory.take()
    with engine.connect() as connection:
        stored = store.read_table(connection, Measure)
    # The warehouse's measures were computed a slice of indicators at a time.
    agreement = {"stored": differences(stored, measures)}
    del stored
    for name, reference in (
        ("DuckDB", compute_measures_duckdb),
        ("pandas", compute_measures_pandas),
    ):
        theirs, times[f"compute, {name} reference"] = _best_of(COMPUTE_REPEATS, reference, *args)
        agreement[name] = differences(measures, theirs)
        del theirs
    memory.stop()
    return {
        "size": size,
        **shape,
        "measures": first.measures,
        "rendered": len(latest),
        "published": len(first.reports),
        "republished": len(again.reports),
        "times": times,
        "peak_mb": peak_mb,
        "stage_peaks_mb": peaks,
        "agreement": agreement,
    }


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


def table(results: list[dict[str, Any]]) -> str:
    stages = list(results[0]["times"])
    header = "| stage | " + " | ".join(f"{r['observations']:,} obs" for r in results) + " |"
    lines = [header, "|---" * (len(results) + 1) + "|"]
    for stage in stages:
        cells = " | ".join(f"{r['times'].get(stage, float('nan')):.2f} s" for r in results)
        lines.append(f"| {stage} | {cells} |")
    for stage in results[0]["stage_peaks_mb"]:
        cells = " | ".join(f"{r['stage_peaks_mb'][stage]:,.0f} MB" for r in results)
        lines.append(f"| peak memory: {stage} | {cells} |")
    lines.append(
        "| **peak memory of the nightly runs** | "
        + " | ".join(f"**{r['peak_mb']:,.0f} MB**" for r in results)
        + " |"
    )
    lines.append(
        "| indicators / boards / measures | "
        + " | ".join(f"{r['indicators']:,} / {r['boards']:,} / {r['measures']:,}" for r in results)
        + " |"
    )
    lines.append(
        "| reports published by the nightly / by the no-change nightly | "
        + " | ".join(f"{r['published']:,} / {r['republished']:,}" for r in results)
        + " |"
    )
    ratio = " | ".join(
        f"{r['times']['second nightly, no new data'] / r['times']['nightly (read to publish)']:.1%}"
        for r in results
    )
    lines.append(f"| no-change run / full run | {ratio} |")
    for name in ("DuckDB", "pandas"):
        cells = " | ".join(
            f"{r['times'][f'compute, {name} reference'] / r['times']['compute (in memory)']:.2f}x"
            f" ({'agree' if not r['agreement'][name] else 'DIFFER'})"
            for r in results
        )
        lines.append(f"| {name} time / boardpack compute time (measures) | {cells} |")
    cells = " | ".join("agree" if not r["agreement"]["stored"] else "DIFFER" for r in results)
    lines.append(f"| stored measures (sliced) / in-memory compute | {cells} |")
    return "\n".join(lines)


def _memory_gb() -> float:
    pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    return pages / 1024**3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="100000,1000000,10000000")
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
    results = []
    for size in (int(s) for s in args.sizes.split(",")):
        print(f"benchmarking {size:,} observations ...", flush=True)
        results.append(_child(size))
    report = table(results)
    RESULTS.write_text(
        f"# boardpack benchmark results\n\nMachine: {os.cpu_count()} cores, {_memory_gb():.0f} GB; "
        f"Python {sys.version.split()[0]}; SQLite warehouse; as of {AS_OF}.\n\n{report}\n",
        encoding="utf-8",
    )
    print(report)
    print(f"\nwritten to {RESULTS}")


if __name__ == "__main__":
    main()
