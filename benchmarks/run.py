"""``make bench``: time each stage of a nightly run at several sizes, with peak memory.

    .venv/bin/python -m benchmarks.run [--sizes 100000,1000000,10000000]

Each size runs in its own process so that its peak memory is its own. Results go to the
screen and to benchmarks/results.md. Nothing here fails on timing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import polars as pl

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


def measure(size: int, workdir: Path) -> dict[str, Any]:
    """Run every stage once at ``size`` observations (in this process)."""
    from benchmarks.compare import differences
    from benchmarks.generate import generate_council
    from benchmarks.reference_duckdb import compute_measures_duckdb
    from benchmarks.reference_pandas import compute_measures_pandas
    from boardpack import pipeline
    from boardpack.config import load_council
    from outputs.site import board_pages, write_site
    from sources.extracts import read_extract, source_files
    from transforms.measures import compute_measures
    from warehouse import store
    from warehouse.schema import connect

    times: dict[str, float] = {}
    start = _clock()
    shape = generate_council(workdir / "council", size)
    times["generate"] = _clock() - start

    council = load_council(workdir / "council")
    start = _clock()
    extracts = [
        read_extract(council, s, p)
        for s in council.settings.sources
        for p in source_files(council, s)
    ]
    times["read"] = _clock() - start

    start = _clock()
    batch = pipeline.Batch()
    for extract in extracts:
        accepted, rejected, read = pipeline.check_extract(council, extract, AS_OF)
        batch.files.append(
            pipeline.FileResult(extract.source.id, "", extract.file, extract.content_hash, read)
        )
        batch.observations.append(accepted)
        batch.rejections.append(rejected)
    batch = pipeline.merge([batch])
    times["validate"] = _clock() - start

    observations = (
        batch.frame("observations")
        .rename({"indicator_code": "code"})
        .select("code", "fy", "fm", "value", "numerator", "denominator")
    )
    measures, times["compute (in memory)"] = _best_of(
        COMPUTE_REPEATS, compute_measures, council.indicators, observations, council.targets, AS_OF
    )

    engine = connect(f"sqlite:///{workdir / 'warehouse.sqlite'}")
    run_id = store.begin_run(engine, "bench", council.settings.name, AS_OF)
    start = _clock()
    pipeline.load_and_compute(engine, run_id, council, batch, AS_OF)
    times["load, compute and store"] = _clock() - start

    with engine.connect() as connection:
        inputs = pipeline.site_inputs(connection, council, AS_OF)
    latest = board_pages(inputs, {(2025, "Q4"), (2025, "H2")})[:RENDER_BOARDS]
    start = _clock()
    write_site(latest, workdir / "out", inputs.council, inputs.as_at)
    times["render the latest reports"] = _clock() - start
    times["nightly (read to render)"] = sum(
        v for k, v in times.items() if k != "generate" and not k.startswith("compute")
    )

    run_two = store.begin_run(engine, "bench", council.settings.name, AS_OF)
    start = _clock()
    with engine.connect() as connection:
        skip = frozenset(store.loaded_hashes(connection))
    unchanged = pipeline.ingest_all(council, AS_OF, skip)
    pipeline.load_and_compute(engine, run_two, council, unchanged, AS_OF)
    times["second nightly, no new data"] = _clock() - start

    # The pipeline's own peak, before the references add theirs to this process.
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    agreement = {}
    for name, reference in (
        ("DuckDB", compute_measures_duckdb),
        ("pandas", compute_measures_pandas),
    ):
        theirs, times[f"compute, {name} reference"] = _best_of(
            COMPUTE_REPEATS, reference, council.indicators, observations, council.targets, AS_OF
        )
        agreement[name] = differences(measures, theirs)
    return {
        "size": size,
        **shape,
        "measures": measures.height,
        "rendered": len(latest),
        "times": times,
        "peak_mb": peak_mb,
        "agreement": agreement,
    }


def measure_compute(size: int, workdir: Path) -> dict[str, Any]:
    """The compute stage alone, against both references, from generated observations."""
    from benchmarks.compare import differences
    from benchmarks.generate import generate_council
    from benchmarks.reference_duckdb import compute_measures_duckdb
    from benchmarks.reference_pandas import compute_measures_pandas
    from boardpack.config import load_council
    from transforms.measures import compute_measures
    from transforms.periods import parse_period_labels

    generate_council(workdir / "council", size)
    council = load_council(workdir / "council")
    raw = pl.read_csv(workdir / "council" / "extracts" / "*.csv", infer_schema=False)
    periods = parse_period_labels(raw["period"])
    observations = pl.concat([raw, periods], how="horizontal").select(
        pl.col("indicator_code").alias("code"),
        "fy",
        "fm",
        *(pl.col(c).cast(pl.Float64, strict=False) for c in ("value", "numerator", "denominator")),
    )
    del raw, periods
    args = (council.indicators, observations, council.targets, AS_OF)
    times: dict[str, float] = {}
    ours, times["compute (in memory)"] = _best_of(COMPUTE_REPEATS, compute_measures, *args)
    ours_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    agreement = {}
    for name, reference in (
        ("DuckDB", compute_measures_duckdb),
        ("pandas", compute_measures_pandas),
    ):
        theirs, times[f"compute, {name} reference"] = _best_of(COMPUTE_REPEATS, reference, *args)
        agreement[name] = differences(ours, theirs)
        del theirs
    return {
        "size": size,
        "observations": observations.height,
        "measures": ours.height,
        "times": times,
        "peak_mb_boardpack_compute": ours_peak,
        "agreement": agreement,
    }


def _child(size: int, mode: str = "--one") -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="boardpack-bench-") as workdir:
        completed = subprocess.run(
            [sys.executable, "-m", "benchmarks.run", mode, str(size), "--workdir", workdir],
            capture_output=True,
            text=True,
            check=True,
        )
    return json.loads(completed.stdout.strip().splitlines()[-1])


def table(results: list[dict[str, Any]]) -> str:
    stages = list(results[0]["times"])
    header = "| stage | " + " | ".join(f"{r['observations']:,} obs" for r in results) + " |"
    lines = [header, "|---" * (len(results) + 1) + "|"]
    for stage in stages:
        cells = " | ".join(f"{r['times'].get(stage, float('nan')):.2f} s" for r in results)
        lines.append(f"| {stage} | {cells} |")
    lines.append("| peak memory | " + " | ".join(f"{r['peak_mb']:,.0f} MB" for r in results) + " |")
    lines.append(
        "| indicators / boards / measures / reports rendered | "
        + " | ".join(
            f"{r['indicators']:,} / {r['boards']:,} / {r['measures']:,} / {r['rendered']}"
            for r in results
        )
        + " |"
    )
    ratio = " | ".join(
        f"{r['times']['second nightly, no new data'] / r['times']['nightly (read to render)']:.1%}"
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
    return "\n".join(lines)


def _memory_gb() -> float:
    pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    return pages / 1024**3


def compute_table(result: dict[str, Any]) -> str:
    times = result["times"]
    ours = times["compute (in memory)"]
    lines = [
        f"Compute stage alone, {result['observations']:,} observations -> "
        f"{result['measures']:,} measures (best of {COMPUTE_REPEATS}):",
        "",
        "| implementation | time | ratio to boardpack | agrees |",
        "|---|---|---|---|",
        f"| boardpack (polars) | {ours:.2f} s | 1.00x | - |",
    ]
    for name in ("DuckDB", "pandas"):
        theirs = times[f"compute, {name} reference"]
        agrees = "yes" if not result["agreement"][name] else "NO"
        lines.append(f"| {name} reference | {theirs:.2f} s | {theirs / ours:.2f}x | {agrees} |")
    lines.append(
        f"\nPeak memory after boardpack's compute: {result['peak_mb_boardpack_compute']:,.0f} MB"
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument(
        "--compute-sizes",
        default="",
        help="sizes at which to time the compute stage alone, e.g. 10000000",
    )
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--compute-one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--workdir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one, Path(args.workdir))))
        return
    if args.compute_one:
        print(json.dumps(measure_compute(args.compute_one, Path(args.workdir))))
        return
    results = []
    for size in (int(s) for s in args.sizes.split(",")):
        print(f"benchmarking {size:,} observations ...", flush=True)
        results.append(_child(size))
    report = table(results)
    for size in (int(s) for s in args.compute_sizes.split(",") if s):
        print(f"timing the compute stage alone at {size:,} observations ...", flush=True)
        report += "\n\n" + compute_table(_child(size, "--compute-one"))
    RESULTS.write_text(
        f"# boardpack benchmark results\n\nMachine: {os.cpu_count()} cores, {_memory_gb():.0f} GB; "
        f"Python {sys.version.split()[0]}; SQLite warehouse; as of {AS_OF}.\n\n{report}\n",
        encoding="utf-8",
    )
    print(report)
    print(f"\nwritten to {RESULTS}")


if __name__ == "__main__":
    main()
