"""Hand-off to CPIMS+ (Primero): one row per report handed over, the pause that holds them all while Primero
refuses the account, and the family messages added to Primero cases as notes

Revision ID: 0014
Revises: 0013
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: Union[str, Sequence[str], None] = "0013"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "primero_handoff",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("report_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=True),
        sa.Column("primero_id", sa.Uuid(), nullable=False),
        sa.Column("trigger", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("first_tried_at", sa.DateTime(), nullable=True),
        sa.Column("last_tried_at", sa.DateTime(), nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=True),
        sa.Column("claimed_at", sa.DateTime(), nullable=True),
        sa.Column("claim", sa.String(32), nullable=True),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("reason", sa.String(300), nullable=True),
        sa.Column("invalid_fields", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("short_id", sa.String(40), nullable=True),
        sa.Column("primero_status", sa.String(32), nullable=True),
        sa.Column("owned_by", sa.String(100), nullable=True),
        sa.Column("primero_updated_at", sa.DateTime(), nullable=True),
        sa.Column("followed_at", sa.DateTime(), nullable=True),
        sa.Column("closure_seen_at", sa.DateTime(), nullable=True),
        sa.Column("consents_synced_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["report_id"], ["report.id"], name="fk_primero_handoff_report_id_report"),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"],
                                name="fk_primero_handoff_organisation_id_organisation"),
        sa.ForeignKeyConstraint(["case_id"], ["case_file.id"], name="fk_primero_handoff_case_id_case_file"),
        sa.PrimaryKeyConstraint("id", name="pk_primero_handoff"),
        sa.UniqueConstraint("report_id", name="uq_primero_handoff_report_id"),
        sa.UniqueConstraint("primero_id", name="uq_primero_handoff_primero_id"),
    )
    op.create_index("ix_primero_handoff_status_next_attempt", "primero_handoff", ["status", "next_attempt_at"])
    op.create_index("ix_primero_handoff_org_status", "primero_handoff", ["organisation_id", "status"])
    op.create_index("ix_primero_handoff_case_id", "primero_handoff", ["case_id"])
    op.create_index("ix_primero_handoff_followed_at", "primero_handoff", ["followed_at"])
    op.create_table(
        "primero_pause",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("paused_at", sa.DateTime(), nullable=False),
        sa.Column("reason", sa.String(300), nullable=False),
        sa.Column("resumed_at", sa.DateTime(), nullable=True),
        sa.Column("resumed_by_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(["resumed_by_id"], ["user_account.id"],
                                name="fk_primero_pause_resumed_by_id_user_account"),
        sa.PrimaryKeyConstraint("id", name="pk_primero_pause"),
    )
    op.create_index("ix_primero_pause_resumed_at", "primero_pause", ["resumed_at"])
    op.create_table(
        "primero_note",
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("handoff_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["case_event.id"], name="fk_primero_note_event_id_case_event"),
        sa.ForeignKeyConstraint(["handoff_id"], ["primero_handoff.id"],
                                name="fk_primero_note_handoff_id_primero_handoff"),
        sa.PrimaryKeyConstraint("event_id", name="pk_primero_note"),
    )
    op.create_index("ix_primero_note_handoff_id", "primero_note", ["handoff_id"])


def downgrade() -> None:
    op.drop_table("primero_note")
    op.drop_table("primero_pause")
    op.drop_table("primero_handoff")
