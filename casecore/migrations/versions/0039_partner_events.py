"""Partner systems' event subscriptions (signing secret sealed) and one delivery row per event and subscription

Revision ID: 0039
Revises: 0038
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0039"
down_revision: Union[str, Sequence[str], None] = "0038"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "event_subscription",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("token_id", sa.Uuid(), nullable=False),
        sa.Column("url", sa.String(2000), nullable=False),
        sa.Column("event_types", sa.String(200), nullable=False),
        sa.Column("secret", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["token_id"], ["api_token.id"], name="fk_event_subscription_token_id_api_token"),
        sa.PrimaryKeyConstraint("id", name="pk_event_subscription"),
    )
    op.create_index("ix_event_subscription_token_id", "event_subscription", ["token_id"])
    op.create_table(
        "event_delivery",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("subscription_id", sa.Uuid(), nullable=False),
        sa.Column("event_type", sa.String(32), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(), nullable=False),
        sa.Column("data", sa.Text(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=True),
        sa.Column("claimed_at", sa.DateTime(), nullable=True),
        sa.Column("claim", sa.Uuid(), nullable=True),
        sa.Column("delivered_at", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.String(200), nullable=True),
        sa.ForeignKeyConstraint(["subscription_id"], ["event_subscription.id"],
                                name="fk_event_delivery_subscription_id_event_subscription"),
        sa.PrimaryKeyConstraint("id", name="pk_event_delivery"),
    )
    op.create_index("ix_event_delivery_subscription_id", "event_delivery", ["subscription_id"])
    op.create_index("ix_event_delivery_status_due", "event_delivery", ["status", "next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_event_delivery_status_due", table_name="event_delivery")
    op.drop_index("ix_event_delivery_subscription_id", table_name="event_delivery")
    op.drop_table("event_delivery")
    op.drop_index("ix_event_subscription_token_id", table_name="event_subscription")
    op.drop_table("event_subscription")
