"""Complaint handling (issue 6): severity and deadline, the focal point's workflow, the staff a complaint names,
and its private trail of notes

Complaints received before keep their rows; each gets its category's default severity here, and its date to be
closed by from the scheduler (the hours are settings, which a migration does not read).

Revision ID: 0010
Revises: 0009
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: Union[str, Sequence[str], None] = "0009"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# The staff who acted on a complaint, each a foreign key to user_account.
_BY = ("received_by_id", "acknowledged_by_id", "resolved_by_id", "closed_by_id")
_TIMES = ("due_at", "acknowledged_at", "resolved_at", "informed_at", "closed_at", "warned_at", "overdue_alerted_at")
# casecore.taxonomy.DEFAULT_COMPLAINT_SEVERITY as it was when this migration was written.
_DEFAULT_SEVERITY = {"sexual_exploitation_abuse": "critical", "staff_misconduct": "high", "fraud_corruption": "high",
                     "data_breach": "high", "no_response": "medium"}


def upgrade() -> None:
    with op.batch_alter_table("complaint") as batch:
        batch.add_column(sa.Column("severity", sa.String(16), nullable=True))
        for column in _TIMES:
            batch.add_column(sa.Column(column, sa.DateTime(), nullable=True))
        for column in _BY:
            batch.add_column(sa.Column(column, sa.Uuid(), nullable=True))
            batch.create_foreign_key(f"fk_complaint_{column}_user_account", "user_account", [column], ["id"])
        batch.add_column(sa.Column("outcome", sa.Text(), nullable=True))
    complaint = sa.table("complaint", sa.column("category", sa.String), sa.column("severity", sa.String))
    op.execute(complaint.update().values(severity=sa.case(
        *[(complaint.c.category == category, severity) for category, severity in _DEFAULT_SEVERITY.items()],
        else_="low")))
    op.create_table(
        "complaint_staff",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("complaint_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("added_by_id", sa.Uuid(), nullable=True),
        sa.Column("added_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["complaint_id"], ["complaint.id"], name="fk_complaint_staff_complaint_id_complaint"),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name="fk_complaint_staff_user_id_user_account"),
        sa.ForeignKeyConstraint(["added_by_id"], ["user_account.id"],
                                name="fk_complaint_staff_added_by_id_user_account"),
        sa.PrimaryKeyConstraint("id", name="pk_complaint_staff"),
        sa.UniqueConstraint("complaint_id", "user_id", name="uq_complaint_staff_complaint_user"),
    )
    op.create_index("ix_complaint_staff_user_id", "complaint_staff", ["user_id"])
    op.create_table(
        "complaint_note",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("complaint_id", sa.Uuid(), nullable=False),
        sa.Column("author_id", sa.Uuid(), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("body", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["complaint_id"], ["complaint.id"], name="fk_complaint_note_complaint_id_complaint"),
        sa.ForeignKeyConstraint(["author_id"], ["user_account.id"], name="fk_complaint_note_author_id_user_account"),
        sa.PrimaryKeyConstraint("id", name="pk_complaint_note"),
    )
    op.create_index("ix_complaint_note_complaint_id", "complaint_note", ["complaint_id"])


def downgrade() -> None:
    op.drop_table("complaint_note")
    op.drop_table("complaint_staff")
    with op.batch_alter_table("complaint") as batch:
        for column in _BY:
            batch.drop_constraint(f"fk_complaint_{column}_user_account", type_="foreignkey")
            batch.drop_column(column)
        for column in ("outcome", "severity", *_TIMES):
            batch.drop_column(column)
