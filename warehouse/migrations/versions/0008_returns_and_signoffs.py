"""the returns register (each source's return per period: due, received, status) and the
sign-offs of board figures

Revision ID: 0008
Revises: 0003
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "returns_register",
        sa.Column("source_id", sa.String(length=64), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("fy", sa.Integer(), nullable=False),
        sa.Column("first_fm", sa.SmallInteger(), nullable=False),
        sa.Column("last_fm", sa.SmallInteger(), nullable=False),
        sa.Column("department", sa.Text(), nullable=False),
        sa.Column("contact", sa.Text(), nullable=True),
        sa.Column("contact_email", sa.Text(), nullable=True),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("first_received", sa.Date(), nullable=True),
        sa.Column("first_file", sa.Text(), nullable=True),
        sa.Column("latest_received", sa.Date(), nullable=True),
        sa.Column("latest_file", sa.Text(), nullable=True),
        sa.Column("rows_loaded", sa.Integer(), nullable=False),
        sa.Column("rows_rejected", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("source_id", "period"),
    )
    op.create_table(
        "signoffs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("board_id", sa.String(length=64), nullable=False),
        sa.Column("fy", sa.Integer(), nullable=False),
        sa.Column("period_suffix", sa.String(length=2), nullable=False),
        sa.Column("decision", sa.String(length=32), nullable=False),
        sa.Column("approver", sa.Text(), nullable=False),
        sa.Column("role", sa.Text(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("figures_digest", sa.String(length=64), nullable=False),
        sa.Column("figures", sa.Text(), nullable=False),
        sa.Column("via", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("signoffs") as batch:
        batch.create_index("ix_signoffs_board_period", ["board_id", "fy", "period_suffix"])


def downgrade() -> None:
    with op.batch_alter_table("signoffs") as batch:
        batch.drop_index("ix_signoffs_board_period")
    op.drop_table("signoffs")
    op.drop_table("returns_register")
