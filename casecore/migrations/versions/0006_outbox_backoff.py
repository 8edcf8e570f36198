"""Outbox retries with backoff, WhatsApp templates, and the WhatsApp window look-up

Revision ID: 0006
Revises: 0005
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: Union[str, Sequence[str], None] = "0005"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("outbound_message") as batch:
        # When a message waiting for another try may be claimed again; None means at once.
        batch.add_column(sa.Column("next_attempt_at", sa.DateTime(), nullable=True))
        # An approved WhatsApp template (Twilio ContentSid) this row sends instead of its body.
        batch.add_column(sa.Column("content_sid", sa.String(64), nullable=True))
    op.create_index("ix_outbound_message_status_next_attempt", "outbound_message", ["status", "next_attempt_at"])
    # The last WhatsApp message a number sent opens Twilio's 24-hour window for free-form messages.
    op.create_index("ix_inbound_message_phone_channel_received", "inbound_message",
                    ["phone", "channel", "received_at"])


def downgrade() -> None:
    op.drop_index("ix_inbound_message_phone_channel_received", table_name="inbound_message")
    op.drop_index("ix_outbound_message_status_next_attempt", table_name="outbound_message")
    with op.batch_alter_table("outbound_message") as batch:
        batch.drop_column("content_sid")
        batch.drop_column("next_attempt_at")
