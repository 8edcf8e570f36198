"""A family message from a number not linked to the case keeps that number, for the case worker to link or not

Revision ID: 0032
Revises: 0031
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0032"
down_revision: Union[str, Sequence[str], None] = "0031"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.add_column("case_event", sa.Column("unlinked_phone", sa.String(20), nullable=True))


def downgrade() -> None:
    op.execute("ALTER TABLE case_event DROP COLUMN unlinked_phone")
