"""what members read: fuller milestones and risks, and the narrative register

Milestones gain owner, revised date, priority and key; risks gain owner, likelihood,
impact and a corporate flag; narrative (key developments, emerging issues, awards) is a
new register kept with its lineage; a rejection keeps the indicator code its row named.

Revision ID: 0007
Revises: 0003
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("milestones") as batch:
        batch.add_column(sa.Column("owner", sa.Text(), nullable=True))
        batch.add_column(sa.Column("revised_date", sa.Date(), nullable=True))
        batch.add_column(sa.Column("priority", sa.Text(), nullable=True))
        batch.add_column(sa.Column("key", sa.Boolean(), nullable=True))
    with op.batch_alter_table("risks") as batch:
        batch.add_column(sa.Column("owner", sa.Text(), nullable=True))
        batch.add_column(sa.Column("likelihood", sa.SmallInteger(), nullable=True))
        batch.add_column(sa.Column("impact", sa.SmallInteger(), nullable=True))
        batch.add_column(sa.Column("corporate", sa.Boolean(), nullable=True))
    with op.batch_alter_table("rejections") as batch:
        batch.add_column(sa.Column("indicator_code", sa.Text(), nullable=True))
    op.create_table(
        "narrative",
        sa.Column("service", sa.String(length=200), nullable=False),
        sa.Column("fy", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.SmallInteger(), nullable=False),
        sa.Column("heading", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("source_id", sa.String(length=64), nullable=False),
        sa.Column("file", sa.Text(), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"]),
        sa.PrimaryKeyConstraint("service", "fy", "quarter", "heading"),
    )


def downgrade() -> None:
    op.drop_table("narrative")
    with op.batch_alter_table("rejections") as batch:
        batch.drop_column("indicator_code")
    with op.batch_alter_table("risks") as batch:
        for column in ("corporate", "impact", "likelihood", "owner"):
            batch.drop_column(column)
    with op.batch_alter_table("milestones") as batch:
        for column in ("key", "priority", "revised_date", "owner"):
            batch.drop_column(column)
