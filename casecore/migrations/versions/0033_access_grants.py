"""Grants of access to sensitive data wait for a second person's confirmation

Revision ID: 0033
Revises: 0032
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0033"
down_revision: Union[str, Sequence[str], None] = "0032"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "access_grant",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("role", sa.String(16), nullable=True),
        sa.Column("team_id", sa.Uuid(), nullable=True),
        sa.Column("activates", sa.Boolean(), nullable=False),
        sa.Column("requested_by_id", sa.Uuid(), nullable=False),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("decided_by_id", sa.Uuid(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"],
                                name="fk_access_grant_organisation_id_organisation"),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name="fk_access_grant_user_id_user_account"),
        sa.ForeignKeyConstraint(["team_id"], ["team.id"], name="fk_access_grant_team_id_team"),
        sa.ForeignKeyConstraint(["requested_by_id"], ["user_account.id"],
                                name="fk_access_grant_requested_by_id_user_account"),
        sa.ForeignKeyConstraint(["decided_by_id"], ["user_account.id"],
                                name="fk_access_grant_decided_by_id_user_account"),
        sa.PrimaryKeyConstraint("id", name="pk_access_grant"),
    )
    op.create_index("ix_access_grant_organisation_id", "access_grant", ["organisation_id"])
    op.create_index("ix_access_grant_user_id", "access_grant", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_access_grant_user_id", table_name="access_grant")
    op.drop_index("ix_access_grant_organisation_id", table_name="access_grant")
    op.drop_table("access_grant")
