"""``boardpack template``: the return workbook a department fills for one period.

Which indicators a source owes (docs/decisions.md): the codes in its ``indicators:``
list and the indicators of the services in its ``services:`` list; with neither, the
indicators it has sent before (from the warehouse). Only indicators that some board
reports are listed. Each owes one row per month (monthly), quarter (quarterly) or year
(annual, at the year's end) inside the period. Beside each row: the same period last
year (from the warehouse, if one is given) and the target (the warehouse's, else
targets.csv's).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import sqlalchemy as sa

from boardpack import register_template
from boardpack.config import load_council
from core.columns import CANONICAL
from core.errors import UsageError
from core.periods import fy_label, fy_month_start, require_reporting_period
from core.rounding import round_half_away
from core.settings import Council, Source
from outputs.formatting import format_figure
from outputs.template import TemplateLayout, write_template
from warehouse import store
from warehouse.models import Target

INSTRUCTIONS = (
    "How to fill in this return\n\n"
    "1. Enter each figure in the white cell of its row. The grey cells (code, period, "
    "and the figures for context) are locked.\n"
    "2. Type plain numbers: no £, % or thousands commas (61.5, not 61.5%). A yes/no "
    "measure takes yes or no from the list.\n"
    "3. For a ratio measure, give the numerator and the denominator; the value may be "
    "left empty.\n"
    "4. Leave a row's figure empty if you have none yet: it is reported as missing.\n"
    "5. Add commentary where the board should know why a figure moved.\n"
    "6. If you expect a different figure for the whole year, give your year-end forecast "
    "(optional; the same kind of number as the figure).\n"
    "7. Check the file before sending: boardpack validate --config <folder> "
    "--source {source} <this file>\n\n"
    "Return for {period}, source {source} ({department})."
)


def owed_indicators(council: Council, source: Source, sent_before: set[str]) -> pl.DataFrame:
    """The indicators the source returns, of those the boards report."""
    reported = council.indicators.filter(
        pl.col("service").is_in(council.boards["service"].implode())
    )
    if source.indicators or source.services:
        chosen = pl.col("code").is_in(source.indicators) | pl.col("service").is_in(source.services)
    else:
        chosen = pl.col("code").is_in(sorted(sent_before))
    owed = reported.filter(chosen)
    if owed.is_empty():
        raise UsageError(
            f"source '{source.id}': no indicators to list; name them in council.yaml under "
            "the source's 'indicators' (codes) or 'services', or give --warehouse so that "
            "those it has sent before are used"
        )
    return owed.sort("service", "code")


def _slots(fy: int, start_fm: int, end_fm: int, year_start_month: int) -> pl.DataFrame:
    """Every (frequency, fy, fm, period label) a return for FY months start..end holds."""
    rows = []
    for fm in range(start_fm, end_fm + 1):
        first = fy_month_start(fy, fm, year_start_month)
        rows.append(("monthly", fm, f"{first:%Y-%m}"))
        if fm % 3 == 0:
            rows.append(("quarterly", fm, f"{fy_label(fy)} Q{fm // 3}"))
        if fm == 12:
            rows.append(("annual", fm, fy_label(fy)))
    return pl.DataFrame(
        rows, schema={"frequency": pl.String, "fm": pl.Int32, "period": pl.String}, orient="row"
    ).with_columns(fy=pl.lit(fy, pl.Int32), quarter=(pl.col("fm") + 2) // 3)


def _last_year(connection: sa.Connection | None, codes: list[str], fy: int) -> pl.DataFrame:
    schema = {"code": pl.String, "fm": pl.Int32, "last": pl.Float64}
    if connection is None:
        return pl.DataFrame(schema=schema)
    figures = store.current_observations(
        connection, ["indicator_code", "fm", "value", "numerator", "denominator"], codes, [fy - 1]
    )
    return figures.select(
        pl.col("indicator_code").alias("code"),
        "fm",
        pl.coalesce("value", pl.col("numerator") / pl.col("denominator")).alias("last_raw"),
    ).rename({"last_raw": "last"})


def _targets(council: Council, connection: sa.Connection | None, fy: int) -> pl.DataFrame:
    """Each indicator's target by period ("" annual, Q1..Q4): a source's over targets.csv's."""
    targets = council.targets.select("code", "fy", "period", "target").with_columns(rank=1)
    if connection is not None:
        stored = store.read_table(connection, Target).select(
            "code",
            pl.col("fy").cast(pl.Int32),
            "period",
            "target",
            pl.when(pl.col("source_id") == "").then(1).otherwise(0).alias("rank"),
        )
        targets = pl.concat([targets.cast(stored.schema), stored])
    return (
        targets.filter(pl.col("fy") == fy)
        .sort("rank")
        .unique(["code", "period"], keep="first")
        .drop("fy", "rank")
    )


