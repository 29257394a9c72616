"""Prefect flows: the nightly run, backfills and publishing.

Thin: each flow calls the plain run in ``boardpack.runs`` with its steps run as Prefect
tasks (retries, one task per source, logs and artifacts in the Prefect UI).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Annotated, Any, Literal

from prefect import flow, get_run_logger, pause_flow_run, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.context import FlowRunContext
from prefect.futures import PrefectFuture
from prefect.input import RunInput
from prefect.states import Cancelled, Failed
from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner
from pydantic import AfterValidator, Field

from boardpack import councils as shared
from boardpack import mail, runs, steps
from boardpack.cluster import in_order
from boardpack.config import load_council
from boardpack.councils import CouncilRun
from boardpack.digest import Digest
from boardpack.outcome import RunOutcome
from boardpack.signoff import approval_state, record_decision
from core.environment import CLUSTER_VARIABLE
from core.periods import require_reporting_period
from core.settings import Council, SharedCouncil, Source
from outputs import publish as publishing
from outputs.board import BoardPage
from outputs.site import ChunkRenderer, RenderedPage
from schemas.ingest import Batch, ingest_source
from warehouse.load import load_and_compute
from warehouse.schema import opened, warehouse_url
from warehouse.signoffs import APPROVED, REJECTED

# As when run directly (boardpack.steps): tried three times, 2 s then 10 s apart.
RETRIES = len(steps.RETRY_DELAYS)
RETRY_DELAYS: list[float] = list(steps.RETRY_DELAYS)


def _retried(name: str) -> Any:
    return task(name=name, retries=RETRIES, retry_delay_seconds=RETRY_DELAYS, cache_policy=NO_CACHE)


@task(
    name="read source",
    task_run_name="read source {source.id}",
    retries=RETRIES,
    retry_delay_seconds=RETRY_DELAYS,
    cache_policy=NO_CACHE,
)
def read_source(
    council: Council, source: Source, as_of: dt.date, skip: steps.Skip, staging: Path
) -> Batch:
    batch = ingest_source(council, source, as_of, staging, skip)
    log = get_run_logger()
    read = sum(f.rows_read for f in batch.files)
    rejected = batch.frame("rejections").height
    log.info("%s: %d file(s), %d row(s) read", source.id, len(batch.files), read)
    if rejected:
        log.warning("%s: %d row(s) or file(s) rejected", source.id, rejected)
    return batch


def read_sources(
    council: Council, as_of: dt.date, skip: steps.Skip, staging: Path
) -> tuple[Batch, dict[str, str]]:
    """Every source as its own task (on any worker of the flow's task runner: threads here,
    a Dask cluster's workers): one that fails (after retries) fails alone."""
    submitted = [
        (s, _tried_as_configured(s).submit(council, s, as_of, skip, staging))
        for s in council.settings.sources
    ]
    return steps.gathered(council, ((s, partial(_outcome, s.id, f)) for s, f in submitted))


def _tried_as_configured(source: Source) -> Any:
    """The read task with the source's own ``retries`` from council.yaml."""
    delays = source.retries.delays()
    return read_source.with_options(retries=len(delays), retry_delay_seconds=delays or 0)


def _outcome(source_id: str, future: PrefectFuture[Batch]) -> Batch:
    state = future.wait() or future.state
    if state.is_completed():
        return future.result()
    message = steps.one_line(state.message or "failed")
    get_run_logger().error("source %s failed: %s", source_id, message)
    raise SourceFailed(message)


class SourceFailed(Exception):
    """A source task that ended failed (its retries spent): its state's message."""


@task(name="render pages", cache_policy=NO_CACHE)
def render_pages(render: ChunkRenderer, pages: list[BoardPage]) -> list[RenderedPage]:
    return render(pages)


RENDERS_AHEAD = 8  # chunks of pages in flight: the workers stay busy, memory stays bounded


def _rendered_by_tasks(
    render: ChunkRenderer, chunks: Iterable[list[BoardPage]]
) -> Iterator[list[RenderedPage]]:
    """Pages rendered by tasks on the flow's task runner (a Dask cluster's workers)."""
    return in_order(partial(render_pages.submit, render), chunks, RENDERS_AHEAD)


TASKS = steps.Steps(
    read_sources=read_sources,
    load_and_compute=_retried("load and compute")(load_and_compute),
    recompute=_retried("recompute measures")(steps.recompute_all),
    publish_after_load=task(name="publish changed reports", cache_policy=NO_CACHE)(
        publishing.publish_after_load
    ),
    publish=task(name="publish reports", cache_policy=NO_CACHE)(publishing.publish),
    wait_hint="the wait_seconds parameter",
)
# On a cluster, pages are rendered by tasks on its workers, sent from the flow itself (a task
# does not submit tasks to the flow's runner).
ON_CLUSTER = dataclasses.replace(
    TASKS,
    publish_after_load=partial(publishing.publish_after_load, mapper=_rendered_by_tasks),
    publish=partial(publishing.publish, mapper=_rendered_by_tasks),
)


def task_runner(address: str | None = None) -> TaskRunner[Any]:
    """Tasks on the Dask cluster at ``address``, else at $BOARDPACK_CLUSTER (set it in the
    deployment's job variables or the worker's environment); otherwise on threads of the
    flow's process."""
    address = address or os.environ.get(CLUSTER_VARIABLE)
    if not address:
        return ThreadPoolTaskRunner()
    from prefect_dask.task_runners import DaskTaskRunner

    return DaskTaskRunner(address=address)


def _steps() -> steps.Steps:
    """Whether this flow run's tasks go to a cluster is the flow's task runner's choice."""
    context = FlowRunContext.get()
    on_threads = context is None or isinstance(context.task_runner, ThreadPoolTaskRunner)
    return TASKS if on_threads else ON_CLUSTER


def _period(label: str) -> str:
    require_reporting_period(label, "period")
    return label


# The pattern is in the parameters' schema, so the Prefect server refuses a bad label when
# the run is created; the validator then checks the financial year itself.
_FY = r"\d{4}[/-](\d{2}|\d{4})"
PERIOD_PATTERN = rf"^\s*({_FY}([\s;,]*[QqHh][1-4])?|[QqHh][1-4][\s;,]*{_FY})\s*$"
Period = Annotated[
    str,
    Field(description='A quarter or half, e.g. "2025/26 Q2".', pattern=PERIOD_PATTERN),
    AfterValidator(_period),
]
BoardId = Annotated[
    str,
    Field(description="The board's id in council.yaml.", pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]*$"),
]
Config = Annotated[str, Field(description="The council's configuration folder.")]
Warehouse = Annotated[
    str | None,
    Field(
        description="Name of a Prefect Secret block holding the warehouse's SQLAlchemy URL; "
        "empty: $BOARDPACK_WAREHOUSE_URL on the worker, else var/warehouse.sqlite."
    ),
]
Out = Annotated[str | None, Field(description="Folder for the reports (default ./out).")]
EmailBlock = Annotated[
    str | None,
    Field(
        description="Name of an EmailServerCredentials block for the digest email; empty: "
        "$BOARDPACK_SMTP_HOST and its companions on the worker, else no email."
    ),
]
AsOf = Annotated[
    dt.date | None, Field(description="The date the run reports up to (default today).")
]
WaitSeconds = Annotated[
    float, Field(ge=0, description="Seconds to wait if another run holds the warehouse.")
]


@contextmanager
def _boardpack_logs() -> Iterator[None]:
    """boardpack's own progress lines (the "boardpack" logger) into the flow run's log."""
    handler = _ToRunLogger(get_run_logger())
    logger = logging.getLogger("boardpack")
    level, propagate = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False  # the run's logger shows each line once
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        logger.propagate = propagate


class _ToRunLogger(logging.Handler):
    def __init__(self, run_logger: Any) -> None:
        super().__init__(logging.INFO)
        self.run_logger = run_logger

    def emit(self, record: logging.LogRecord) -> None:
        self.run_logger.log(record.levelno, record.getMessage())


def _warehouse_url(secret_block: str | None) -> str | None:
    """Passwords never travel as parameters: the URL comes from a Secret block or the
    worker's environment."""
    if not secret_block:
        return None
    from prefect.blocks.system import Secret

    block: Any = Secret.load(secret_block)
    return str(block.get())


def _report(outcome: RunOutcome) -> RunOutcome | Any:
    """Artifacts for the UI; a Failed state naming the sources that failed (SPEC §6)."""
    logger = get_run_logger()
    for line in outcome.lines():
        logger.info(line)
    create_table_artifact(
        key="boardpack-sources",
        table=[
            {
                "source": f.source_id,
                "file": Path(f.file).name,
                "read": f.rows_read,
                "loaded": f.rows_loaded,
                "rejected": f.rows_rejected,
                "skipped": f.skipped,
            }
            for f in outcome.files
        ],
        description="Rows read, loaded and rejected per file",
    )
    if outcome.rejections:
        logger.warning("%d row(s) or file(s) rejected", len(outcome.rejections))
        create_table_artifact(
            key="boardpack-data-quality",
            table=outcome.rejections,
            description="Rejected rows and files, with reasons",
        )
    create_markdown_artifact(key="boardpack-run-summary", markdown=outcome.markdown())
    if outcome.failed_sources:
        names = ", ".join(sorted(outcome.failed_sources))
        return Failed(message=f"source(s) failed: {names}", data=outcome)
    return outcome


@flow(name="boardpack-nightly", log_prints=True, task_runner=task_runner())
def nightly(
    config: Config,
    warehouse: Warehouse = None,
    out: Out = None,
    as_of: AsOf = None,
    force: Annotated[bool, Field(description="Re-read files loaded before.")] = False,
    wait_seconds: WaitSeconds = 0,
    email: EmailBlock = None,
) -> RunOutcome:
    """Ingest every source, validate, load, compute and publish the board reports; then
    the digest of what changed, as an artifact and by email."""
    with _boardpack_logs():
        outcome = runs.nightly(
            config, _warehouse_url(warehouse), out, as_of, force, wait_seconds, _steps()
        )
    if outcome.digest is not None:
        _send_digest(outcome.digest, email)
    return _report(outcome)


def _send_digest(digest: Digest, block: str | None) -> None:
    """The digest as a markdown artifact, and by email through prefect-email: with the
    EmailServerCredentials block named, else the SMTP server in the worker's environment."""
    create_markdown_artifact(key="boardpack-digest", markdown=digest.markdown())
    logger = get_run_logger()
    if block:
        from prefect_email import EmailServerCredentials

        server: tuple[Any, str] | None = (
            EmailServerCredentials.load(block),
            mail.sender_address(),
        )
    else:
        server = mail.credentials_from_environment()
    if server is None or not digest.recipients:
        logger.info("digest: %d new item(s), not emailed", len(digest.facts))
        return
    from prefect_email import email_send_message

    credentials, sender = server
    state = email_send_message(
        email_server_credentials=credentials,
        **mail.message_arguments(digest, sender),
        return_state=True,
    )
    if not state.is_completed():  # the run's work is done: a mail server down does not undo it
        logger.warning("digest: %d new item(s) NOT emailed: %s", len(digest.facts), state.message)
        return
    logger.info("digest: %d new item(s) emailed to %s", len(digest.facts), digest.recipients)


@flow(name="boardpack-backfill", log_prints=True, task_runner=task_runner())
def backfill(
    config: Config,
    start: Period,
    end: Period,
    warehouse: Warehouse = None,
    out: Out = None,
    boards: Annotated[list[BoardId] | None, Field(description="Only these boards.")] = None,
    as_of: AsOf = None,
    wait_seconds: WaitSeconds = 0,
) -> RunOutcome:
    """Recompute the measures and republish the reports of a range of periods."""
    with _boardpack_logs():
        outcome = runs.backfill(
            config,
            start,
            end,
            _warehouse_url(warehouse),
            out,
            boards,
            as_of,
            wait_seconds,
            _steps(),
        )
    return _report(outcome)


@flow(name="boardpack-publish", log_prints=True, task_runner=task_runner())
def publish_report(
    config: Config,
    board: BoardId,
    period: Period,
    warehouse: Warehouse = None,
    out: Out = None,
    as_of: AsOf = None,
    wait_seconds: WaitSeconds = 0,
    final: Annotated[bool, Field(description="Mark it as formally published.")] = False,
    as_published: Annotated[
        bool, Field(description="Re-render it exactly as it was published as final.")
    ] = False,
    without_approval: Annotated[
        bool,
        Field(description="With final: publish figures not approved (this is recorded)."),
    ] = False,
    approval_hours: Annotated[
        float, Field(gt=0, description="How long a final publish waits for approval.")
    ] = 72,
) -> RunOutcome | Any:
    """Render one board's report for one period. A final publish of figures not yet
    approved pauses until someone approves (or returns) them in the UI or through the API."""
    url = _warehouse_url(warehouse)
    with _boardpack_logs():
        if final and not as_published and not without_approval:
            refused = _wait_for_approval(config, board, period, url, approval_hours)
            if refused is not None:
                return refused
        outcome = runs.publish_one(
            config,
            board,
            period,
            url,
            out,
            as_of,
            wait_seconds,
            final,
            as_published,
            _steps(),
            without_approval=without_approval,
        )
    return _report(outcome)


class Approval(RunInput):
    """The form a final publish shows while it waits: who decides, and what."""

    approver: str = Field(min_length=1, description="Your name.")
    role: str | None = Field(default=None, description="Your role, e.g. Head of Service.")
    decision: Literal["approve", "return"] = Field(
        default="approve", description="approve: publish; return: send back for correction."
    )
    comment: str | None = Field(default=None, description="A note kept with the decision.")


APPROVAL_POLL_SECONDS = 5


def _wait_for_approval(
    config: str, board: str, period: str, url: str | None, hours: float
) -> Any | None:
    """Pause until the board's figures are approved, unless they already are; record the
    decision. A Cancelled state when they are returned for correction."""
    council = load_council(config)
    fy, reporting = require_reporting_period(period, "period")
    with opened(warehouse_url(url), create=False) as engine:
        with engine.connect() as connection:
            state = approval_state(connection, council, board, fy, reporting.suffix)
        if state.approved:
            return None
        logger = get_run_logger()
        logger.info("%s; waiting for approval", state.why_not())
        answer = pause_flow_run(
            wait_for_input=Approval.with_initial_data(
                description=f"**{state.why_not()}**. Approve them to publish the report as "
                "final, or return them for correction."
            ),
            timeout=int(hours * 3600),
            poll_interval=APPROVAL_POLL_SECONDS,
        )
        decision = APPROVED if answer.decision == "approve" else REJECTED
        record_decision(
            engine,
            council,
            board,
            fy,
            reporting.suffix,
            answer.approver.strip(),
            decision,
            answer.role,
            answer.comment,
            via="prefect",
        )
    if decision == REJECTED:
        message = f"{board} {period}: figures returned for correction by {answer.approver}"
        logger.warning(message)
        return Cancelled(message=message)
    logger.info("%s %s: figures approved by %s", board, period, answer.approver)
    return None


publish = publish_report  # the entrypoint prefect.yaml names: flows/nightly.py:publish


@task(name="council nightly", task_run_name="nightly {council.id}", cache_policy=NO_CACHE)
def council_nightly(
    council: SharedCouncil, as_of: dt.date, force: bool, wait_seconds: float
) -> CouncilRun:
    return shared.council_nightly(council, as_of, force, wait_seconds)


@flow(name="boardpack-councils", log_prints=True, task_runner=task_runner())
def councils(
    councils_file: Annotated[str, Field(description="The shared service's councils.yaml.")],
    as_of: AsOf = None,
    force: Annotated[bool, Field(description="Re-read files loaded before.")] = False,
    wait_seconds: WaitSeconds = 0,
) -> list[CouncilRun] | Any:
    """A shared service's nightly: every council side by side (each on a worker of the
    cluster, if the flow runs on one); one council's failure stops no other."""
    chosen = shared.load_councils(Path(councils_file))
    day = as_of or dt.date.today()
    futures = [council_nightly.submit(c, day, force, wait_seconds) for c in chosen]
    results = [future.result() for future in futures]
    logger = get_run_logger()
    for line in shared.lines(results):
        logger.info(line)
    stopped = [r.id for r in results if r.failed]
    if stopped:
        return Failed(message=f"council(s) failed: {', '.join(stopped)}", data=results)
    return results
