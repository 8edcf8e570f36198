"""Feedback about services (issue 6): what an answer is about (a referral's service, the closure, the case), who
answered (adult or child), the surveys the system sent, and the indexes the feedback and complaint pages read

Feedback received before keeps its rows: linked to a case it is about the case, else it is general. The complaint
indexes serve the focal point's list (an organisation's complaints by status, newest first) and the deadline scan.

Revision ID: 0012
Revises: 0011
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: Union[str, Sequence[str], None] = "0011"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("feedback") as batch:
        batch.add_column(sa.Column("referral_id", sa.Uuid(), nullable=True))
        batch.create_foreign_key("fk_feedback_referral_id_referral", "referral", ["referral_id"], ["id"])
        batch.add_column(sa.Column("about", sa.String(16), nullable=True))
        batch.add_column(sa.Column("audience", sa.String(8), nullable=True))
        batch.add_column(sa.Column("case_worker_id", sa.Uuid(), nullable=True))
        batch.create_foreign_key("fk_feedback_case_worker_id_user_account", "user_account", ["case_worker_id"],
                                 ["id"])
    feedback = sa.table("feedback", sa.column("case_id", sa.Uuid), sa.column("about", sa.String),
                        sa.column("case_worker_id", sa.Uuid))
    op.execute(feedback.update().values(about=sa.case((feedback.c.case_id.is_(None), "general"), else_="case")))
    # Older answers: the case's worker now is the best guess of whom they were about.
    case_file = sa.table("case_file", sa.column("id", sa.Uuid), sa.column("assigned_to_id", sa.Uuid))
    op.execute(feedback.update().values(case_worker_id=sa.select(case_file.c.assigned_to_id)
                                        .where(case_file.c.id == feedback.c.case_id).scalar_subquery()))
    with op.batch_alter_table("feedback") as batch:
        batch.alter_column("about", existing_type=sa.String(16), nullable=False)
    op.create_index("ix_feedback_org_received", "feedback", ["organisation_id", "received_at"])
    op.create_table(
        "feedback_request",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("purpose_key", sa.String(200), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("referral_id", sa.Uuid(), nullable=True),
        sa.Column("contact_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("audience", sa.String(8), nullable=True),
        sa.Column("asked_at", sa.DateTime(), nullable=False),
        sa.Column("answered_at", sa.DateTime(), nullable=True),
        sa.Column("feedback_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["case_file.id"], name="fk_feedback_request_case_id_case_file"),
        sa.ForeignKeyConstraint(["referral_id"], ["referral.id"], name="fk_feedback_request_referral_id_referral"),
        sa.ForeignKeyConstraint(["contact_id"], ["case_contact.id"],
                                name="fk_feedback_request_contact_id_case_contact"),
        sa.ForeignKeyConstraint(["feedback_id"], ["feedback.id"], name="fk_feedback_request_feedback_id_feedback"),
        sa.PrimaryKeyConstraint("id", name="pk_feedback_request"),
        sa.UniqueConstraint("purpose_key", name="uq_feedback_request_purpose_key"),
    )
    op.create_index("ix_feedback_request_contact_id", "feedback_request", ["contact_id"])
    op.create_index("ix_complaint_org_status_received", "complaint", ["organisation_id", "status", "received_at"])
    op.create_index("ix_complaint_due_open", "complaint", ["due_at"])


def downgrade() -> None:
    op.drop_index("ix_complaint_due_open", table_name="complaint")
    op.drop_index("ix_complaint_org_status_received", table_name="complaint")
    op.drop_table("feedback_request")
    op.drop_index("ix_feedback_org_received", table_name="feedback")
    with op.batch_alter_table("feedback") as batch:
        batch.drop_constraint("fk_feedback_referral_id_referral", type_="foreignkey")
        batch.drop_constraint("fk_feedback_case_worker_id_user_account", type_="foreignkey")
        for column in ("case_worker_id", "audience", "about", "referral_id"):
            batch.drop_column(column)
