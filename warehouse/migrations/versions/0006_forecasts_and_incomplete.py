"""forecasts with each figure, forecast_value per measure, incomplete in board summaries

Revision ID: 0006
Revises: 0003
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Added in place: figures loaded before forecasts existed simply have none.
    with op.batch_alter_table("observations") as batch:
        batch.add_column(sa.Column("forecast", sa.Float(), nullable=True))
    with op.batch_alter_table("measures") as batch:
        batch.add_column(sa.Column("forecast_value", sa.Float(), nullable=True))
    with op.batch_alter_table("board_summaries") as batch:
        batch.add_column(
            sa.Column("incomplete", sa.Integer(), nullable=False, server_default="0")
        )
    # Measures stored before are rated by the old rules: the next run recomputes them.
    op.execute("DELETE FROM state WHERE key = 'measures_basis'")


def downgrade() -> None:
    with op.batch_alter_table("board_summaries") as batch:
        batch.drop_column("incomplete")
    with op.batch_alter_table("measures") as batch:
        batch.drop_column("forecast_value")
    with op.batch_alter_table("observations") as batch:
        batch.drop_column("forecast")
    op.execute("DELETE FROM state WHERE key = 'measures_basis'")
