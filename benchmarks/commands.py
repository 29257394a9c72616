"""How long the data team waits for each command on the demo council (`make bench`).

Each command runs as the user runs it (the installed `.venv/bin/boardpack`, a new process),
several times; the best time is reported, as the least disturbed by other work on the
machine. Results go to benchmarks/commands.md.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BOARDPACK = str(ROOT / ".venv" / "bin" / "boardpack")
DEMO = ROOT / "examples" / "demo-council"
REPEATS = 5


def best_of(
    args: list[str], repeats: int = REPEATS, before: Callable[[], object] | None = None
) -> float:
    """The fastest of ``repeats`` runs of ``boardpack args`` (``before`` runs untimed first)."""
    times = []
    for _ in range(repeats):
        if before:
            before()
        start = time.perf_counter()
        done = subprocess.run([BOARDPACK, *args], capture_output=True, check=False)
        times.append(time.perf_counter() - start)
        if done.returncode not in (0, 1):
            raise SystemExit(f"boardpack {' '.join(args)} failed: {done.stderr.decode()}")
    return min(times)


def measure(folder: Path) -> dict[str, float]:
    warehouse = f"sqlite:///{folder / 'w.sqlite'}"
    out = str(folder / "out")
    run = ["run", "--config", str(DEMO), "--warehouse", warehouse, "--out", out]
    run += ["--as-of", "2026-09-30"]
    fresh = ["run", "--config", str(DEMO), "--warehouse", f"sqlite:///{folder / 'new.sqlite'}"]
    fresh += ["--out", str(folder / "new"), "--as-of", "2026-09-30"]

    def empty() -> None:
        for path in (folder / "new.sqlite", folder / "new.sqlite.lock"):
            path.unlink(missing_ok=True)
        shutil.rmtree(folder / "new", ignore_errors=True)

    def loaded() -> None:
        subprocess.run([BOARDPACK, *run], capture_output=True, check=False)

    # The same first nightly without the Word and PDF documents (the demo makes them for
    # its latest reports): documents should cost less than the run itself.
    plain = folder / "plain-council"
    shutil.copytree(DEMO, plain)
    config = (plain / "council.yaml").read_text(encoding="utf-8")
    (plain / "council.yaml").write_text(
        re.sub(r"^documents: .*$", "documents: false", config, flags=re.M), encoding="utf-8"
    )
    without = [str(plain) if arg == str(DEMO) else arg for arg in fresh]

    extract = DEMO / "extracts" / "corporate" / "corporate_kpis_2025-26.csv"
    times = {
        "boardpack run (the demo, into an empty warehouse)": best_of(fresh, 3, empty),
        "boardpack run (the same, without Word and PDF documents)": best_of(without, 3, empty),
        "boardpack run (nothing new)": best_of(run, REPEATS, loaded),
        "boardpack validate (one extract, 161 rows)": best_of(
            ["validate", "--config", str(DEMO), "--source", "corporate-kpis", str(extract)]
        ),
        "boardpack export measures (2,350 rows)": best_of(
            ["export", "measures", "--config", str(DEMO), "--warehouse", warehouse]
        ),
        "boardpack export runs (the run history)": best_of(
            ["export", "runs", "--config", str(DEMO), "--warehouse", warehouse]
        ),
        "boardpack db status": best_of(["db", "status", "--warehouse", warehouse]),
        f"boardpack check (the demo's {_source_count()} sources)": best_of(
            ["check", "--config", str(DEMO)]
        ),
        "boardpack run --dry-run (nothing new)": best_of([*run, "--dry-run"]),
        "boardpack --version": best_of(["--version"]),
    }
    return times


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="boardpack-commands-"))
    try:
        os.chdir(folder)
        times = measure(folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    rows = "\n".join(f"| {name} | {seconds:.2f} s |" for name, seconds in times.items())
    cores = os.cpu_count()
    table = f"| command (best of several, {cores} cores) | wall time |\n|---|---|\n{rows}\n"
    (ROOT / "benchmarks" / "commands.md").write_text(table)
    sys.stdout.write(table)


def _source_count() -> int:
    """How many sources the demo's council.yaml lists (the check reads each)."""
    from boardpack.config import load_council

    return len(load_council(DEMO).settings.sources)


if __name__ == "__main__":
    main()
