"""benchmarking against comparator groups: benchmark figures and the council's positions

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "benchmark_values",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("indicator_code", sa.String(length=32), nullable=False),
        sa.Column("area_code", sa.String(length=64), nullable=False),
        sa.Column("area_name", sa.Text(), nullable=True),
        sa.Column("fy", sa.Integer(), nullable=False),
        sa.Column("fm", sa.SmallInteger(), nullable=False),
        sa.Column("period", sa.String(length=40), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("source_id", sa.String(length=64), nullable=False),
        sa.Column("file", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("is_current", sa.Boolean(), nullable=False),
        sa.Column("superseded_by_run", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("benchmark_values") as batch:
        batch.create_index(
            "ix_benchmark_values_current",
            ["indicator_code", "area_code", "fy", "fm", "is_current"],
            unique=False,
        )
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


def downgrade() -> None:
    op.drop_table("benchmark_results")
    with op.batch_alter_table("benchmark_values") as batch:
        batch.drop_index("ix_benchmark_values_current")
    op.drop_table("benchmark_values")
