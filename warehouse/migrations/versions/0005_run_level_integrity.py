"""run-level integrity: a register's key includes its source; typed text is unbounded

Revision ID: 0005
Revises: 0003
Create Date: 2026-12-03

- milestones and risks are keyed by (source_id, ref, fy, quarter): two sources may use the
  same ref, each keeping its own register (SPEC §4).
- loaded_files.reading: a digest of the configuration each file was read under, so that a
  configuration change that changes how a file is read reads it again.
- Every column that holds text a person typed (a council's names and ids in its
  configuration, a department's refs, services, periods and area codes in its extracts)
  becomes TEXT: on PostgreSQL a VARCHAR(n) refused a longer cell and lost the whole nightly
  (StringDataRightTruncation). SQLite never enforced the lengths; there only the keys change.
"""

from __future__ import annotations

import warnings

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# (table, column, the length it had): each becomes TEXT.
TYPED_TEXT = (
    ("runs", "council", 200),
    ("indicators", "service", 200),
    ("boards", "id", 64),
    ("board_services", "board_id", 64),
    ("board_services", "service", 200),
    ("targets", "source_id", 64),
    ("observations", "period", 40),
    ("observations", "source_id", 64),
    ("loaded_files", "source_id", 64),
    ("rejections", "source_id", 64),
    ("milestones", "ref", 64),
    ("milestones", "service", 200),
    ("milestones", "source_id", 64),
    ("risks", "ref", 64),
    ("risks", "service", 200),
    ("risks", "source_id", 64),
    ("board_summaries", "board_id", 64),
    ("published_reports", "board_id", 64),
    ("benchmark_values", "area_code", 64),
    ("benchmark_values", "period", 40),
    ("benchmark_values", "source_id", 64),
    ("benchmark_results", "group_id", 64),
)
REGISTERS = ("milestones", "risks")
OLD_KEY = ["ref", "fy", "quarter"]
NEW_KEY = ["source_id", "ref", "fy", "quarter"]


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _retype(to_text: bool) -> None:
    for table, column, length in TYPED_TEXT:
        old, new = (sa.String(length), sa.Text()) if to_text else (sa.Text(), sa.String(length))
        op.alter_column(table, column, type_=new, existing_type=old)


def _rekey(key: list[str]) -> None:
    for table in REGISTERS:
        # SQLite rebuilds the table from its reflected copy, whose old key columns still say
        # primary_key: SQLAlchemy warns that the new key replaces them, which is the intent.
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "Table '_alembic_tmp_", sa.exc.SAWarning)
            with op.batch_alter_table(
                table, recreate="auto" if _postgres() else "always"
            ) as batch:
                if _postgres():
                    batch.drop_constraint(f"{table}_pkey", type_="primary")
                batch.create_primary_key(f"{table}_pkey", key)


def upgrade() -> None:
    if _postgres():
        _retype(to_text=True)
    _rekey(NEW_KEY)
    with op.batch_alter_table("loaded_files") as batch:
        batch.add_column(sa.Column("reading", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("loaded_files") as batch:
        batch.drop_column("reading")
    _rekey(OLD_KEY)
    if _postgres():
        _retype(to_text=False)
