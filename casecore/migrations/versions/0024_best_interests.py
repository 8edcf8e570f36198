"""Best interests: assessments by a trained case worker and determinations by a panel, signed off by a supervisor

Revision ID: 0024
Revises: 0023
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: Union[str, Sequence[str], None] = "0023"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "case_bia",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("done_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("findings", sa.Text(), nullable=False),
        sa.Column("child_views", sa.Text(), nullable=False),
        sa.Column("recommendation", sa.Text(), nullable=False),
        sa.Column("recorded_by_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case_file.id"], name="fk_case_bia_case_id_case_file"),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["user_account.id"],
                                name="fk_case_bia_recorded_by_id_user_account"),
        sa.PrimaryKeyConstraint("id", name="pk_case_bia"),
    )
    op.create_index("ix_case_bia_case_id", "case_bia", ["case_id"])
    op.create_table(
        "case_bid",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("panel", sa.JSON(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("child_views", sa.Text(), nullable=False),
        sa.Column("decision", sa.Text(), nullable=False),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("dissent", sa.Text(), nullable=True),
        sa.Column("follow_up", sa.Text(), nullable=True),
        sa.Column("recorded_by_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("signed_off_by_id", sa.Uuid(), nullable=True),
        sa.Column("signed_off_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["case_file.id"], name="fk_case_bid_case_id_case_file"),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["user_account.id"],
                                name="fk_case_bid_recorded_by_id_user_account"),
        sa.ForeignKeyConstraint(["signed_off_by_id"], ["user_account.id"],
                                name="fk_case_bid_signed_off_by_id_user_account"),
        sa.PrimaryKeyConstraint("id", name="pk_case_bid"),
    )
    op.create_index("ix_case_bid_case_id", "case_bid", ["case_id"])


def downgrade() -> None:
    op.drop_index("ix_case_bid_case_id", table_name="case_bid")
    op.drop_table("case_bid")
    op.drop_index("ix_case_bia_case_id", table_name="case_bia")
    op.drop_table("case_bia")
