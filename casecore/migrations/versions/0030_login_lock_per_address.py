"""Failed logins counted per account and address: the account-wide lock goes

Revision ID: 0030
Revises: 0029
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0030"
down_revision: Union[str, Sequence[str], None] = "0029"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "login_lock",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("source_key", sa.String(32), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name="fk_login_lock_user_id_user_account"),
        sa.PrimaryKeyConstraint("id", name="pk_login_lock"),
        sa.UniqueConstraint("user_id", "source_key", name="uq_login_lock_user_source"),
    )
    op.create_index("ix_login_lock_user_id", "login_lock", ["user_id"])
    # Plain ALTERs: rebuilding user_account on SQLite would trip over every table that refers to it. A lock in
    # force is lost with the column: the address-based count starts afresh.
    op.execute("ALTER TABLE user_account DROP COLUMN failed_logins")
    op.execute("ALTER TABLE user_account DROP COLUMN locked_until")


def downgrade() -> None:
    op.add_column("user_account", sa.Column("failed_logins", sa.Integer(), server_default="0", nullable=False))
    op.add_column("user_account", sa.Column("locked_until", sa.DateTime(), nullable=True))
    op.drop_index("ix_login_lock_user_id", table_name="login_lock")
    op.drop_table("login_lock")
