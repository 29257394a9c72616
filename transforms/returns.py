"""The returns register: for each source with a due date, each period's return, when it was
due, when it came, and whether it was on time, late or is outstanding.

A return is received when a run first loads figures from the source for any month of its
period; received dates are the as-of dates of the runs that loaded them. Judged at ``as_of``:
``on_time`` (first received on or before the due date), ``late`` (first received after
it), ``outstanding`` (nothing yet and the due date has passed: ``as_of`` is after it),
``not_due`` (nothing yet, but the due date is today or later).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl

from core.deadlines import ReturnPeriod, due_date, parse_return_period, period_of
from core.settings import Source

REGISTER_COLUMNS = {
    "source_id": pl.String,
    "period": pl.String,
    "fy": pl.Int64,
    "first_fm": pl.Int64,
    "last_fm": pl.Int64,
    "department": pl.String,
    "contact": pl.String,
    "contact_email": pl.String,
    "period_end": pl.Date,
    "due_date": pl.Date,
    "first_received": pl.Date,
    "first_file": pl.String,
    "latest_received": pl.Date,
    "latest_file": pl.String,
    "rows_loaded": pl.Int64,
    "rows_rejected": pl.Int64,
    "status": pl.String,
    "as_of": pl.Date,
}
LATE = ("late", "outstanding")  # the returns a performance officer chases


def return_status(received: dt.date | None, due: dt.date, as_of: dt.date) -> str:
    if received is not None:
        return "on_time" if received <= due else "late"
    return "outstanding" if as_of > due else "not_due"


def source_register(
    source: Source,
    deliveries: pl.DataFrame,
    as_of: dt.date,
    tracking_since: dt.date,
    year_start_month: int = 4,
) -> list[dict[str, Any]]:
    """One source's register rows. ``deliveries``: this source's loads, one row per fy, fm,
    file and run (``received``: the run's as-of date; ``rows``; ``rejected``: the rows the
    file had rejected). Without ``due.from`` the register starts at the first period due on
    or after the source was first loaded (``tracking_since`` when it never was): returns
    already late when boardpack first saw a department are history, not chasing."""
    due = source.due
    if due is None:
        return []

    def due_of(period: ReturnPeriod) -> dt.date:
        return due_date(period.end(year_start_month), due.working_days_after, due.days_after)

    by_period: dict[ReturnPeriod, list[dict[str, Any]]] = {}
    for row in deliveries.iter_rows(named=True):
        by_period.setdefault(period_of(row["fy"], row["fm"], due.every), []).append(row)
    if due.start is not None:
        start = parse_return_period(due.start, due.every, year_start_month)
        assert start is not None  # checked when the configuration was loaded
    else:
        first_load = min((r["received"] for r in deliveries.iter_rows(named=True)), default=None)
        since = first_load or tracking_since
        start = min(by_period, default=period_of(*_fy_fm(since, year_start_month), due.every))
        while due_of(start) < since:
            start = start.following()
    rows = []
    period = start
    while period.end(year_start_month) <= as_of:
        loads = by_period.get(period, [])
        rows.append(_register_row(source, period, due_of(period), loads, as_of, year_start_month))
        period = period.following()
    return rows


def _fy_fm(day: dt.date, year_start_month: int) -> tuple[int, int]:
    fy = day.year if day.month >= year_start_month else day.year - 1
    return fy, (day.month - year_start_month) % 12 + 1


def _register_row(
    source: Source,
    period: ReturnPeriod,
    due: dt.date,
    loads: list[dict[str, Any]],
    as_of: dt.date,
    year_start_month: int,
) -> dict[str, Any]:
    ordered = sorted(loads, key=lambda r: (r["run_id"], r["file"]))
    first, latest = (ordered[0], ordered[-1]) if ordered else ({}, {})
    files = {(r["run_id"], r["file"]): r["rejected"] for r in ordered}
    received = first.get("received")
    return {
        "source_id": source.id,
        "period": period.label(year_start_month),
        "fy": period.fy,
        "first_fm": period.first_fm,
        "last_fm": period.last_fm,
        "department": source.department,
        "contact": source.contact.name if source.contact else None,
        "contact_email": source.contact.email if source.contact else None,
        "period_end": period.end(year_start_month),
        "due_date": due,
        "first_received": received,
        "first_file": first.get("file"),
        "latest_received": latest.get("received"),
        "latest_file": latest.get("file"),
        "rows_loaded": sum(r["rows"] for r in ordered),
        "rows_rejected": sum(files.values()),
        "status": return_status(received, due, as_of),
        "as_of": as_of,
    }


def register_frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=REGISTER_COLUMNS)
