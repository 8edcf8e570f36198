"""Why a referral was declined, as a code: a consent withdrawn no longer overwrites what was asked of the provider

Withdrawing consent declined the referrals still waiting by replacing their notes (what the case worker asked of
the provider) with the English words "consent withdrawn". The reason is now a code the page words in its language,
and the notes stay. Referrals declined that way before keep the code; their notes were already lost.

Revision ID: 0013
Revises: 0012
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: Union[str, Sequence[str], None] = "0012"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_referral = sa.table("referral", sa.column("status", sa.String), sa.column("notes", sa.Text),
                     sa.column("declined_because", sa.String))


def upgrade() -> None:
    # A nullable column is added in place, on SQLite too: no copy of the table.
    op.add_column("referral", sa.Column("declined_because", sa.String(32), nullable=True))
    withdrawn = (_referral.c.status == "declined") & (_referral.c.notes == "consent withdrawn")
    op.execute(_referral.update().where(withdrawn).values(declined_because="consent_withdrawn", notes=None))


def downgrade() -> None:
    with op.batch_alter_table("referral") as batch:
        batch.drop_column("declined_because")
