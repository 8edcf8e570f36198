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
    # revised risk, or a consent recorded since the consents were last sent) get it all once: nothing is known to
    # have been sent (record_sent is empty), and what Relais holds no value for is not sent as null.
    op.execute("""
        UPDATE case_file SET record_version = 1 WHERE id IN (
            SELECT h.case_id FROM primero_handoff h WHERE h.status = 'sent' AND h.case_id IS NOT NULL AND (
                h.case_id IN (SELECT case_id FROM child_registration)
                OR h.case_id IN (SELECT case_id FROM case_service_given)
                OR h.case_id IN (SELECT case_id FROM case_tracing_action)
                OR h.case_id IN (SELECT case_id FROM case_risk_change)
                OR EXISTS (SELECT 1 FROM case_consent c WHERE c.case_id = h.case_id
                           AND (c.recorded_at > COALESCE(h.record_synced_at, h.created_at)
                                OR c.withdrawn_at > COALESCE(h.record_synced_at, h.created_at)))))""")


def downgrade() -> None:
    op.execute("ALTER TABLE primero_handoff DROP COLUMN record_sent")
    op.execute("ALTER TABLE primero_handoff DROP COLUMN record_version_synced")
    op.execute("ALTER TABLE primero_handoff RENAME COLUMN record_synced_at TO consents_synced_at")
    op.execute("ALTER TABLE case_file DROP COLUMN record_version")
