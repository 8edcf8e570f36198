"""Closed cases are anonymised past their retention period, unless under a legal hold

Revision ID: 0035
Revises: 0034
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0035"
down_revision: Union[str, Sequence[str], None] = "0034"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.add_column("case_file", sa.Column("legal_hold", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column("case_file", sa.Column("legal_hold_reason", sa.Text(), nullable=True))
    op.add_column("case_file", sa.Column("anonymised_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    for column in ("anonymised_at", "legal_hold_reason", "legal_hold"):
        op.execute(f"ALTER TABLE case_file DROP COLUMN {column}")
