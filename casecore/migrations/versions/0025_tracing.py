"""Tracing and reunification (forms 4.B-4.E): tracing actions, and community tracing requests matched to a case's
child, confirmed, the family link verified, the reunification dated

Revision ID: 0025
Revises: 0024
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: Union[str, Sequence[str], None] = "0024"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "case_tracing_action",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("done_on", sa.Date(), nullable=False),
        sa.Column("location_id", sa.Uuid(), nullable=True),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("contacted", sa.Text(), nullable=True),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("recorded_by_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case_file.id"], name="fk_case_tracing_action_case_id_case_file"),
        sa.ForeignKeyConstraint(["location_id"], ["location.id"], name="fk_case_tracing_action_location_id_location"),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["user_account.id"],
                                name="fk_case_tracing_action_recorded_by_id_user_account"),
        sa.PrimaryKeyConstraint("id", name="pk_case_tracing_action"),
    )
    op.create_index("ix_case_tracing_action_case_id", "case_tracing_action", ["case_id"])
    op.create_table(
        "case_trace_match",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("report_id", sa.Uuid(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("proposed_at", sa.DateTime(), nullable=False),
        sa.Column("decided_by_id", sa.Uuid(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("verified_on", sa.Date(), nullable=True),
        sa.Column("verification", sa.Text(), nullable=True),
        sa.Column("reunified_on", sa.Date(), nullable=True),
        sa.Column("news_sent_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["case_file.id"], name="fk_case_trace_match_case_id_case_file"),
        sa.ForeignKeyConstraint(["report_id"], ["report.id"], name="fk_case_trace_match_report_id_report"),
        sa.ForeignKeyConstraint(["decided_by_id"], ["user_account.id"],
                                name="fk_case_trace_match_decided_by_id_user_account"),
        sa.PrimaryKeyConstraint("id", name="pk_case_trace_match"),
        sa.UniqueConstraint("case_id", "report_id", name="uq_case_trace_match_case_report"),
    )
    op.create_index("ix_case_trace_match_case_id", "case_trace_match", ["case_id"])
    op.create_index("ix_case_trace_match_report_id", "case_trace_match", ["report_id"])


def downgrade() -> None:
    op.drop_index("ix_case_trace_match_report_id", table_name="case_trace_match")
    op.drop_index("ix_case_trace_match_case_id", table_name="case_trace_match")
    op.drop_table("case_trace_match")
    op.drop_index("ix_case_tracing_action_case_id", table_name="case_tracing_action")
    op.drop_table("case_tracing_action")
