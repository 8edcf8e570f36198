"""The history of a case's risk level: each revision, from and to, at which step, why, by whom and when

Revision ID: 0017
Revises: 0016
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: Union[str, Sequence[str], None] = "0016"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "case_risk_change",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("from_level", sa.String(16), nullable=True),
        sa.Column("to_level", sa.String(16), nullable=False),
        sa.Column("step", sa.String(24), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("changed_by_id", sa.Uuid(), nullable=False),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case_file.id"], name="fk_case_risk_change_case_id_case_file"),
        sa.ForeignKeyConstraint(["changed_by_id"], ["user_account.id"],
                                name="fk_case_risk_change_changed_by_id_user_account"),
        sa.PrimaryKeyConstraint("id", name="pk_case_risk_change"),
    )
    op.create_index("ix_case_risk_change_case_id", "case_risk_change", ["case_id"])


def downgrade() -> None:
    op.drop_index("ix_case_risk_change_case_id", table_name="case_risk_change")
    op.drop_table("case_risk_change")
