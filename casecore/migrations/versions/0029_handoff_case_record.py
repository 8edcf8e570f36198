"""The case record follows a handed-over case to Primero: a version of what travels, and what Primero last got

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
    op.add_column("case_file", sa.Column("record_version", sa.Integer(), server_default="0", nullable=False))
    # Plain ALTERs, not a batch: rebuilding primero_handoff on SQLite would trip over primero_note's foreign key.
    op.execute("ALTER TABLE primero_handoff RENAME COLUMN consents_synced_at TO record_synced_at")
    op.add_column("primero_handoff",
                  sa.Column("record_version_synced", sa.Integer(), server_default="0", nullable=False))
    op.add_column("primero_handoff", sa.Column("record_sent", sa.JSON(), nullable=True))
    # Cases already in Primero whose record holds what was never sent (a registration, a service, tracing, a
    # revised risk) get it all once (nothing is known to have been sent: record_sent is empty).
    op.execute("""
        UPDATE case_file SET record_version = 1 WHERE id IN (
            SELECT case_id FROM primero_handoff WHERE status = 'sent' AND case_id IS NOT NULL)
          AND (id IN (SELECT case_id FROM child_registration) OR id IN (SELECT case_id FROM case_service_given)
               OR id IN (SELECT case_id FROM case_tracing_action) OR id IN (SELECT case_id FROM case_risk_change))""")
    op.execute("UPDATE primero_handoff SET record_synced_at = NULL WHERE case_id IN ("
               "SELECT id FROM case_file WHERE record_version = 1)")


def downgrade() -> None:
    op.execute("ALTER TABLE primero_handoff DROP COLUMN record_sent")
    op.execute("ALTER TABLE primero_handoff DROP COLUMN record_version_synced")
    op.execute("ALTER TABLE primero_handoff RENAME COLUMN record_synced_at TO consents_synced_at")
    op.execute("ALTER TABLE case_file DROP COLUMN record_version")
