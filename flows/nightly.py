"""Prefect flows: the nightly run, backfills and publishing.

Thin: each flow calls the plain run in ``boardpack.runs`` with its steps run as Prefect
tasks (retries, one task per source, logs and artifacts in the Prefect UI).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Annotated, Any, Literal, ParamSpec, TypeVar

from prefect import Flow, flow, get_run_logger, pause_flow_run, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import State
from prefect.context import FlowRunContext
from prefect.futures import PrefectFuture
from prefect.input import RunInput
from prefect.states import Cancelled, Completed, Failed
from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner
from pydantic import AfterValidator, Field

from boardpack import councils as shared
from boardpack import mail, runs, steps
from boardpack.cluster import in_order
from boardpack.config import load_council
from boardpack.councils import CouncilRun
from boardpack.digest import Digest, not_sent
from boardpack.failures import RunEndedFailed, failure
from boardpack.outcome import RunOutcome
from boardpack.signoff import approval_state, record_decision
from core.environment import CLUSTER_VARIABLE, FLOW_TIMEOUT_VARIABLE
from core.errors import UsageError
from core.periods import require_reporting_period
from core.settings import Council, SharedCouncil, Source
from outputs import publish as publishing
from outputs.site import ChunkRenderer, Job, Rendered
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
    # The exception itself, not the state's "Task run encountered an exception ..." wrapper.
    error = state.result(raise_on_failure=False) if state.data is not None else None
    message = steps.one_line(error if isinstance(error, BaseException) else state.message or "")
    get_run_logger().error("source %s failed: %s", source_id, message)
    raise SourceFailed(message)


class SourceFailed(Exception):
    """A source task that ended failed (its retries spent): its state's message."""


@task(name="render pages", cache_policy=NO_CACHE)
def render_pages(render: ChunkRenderer, pages: list[Job]) -> list[Rendered]:
    return render(pages)


RENDERS_AHEAD = 8  # chunks of pages in flight: the workers stay busy, memory stays bounded


def _rendered_by_tasks(
    render: ChunkRenderer, chunks: Iterable[list[Job]]
) -> Iterator[list[Rendered]]:
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
    """A label the pattern lets through, with a financial year that is not one (2019/21)."""
    try:
        require_reporting_period(label, "period")
    except UsageError as error:  # pydantic reports a ValueError as the parameter's error
        raise ValueError(str(error)) from None
    return label


# The parameters' checks; their descriptions are in each flow's docstring ("Args:"), which
# Prefect puts in the deployment's parameter schema for the UI. The patterns are in that
# schema too, so the server refuses a bad value when the run is created (the validator then
# checks the financial year itself). They are written without "[/" so that the Prefect CLI
# (rich markup) can print them in its error message.
PERIOD_PATTERN = r"^[0-9]{4}/[0-9]{2} (Q[1-4]|H[12])$"  # SPEC §1: "2019/20 Q2", "2019/20 H1"
BOARD_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]*$"
# A Prefect block's name (lowercase letters, digits, dashes): never a URL.
BLOCK_NAME_PATTERN = r"^[0-9a-z-]+$"
Period = Annotated[str, Field(pattern=PERIOD_PATTERN), AfterValidator(_period)]
BoardId = Annotated[str, Field(pattern=BOARD_PATTERN)]
Warehouse = Annotated[str, Field(pattern=BLOCK_NAME_PATTERN)] | None
WaitSeconds = Annotated[float, Field(ge=0)]

# What every flow's docstring says of the parameters they share.
_CONFIG = "config: The council's configuration folder (relative to the checkout)."
_WAREHOUSE = (
    "warehouse: Name of a Prefect Secret block holding the warehouse's SQLAlchemy URL "
    "(lowercase letters, digits and dashes; never the URL itself). Empty: "
    "$BOARDPACK_WAREHOUSE_URL on the worker, else var/warehouse.sqlite."
)
_OUT = "out: Folder for the reports (default ./out)."
_AS_OF = (
    "as_of: The date the run reports up to; default the day the run was scheduled for, "
    "in the UK (a run that starts late still reports the day it was due)."
)
_WAIT = (
    "wait_seconds: Seconds to wait if another run holds the warehouse (progress is "
    "logged every minute), then fail."
)
_FORCE = "force: Re-read files whose content was loaded before."
_EMAIL = (
    "email: Name of an EmailServerCredentials block for the digest of what changed; empty: "
    "$BOARDPACK_SMTP_HOST and its companions on the worker, else no email."
)
_SHARED = {
    "config": _CONFIG,
    "warehouse": _WAREHOUSE,
    "out": _OUT,
    "as_of": _AS_OF,
    "wait": _WAIT,
    "force": _FORCE,
    "email": _EMAIL,
}
P = ParamSpec("P")
R = TypeVar("R")


