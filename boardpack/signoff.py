"""Signing off a board's figures (``boardpack signoff``, or the publish flow's approval
step) and the check ``publish --final`` makes before a report goes to committee."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from boardpack.config import load_council
from core.errors import UsageError
from core.periods import period_label, require_reporting_period
from core.settings import Council
from outputs.approval import day_text, who
from warehouse.schema import opened, warehouse_url
from warehouse.signoffs import (
    APPROVED,
    WITHOUT_APPROVAL,
    board_figures,
    changed_figures,
    latest_decisions,
    record_signoff,
)


@dataclass(frozen=True)
class ApprovalState:
    """Where a board's figures for a period stand: the latest decision on them (if any)
    and the figures changed since it was made."""

    board: str
    period: str
    decision: dict[str, Any] | None
    changed: list[dict[str, Any]] = field(default_factory=list)

    @property
    def approved(self) -> bool:
        """Approved, and not one figure restated since."""
        return (
            self.decision is not None and self.decision["decision"] == APPROVED and not self.changed
        )

    def why_not(self) -> str:
        if self.decision is None or self.decision["decision"] != APPROVED:
            return f"{self.board} {self.period}: the figures have not been approved"
        codes = ", ".join(c["indicator_code"] for c in self.changed)
        return (
            f"{self.board} {self.period}: figures changed since approval by "
            f"{who(self.decision)} on {day_text(self.decision['recorded_at'])} ({codes})"
        )


def _known_board(council: Council, board: str) -> None:
    if board not in {b.id for b in council.settings.boards}:
        raise UsageError(f"--board: no board '{board}' in {council.folder / 'council.yaml'}")


def _board_period(council: Council, board: str, period: str) -> tuple[int, str]:
    _known_board(council, board)
    fy, reporting = require_reporting_period(period, "--period")
    if not reporting.suffix:
        raise UsageError(f"--period: '{period}' is a year; sign off a quarter or a half")
    return fy, reporting.suffix


def decimals_of(council: Council) -> dict[str, int]:
    return dict(zip(council.indicators["code"], council.indicators["decimals"], strict=True))


def approval_state(
    connection: sa.Connection, council: Council, board: str, fy: int, suffix: str
) -> ApprovalState:
    decisions = latest_decisions(connection)
    mine = [
        d
        for d in decisions.iter_rows(named=True)
        if (d["board_id"], d["fy"], d["period_suffix"]) == (board, fy, suffix)
    ]
    decision = mine[0] if mine else None
    changed: list[dict[str, Any]] = []
    if decision is not None and decision["decision"] == APPROVED:
        now = board_figures(connection, council, board, fy, suffix)
        changed = changed_figures(json.loads(decision["figures"]), now, decimals_of(council))
    return ApprovalState(board, period_label(fy, suffix), decision, changed)


def record_decision(
    engine: sa.Engine,
    council: Council,
    board: str,
    fy: int,
    suffix: str,
    approver: str,
    decision: str = APPROVED,
    role: str | None = None,
    comment: str | None = None,
    via: str = "command line",
) -> dict[str, Any]:
    """Record a decision on the board's figures as they stand now."""
    with engine.begin() as connection:
        figures = board_figures(connection, council, board, fy, suffix)
        if not figures and decision != WITHOUT_APPROVAL:
            raise UsageError(
                f"{board} {period_label(fy, suffix)}: no figures in the warehouse to sign off"
            )
        return record_signoff(
            connection, board, fy, suffix, figures, decision, approver, role, comment, via
        )


def signoff(
    config: Path | str,
    board: str,
    period: str,
    by: str,
    role: str | None = None,
    comment: str | None = None,
    warehouse: str | None = None,
) -> str:
    """``boardpack signoff``: approve the board's figures for the period as they stand."""
    council = load_council(config)
    fy, suffix = _board_period(council, board, period)
    if not by.strip():
        raise UsageError("--by: give the name of the person approving the figures")
    with opened(warehouse_url(warehouse), create=False) as engine:
        row = record_decision(
            engine, council, board, fy, suffix, by.strip(), APPROVED, role, comment
        )
    count = len(json.loads(row["figures"]))
    return (
        f"{board} {period_label(fy, suffix)}: {count} figures approved by {who(row)} on "
        f"{day_text(row['recorded_at'])} (digest {row['figures_digest'][:12]})"
    )


def require_approval(
    engine: sa.Engine,
    council: Council,
    board: str,
    fy: int,
    suffix: str,
    without_approval: bool = False,
) -> None:
    """Before a final publish: refuse figures not approved (or changed since), unless the
    publish is told to go ahead without, which is then recorded."""
    with engine.connect() as connection:
        state = approval_state(connection, council, board, fy, suffix)
    if state.approved:
        return
    if not without_approval:
        raise UsageError(f"{state.why_not()}; sign them off or publish --without-approval")
    record_decision(
        engine,
        council,
        board,
        fy,
        suffix,
        approver="(not approved)",
        decision=WITHOUT_APPROVAL,
        comment=f"published as final without approval on {dt.date.today().isoformat()}",
    )
