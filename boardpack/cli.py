"""The ``boardpack`` command line for the data team (SPEC §6).

Exit status: 0 everything loaded; 1 rows or files were rejected (or, for ``validate``,
problems were found); 2 a usage or configuration error, reported in one line.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from boardpack.errors import BoardpackError, UsageError

if TYPE_CHECKING:
    from boardpack.outcome import RunOutcome

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


class Table(StrEnum):
    measures = "measures"
    summary = "summary"
    rejections = "rejections"


def parse_as_of(text: str | None) -> dt.date:
    if text is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--as-of: '{text}' is not a date such as 2019-09-30") from None


def _quiet_prefect() -> None:
    """Flows run in a local ephemeral API unless a Prefect server is configured."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")


def _run_flow(flow: Callable[..., RunOutcome], *args: object) -> None:
    """Run a flow with a progress line at a terminal, then report and exit (SPEC §6)."""
    from boardpack.progress import on_terminal

    with on_terminal("Starting Prefect"):
        outcome = flow(*args)
    _finish(outcome)


def _finish(outcome: RunOutcome) -> None:
    for line in outcome.lines():
        typer.echo(line)
    raise typer.Exit(outcome.exit_code)


@app.command()
def run(
    config: ConfigOption,
    warehouse: WarehouseOption = None,
    out: OutOption = None,
    as_of: AsOfOption = None,
    force: Annotated[
        bool, typer.Option(help="Re-read files whose content was loaded before.")
    ] = False,
    wait: WaitOption = 0,
) -> None:
    """The nightly job: ingest, validate, load, compute, publish."""
    from boardpack.config import load_council

    load_council(config)  # configuration errors stop here, before Prefect starts
    date = parse_as_of(as_of)
    _quiet_prefect()
    from flows.nightly import nightly

    _run_flow(nightly, str(config), warehouse, str(out) if out else None, date, force, wait)


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
) -> None:
    """Recompute and republish a range of periods."""
    from boardpack.config import load_council
    from transforms.periods import parse_reporting_period

    load_council(config)
    for flag, label in (("--from", start), ("--to", end)):
        if parse_reporting_period(label) is None:
            raise UsageError(f"{flag}: '{label}' is not a period such as 2019/20 Q2")
    date = parse_as_of(as_of)
    _quiet_prefect()
    from flows.nightly import backfill as backfill_flow

    _run_flow(
        backfill_flow,
        str(config),
        start,
        end,
        warehouse,
        str(out) if out else None,
        board or None,
        date,
        wait,
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
) -> None:
    """Render one board's report for one period."""
    from boardpack.config import load_council
    from transforms.periods import parse_reporting_period

    council = load_council(config)
    if board not in {b.id for b in council.settings.boards}:
        raise UsageError(f"--board: no board '{board}' in {config / 'council.yaml'}")
    if parse_reporting_period(period) is None:
        raise UsageError(f"--period: '{period}' is not a period such as 2019/20 Q2")
    if final and as_published:
        raise UsageError("--final and --as-published cannot be used together")
    date = parse_as_of(as_of)
    _quiet_prefect()
    from flows.nightly import publish as publish_flow

    _run_flow(
        publish_flow,
        str(config),
        board,
        period,
        warehouse,
        str(out) if out else None,
        date,
        wait,
        final,
        as_published,
    )


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
def export(
    table: Annotated[Table, typer.Argument(help="measures, summary or rejections.")],
    config: ConfigOption,
    warehouse: WarehouseOption = None,
) -> None:
    """Write a warehouse table as CSV on standard output."""
    from boardpack.config import load_council
    from warehouse.exports import export_csv
    from warehouse.schema import connect, warehouse_url

    load_council(config)
    engine = connect(warehouse_url(warehouse))
    sys.stdout.write(export_csv(engine, table.value))


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
    except BoardpackError as error:
        typer.echo(f"boardpack: {error}", err=True)
        sys.exit(error.exit_code)
    except Exception as error:  # a bug or an outage: still one line, never a traceback
        first = str(error).strip().splitlines()[0] if str(error).strip() else ""
        typer.echo(f"boardpack: {type(error).__name__}: {first}", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
