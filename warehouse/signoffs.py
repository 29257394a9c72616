"""Sign-offs of board figures in the warehouse: who decided what about which figures, when.

The figures signed off are each indicator's year-to-date value, target and status on the
board at that period, kept as JSON with their SHA-256 (the digest of the board's measures):
a later restatement is found by comparing them with today's measures.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

import polars as pl
import sqlalchemy as sa

from core.rounding import round_half_away
from core.settings import Council
from transforms.summary import board_measures
from warehouse import store
from warehouse.models import Measure, SignOff, table_of

APPROVED = "approved"
REJECTED = "rejected"
WITHOUT_APPROVAL = "published_without_approval"
FIGURE_COLUMNS = ("indicator_code", "ytd_value", "ytd_target", "rag")


def board_figures(
    connection: sa.Connection, council: Council, board: str, fy: int, suffix: str
) -> list[dict[str, Any]]:
    """The board's measures at the period as they stand: one entry per indicator."""
    measures = store.read_table(connection, Measure, years=[fy])
    rows = (
        board_measures(measures.lazy(), council.indicators, council.boards)
        .filter(
            (pl.col("board_id") == board)
            & (pl.col("fy") == fy)
            & (pl.col("period_suffix") == suffix)
        )
        .select(FIGURE_COLUMNS)
        .sort("indicator_code")
        .collect()
    )
    return rows.to_dicts()


def figures_digest(figures: list[dict[str, Any]]) -> str:
    text = json.dumps(figures, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def record_signoff(
    connection: sa.Connection,
    board: str,
    fy: int,
    suffix: str,
    figures: list[dict[str, Any]],
    decision: str,
    approver: str,
    role: str | None = None,
    comment: str | None = None,
    via: str = "command line",
    at: dt.datetime | None = None,
) -> dict[str, Any]:
    row = {
        "board_id": board,
        "fy": fy,
        "period_suffix": suffix,
        "decision": decision,
        "approver": approver,
        "role": role,
        "comment": comment,
        "recorded_at": at or dt.datetime.now(dt.UTC),
        "figures_digest": figures_digest(figures),
        "figures": json.dumps(figures, sort_keys=True),
        "via": via,
    }
    connection.execute(sa.insert(table_of(SignOff)), row)
    return row


SIGNOFF_COLUMNS = (
    "board_id",
    "period",
    "decision",
    "approver",
    "role",
    "comment",
    "recorded_at",
    "figures_digest",
    "via",
)


def signoffs(connection: sa.Connection) -> pl.DataFrame:
    """Every decision recorded, oldest first."""
    frame = store.read_table(connection, SignOff, ["id"])
    return frame.with_columns(
        period=pl.concat_str(
            pl.col("fy").cast(pl.String),
            pl.lit("/"),
            ((pl.col("fy") + 1) % 100).cast(pl.String).str.zfill(2),
            pl.lit(" "),
            pl.col("period_suffix"),
        )
    )


def latest_decisions(connection: sa.Connection) -> pl.DataFrame:
    """The latest decision on each board and period."""
    return signoffs(connection).unique(["board_id", "fy", "period_suffix"], keep="last")


def changed_figures(
    approved: list[dict[str, Any]], now: list[dict[str, Any]], decimals: dict[str, int]
) -> list[dict[str, Any]]:
    """Figures whose year-to-date value, at the indicator's decimals, is not what was
    signed off (an indicator added or gone counts too)."""
    if not approved and not now:
        return []
    schema = {"indicator_code": pl.String, "ytd_value": pl.Float64}
    then = pl.DataFrame([{k: a[k] for k in schema} for a in approved], schema=schema)
    today = pl.DataFrame([{k: n[k] for k in schema} for n in now], schema=schema)
    places = pl.DataFrame(
        list(decimals.items()), schema={"indicator_code": pl.String, "d": pl.Int64}, orient="row"
    )
    joined = (
        then.rename({"ytd_value": "approved"})
        .join(today.rename({"ytd_value": "now"}), on="indicator_code", how="full", coalesce=True)
        .join(places, on="indicator_code", how="left")
        .with_columns(pl.col("d").fill_null(0))
        .with_columns(
            round_half_away(pl.col("approved"), pl.col("d")).alias("_a"),
            round_half_away(pl.col("now"), pl.col("d")).alias("_n"),
        )
        .filter(pl.col("_a").ne_missing(pl.col("_n")))
        .sort("indicator_code")
    )
    return joined.select(
        "indicator_code", pl.col("_a").alias("approved"), pl.col("_n").alias("now")
    ).to_dicts()
