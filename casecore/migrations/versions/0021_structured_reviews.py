"""Plan reviews (forms 5.A-5.C): what was shared with the child and family, whether the plan changes, and each
goal's progress at the review

Revision ID: 0021
Revises: 0020
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: Union[str, Sequence[str], None] = "0020"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("case_follow_up") as batch:
        batch.add_column(sa.Column("shared_with_family", sa.Text(), nullable=True))
        batch.add_column(sa.Column("plan_changes", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_table(
        "case_goal_progress",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("follow_up_id", sa.Uuid(), nullable=False),
        sa.Column("goal_id", sa.Uuid(), nullable=False),
        sa.Column("progress", sa.Text(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.ForeignKeyConstraint(["follow_up_id"], ["case_follow_up.id"],
                                name="fk_case_goal_progress_follow_up_id_case_follow_up"),
        sa.ForeignKeyConstraint(["goal_id"], ["case_goal.id"], name="fk_case_goal_progress_goal_id_case_goal"),
        sa.PrimaryKeyConstraint("id", name="pk_case_goal_progress"),
    )
    op.create_index("ix_case_goal_progress_follow_up_id", "case_goal_progress", ["follow_up_id"])
    op.create_index("ix_case_goal_progress_goal_id", "case_goal_progress", ["goal_id"])


def downgrade() -> None:
    op.drop_index("ix_case_goal_progress_goal_id", table_name="case_goal_progress")
    op.drop_index("ix_case_goal_progress_follow_up_id", table_name="case_goal_progress")
    op.drop_table("case_goal_progress")
    with op.batch_alter_table("case_follow_up") as batch:
        batch.drop_column("plan_changes")
        batch.drop_column("shared_with_family")
