"""The ``boardpack`` command line for the data team (SPEC §6).

Exit status: 0 everything loaded; 1 rows or files were rejected or a source could not be
read (for ``validate``: problems were found); 2 a usage or configuration error; 3 the run
could not complete (warehouse unreachable or corrupt, disk full, output not writable).
Every failure is one line on standard error, never a traceback.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from core.environment import CLUSTER_VARIABLE, STAGING_VARIABLE, WAREHOUSE_VARIABLE
from core.errors import UsageError

if TYPE_CHECKING:
    from boardpack.outcome import RunOutcome
    from core.settings import Council

app = typer.Typer(
    name="boardpack",
    help="Council indicator returns in, board report performance tables out.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

ConfigOption = Annotated[
    Path, typer.Option("--config", help="The council's configuration folder.", show_default=False)
]
WarehouseOption = Annotated[
    str | None,
    typer.Option(
        "--warehouse",
        help="SQLAlchemy URL; default $BOARDPACK_WAREHOUSE_URL, "
        "else sqlite:///var/warehouse.sqlite.",
    ),
]
OutOption = Annotated[
    Path | None, typer.Option("--out", help="Folder for the reports (default ./out).")
]
WaitOption = Annotated[
    float,
    typer.Option("--wait", help="Seconds to wait if another run holds the warehouse (default 0)."),
]
AsOfOption = Annotated[
    str | None,
    typer.Option("--as-of", help="Date (YYYY-MM-DD) the run reports up to; default today."),
]


def _version(show: bool) -> None:
    if show:
        from boardpack.logs import version_text

        typer.echo(version_text())
        raise typer.Exit(0)


class LogLevel(StrEnum):
    debug = "debug"
    info = "info"
    warning = "warning"
    error = "error"


class LogFormat(StrEnum):
    text = "text"
    json = "json"


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and commit."
        ),
    ] = False,
    log_level: Annotated[
        LogLevel, typer.Option("--log-level", help="Log the run's steps from this level up.")
    ] = LogLevel.warning,
    log_format: Annotated[
        LogFormat,
        typer.Option("--log-format", help="text, or json: one JSON object per line."),
    ] = LogFormat.text,
) -> None:
    """Council indicator returns in, board report performance tables out."""
    from boardpack.logs import configure

    configure(log_level.value, log_format.value)


class Table(StrEnum):
    measures = "measures"
    summary = "summary"
    rejections = "rejections"
    benchmarks = "benchmarks"
    returns = "returns"
    signoffs = "signoffs"
    runs = "runs"


def parse_as_of(text: str | None) -> dt.date:
    if text is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--as-of: '{text}' is not a date such as 2019-09-30") from None


PrefectOption = Annotated[
    bool | None,
    typer.Option(
        "--prefect/--no-prefect",
        help="Run through Prefect (shown in its UI); default: only when PREFECT_API_URL is set.",
        show_default=False,
    ),
]


ClusterOption = Annotated[
    str | None,
    typer.Option(
        "--cluster",
        envvar=CLUSTER_VARIABLE,
        help="Address of a Dask scheduler (e.g. tcp://10.0.0.5:8786): sources are read and "
        "pages rendered on its workers; default $BOARDPACK_CLUSTER, else this process.",
        show_default=False,
    ),
]
StagingOption = Annotated[
    Path | None,
    typer.Option(
        "--staging",
        help="Folder for rows waiting to load; on a cluster of several machines one that "
        "every worker can reach. Default $BOARDPACK_STAGING, else the temporary folder.",
        show_default=False,
    ),
]


def _through_prefect(asked: bool | None) -> bool:
    """Runs go through Prefect only when a Prefect server is configured (or asked for):
    never through a temporary local API that can time out on a busy machine."""
    return asked if asked is not None else bool(os.environ.get("PREFECT_API_URL"))


def _run(
    plain: Callable[..., RunOutcome],
    flow_name: str,
    prefect: bool | None,
    cluster: str | None = None,
    **args: Any,
) -> None:
    """Run in-process (its steps on a Dask cluster when given one) with a progress line at a
    terminal, or as a Prefect flow; then report and exit (SPEC §6)."""
    from core.progress import on_terminal

    with on_terminal("Starting"):
        if _through_prefect(prefect):
            outcome = _through_flow(flow_name, args, cluster)
        elif cluster:
            from boardpack.cluster import cluster_steps, connected

            with connected(cluster) as client:
                outcome = plain(**args, steps=cluster_steps(client))
        else:
            outcome = plain(**args)
    from core.progress import logger

    for source_id, why in sorted(outcome.failed_sources.items()):
        logger.error("source %s failed: %s", source_id, why)
    logger.info("run %d %s: %s", outcome.run_id, outcome.status, outcome.message())
    for line in outcome.lines():
        typer.echo(line)
    if outcome.digest is not None and not _through_prefect(prefect):
        typer.echo(_emailed(outcome.digest, args.get("warehouse")))  # a flow sends its own
    raise typer.Exit(outcome.exit_code)


def _check_mail_settings(prefect: bool | None) -> None:
    """A mistake in $BOARDPACK_SMTP_* refused before the run, not found when its digest is
    sent: by then the digest's items are remembered as told and would be lost. (A flow run
    sends with its email block or its worker's settings.)"""
    if not _through_prefect(prefect):
        from boardpack.mail import smtp_from_environment

        smtp_from_environment()


