"""An account an administrator made changes its password at the first login; when a password last changed

Revision ID: 0034
Revises: 0033
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0034"
down_revision: Union[str, Sequence[str], None] = "0033"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # Accounts made before: their owners chose nothing either, but they have been working; nothing is forced on them.
    op.add_column("user_account", sa.Column("must_change_password", sa.Boolean(), server_default=sa.false(),
                                            nullable=False))
    op.add_column("user_account", sa.Column("password_changed_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    op.execute("ALTER TABLE user_account DROP COLUMN password_changed_at")
    op.execute("ALTER TABLE user_account DROP COLUMN must_change_password")
