"""measures keep their period's identity: suffix and the quarter it ends in

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("measures") as batch:
        batch.add_column(sa.Column("period_suffix", sa.String(2), nullable=False, server_default=""))
        batch.add_column(sa.Column("end_quarter", sa.SmallInteger(), nullable=False, server_default="4"))
    # Measures stored before this revision get theirs from the period's type and number.
    op.execute(
        """
        UPDATE measures SET
          period_suffix = CASE period_type
            WHEN 'quarter' THEN 'Q' || CAST(period_number AS VARCHAR(1))
            WHEN 'half' THEN 'H' || CAST(period_number AS VARCHAR(1))
            ELSE '' END,
          end_quarter = CASE period_type
            WHEN 'quarter' THEN period_number
            WHEN 'half' THEN period_number * 2
            ELSE 4 END
        """
    )


def downgrade() -> None:
    with op.batch_alter_table("measures") as batch:
        batch.drop_column("end_quarter")
        batch.drop_column("period_suffix")
