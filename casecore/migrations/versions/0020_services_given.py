"""Services the organisation gives the child itself, recorded like referrals: type, date, outcome

Revision ID: 0020
Revises: 0019
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: Union[str, Sequence[str], None] = "0019"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "case_service_given",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("service_type", sa.String(40), nullable=False),
        sa.Column("given_on", sa.Date(), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.Column("given_by_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case_file.id"], name="fk_case_service_given_case_id_case_file"),
        sa.ForeignKeyConstraint(["given_by_id"], ["user_account.id"],
                                name="fk_case_service_given_given_by_id_user_account"),
        sa.PrimaryKeyConstraint("id", name="pk_case_service_given"),
    )
    op.create_index("ix_case_service_given_case_id", "case_service_given", ["case_id"])


def downgrade() -> None:
    op.drop_index("ix_case_service_given_case_id", table_name="case_service_given")
    op.drop_table("case_service_given")
