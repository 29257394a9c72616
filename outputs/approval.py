"""The approval a board report shows: who signed its figures off and when, and any figure
restated since ("changed since approval")."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl

from outputs.board import BoardPage
from outputs.formatting import format_figure
from warehouse.signoffs import APPROVED, REJECTED, changed_figures

LONDON = ZoneInfo("Europe/London")


def day_text(moment: dt.datetime) -> str:
    """The date in the council's own time zone: 14 October 2026."""
    local = moment.astimezone(LONDON) if moment.tzinfo else moment
    return f"{local.day} {local:%B %Y}"


def who(decision: dict[str, Any]) -> str:
    role = f" ({decision['role']})" if decision.get("role") else ""
    return f"{decision['approver']}{role}"


def approval_lines(page: BoardPage, decision: dict[str, Any] | None) -> tuple[str, ...]:
    """The approval sentence, then each figure changed since approval; none without a
    decision on the page's board and period."""
    if decision is None:
        return ()
    when = day_text(decision["recorded_at"])
    if decision["decision"] == APPROVED:
        lines = [f"Figures approved by {who(decision)} on {when}."]
    elif decision["decision"] == REJECTED:
        why = f": {decision['comment']}" if decision.get("comment") else "."
        return (f"Figures returned for correction by {who(decision)} on {when}{why}",)
    else:
        return (f"Published on {when} without the figures being approved.",)
    rows = page.indicators
    decimals = dict(zip(rows["code"], rows["decimals"], strict=True))
    now = [
        {"indicator_code": c, "ytd_value": v}
        for c, v in zip(rows["code"], rows["ytd_value"], strict=True)
    ]
    details = {r["code"]: r for r in rows.iter_rows(named=True)}
    for change in changed_figures(json.loads(decision["figures"]), now, decimals):
        row = details.get(change["indicator_code"])
        if row is None:
            continue
        unit, places, label = row["unit"], row["decimals"], row.get("unit_label")
        lines.append(
            f"Changed since approval: {row['code']} {row['title']}: approved "
            f"{format_figure(change['approved'], unit, places, label)}, now "
            f"{format_figure(change['now'], unit, places, label)}."
        )
    return tuple(lines)


def with_approvals(pages: list[BoardPage], decisions: pl.DataFrame) -> list[BoardPage]:
    """Each page with its board's latest decision on its period."""
    latest = {
        (d["board_id"], d["fy"], d["period_suffix"]): d for d in decisions.iter_rows(named=True)
    }
    return [
        dataclasses.replace(
            page, approval=approval_lines(page, latest.get((page.board_id, page.fy, page.suffix)))
        )
        for page in pages
    ]