def _emailed(digest: Any, warehouse: str | None) -> str:
    """Send the nightly's digest by email when $BOARDPACK_SMTP_HOST is set; say what
    happened. One that could not be sent is told again by the next nightly."""
    import smtplib

    from boardpack.mail import credentials_from_environment, send_digest

    count = len(digest.facts)
    server = credentials_from_environment()
    if server is None:
        return f"Digest: {count} new item(s); not emailed ($BOARDPACK_SMTP_HOST is not set)"
    try:
        if not send_digest(digest, *server):
            return f"Digest: {count} new item(s); no recipients in council.yaml, not emailed"
    except (OSError, smtplib.SMTPException) as error:  # the run itself is done: say so
        from boardpack.digest import not_sent
        from boardpack.steps import one_line

        not_sent(warehouse, digest)
        return (
            f"Digest: {count} new item(s); NOT emailed: {one_line(error)}; "
            "the next nightly's digest tells them"
        )
    return f"Digest: {count} new item(s) emailed to {', '.join(digest.recipients)}"


def _through_flow(flow_name: str, args: dict[str, Any], cluster: str | None = None) -> RunOutcome:
    """The same run as a flow on the configured Prefect server (its tasks on the Dask
    cluster when given one); a Failed state still carries the run's account (a failed source
    fails the flow run but the rest was done)."""
    _for_flow_runs(warehouse=args.pop("warehouse", None), staging=args.pop("staging", None))
    return _flow_outcome(_flow(flow_name, cluster), args)


def _flow(name: str, cluster: str | None) -> Any:
    """One of ``flows.nightly``'s flows, its tasks on the Dask cluster when given one."""
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    import flows.nightly

    flow = getattr(flows.nightly, name)
    if cluster:
        flow = flow.with_options(task_runner=flows.nightly.task_runner(cluster))
    return flow


def _for_flow_runs(warehouse: str | None = None, staging: Path | None = None) -> None:
    """Settings typed at the command line reach the flow runs of this process through its
    environment, as a worker's come through the worker's (a password in a warehouse URL
    never becomes a flow parameter)."""
    if warehouse:
        os.environ[WAREHOUSE_VARIABLE] = warehouse
    if staging:
        os.environ[STAGING_VARIABLE] = str(staging)


def _flow_result(state: Any) -> Any:
    """What a flow run returned, Failed or not; an exception it ended with is raised."""
    from boardpack.failures import RunEndedFailed

    result = state.result(raise_on_failure=False)
    if isinstance(result, RunEndedFailed):  # the flow's account of a run that ended Failed
        result = result.account
    if isinstance(result, BaseException):
        raise result
    return result


def _flow_outcome(flow: Any, args: dict[str, Any]) -> RunOutcome:
    state = flow(
        **{k: str(v) if isinstance(v, Path) else v for k, v in args.items()}, return_state=True
    )
    from boardpack.outcome import RunOutcome

    outcome = _flow_result(state)
    if not isinstance(outcome, RunOutcome):
        raise TypeError(f"the flow run ended {state.type.value} without an account of the run")
    return outcome


