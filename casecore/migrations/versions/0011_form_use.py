"""Staff forms acted on once: the key of each form that changed something

A note, a consent, a follow-up, a referral or a complaint's note sent twice (a double click, a page resent after a
timeout) recorded two rows. Each such form now carries a key, written in the same transaction as what it does.

Revision ID: 0011
Revises: 0010
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: Union[str, Sequence[str], None] = "0010"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "form_use",
        sa.Column("form_key", sa.Uuid(), primary_key=True),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Uuid(), sa.ForeignKey("user_account.id"), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=False),
    )
    # The scheduler drops keys too old to come back.
    op.create_index("ix_form_use_used_at", "form_use", ["used_at"])


def downgrade() -> None:
    op.drop_index("ix_form_use_used_at", table_name="form_use")
    op.drop_table("form_use")