def _boardpack_flow(name: str) -> Callable[[Callable[P, R]], Flow[P, R]]:
    """A boardpack flow: its tasks on the flow's task runner, the deployment's time limit,
    and the shared parameters' descriptions put into its docstring before ``@flow`` reads
    it into the parameter schema."""

    def decorate(function: Callable[P, R]) -> Flow[P, R]:
        function.__doc__ = (function.__doc__ or "").format(**_SHARED)
        return flow(
            name=name, log_prints=True, task_runner=task_runner(), timeout_seconds=flow_timeout()
        )(function)

    return decorate


def flow_timeout() -> float | None:
    """The flow run's time limit in seconds, $BOARDPACK_FLOW_TIMEOUT_SECONDS: every
    deployment sets it in prefect.yaml (a run still going then ends TimedOut, a Failed state
    the alert reports). A run started from the command line has none: someone is watching."""
    given = os.environ.get(FLOW_TIMEOUT_VARIABLE)
    return float(given) if given else None


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


# A run that loaded everything it could but rejected rows or files: a Completed state by
# this name (the UI shows it; the alert automation listens for it).
REJECTIONS_STATE = "Completed with rejections"


def artifact_key(council: str, what: str) -> str:
    """``boardpack-<council>-<deployment>-<what>``, as Prefect's artifact keys must be
    (lowercase letters, digits, dashes): the "latest" of a key is the latest of that
    council's runs of that deployment (or flow, run without one)."""
    context = FlowRunContext.get()
    run = context.flow_run if context is not None else None
    if context is not None and run is not None and run.deployment_id is not None:
        # The run's own client (prefect.runtime.deployment reads it on another thread, which
        # need not have this run's settings).
        client: Any = context.client
        where = str(client.read_deployment(run.deployment_id).name)
    else:
        flow_name = context.flow.name if context is not None and context.flow else "local"
        where = flow_name.removeprefix("boardpack-")
    return re.sub(r"[^a-z0-9]+", "-", f"boardpack {council} {where} {what}".lower()).strip("-")


