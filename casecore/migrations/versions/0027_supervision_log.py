"""The supervision log: sessions a supervisor keeps with a case worker (when, cases reviewed, decisions)

Revision ID: 0027
Revises: 0026
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0027"
down_revision: Union[str, Sequence[str], None] = "0026"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "supervision_session",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("supervisor_id", sa.Uuid(), nullable=False),
        sa.Column("case_worker_id", sa.Uuid(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("case_ids", sa.JSON(), nullable=False),
        sa.Column("decisions", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"],
                                name="fk_supervision_session_organisation_id_organisation"),
        sa.ForeignKeyConstraint(["supervisor_id"], ["user_account.id"],
                                name="fk_supervision_session_supervisor_id_user_account"),
        sa.ForeignKeyConstraint(["case_worker_id"], ["user_account.id"],
                                name="fk_supervision_session_case_worker_id_user_account"),
        sa.PrimaryKeyConstraint("id", name="pk_supervision_session"),
    )
    op.create_index("ix_supervision_session_supervisor_id", "supervision_session", ["supervisor_id"])
    op.create_index("ix_supervision_session_case_worker_id", "supervision_session", ["case_worker_id"])


def downgrade() -> None:
    op.drop_index("ix_supervision_session_case_worker_id", table_name="supervision_session")
    op.drop_index("ix_supervision_session_supervisor_id", table_name="supervision_session")
    op.drop_table("supervision_session")
