"""``boardpack template`` for the registers: the milestones, risks or narrative return a
department fills for a quarter (SPEC §4).

Milestones and risks carry forward from the warehouse: every ref the source reported in
the latest earlier quarter, with its facts filled in and the cells that change each
quarter (status, dates, scores, commentary) left to fill. Without a warehouse, or with
nothing reported before, the sheet has a few empty rows for the service's own entries.
Narrative has a row per service of the source and heading, the text left to write. A
half-year or year period asks for the return of the quarter it ends in, where a board
reads it.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import sqlalchemy as sa

from core.columns import CANONICAL, REGISTER_KINDS
from core.periods import fy_label, require_reporting_period
from core.settings import Council, Source
from outputs.register_template import RegisterLayout, write_register_template
from schemas.registers import MILESTONE_STATUSES, RISK_RATINGS, SCORES
from warehouse import store
from warehouse.models import Milestone, Risk

NARRATIVE_HEADINGS = ("Key developments", "Emerging issues", "Awards and accreditations")
BLANK_ROWS = 5
# The cells that change each quarter: the department fills these (the rest are locked).
EDITABLE = {
    "milestones": ("status", "revised_date", "commentary", "owner"),
    "risks": ("rating", "likelihood", "impact", "mitigation", "progress", "owner"),
    "narrative": ("text",),
}
CHOICES = {
    "status": MILESTONE_STATUSES,
    "rating": RISK_RATINGS,
    "likelihood": SCORES,
    "impact": SCORES,
    "key": ("true", "false"),
    "corporate": ("true", "false"),
}
INSTRUCTIONS = (
    "How to fill in this return\n\n"
    "1. Fill the white cells; the grey ones are carried from last quarter and locked. "
    "A new entry's period is {period}.\n"
    "2. {advice}\n"
    "3. Dates as 31/12/2026 or 2026-12-31.\n"
    "4. Check the file before sending: boardpack validate --config <folder> "
    "--source {source} <this file>\n\n"
    "Return for {period}, source {source} ({department})."
)
ADVICE = {
    "milestones": "Progress is one of on_track, at_risk, off_track or complete; give a "
    "revised date when the original will not be met.",
    "risks": "Score likelihood and impact from 1 to 5; the rating may be left empty and "
    "is then set from their product.",
    "narrative": "Write a few sentences under each heading, or leave a row empty to skip it.",
}


def _quarter(period: str) -> tuple[int, int, str]:
    """The quarter a register return for ``period`` is for: (fy, quarter, label)."""
    fy, reporting = require_reporting_period(period, "--period")
    quarter = reporting.end_fm // 3
    return fy, quarter, f"{fy_label(fy)} Q{quarter}"


def _carried(
    connection: sa.Connection | None, source: Source, fy: int, quarter: int
) -> pl.DataFrame | None:
    """The source's rows of the latest quarter before this one (None: nothing earlier)."""
    if connection is None:
        return None
    model = Milestone if source.kind == "milestones" else Risk
    slot = pl.col("fy") * 4 + pl.col("quarter")
    rows = store.read_table(connection, model).filter(
        (pl.col("source_id") == source.id) & (slot < fy * 4 + quarter)
    )
    if rows.is_empty():
        return None
    latest = rows.select(slot.max()).item()
    return rows.filter(slot == latest).sort("service", "ref")


def _services(council: Council, source: Source) -> list[str]:
    return source.services or sorted(set(council.boards["service"]))


def register_rows(
    council: Council, source: Source, period: str, connection: sa.Connection | None
) -> pl.DataFrame:
    """The rows of a register return for ``period``, as text in our column names."""
    fy, quarter, label = _quarter(period)
    columns = CANONICAL[source.kind]
    if source.kind == "narrative":
        rows = [
            {"service": service, "heading": heading}
            for service in _services(council, source)
            for heading in NARRATIVE_HEADINGS
        ]
        frame = pl.DataFrame(rows, schema={"service": pl.String, "heading": pl.String})
    else:
        carried = _carried(connection, source, fy, quarter)
        if carried is None:
            frame = pl.DataFrame({"ref": [None] * BLANK_ROWS}, schema={"ref": pl.String})
        else:
            kept = [c for c in columns if c in carried.columns and c not in EDITABLE[source.kind]]
            frame = carried.select(kept).with_columns(
                pl.col(c).cast(pl.String) for c in kept if c in ("due_date", "key", "corporate")
            )
            if "key" in frame.columns:
                frame = frame.with_columns(pl.col("key").str.to_lowercase())
            if "corporate" in frame.columns:
                frame = frame.with_columns(pl.col("corporate").str.to_lowercase())
            if "owner" in carried.columns:  # last quarter's owner, to confirm or change
                frame = frame.with_columns(carried["owner"])
    missing = [pl.lit(None, dtype=pl.String).alias(c) for c in columns if c not in frame.columns]
    # A row for an entry yet to be written stays wholly blank until it is (then it is not
    # data, rather than a row rejected for its empty cells): its period is typed with it.
    written = pl.col("ref").is_not_null() if "ref" in columns else pl.lit(True)
    frame = frame.with_columns(missing).with_columns(period=pl.when(written).then(pl.lit(label)))
    return frame.select([pl.col(c).cast(pl.String) for c in columns])


def layout(source: Source, period: str, blank: bool) -> RegisterLayout:
    """The sheet of a register return: the source's own headers, which cells are filled."""
    columns = CANONICAL[source.kind]
    editable = set(EDITABLE[source.kind])
    if blank:  # nothing to carry forward: the department writes every entry
        editable |= set(columns)
    return RegisterLayout(
        sheet=source.sheet or "Return",
        header_row=source.header_row,
        columns=list(columns),
        headers={c: source.columns.get(c, c) for c in columns},
        editable=editable,
        choices={c: CHOICES[c] for c in columns if c in CHOICES},
        instructions=INSTRUCTIONS.format(
            advice=ADVICE[source.kind],
            source=source.id,
            period=period,
            department=source.department,
        ),
    )


def usable(source: Source) -> bool:
    return source.kind in REGISTER_KINDS and source.format == "excel"


def write_register_templates(
    council: Council, source: Source, period: str, path: Path, connection: sa.Connection | None
) -> Path:
    """Write one register return workbook to ``path`` (a source that is :func:`usable`)."""
    rows = register_rows(council, source, period, connection)
    blank = source.kind != "narrative" and rows["ref"].is_null().all()
    write_register_template(path, rows, layout(source, _quarter(period)[2], blank))
    return path