def template_rows(
    council: Council, source: Source, period: str, connection: sa.Connection | None
) -> pl.DataFrame:
    """One row per figure the source owes for ``period`` (a quarter, half or year label)."""
    fy, reporting = require_reporting_period(period, "--period")
    sent = set()
    if connection is not None:
        sent_rows = store.current_observations(connection, ["indicator_code", "source_id"])
        sent = set(sent_rows.filter(pl.col("source_id") == source.id)["indicator_code"])
    owed = owed_indicators(council, source, sent)
    slots = _slots(fy, reporting.start_fm, reporting.end_fm, council.settings.year_start_month)
    rows = owed.join(slots, on="frequency", how="inner")
    if rows.is_empty():
        raise UsageError(f"source '{source.id}' owes no figures for {period}")
    targets = _targets(council, connection, fy)
    quarterly = targets.rename({"target": "profiled"}).with_columns(
        quarter=pl.col("period").str.slice(1).cast(pl.Int32, strict=False)
    )
    annual = targets.filter(pl.col("period") == "").select("code", pl.col("target").alias("year"))
    last = _last_year(connection, owed["code"].to_list(), fy)
    rows = (
        rows.join(quarterly.drop("period"), on=["code", "quarter"], how="left")
        .join(annual, on="code", how="left")
        .join(last, on=["code", "fm"], how="left")
        .with_columns(
            target=pl.coalesce(
                pl.when(pl.col("frequency") != "annual").then(pl.col("profiled")), "year"
            ),
            last=pl.col("last")
            * pl.when(pl.col("aggregation") == "ratio").then(pl.col("scale")).otherwise(1.0),
        )
        .with_columns(
            round_half_away(pl.col("target"), pl.col("decimals")).alias("target"),
            round_half_away(pl.col("last"), pl.col("decimals")).alias("last"),
        )
    )
    return rows.select(
        pl.col("code").alias("indicator_code"),
        "title",
        "unit",
        "period",
        (pl.col("aggregation") == "ratio").alias("ratio"),
        pl.Series("last_year", _figures(rows, "last"), dtype=pl.String),
        pl.Series("target", _figures(rows, "target"), dtype=pl.String),
        pl.col("unit_label"),
    ).with_columns(
        unit_shown=pl.when(pl.col("unit_label").is_not_null())
        .then(pl.format("{} ({})", pl.col("unit"), pl.col("unit_label")))
        .otherwise(pl.col("unit"))
    )


def _figures(rows: pl.DataFrame, column: str) -> list[str]:
    return [
        "" if value is None else format_figure(value, unit, decimals, label)
        for value, unit, decimals, label in zip(
            rows[column], rows["unit"], rows["decimals"], rows["unit_label"], strict=True
        )
    ]


def _layout(source: Source, period: str) -> TemplateLayout:
    return TemplateLayout(
        sheet=source.sheet or "Return",
        header_row=source.header_row,
        headers={c: source.columns.get(c, c) for c in CANONICAL["observations"]},
        instructions=INSTRUCTIONS.format(
            source=source.id, period=period, department=source.department
        ),
    )


def _usable(source: Source) -> None:
    if not _fits(source):
        raise UsageError(
            f"source '{source.id}': a template is an Excel return of one row per figure (kind: "
            "observations, format: excel, layout: long) or a register's (kind: milestones, "
            "risks or narrative, format: excel)"
        )


def default_name(source: Source, period: str) -> str:
    """``care-2026-27-Q3.xlsx``."""
    return f"{source.id}-{period.replace('/', '-').replace(' ', '-')}.xlsx"


def write_templates(
    config: Path,
    period: str,
    source_ids: list[str] | None,
    out: Path | None,
    engine: sa.Engine | None,
) -> list[Path]:
    """Write the return workbook of each source (``None``: every one that can have one).

    ``out`` is the file for a single source, else the folder (default: the current one).
    """
    council = load_council(config)
    if source_ids is None:
        sources = [s for s in council.settings.sources if _fits(s)]
    else:
        sources = [council.source(s) for s in source_ids]
    for source in sources:
        _usable(source)
    written = []
    connection = engine.connect() if engine is not None else None
    try:
        for source in sources:
            single = source_ids is not None and len(sources) == 1 and out and out.suffix
            path = out if single and out else (out or Path.cwd()) / default_name(source, period)
            if register_template.usable(source):  # milestones, risks, narrative
                register_template.write_register_templates(
                    council, source, period, path, connection
                )
            else:
                rows = template_rows(council, source, period, connection)
                write_template(path, rows, _layout(source, period))
            written.append(path)
    finally:
        if connection is not None:
            connection.close()
    return written


def _fits(source: Source) -> bool:
    observations = source.kind == "observations" and source.layout == "long"
    return (observations and source.format == "excel") or register_template.usable(source)
