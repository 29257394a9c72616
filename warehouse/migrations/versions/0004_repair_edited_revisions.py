"""bring warehouses made while 0001 and 0003 were still being edited to the released shape

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03

Revisions 0001 and 0003 were edited after warehouses had been made with them, so a
warehouse stamped 0003 can lack what the released files create. This revision looks at
what the warehouse holds and adds only what is missing:

- ``benchmark_results.lowest`` / ``highest`` (0003 as first written, commit a65a19d). The
  table holds derived figures that every load replaces whole from ``benchmark_values``,
  and the group's range cannot be worked out without the comparator groups in
  council.yaml; so its rows are emptied and the next run (or backfill) computes them
  again. The measures' fingerprint is forgotten so that run recomputes and republishes.
- ``state`` (0001 before commit 9f14a51): created.
- ``targets.source_id`` in the key (0001 before commit a15c57d): targets then came only
  from targets.csv, which is ``source_id ""`` today; every row is kept with that id.
- ``published_reports`` keyed by ``fy`` and ``period_suffix`` with ``final`` and
  ``snapshot`` (0001 before commit b520c5f, which wrote no rows there): any row is kept,
  its period label split into year and suffix, its rows as the snapshot, not final.
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_MEASURES_BASIS = "measures_basis"  # warehouse.load.MEASURES_BASIS when this was written
_LABEL = re.compile(r"(\d{4})/\d{2}(?: ([QH]\d))?")


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    tables = set(inspector.get_table_names())
    if "state" not in tables:
        _create_state()
    if "source_id" not in _columns(inspector, "targets"):
        _add_target_sources()
    if "snapshot" not in _columns(inspector, "published_reports"):
        _rekey_published_reports()
    if not {"lowest", "highest"} <= _columns(inspector, "benchmark_results"):
        _add_benchmark_range()


def downgrade() -> None:
    """Nothing to undo: the warehouse now has the shape 0003 as released describes."""


def _columns(inspector: sa.Inspector, table: str) -> set[str]:
    return {column["name"] for column in inspector.get_columns(table)}


def _rows(table: str) -> list[dict[str, Any]]:
    result = op.get_bind().execute(sa.text(f"SELECT * FROM {table}"))
    return [dict(row) for row in result.mappings()]


def _create_state() -> None:
    op.create_table(
        "state",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )


def _add_target_sources() -> None:
    kept = _rows("targets")
    op.drop_table("targets")
    table = op.create_table(
        "targets",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("fy", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=2), nullable=False),
        sa.Column("source_id", sa.String(length=64), nullable=False),
        sa.Column("target", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("code", "fy", "period", "source_id"),
    )
    if kept:
        op.bulk_insert(table, [{**row, "source_id": ""} for row in kept])


def _rekey_published_reports() -> None:
    kept = _rows("published_reports")
    op.drop_table("published_reports")
    table = op.create_table(
        "published_reports",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("board_id", sa.String(length=64), nullable=False),
        sa.Column("fy", sa.Integer(), nullable=False),
        sa.Column("period_suffix", sa.String(length=2), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("final", sa.Boolean(), nullable=False),
        sa.Column("snapshot", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_published_board_period", "published_reports", ["board_id", "fy", "period_suffix"]
    )
    if kept:
        op.bulk_insert(table, [_rekeyed(row) for row in kept])
        if op.get_bind().dialect.name == "postgresql":  # ids given: the next one follows them
            op.execute(
                "SELECT setval(pg_get_serial_sequence('published_reports', 'id'), "
                "(SELECT max(id) FROM published_reports))"
            )


def _rekeyed(row: dict[str, Any]) -> dict[str, Any]:
    """A report row keyed by its period label ("2019/20 Q2", "2019/20") as year and suffix."""
    label = _LABEL.fullmatch(str(row["period"]).strip())
    if label is None:
        raise ValueError(f"published_reports row {row['id']}: period '{row['period']}' unknown")
    return {
        "id": row["id"],
        "board_id": row["board_id"],
        "fy": int(label.group(1)),
        "period_suffix": label.group(2) or "",
        "path": row["path"],
        "content_hash": row["content_hash"],
        "run_id": row["run_id"],
        "final": False,
        "snapshot": row["rows_json"],
    }


def _add_benchmark_range() -> None:
    op.drop_table("benchmark_results")
    op.create_table(
        "benchmark_results",
        sa.Column("indicator_code", sa.String(length=32), nullable=False),
        sa.Column("group_id", sa.String(length=64), nullable=False),
        sa.Column("fy", sa.Integer(), nullable=False),
        sa.Column("fm", sa.SmallInteger(), nullable=False),
        sa.Column("group_name", sa.Text(), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("median", sa.Float(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=True),
        sa.Column("areas", sa.Integer(), nullable=False),
        sa.Column("quartile", sa.SmallInteger(), nullable=True),
        sa.Column("lowest", sa.Float(), nullable=False),
        sa.Column("highest", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("indicator_code", "group_id", "fy", "fm"),
    )
    state = sa.table("state", sa.column("key", sa.String))
    op.execute(sa.delete(state).where(state.c.key == _MEASURES_BASIS))
