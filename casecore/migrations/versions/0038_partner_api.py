"""Partner systems' API tokens (kept hashed) and the audit line of every call made with one

Revision ID: 0038
Revises: 0037
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0038"
down_revision: Union[str, Sequence[str], None] = "0037"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "api_token",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("scopes", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.Column("last_used_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"],
                                name="fk_api_token_organisation_id_organisation"),
        sa.PrimaryKeyConstraint("id", name="pk_api_token"),
        sa.UniqueConstraint("name", name="uq_api_token_name"),
        sa.UniqueConstraint("prefix", name="uq_api_token_prefix"),
    )
    op.create_index("ix_api_token_organisation_id", "api_token", ["organisation_id"])
    op.create_table(
        "api_call",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("token_id", sa.Uuid(), nullable=False),
        sa.Column("method", sa.String(8), nullable=False),
        sa.Column("endpoint", sa.String(120), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("object_ids", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["token_id"], ["api_token.id"], name="fk_api_call_token_id_api_token"),
        sa.PrimaryKeyConstraint("id", name="pk_api_call"),
    )
    op.create_index("ix_api_call_at", "api_call", ["at"])
    op.create_index("ix_api_call_token_at", "api_call", ["token_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_api_call_token_at", table_name="api_call")
    op.drop_index("ix_api_call_at", table_name="api_call")
    op.drop_table("api_call")
    op.drop_index("ix_api_token_organisation_id", table_name="api_token")
    op.drop_table("api_token")
