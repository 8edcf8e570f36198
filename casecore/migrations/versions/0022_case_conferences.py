"""Case conferences (forms 3.B, 5.C): when, who took part (staff, services, the family, the child), what was decided

Revision ID: 0022
Revises: 0021
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: Union[str, Sequence[str], None] = "0021"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "case_conference",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("staff_present", sa.Text(), nullable=True),
        sa.Column("services_present", sa.Text(), nullable=True),
        sa.Column("family_present", sa.Boolean(), nullable=False),
        sa.Column("child_present", sa.Boolean(), nullable=False),
        sa.Column("decisions", sa.Text(), nullable=False),
        sa.Column("recorded_by_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case_file.id"], name="fk_case_conference_case_id_case_file"),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["user_account.id"],
                                name="fk_case_conference_recorded_by_id_user_account"),
        sa.PrimaryKeyConstraint("id", name="pk_case_conference"),
    )
    op.create_index("ix_case_conference_case_id", "case_conference", ["case_id"])


def downgrade() -> None:
    op.drop_index("ix_case_conference_case_id", table_name="case_conference")
    op.drop_table("case_conference")
