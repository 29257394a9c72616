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

from boardpack.digest import Digest
from boardpack.steps import one_line
from core.settings import Council
from outputs.formatting import STATUS, labelled
from outputs.status import counts_in_words
from schemas.ingest import Batch, FileResult
from warehouse import store

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
    # Per source, the loaded files read again because their reading configuration changed.
    reread: dict[str, int] = field(default_factory=dict)

    # The returns register's late and outstanding returns, and the nightly's digest of what
    # is new since the previous nightly (None: nothing new).
    returns: list[dict[str, Any]] = field(default_factory=list)
    digest: Digest | None = None
    council: str = ""  # the council's name (council.yaml), for artifact keys and alerts

    @classmethod
    def begin(
        cls, run_id: int, as_of: dt.date, out: str, batch: Batch, failed: dict[str, str]
    ) -> RunOutcome:
        failed = {**batch.unmatched, **failed}  # a path matching no file read nothing
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
        out += [f"  {line}" for line in reread_lines(self.reread)]
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
        if self.returns:
            out.append(
                f"{len(self.returns)} return(s) late or outstanding; see "
                f"{Path(self.out) / 'returns.html'} or 'boardpack export returns'"
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
            f"- {r['board']} {r['period']}: `{r['path']}`{_statuses(r)}" for r in self.reports[:50]
        )
        reread = "".join(f"\n- {line}" for line in reread_lines(self.reread))
        return (
            f"# boardpack run {self.run_id} ({self.status})\n\n"
            f"As of {self.as_of}. {self.message()}.\n"
            f"{failed}{reread}\n\n| source | file | read | loaded | rejected | skipped |\n"
            f"|---|---|---|---|---|---|\n{rows}\n\n## Reports\n\n{reports}\n"
            f"{self._returns_markdown()}"
        )

    def _returns_markdown(self) -> str:
        """The returns to chase: late (received after the due date) and outstanding."""
        if not self.returns:
            return ""
        rows = "\n".join(
            f"| {r['source_id']} | {r['department']} | {r['period']} | {r['due_date']} | "
            f"{r['status']} | {r['first_received'] or ''} | {r['contact'] or ''} |"
            for r in self.returns
        )
        return (
            "\n## Late and outstanding returns\n\n"
            "| source | department | period | due | status | received | contact |\n"
            f"|---|---|---|---|---|---|---|\n{rows}\n"
        )


def reread_lines(reread: dict[str, int]) -> list[str]:
    """One line per source whose loaded files are read again after a configuration change."""
    return [
        f"config for source {source_id} changed: re-reading {count} file{'s' if count > 1 else ''}"
        for source_id, count in sorted(reread.items())
    ]


def _statuses(report: dict[str, Any]) -> str:
    """A report's statuses in words (incomplete totals counted apart), for the artifact."""
    counts = report.get("summary")
    if not counts:
        return ""
    return f" ({counts_in_words(counts, {key: labelled(STATUS, key)[2:] for key in STATUS})})"


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
) -> Iterator[RunOutcome]:
    """A run that reads no sources, on a warehouse it holds: record its start and its end."""
    as_of = as_of or dt.date.today()
    folder = str(Path(out) if out else default_out())
    run_id = store.begin_run(engine, kind, council.settings.name, as_of)
    outcome = RunOutcome.begin(run_id, as_of, folder, Batch(), {})
    outcome.council = council.settings.name
    with recorded(engine, run_id, outcome, {}):
        yield outcome
