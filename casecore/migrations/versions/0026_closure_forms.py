"""Closure forms: the criteria a closure request ticks (6.A), and the child's and adult's feedback the supervisor
takes before approving it (6.B, 6.C)

Revision ID: 0026
Revises: 0025
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: Union[str, Sequence[str], None] = "0025"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("case_approval") as batch:
        batch.add_column(sa.Column("closure_criteria", sa.JSON(), nullable=True))
    op.create_table(
        "case_closure_feedback",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("approval_id", sa.Uuid(), nullable=False),
        sa.Column("audience", sa.String(8), nullable=False),
        sa.Column("met", sa.Boolean(), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("listened_to", sa.Boolean(), nullable=True),
        sa.Column("helped", sa.Text(), nullable=True),
        sa.Column("better", sa.Text(), nullable=True),
        sa.Column("recorded_by_id", sa.Uuid(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case_file.id"], name="fk_case_closure_feedback_case_id_case_file"),
        sa.ForeignKeyConstraint(["approval_id"], ["case_approval.id"],
                                name="fk_case_closure_feedback_approval_id_case_approval"),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["user_account.id"],
                                name="fk_case_closure_feedback_recorded_by_id_user_account"),
        sa.PrimaryKeyConstraint("id", name="pk_case_closure_feedback"),
        sa.UniqueConstraint("approval_id", "audience", name="uq_case_closure_feedback_approval_audience"),
    )
    op.create_index("ix_case_closure_feedback_case_id", "case_closure_feedback", ["case_id"])


def downgrade() -> None:
    op.drop_index("ix_case_closure_feedback_case_id", table_name="case_closure_feedback")
    op.drop_table("case_closure_feedback")
    with op.batch_alter_table("case_approval") as batch:
        batch.drop_column("closure_criteria")