def _artifacts(outcome: RunOutcome, council: str | None = None) -> None:
    """The run's account in the UI: rows per file, the rejections, the summary; keyed by
    ``council`` (a shared service's id for it) or else the council's name."""
    name = council or outcome.council
    create_table_artifact(
        key=artifact_key(name, "sources"),
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
        create_table_artifact(
            key=artifact_key(name, "data-quality"),
            table=outcome.rejections,
            description="Rejected rows and files, with reasons",
        )
    create_markdown_artifact(key=artifact_key(name, "run-summary"), markdown=outcome.markdown())


def _report(outcome: RunOutcome) -> RunOutcome | State[Any]:
    """Artifacts for the UI; the state the run ends in: Failed naming each source that
    failed and why (SPEC §6), "Completed with rejections", or Completed; each message with
    the run's counts (the alert quotes it)."""
    logger = get_run_logger()
    for line in outcome.lines():
        logger.info(line)
    _artifacts(outcome)
    if outcome.rejections:
        logger.warning("%d row(s) or file(s) rejected", len(outcome.rejections))
    if outcome.failed_sources:
        return _failed(RunEndedFailed(outcome.failed_message(), outcome))
    if outcome.rejections:
        return Completed(name=REJECTIONS_STATE, message=outcome.message(), data=outcome)
    return Completed(message=outcome.message(), data=outcome)


def _failed(ended: RunEndedFailed) -> State[Any]:
    """A Failed state whose message says why; its data the exception carrying the run's
    account (Prefect wants an exception there), which the command line unwraps."""
    get_run_logger().error(ended.message)
    return Failed(message=ended.message, data=ended)


def _guarded(work: Callable[[], R]) -> R | State[Any]:
    """``work`` with boardpack's progress in the run's log; whatever stops it (a wrong
    parameter, a busy or unreachable warehouse) ends the run Failed with SPEC §6's one-line
    message, not a traceback."""
    with _boardpack_logs():
        try:
            return work()
        except Exception as error:
            return _failed(RunEndedFailed(failure(error)[1], error))


def _run(work: Callable[[], RunOutcome | State[Any]]) -> RunOutcome | State[Any]:
    """A guarded run, then its account (:func:`_report`); a state it ends in is final."""
    done = _guarded(work)
    return done if isinstance(done, State) else _report(done)


def _as_of(given: dt.date | None) -> dt.date:
    """The given date, else the day this run was scheduled for (in the UK)."""
    from prefect.runtime import flow_run

    return given or runs.day_due(flow_run.scheduled_start_time)


class _NoEngineDump(logging.Filter):
    """Prefect's engine logs the exception of every flow run that ends Failed once more, as
    "Engine execution exited with unexpected exception" and a traceback; a run that ended
    Failed on purpose has said why in its state and log already. Likewise a source that
    cannot be read fails alone (SPEC §6): its task's failure is logged without a traceback.
    And a URL in a refused parameter is not repeated."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "prefect.flows" and "://" in record.getMessage():
            # Prefect logs refused parameters with their values: a URL given as the
            # warehouse (a password in it) is not repeated.
            record.msg, record.args = _URL.sub("<a URL, not shown>", record.getMessage()), ()
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, RunEndedFailed):
            return False
        if record.exc_info and getattr(record, "task_name", None) == read_source.name:
            record.exc_info = None
            record.exc_text = None
        return True


_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"]*")
for _engine_logger in ("prefect.flow_runs", "prefect.task_runs", "prefect.flows"):
    logging.getLogger(_engine_logger).addFilter(_NoEngineDump())


@_boardpack_flow("boardpack-nightly")
def nightly(
    config: str,
    warehouse: Warehouse = None,
    out: str | None = None,
    as_of: dt.date | None = None,
    force: bool = False,
    wait_seconds: WaitSeconds = 0,
    email: str | None = None,
) -> RunOutcome | State[Any]:
    """Ingest every source, validate, load, compute and publish the board reports; then
    the digest of what changed, as an artifact and by email.

    Args:
        {config}
        {warehouse}
        {out}
        {as_of}
        {force}
        {wait}
        {email}
    """
    url = _warehouse_url(warehouse)
    day = _as_of(as_of)

    def work() -> RunOutcome:
        outcome = runs.nightly(config, url, out, day, force, wait_seconds, _steps())
        if outcome.digest is not None and not _send_digest(outcome.digest, email, outcome.council):
            not_sent(url, outcome.digest)  # told by the next nightly instead
        return outcome

    return _run(work)


def _send_digest(digest: Digest, block: str | None, council: str) -> bool:
    """The digest as a markdown artifact, and by email through prefect-email: with the
    EmailServerCredentials block named, else the SMTP server in the worker's environment.
    False: it was to be emailed and could not be."""
    create_markdown_artifact(key=artifact_key(council, "digest"), markdown=digest.markdown())
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
        return True
    from prefect_email import email_send_message

    credentials, sender = server
    # prefect-email's task is async: submitted (a task run the UI shows), not called, from
    # this sync flow, where calling it gave a coroutine and the run failed.
    sent = email_send_message.submit(
        email_server_credentials=credentials, **mail.message_arguments(digest, sender)
    )
    sent.wait()
    state = sent.state
    if not state.is_completed():  # the run's work is done: a mail server down does not undo it
        logger.warning(
            "digest: %d new item(s) NOT emailed (the next nightly's digest tells them): %s",
            len(digest.facts),
            state.message,
        )
        return False
    logger.info("digest: %d new item(s) emailed to %s", len(digest.facts), digest.recipients)
    return True


@_boardpack_flow("boardpack-backfill")
def backfill(
    config: str,
    start: Period,
    end: Period,
    warehouse: Warehouse = None,
    out: str | None = None,
    boards: list[BoardId] | None = None,
    as_of: dt.date | None = None,
    wait_seconds: WaitSeconds = 0,
) -> RunOutcome | State[Any]:
    """Recompute the measures and republish the reports of a range of periods.

    Args:
        {config}
        start: The first period, a quarter or half as the reports write it, "2025/26 Q1".
        end: The last period, e.g. "2025/26 H2"; not before the first.
        {warehouse}
        {out}
        boards: Only these boards (their ids in council.yaml); empty: every board.
        {as_of}
        {wait}
    """
    url = _warehouse_url(warehouse)
    day = _as_of(as_of)
    return _run(
        lambda: runs.backfill(config, start, end, url, out, boards, day, wait_seconds, _steps())
    )


@_boardpack_flow("boardpack-publish")
def publish_report(
    config: str,
    board: BoardId,
    period: Period,
    warehouse: Warehouse = None,
    out: str | None = None,
    as_of: dt.date | None = None,
    wait_seconds: WaitSeconds = 0,
    final: bool = False,
    as_published: bool = False,
    without_approval: bool = False,
    approval_hours: Annotated[float, Field(gt=0)] = 72,
) -> RunOutcome | State[Any]:
    """Render one board's report for one period. A final publish of figures not yet
    approved pauses until someone approves (or returns) them in the UI or through the API.

    Args:
        {config}
        board: The board's id in council.yaml.
        period: The period, a quarter or half as the reports write it, "2026/27 H1".
        {warehouse}
        {out}
        {as_of}
        {wait}
        final: Mark the report as formally published to the committee.
        as_published: Re-render it exactly as it was last published as final.
        without_approval: With final, publish figures not approved (this is recorded).
        approval_hours: How long a final publish waits for approval before it fails.
    """
    url = _warehouse_url(warehouse)
    day = _as_of(as_of)

    def work() -> RunOutcome | State[Any]:
        if final and not as_published and not without_approval:
            refused = _wait_for_approval(config, board, period, url, approval_hours)
            if refused is not None:
                return refused
        return runs.publish_one(
            config,
            board,
            period,
            url,
            out,
            day,
            wait_seconds,
            final,
            as_published,
            _steps(),
            without_approval=without_approval,
        )

    return _run(work)


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
) -> State[Any] | None:
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


# A council's warehouse in councils.yaml may name a Prefect Secret block as prefect.yaml
# does: "{{ prefect.blocks.secret.NAME }}" (or be ${NAME} from the worker's environment).
_SECRET_REFERENCE = re.compile(r"^\{\{\s*prefect\.blocks\.secret\.([0-9a-z-]+)\s*\}\}$")


def _with_secret_warehouse(council: SharedCouncil) -> SharedCouncil:
    found = _SECRET_REFERENCE.match(council.warehouse or "")
    if found is None:
        return council
    return council.model_copy(update={"warehouse": _warehouse_url(found.group(1))})


@_boardpack_flow("boardpack-councils")
def councils(
    councils_file: str,
    as_of: dt.date | None = None,
    force: bool = False,
    wait_seconds: WaitSeconds = 0,
) -> list[CouncilRun] | State[Any]:
    """A shared service's nightly: every council side by side (each on a worker of the
    cluster, if the flow runs on one); one council's failure stops no other.

    Args:
        councils_file: The shared service's councils.yaml (relative to the checkout): each
            council's configuration folder, warehouse and reports folder.
        {as_of}
        {force}
        {wait}
    """
    chosen = _guarded(
        lambda: [_with_secret_warehouse(c) for c in shared.load_councils(Path(councils_file))]
    )
    if isinstance(chosen, State):
        return chosen
    day = _as_of(as_of)
    futures = [council_nightly.submit(c, day, force, wait_seconds) for c in chosen]
    results = [future.result() for future in futures]
    logger = get_run_logger()
    for line in shared.lines(results):
        logger.info(line)
    for result in results:  # each council's account, under its id in councils.yaml
        if result.outcome is not None:
            _artifacts(result.outcome, result.id)
    stopped = [r for r in results if r.failed]
    if stopped:
        reasons = "; ".join(
            f"{r.id}: {r.error if r.outcome is None else r.outcome.failed_message()}"
            for r in stopped
        )
        return _failed(RunEndedFailed(f"council(s) failed: {reasons}", results))
    if any(r.outcome is not None and r.outcome.rejections for r in results):
        return Completed(name=REJECTIONS_STATE, message=shared.lines(results)[-1], data=results)
    return results
