"""What a run did, for the command line, the Prefect artifacts and the exit status; and
the runs table's record of each run, from its start to its end."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from boardpack.steps import one_line
from core.settings import Council
from schemas.ingest import Batch, FileResult
from warehouse import store
from warehouse.lock import exclusive_run

DEFAULT_OUT = Path("out")


def default_out() -> Path:
    return DEFAULT_OUT


@dataclass
class RunOutcome:
    run_id: int
    as_of: dt.date
    out: str
    files: list[FileResult]
    rejections: list[dict[str, Any]]
    failed_sources: dict[str, str]
    measures: int = 0
    reports: list[dict[str, Any]] = field(default_factory=list)
    council: str = ""  # the council's name (council.yaml), for artifact keys and alerts

    @classmethod
    def begin(
        cls, run_id: int, as_of: dt.date, out: str, batch: Batch, failed: dict[str, str]
    ) -> RunOutcome:
        return cls(run_id, as_of, out, batch.files, batch.frame("rejections").to_dicts(), failed)

    @property
    def status(self) -> str:
        return "partial" if self.rejections or self.failed_sources else "succeeded"

    @property
    def exit_code(self) -> int:
        """SPEC §6: 0 when everything loaded, 1 when rows, files or sources were rejected."""
        return 1 if self.status == "partial" else 0

    def message(self) -> str:
        read = sum(f.rows_read for f in self.files)
        loaded = sum(f.rows_loaded for f in self.files)
        whole = sum(1 for r in self.rejections if r["row_number"] is None)
        rows = len(self.rejections) - whole
        parts = [f"{read} rows read, {loaded} loaded, {rows} rejected"]
        if whole:  # a file or source rejected whole is not a count of rows
            parts.append(f"{whole} file{'s' if whole > 1 else ''} rejected whole")
        if self.failed_sources:
            parts.append(f"sources failed: {', '.join(sorted(self.failed_sources))}")
        parts.append(f"{self.measures} measures, {len(self.reports)} reports")
        return "; ".join(parts)

    def failed_message(self) -> str:
        """Each failed source with its reason, then the run's counts: the message of a
        Failed run's state, and so of its alert."""
        reasons = "; ".join(f"{s}: {why}" for s, why in sorted(self.failed_sources.items()))
        return f"source(s) failed: {reasons} ({self.message()})"

    def lines(self) -> list[str]:
        """A plain-text account for the terminal."""
        out = [f"Run {self.run_id} (as of {self.as_of}): {self.message()}."]
        for f in self.files:
            state = (
                "unchanged, skipped"
                if f.skipped
                else (f"{f.rows_read} read, {f.rows_loaded} loaded, {f.rows_rejected} rejected")
            )
            if f.rows_set_aside:
                state += f"; {f.rows_set_aside} rows of other areas set aside (rows:)"
            out.append(f"  {f.source_id}: {Path(f.file).name}: {state}")
        for source_id, why in sorted(self.failed_sources.items()):
            out.append(f"  {source_id}: FAILED: {why}")
        if self.rejections:
            out.append(
                f"{len(self.rejections)} rejection(s); see 'boardpack export rejections' "
                f"or {Path(self.out) / 'data-quality.html'}"
            )
        index = f"{Path(self.out).resolve()}/index.html"
        if self.reports:
            out.append(f"Reports written to {index}")
        else:
            out.append(f"Nothing changed: the reports at {index} stand as they are")
        return out

    def markdown(self) -> str:
        rows = "\n".join(
            f"| {f.source_id} | {Path(f.file).name} | {f.rows_read} | {f.rows_loaded} | "
            f"{f.rows_rejected} | {'yes' if f.skipped else ''} |"
            for f in self.files
        )
        failed = "".join(
            f"\n- **{s}** failed: {why}" for s, why in sorted(self.failed_sources.items())
        )
        reports = "\n".join(
            f"- {r['board']} {r['period']}: `{r['path']}`" for r in self.reports[:50]
        )
        return (
            f"# boardpack run {self.run_id} ({self.status})\n\n"
            f"As of {self.as_of}. {self.message()}.\n"
            f"{failed}\n\n| source | file | read | loaded | rejected | skipped |\n"
            f"|---|---|---|---|---|---|\n{rows}\n\n## Reports\n\n{reports}\n"
        )


def run_totals(batch: Batch) -> dict[str, Any]:
    """The counts the runs table keeps for a run."""
    return {
        "rows_read": sum(f.rows_read for f in batch.files),
        "rows_loaded": sum(f.rows_loaded for f in batch.files),
        "rows_rejected": batch.frame("rejections")["row_number"].is_not_null().sum(),
        "files_skipped": sum(f.skipped for f in batch.files),
    }


@contextmanager
def recorded(
    engine: sa.Engine, run_id: int, outcome: RunOutcome, totals: dict[str, Any]
) -> Iterator[None]:
    """Record the run's end in the runs table, as failed if the work raised."""
    try:
        yield
    except BaseException as error:
        store.finish_run(engine, run_id, "failed", message=one_line(error), **totals)
        raise
    store.finish_run(engine, run_id, outcome.status, message=outcome.message(), **totals)


@contextmanager
def recorded_run(
    engine: sa.Engine,
    kind: str,
    council: Council,
    as_of: dt.date | None,
    out: Path | str | None,
    wait_seconds: float,
    wait_hint: str,
) -> Iterator[RunOutcome]:
    """A run that reads no sources: hold the warehouse, record its start and its end."""
    as_of = as_of or dt.date.today()
    folder = str(Path(out) if out else default_out())
    with exclusive_run(engine, wait_seconds, wait_hint):
        run_id = store.begin_run(engine, kind, council.settings.name, as_of)
        outcome = RunOutcome.begin(run_id, as_of, folder, Batch(), {})
        outcome.council = council.settings.name
        with recorded(engine, run_id, outcome, {}):
            yield outcome
