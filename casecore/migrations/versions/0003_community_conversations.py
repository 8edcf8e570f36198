"""community conversations: report kinds, cases and their timeline, feedback, complaints, contacts, inbox

Revision ID: 0003
Revises: 0002
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: Union[str, Sequence[str], None] = "0002"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # Server defaults fill the rows already there: every existing report is about a child at risk, every
    # existing message is an SMS that honours opt-outs.
    with op.batch_alter_table("report") as batch:
        batch.add_column(sa.Column("kind", sa.String(16), nullable=False, server_default="child_at_risk"))
        batch.add_column(sa.Column("reporter_key", sa.String(64), nullable=True))
        batch.add_column(sa.Column("last_seen", sa.String(16), nullable=True))
        batch.add_column(sa.Column("relationship", sa.String(16), nullable=True))
        batch.add_column(sa.Column("description", sa.Text(), nullable=True))
        batch.create_index("ix_report_reporter_key", ["reporter_key"], unique=False)

    with op.batch_alter_table("outbound_message") as batch:
        batch.add_column(sa.Column("channel", sa.String(16), nullable=False, server_default="sms"))
        batch.add_column(sa.Column("ignores_opt_out", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("options", sa.JSON(), nullable=True))

    op.create_table(
        "case_file",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("reference", sa.String(16), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("report_id", sa.Uuid(), nullable=True),
        sa.Column("assigned_to_id", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("opened_at", sa.DateTime(), nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"],
                                name="fk_case_file_organisation_id_organisation"),
        sa.ForeignKeyConstraint(["report_id"], ["report.id"], name="fk_case_file_report_id_report"),
        sa.ForeignKeyConstraint(["assigned_to_id"], ["user_account.id"],
                                name="fk_case_file_assigned_to_id_user_account"),
        sa.PrimaryKeyConstraint("id", name="pk_case_file"),
        sa.UniqueConstraint("reference", name="uq_case_file_reference"),
    )
    op.create_index("ix_case_file_report_id", "case_file", ["report_id"])
    op.create_index("ix_case_file_assigned_to_id", "case_file", ["assigned_to_id"])

    op.create_table(
        "case_contact",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("phone", sa.String(20), nullable=False),
        sa.Column("added_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case_file.id"], name="fk_case_contact_case_id_case_file"),
        sa.PrimaryKeyConstraint("id", name="pk_case_contact"),
        sa.UniqueConstraint("case_id", "phone", name="uq_case_contact_case_phone"),
    )
    op.create_index("ix_case_contact_case_id", "case_contact", ["case_id"])
    op.create_index("ix_case_contact_phone", "case_contact", ["phone"])

    op.create_table(
        "case_event",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("channel", sa.String(16), nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("author_user_id", sa.Uuid(), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("source_key", sa.String(200), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["case_file.id"], name="fk_case_event_case_id_case_file"),
        sa.ForeignKeyConstraint(["author_user_id"], ["user_account.id"],
                                name="fk_case_event_author_user_id_user_account"),
        sa.PrimaryKeyConstraint("id", name="pk_case_event"),
        sa.UniqueConstraint("source_key", name="uq_case_event_source_key"),
    )
    op.create_index("ix_case_event_case_id", "case_event", ["case_id"])

    op.create_table(
        "feedback",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("source_key", sa.String(200), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"],
                                name="fk_feedback_organisation_id_organisation"),
        sa.ForeignKeyConstraint(["case_id"], ["case_file.id"], name="fk_feedback_case_id_case_file"),
        sa.PrimaryKeyConstraint("id", name="pk_feedback"),
        sa.UniqueConstraint("source_key", name="uq_feedback_source_key"),
    )

    op.create_table(
        "complaint",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("reference", sa.String(16), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("channel_session_id", sa.String(128), nullable=True),
        sa.Column("category", sa.String(40), nullable=False),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("contact_phone", sa.String(20), nullable=True),
        sa.Column("may_contact", sa.Boolean(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("complainant_key", sa.String(64), nullable=True),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("alerted_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"],
                                name="fk_complaint_organisation_id_organisation"),
        sa.PrimaryKeyConstraint("id", name="pk_complaint"),
        sa.UniqueConstraint("reference", name="uq_complaint_reference"),
        sa.UniqueConstraint("channel", "channel_session_id", name="uq_complaint_channel_session"),
    )
    op.create_index("ix_complaint_complainant_key", "complaint", ["complainant_key"])

    op.create_table(
        "community_contact",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("phone", sa.String(20), nullable=False),
        sa.Column("language", sa.String(8), nullable=True),
        sa.Column("opted_out_at", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_community_contact"),
        sa.UniqueConstraint("phone", name="uq_community_contact_phone"),
    )

    op.create_table(
        "inbound_message",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("provider", sa.String(32), nullable=False),
        sa.Column("provider_message_id", sa.String(128), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("phone", sa.String(20), nullable=False),
        sa.Column("to_address", sa.String(64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("processed_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_inbound_message"),
        sa.UniqueConstraint("provider", "provider_message_id", name="uq_inbound_message_provider_message"),
    )
    op.create_index("ix_inbound_message_status_received", "inbound_message", ["status", "received_at"])


def downgrade() -> None:
    # Tables first (they point at report), then the columns; indexes go with their tables.
    for table in ("inbound_message", "community_contact", "complaint", "feedback", "case_event", "case_contact",
                  "case_file"):
        op.drop_table(table)
    with op.batch_alter_table("outbound_message") as batch:
        batch.drop_column("options")
        batch.drop_column("ignores_opt_out")
        batch.drop_column("channel")
    with op.batch_alter_table("report") as batch:
        batch.drop_index("ix_report_reporter_key")
        batch.drop_column("description")
        batch.drop_column("relationship")
        batch.drop_column("last_seen")
        batch.drop_column("reporter_key")
        batch.drop_column("kind")