@app.command()
def run(
    config: Annotated[
        Path | None,
        typer.Option("--config", help="The council's configuration folder.", show_default=False),
    ] = None,
    warehouse: WarehouseOption = None,
    out: OutOption = None,
    as_of: AsOfOption = None,
    force: Annotated[
        bool, typer.Option(help="Re-read files whose content was loaded before.")
    ] = False,
    wait: WaitOption = 0,
    prefect: PrefectOption = None,
    cluster: ClusterOption = None,
    staging: StagingOption = None,
    councils: Annotated[
        Path | None,
        typer.Option(
            "--councils",
            help="A shared service's councils.yaml: every council's nightly, each into its "
            "own warehouse and reports folder (instead of --config).",
            show_default=False,
        ),
    ] = None,
    source: Annotated[
        str | None,
        typer.Option(
            "--source",
            help="Re-read this source only (its files loaded before too); the other sources "
            "are not read and what they loaded stands.",
            show_default=False,
        ),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run",
            help="Say what the run would read, load and republish; write nothing.",
        ),
    ] = False,
) -> None:
    """The nightly job: ingest, validate, load, compute, publish."""
    from boardpack import runs

    date = parse_as_of(as_of)
    if (config is None) == (councils is None):
        raise UsageError("give either --config (one council) or --councils (a shared service)")
    if councils is not None:
        if warehouse or out:
            raise UsageError("--warehouse and --out are set per council in the --councils file")
        if source or dry_run:
            raise UsageError("--source and --dry-run are for one council (--config)")
        return _run_councils(councils, date, force, wait, cluster, staging, prefect)
    assert config is not None
    if source or dry_run:
        from boardpack.config import load_council

        council = load_council(config)
        if source:
            runs.one_source(council, source)  # an unknown id is refused before any work
        if dry_run:
            from boardpack.preview import dry_run as plan
            from warehouse.schema import warehouse_url

            for line in plan(council, warehouse_url(warehouse), date, force, source):
                typer.echo(line)
            raise typer.Exit(0)
        if _through_prefect(prefect):
            raise UsageError("--source runs without Prefect: add --no-prefect")
    _check_mail_settings(prefect)
    _run(
        runs.nightly,
        "nightly",
        prefect,
        cluster,
        config=config,
        warehouse=warehouse,
        out=out,
        as_of=date,
        force=force,
        wait_seconds=wait,
        staging=staging,
        **({"only_source": source} if source else {}),
    )


def _run_councils(
    path: Path,
    as_of: dt.date,
    force: bool,
    wait: float,
    cluster: str | None,
    staging: Path | None,
    prefect: bool | None,
) -> None:
    """A shared service's nightly, each council side by side on the cluster when given one;
    the exit status is the worst of theirs."""
    from contextlib import nullcontext

    from boardpack.cluster import connected
    from boardpack.councils import councils_nightly, lines, load_councils

    chosen = load_councils(path)  # a mistake in the file is reported before anything runs
    if _through_prefect(prefect):
        _for_flow_runs(staging=staging)
        flow = _flow("councils", cluster)
        results = _flow_result(flow(str(path.resolve()), as_of, force, wait, return_state=True))
    else:
        with connected(cluster) if cluster else nullcontext(None) as client:
            results = councils_nightly(chosen, as_of, force, wait, staging, client)
    for line in lines(results):
        typer.echo(line)
    raise typer.Exit(max(r.exit_code for r in results))


@app.command()
def backfill(
    config: ConfigOption,
    start: Annotated[str, typer.Option("--from", help='First period, e.g. "2018/19 Q1".')],
    end: Annotated[str, typer.Option("--to", help='Last period, e.g. "2019/20 Q4".')],
    board: Annotated[list[str] | None, typer.Option(help="Only these boards (repeatable).")] = None,
    warehouse: WarehouseOption = None,
    out: OutOption = None,
    as_of: AsOfOption = None,
    wait: WaitOption = 0,
    prefect: PrefectOption = None,
    cluster: ClusterOption = None,
) -> None:
    """Recompute and republish a range of periods."""
    from boardpack import runs
    from boardpack.config import load_council
    from core.periods import period_range

    council = load_council(config)
    period_range(start, end, ("--from", "--to"))
    _known_boards(council, board or [])
    date = parse_as_of(as_of)
    _run(
        runs.backfill,
        "backfill",
        prefect,
        cluster,
        config=config,
        start=start,
        end=end,
        warehouse=warehouse,
        out=out,
        boards=board or None,
        as_of=date,
        wait_seconds=wait,
    )


