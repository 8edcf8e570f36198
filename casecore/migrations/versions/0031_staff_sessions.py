"""Staff sessions kept on the server, so that logging out, deactivation and an administrator end them at once

Revision ID: 0031
Revises: 0030
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0031"
down_revision: Union[str, Sequence[str], None] = "0030"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # Sessions opened before this have no row: their next request goes to the login page.
    op.create_table(
        "staff_session",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("end_reason", sa.String(16), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name="fk_staff_session_user_id_user_account"),
        sa.PrimaryKeyConstraint("id", name="pk_staff_session"),
    )
    op.create_index("ix_staff_session_user_id", "staff_session", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_staff_session_user_id", table_name="staff_session")
    op.drop_table("staff_session")
