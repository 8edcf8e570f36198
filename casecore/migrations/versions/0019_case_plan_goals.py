"""The case plan as goals and actions (forms 3.A, 4.A): each goal for a domain or the whole case, each action with
who takes it (a service of the directory among others), by when and how it went

Revision ID: 0019
Revises: 0018
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: Union[str, Sequence[str], None] = "0018"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "case_goal",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("domain", sa.String(24), nullable=True),
        sa.Column("goal", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case_file.id"], name="fk_case_goal_case_id_case_file"),
        sa.ForeignKeyConstraint(["created_by_id"], ["user_account.id"], name="fk_case_goal_created_by_id_user_account"),
        sa.PrimaryKeyConstraint("id", name="pk_case_goal"),
    )
    op.create_index("ix_case_goal_case_id", "case_goal", ["case_id"])
    op.create_table(
        "case_action",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("goal_id", sa.Uuid(), nullable=False),
        sa.Column("what", sa.Text(), nullable=False),
        sa.Column("by", sa.String(16), nullable=False),
        sa.Column("service_id", sa.Uuid(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case_file.id"], name="fk_case_action_case_id_case_file"),
        sa.ForeignKeyConstraint(["goal_id"], ["case_goal.id"], name="fk_case_action_goal_id_case_goal"),
        sa.ForeignKeyConstraint(["service_id"], ["service.id"], name="fk_case_action_service_id_service"),
        sa.ForeignKeyConstraint(["updated_by_id"], ["user_account.id"],
                                name="fk_case_action_updated_by_id_user_account"),
        sa.PrimaryKeyConstraint("id", name="pk_case_action"),
    )
    op.create_index("ix_case_action_case_id", "case_action", ["case_id"])
    op.create_index("ix_case_action_goal_id", "case_action", ["goal_id"])


def downgrade() -> None:
    op.drop_index("ix_case_action_goal_id", table_name="case_action")
    op.drop_index("ix_case_action_case_id", table_name="case_action")
    op.drop_table("case_action")
    op.drop_index("ix_case_goal_case_id", table_name="case_goal")
    op.drop_table("case_goal")
