"""narrative keyed by its source; narrative, return and sign-off ids unbounded text

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03

0007 and 0008 as released (e266740) keyed narrative by (service, fy, quarter, heading) and
gave narrative.service, narrative.heading, narrative.source_id, returns_register.source_id
and signoffs.board_id a length. Two narrative sources with the same heading for a service
then collided, and on PostgreSQL a longer id or heading lost the whole nightly (as 0005 put
right for every other typed column). Those revisions are released, so they stay as they
were; this one changes warehouses made by them:

- narrative is keyed by (source_id, service, fy, quarter, heading), as milestones and risks
  are by their source (0005);
- those columns become TEXT. SQLite never enforced the lengths; there only the key changes.
"""

from __future__ import annotations

import warnings

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# (table, column, the length it had): each becomes TEXT.
TYPED_TEXT = (
    ("narrative", "service", 200),
    ("narrative", "heading", 200),
    ("narrative", "source_id", 64),
    ("returns_register", "source_id", 64),
    ("signoffs", "board_id", 64),
)
OLD_KEY = ["service", "fy", "quarter", "heading"]
NEW_KEY = ["source_id", "service", "fy", "quarter", "heading"]


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _retype(to_text: bool) -> None:
    for table, column, length in TYPED_TEXT:
        old, new = (sa.String(length), sa.Text()) if to_text else (sa.Text(), sa.String(length))
        op.alter_column(table, column, type_=new, existing_type=old)


def _rekey(key: list[str]) -> None:
    # SQLite rebuilds the table from its reflected copy, whose old key columns still say
    # primary_key: SQLAlchemy warns that the new key replaces them, which is the intent.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Table '_alembic_tmp_", sa.exc.SAWarning)
        with op.batch_alter_table(
            "narrative", recreate="auto" if _postgres() else "always"
        ) as batch:
            if _postgres():
                batch.drop_constraint("narrative_pkey", type_="primary")
            batch.create_primary_key("narrative_pkey", key)


def upgrade() -> None:
    if _postgres():
        _retype(to_text=True)
    _rekey(NEW_KEY)


def downgrade() -> None:
    _rekey(OLD_KEY)
    if _postgres():
        _retype(to_text=False)
