"""A shared service's nightly: several councils, each with its own configuration folder,
warehouse and reports, in one run (``boardpack run --councils councils.yaml``).

Each council's nightly is the ordinary one (:func:`boardpack.runs.nightly`); one council's
failure is recorded and the others carry on. On a Dask cluster the councils run side by
side, each on a worker.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from boardpack import runs
from boardpack.config import load_yaml_model
from boardpack.failures import failure
from boardpack.outcome import RunOutcome
from core.errors import ConfigError
from core.settings import SharedCouncil, SharedService, first_repeated
from sources.extracts import expand_variables

if TYPE_CHECKING:
    from distributed import Client


@dataclass(frozen=True)
class CouncilRun:
    """One council's part of the shared nightly: its run's account, or why it failed."""

    id: str
    outcome: RunOutcome | None
    error: str | None = None
    error_code: int = 0

    @property
    def exit_code(self) -> int:
        return self.outcome.exit_code if self.outcome is not None else self.error_code

    @property
    def failed(self) -> bool:
        """It could not complete, or one of its sources could not be read."""
        return self.outcome is None or bool(self.outcome.failed_sources)


def load_councils(path: Path) -> list[SharedCouncil]:
    """The councils of ``councils.yaml``; relative folders are the file's folder's, and each
    council needs a warehouse and a reports folder of its own."""
    service = load_yaml_model(path, SharedService, "councils (a list under 'councils')")
    here = path.parent
    councils = [_resolved(c, here) for c in service.councils]
    for what in ("warehouse", "out"):
        places = [str(getattr(council, what)) for council in councils]
        shared = first_repeated(places)
        if shared is not None:
            sharing = [c.id for c, place in zip(councils, places, strict=True) if place == shared]
            problem = f"councils '{sharing[0]}' and '{sharing[1]}' share the {what} {shared}"
            raise ConfigError(path, problem)
    return councils


def _resolved(council: SharedCouncil, here: Path) -> SharedCouncil:
    warehouse = council.warehouse or f"sqlite:///{here / 'var' / f'{council.id}.sqlite'}"
    return council.model_copy(
        update={
            "config": here / council.config,
            "warehouse": warehouse,
            "out": here / (council.out or Path("out") / council.id),
        }
    )


def council_nightly(
    council: SharedCouncil,
    as_of: dt.date,
    force: bool = False,
    wait_seconds: float = 0,
    staging: Path | None = None,
) -> CouncilRun:
    """One council's nightly; whatever stops it becomes its one-line reason."""
    try:
        warehouse = expand_variables(council.warehouse or "")  # set by load_councils
        outcome = runs.nightly(
            council.config, warehouse, council.out, as_of, force, wait_seconds, staging=staging
        )
    except Exception as error:  # one council's failure must not stop the others
        code, message = failure(error)
        return CouncilRun(council.id, None, message, code)
    return CouncilRun(council.id, outcome)


def councils_nightly(
    councils: list[SharedCouncil],
    as_of: dt.date,
    force: bool = False,
    wait_seconds: float = 0,
    staging: Path | None = None,
    client: Client | None = None,
) -> list[CouncilRun]:
    """Every council's nightly: one after another here, or side by side on a cluster."""
    each = partial(
        council_nightly, as_of=as_of, force=force, wait_seconds=wait_seconds, staging=staging
    )
    if client is None:
        return [each(c) for c in councils]
    futures = [client.submit(each, c, pure=False) for c in councils]
    return [f.result() for f in futures]


def lines(results: list[CouncilRun]) -> list[str]:
    """Each council's account under its id, then which councils did not complete and which
    had a source that could not be read."""
    text = []
    for result in results:
        text.append(f"[{result.id}]")
        if result.outcome is None:
            text.append(f"could not complete: {result.error}")
        else:
            text += result.outcome.lines()
    stopped = [r.id for r in results if r.outcome is None]
    partly = [r.id for r in results if r.failed and r.outcome is not None]
    summary = f"{len(results)} councils: {len(results) - len(stopped)} completed"
    if stopped:
        summary += f"; could not complete: {', '.join(stopped)}"
    if partly:
        summary += f"; a source failed: {', '.join(partly)}"
    return [*text, summary]