@app.command()
def publish(
    config: ConfigOption,
    board: Annotated[str, typer.Option(help="The board's id.")],
    period: Annotated[str, typer.Option(help='The period, e.g. "2019/20 Q2".')],
    warehouse: WarehouseOption = None,
    out: OutOption = None,
    as_of: AsOfOption = None,
    wait: WaitOption = 0,
    final: Annotated[
        bool, typer.Option(help="Mark this as the version formally published to the board.")
    ] = False,
    as_published: Annotated[
        bool, typer.Option(help="Re-render the report exactly as it was published as final.")
    ] = False,
    without_approval: Annotated[
        bool,
        typer.Option(
            help="With --final: publish figures not (or no longer) approved; this is recorded."
        ),
    ] = False,
    prefect: PrefectOption = None,
) -> None:
    """Render one board's report for one period."""
    from boardpack import runs
    from boardpack.config import load_council
    from core.periods import require_reporting_period

    council = load_council(config)
    _known_boards(council, [board])
    require_reporting_period(period, "--period")
    if final and as_published:
        raise UsageError("--final and --as-published cannot be used together")
    if without_approval and not final:
        raise UsageError("--without-approval is for --final")
    date = parse_as_of(as_of)
    _run(
        runs.publish_one,
        "publish",
        prefect,
        config=config,
        board=board,
        period=period,
        warehouse=warehouse,
        out=out,
        as_of=date,
        wait_seconds=wait,
        final=final,
        as_published=as_published,
        without_approval=without_approval,
    )


def _known_boards(council: Council, boards: list[str]) -> None:
    known = {b.id for b in council.settings.boards}
    for board in boards:
        if board not in known:
            raise UsageError(f"--board: no board '{board}' in {council.folder / 'council.yaml'}")


@app.command()
def signoff(
    config: ConfigOption,
    board: Annotated[str, typer.Option(help="The board's id.")],
    period: Annotated[str, typer.Option(help='The period, e.g. "2026/27 Q2".')],
    by: Annotated[str, typer.Option("--by", help="Who approves the figures (a name).")],
    role: Annotated[
        str | None, typer.Option(help="Their role, e.g. Head of Service.", show_default=False)
    ] = None,
    comment: Annotated[
        str | None, typer.Option(help="A note kept with the approval.", show_default=False)
    ] = None,
    warehouse: WarehouseOption = None,
) -> None:
    """Approve a board's figures for a period as they stand (who, when, which figures)."""
    from boardpack.signoff import signoff as record

    typer.echo(record(config, board, period, by, role, comment, warehouse))


@app.command()
def validate(
    config: ConfigOption,
    source: Annotated[str, typer.Option(help="The source id in council.yaml.")],
    file: Annotated[Path, typer.Argument(help="The extract to check.", show_default=False)],
    as_of: AsOfOption = None,
) -> None:
    """Check one extract and print every problem; loads nothing."""
    from boardpack.validate import check_file

    report = check_file(config, source, file, parse_as_of(as_of))
    for line in report.lines():
        typer.echo(line)
    raise typer.Exit(1 if report.problems else 0)


@app.command()
def check(config: ConfigOption) -> None:
    """Check a configuration as a nightly would, sources reached and globs matched, without
    touching the warehouse: exit 0 when all is well, 2 when a nightly would refuse something."""
    from boardpack.checkup import check_configuration

    lines, passed = check_configuration(config)
    for line in lines:
        typer.echo(line)
    raise typer.Exit(0 if passed else 2)


@app.command()
def init(
    folder: Annotated[Path, typer.Argument(help="A new folder for the configuration.")],
) -> None:
    """Write a commented starter configuration, with sample returns, that runs as it is."""
    from boardpack.starter import write_starter

    written = write_starter(folder)
    typer.echo(f"wrote {len(written)} files in {folder}; try: boardpack run --config {folder}")


