"""The child's assent beside a caregiver's consent for a child of 6 to 14

Revision ID: 0023
Revises: 0022
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: Union[str, Sequence[str], None] = "0022"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("case_consent") as batch:
        batch.add_column(sa.Column("child_assent", sa.String(16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("case_consent") as batch:
        batch.drop_column("child_assent")
