"""USSD end-of-session notifications, counts only

Revision ID: 0005
Revises: 0004
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: Union[str, Sequence[str], None] = "0004"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "ussd_session_end",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("session_id", sa.String(128), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("network_code", sa.String(16), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.Column("hops", sa.Integer(), nullable=True),
        sa.Column("cost_amount", sa.Numeric(12, 4), nullable=True),
        sa.Column("cost_currency", sa.String(8), nullable=True),
        sa.Column("last_step_count", sa.Integer(), nullable=False),
        sa.Column("error_message", sa.String(200), nullable=True),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ussd_session_end"),
        sa.UniqueConstraint("session_id", name="uq_ussd_session_end_session_id"),
    )
    op.create_index("ix_ussd_session_end_ended_at", "ussd_session_end", ["ended_at"])


def downgrade() -> None:
    op.drop_index("ix_ussd_session_end_ended_at", table_name="ussd_session_end")
    op.drop_table("ussd_session_end")
