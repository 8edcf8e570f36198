"""Photos and files received with inbound messages (WhatsApp media)

Revision ID: 0007
Revises: 0006
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: Union[str, Sequence[str], None] = "0006"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "inbound_media",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("inbound_message_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("source_url", sa.String(1000), nullable=False),
        sa.Column("declared_type", sa.String(100), nullable=False),
        sa.Column("sender_key", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(200), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("stored_type", sa.String(100), nullable=True),
        sa.Column("size", sa.Integer(), nullable=True),
        sa.Column("sha256", sa.String(64), nullable=True),
        sa.Column("storage_key", sa.String(200), nullable=True),
        sa.Column("report_id", sa.Uuid(), nullable=True),
        sa.Column("case_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("stored_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["inbound_message_id"], ["inbound_message.id"],
                                name="fk_inbound_media_inbound_message_id_inbound_message"),
        sa.ForeignKeyConstraint(["report_id"], ["report.id"], name="fk_inbound_media_report_id_report"),
        sa.ForeignKeyConstraint(["case_id"], ["case_file.id"], name="fk_inbound_media_case_id_case_file"),
        sa.PrimaryKeyConstraint("id", name="pk_inbound_media"),
        sa.UniqueConstraint("inbound_message_id", "position", name="uq_inbound_media_message_position"),
    )
    op.create_index("ix_inbound_media_inbound_message_id", "inbound_media", ["inbound_message_id"])
    op.create_index("ix_inbound_media_sender_key", "inbound_media", ["sender_key"])
    op.create_index("ix_inbound_media_report_id", "inbound_media", ["report_id"])
    op.create_index("ix_inbound_media_case_id", "inbound_media", ["case_id"])
    # The scheduler's sweep looks for items still pending, oldest first.
    op.create_index("ix_inbound_media_status_created", "inbound_media", ["status", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_inbound_media_status_created", table_name="inbound_media")
    op.drop_index("ix_inbound_media_case_id", table_name="inbound_media")
    op.drop_index("ix_inbound_media_report_id", table_name="inbound_media")
    op.drop_index("ix_inbound_media_sender_key", table_name="inbound_media")
    op.drop_index("ix_inbound_media_inbound_message_id", table_name="inbound_media")
    op.drop_table("inbound_media")
