"""The case record follows a handed-over case to Primero: one time for everything sent again, and the family rows sent

Revision ID: 0029
Revises: 0028
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0029"
down_revision: Union[str, Sequence[str], None] = "0028"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # The consents were the only thing sent again; now the whole record is, from the same moment.
    with op.batch_alter_table("primero_handoff") as batch:
        batch.alter_column("consents_synced_at", new_column_name="record_synced_at", existing_type=sa.DateTime())
        batch.add_column(sa.Column("family_rows_sent", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("primero_handoff") as batch:
        batch.drop_column("family_rows_sent")
        batch.alter_column("record_synced_at", new_column_name="consents_synced_at", existing_type=sa.DateTime())