@app.command()
def template(
    config: ConfigOption,
    period: Annotated[str, typer.Option(help='The period the return is for, e.g. "2026/27 Q3".')],
    source: Annotated[
        str | None, typer.Option(help="The source id in council.yaml.", show_default=False)
    ] = None,
    every: Annotated[
        bool, typer.Option("--all", help="One workbook for every Excel observations source.")
    ] = False,
    out: Annotated[
        Path | None,
        typer.Option(help="The workbook (one source) or folder (--all); default here."),
    ] = None,
    warehouse: Annotated[
        str | None,
        typer.Option(
            help="Warehouse URL for last year's figures (and what a source sent before); "
            "without it they are left blank.",
        ),
    ] = None,
) -> None:
    """Write a department's return workbook for a period, ready to fill in."""
    from boardpack.template import write_templates

    if (source is None) == (not every):
        raise UsageError("give --source ID or --all (one of the two)")
    engine = None
    if warehouse is not None:
        from warehouse.schema import connect

        engine = connect(warehouse, create=False)
    for path in write_templates(config, period, None if every else [source or ""], out, engine):
        typer.echo(f"wrote {path}")


@app.command()
def export(
    table: Annotated[
        Table,
        typer.Argument(
            help="measures, summary, rejections, benchmarks, returns, signoffs or runs."
        ),
    ],
    config: ConfigOption,
    warehouse: WarehouseOption = None,
    detail: Annotated[
        bool,
        typer.Option(
            help="rejections: add value, run_id and rejected_at after the SPEC's columns."
        ),
    ] = False,
) -> None:
    """Write a warehouse table as CSV on standard output."""
    from core.settings import require_config_folder
    from warehouse.exports import export_csv
    from warehouse.schema import connect, warehouse_url

    require_config_folder(config)  # the export reads the warehouse, not the configuration
    engine = connect(warehouse_url(warehouse), create=False)
    if detail and table is not Table.rejections:
        raise UsageError("--detail is for 'export rejections'")
    sys.stdout.write(export_csv(engine, table.value, detail))


db = typer.Typer(
    help="The warehouse's schema: where it stands, and upgrading it.", no_args_is_help=True
)
app.add_typer(db, name="db")


@db.command("status")
def db_status(warehouse: WarehouseOption = None) -> None:
    """The warehouse's schema revision, this boardpack's head and the pending upgrades;
    exit 1 when an upgrade is pending. Changes nothing."""
    from warehouse.schema import engine_for, schema_status, warehouse_url

    engine = engine_for(warehouse_url(warehouse), create=False)
    try:
        status = schema_status(engine)
    finally:
        engine.dispose()
    for line in status.lines():
        typer.echo(line)
    raise typer.Exit(0 if status.up_to_date else 1)


@db.command("upgrade")
def db_upgrade(
    warehouse: WarehouseOption = None,
    backup: Annotated[
        bool,
        typer.Option(
            help="First copy a SQLite warehouse file beside it (named after its revision)."
        ),
    ] = False,
    wait: WaitOption = 0,
) -> None:
    """Apply the pending schema upgrades, holding the warehouse as a run does."""
    from warehouse.schema import upgrade_warehouse, warehouse_url

    done = upgrade_warehouse(warehouse_url(warehouse), backup, wait)
    if done.backup is not None:
        typer.echo(f"backed up to {done.backup}")
    if done.before.up_to_date:
        typer.echo(f"already at revision {done.before.head}: nothing to upgrade")
    else:
        applied = ", ".join(done.before.pending)
        typer.echo(
            f"upgraded from revision {done.before.current} to {done.before.head} ({applied})"
        )


def main() -> None:
    """Entry point: every failure becomes one line on stderr and an exit status."""
    try:
        code = app(standalone_mode=False)
        sys.exit(code if isinstance(code, int) else 0)
    except typer.Exit as done:
        sys.exit(done.exit_code)
    except typer.Abort:
        typer.echo("boardpack: interrupted", err=True)
        sys.exit(130)
    except typer.TyperException as error:  # usage errors from typer's own click
        message = error.format_message() if hasattr(error, "format_message") else str(error)
        typer.echo(f"boardpack: {message}", err=True)
        sys.exit(2)
    except Exception as error:  # an outage, a full disk or a bug: still one line
        from boardpack.failures import failure

        code, message = failure(error)
        typer.echo(f"boardpack: {message}", err=True)
        sys.exit(code)


if __name__ == "__main__":
    main()
