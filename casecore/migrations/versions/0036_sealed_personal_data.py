"""Personal data sealed at rest under the data key; numbers found by a keyed hash beside them

Revision ID: 0036
Revises: 0035

Every value below is sealed in place (casecore.sealing, with the keyring the process configured from
DATA_ENCRYPTION_KEY); the numbers looked up by value get a `<column>_key` column, which takes over their unique
constraints and indexes. Columns that held at most n characters become TEXT: a sealed value is longer.
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from casecore import sealing

revision: str = "0036"
down_revision: Union[str, Sequence[str], None] = "0035"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

SEALED = {
    "community_contact": ("phone",),
    "inbound_message": ("phone", "body"),
    "user_account": ("phone",),
    "committee_member": ("name", "phone"),
    "complaint": ("contact_phone", "description", "outcome"),
    "outbound_message": ("to_phone", "body"),
    "report": ("reporter_phone", "description", "answers", "decision_note"),
    "supervision_session": ("decisions",),
    "case_file": ("reopen_reason", "legal_hold_reason"),
    "complaint_note": ("body",),
    "case_approval": ("content", "comment"),
    "case_assessment_domain": ("needs", "risk_factors", "protective_factors", "child_views"),
    "case_bia": ("findings", "child_views", "recommendation"),
    "case_bid": ("panel", "evidence", "child_views", "decision", "reasons", "dissent", "follow_up"),
    "case_caregiver": ("relation_name",),
    "case_conference": ("staff_present", "services_present", "decisions"),
    "case_consent": ("note",),
    "case_contact": ("phone",),
    "case_document": ("title",),
    "case_event": ("body", "unlinked_phone"),
    "case_follow_up": ("notes", "shared_with_family"),
    "case_goal": ("goal",),
    "case_risk_change": ("reason",),
    "case_service_given": ("outcome",),
    "case_trace_match": ("verification",),
    "case_tracing_action": ("address", "contacted", "action"),
    "case_transfer": ("reason",),
    "child_registration": ("name_first", "name_middle", "name_last", "name_nickname", "name_other", "address_current"),
    "case_action": ("what",),
    "case_closure_feedback": ("helped", "better"),
    "case_goal_progress": ("progress",),
    "referral": ("notes", "counter_referral_notes"),
    "feedback": ("comment",),
    "primero_handoff": ("record_sent",),
}

# Columns that were not TEXT: (table, column) -> the type they had.
NARROW = {
    ("community_contact", "phone"): sa.String(20),
    ("inbound_message", "phone"): sa.String(20),
    ("user_account", "phone"): sa.String(20),
    ("committee_member", "name"): sa.String(200),
    ("committee_member", "phone"): sa.String(20),
    ("complaint", "contact_phone"): sa.String(20),
    ("outbound_message", "to_phone"): sa.String(20),
    ("report", "reporter_phone"): sa.String(20),
    ("report", "answers"): sa.JSON(),
    ("case_bid", "panel"): sa.JSON(),
    ("primero_handoff", "record_sent"): sa.JSON(),
    ("case_caregiver", "relation_name"): sa.String(200),
    ("case_contact", "phone"): sa.String(20),
    ("case_document", "title"): sa.String(200),
    ("case_event", "unlinked_phone"): sa.String(20),
    ("child_registration", "name_first"): sa.String(100),
    ("child_registration", "name_middle"): sa.String(100),
    ("child_registration", "name_last"): sa.String(100),
    ("child_registration", "name_nickname"): sa.String(100),
    ("child_registration", "name_other"): sa.String(200),
}

# Numbers found by value: table -> the number column, then what its key carries (unique constraints, indexes).
LOOKED_UP = {
    "community_contact": ("phone", [("unique", "uq_community_contact_phone_key", ("phone_key",))]),
    "inbound_message": ("phone", [("index", "ix_inbound_message_phone_key_channel_received",
                                   ("phone_key", "channel", "received_at"))]),
    "outbound_message": ("to_phone", [("index", "ix_outbound_message_to_phone_key", ("to_phone_key",))]),
    "committee_member": ("phone", [("unique", "uq_committee_member_org_phone_key", ("organisation_id", "phone_key")),
                                   ("index", "ix_committee_member_phone_key", ("phone_key",))]),
    "case_contact": ("phone", [("unique", "uq_case_contact_case_phone_key", ("case_id", "phone_key")),
                               ("index", "ix_case_contact_phone_key", ("phone_key",))]),
}
# What the numbers carried before.
BEFORE = {
    "community_contact": [("unique", "uq_community_contact_phone", ("phone",))],
    "inbound_message": [("index", "ix_inbound_message_phone_channel_received", ("phone", "channel", "received_at"))],
    "committee_member": [("unique", "uq_committee_member_org_phone", ("organisation_id", "phone")),
                         ("index", "ix_committee_member_phone", ("phone",))],
    "case_contact": [("unique", "uq_case_contact_case_phone", ("case_id", "phone")),
                     ("index", "ix_case_contact_phone", ("phone",))],
}
BATCH = 500


def upgrade() -> None:
    for table in sorted({t for t, _c in NARROW} | set(LOOKED_UP)):
        with op.batch_alter_table(table) as batch:
            if table in LOOKED_UP:
                batch.add_column(sa.Column(f"{LOOKED_UP[table][0]}_key", sa.String(32), nullable=True))
            for kind, name, _columns in BEFORE.get(table, ()):
                _drop(batch, kind, name)
            for (name, column), was in NARROW.items():
                if name == table:
                    using = {"postgresql_using": f"{column}::text"} if isinstance(was, sa.JSON) else {}
                    batch.alter_column(column, type_=sa.Text(), existing_type=was, **using)
    _seal_rows(opening=False)
    for table, (column, carried) in LOOKED_UP.items():
        with op.batch_alter_table(table) as batch:
            batch.alter_column(f"{column}_key", existing_type=sa.String(32), nullable=False)
            for kind, name, columns in carried:
                _create(batch, kind, name, columns)


def downgrade() -> None:
    _seal_rows(opening=True)
    for table in sorted({t for t, _c in NARROW} | set(LOOKED_UP)):
        with op.batch_alter_table(table) as batch:
            if table in LOOKED_UP:
                column, carried = LOOKED_UP[table]
                for kind, name, _columns in carried:
                    _drop(batch, kind, name)
                batch.drop_column(f"{column}_key")
            for (name, column), was in NARROW.items():
                if name == table:
                    using = {"postgresql_using": f"{column}::json"} if isinstance(was, sa.JSON) else {}
                    batch.alter_column(column, type_=was, existing_type=sa.Text(), **using)
            for kind, name, columns in BEFORE.get(table, ()):
                _create(batch, kind, name, columns)


def _drop(batch, kind: str, name: str) -> None:
    if kind == "unique":
        batch.drop_constraint(name, type_="unique")
    else:
        batch.drop_index(name)


def _create(batch, kind: str, name: str, columns) -> None:
    if kind == "unique":
        batch.create_unique_constraint(name, list(columns))
    else:
        batch.create_index(name, list(columns))


def _seal_rows(opening: bool) -> None:
    """Seal every value (or open it again, going down), and key the numbers looked up, a batch at a time."""
    connection = op.get_bind()
    for table, columns in SEALED.items():
        key_of = LOOKED_UP[table][0] if table in LOOKED_UP and not opening else None
        last = None
        while True:
            query = f"SELECT id, {', '.join(columns)} FROM {table}"
            params = {}
            if last is not None:
                query += " WHERE id > :last"
                params["last"] = last
            rows = connection.execute(sa.text(query + f" ORDER BY id LIMIT {BATCH}"), params).all()
            if not rows:
                break
            ring = sealing.keyring()  # only asked for when there is something to seal
            for row in rows:
                values = {}
                for column, value in zip(columns, row[1:], strict=True):
                    if value is None:
                        continue
                    if opening:
                        values[column] = ring.open_text(value)
                    elif value and not sealing.is_sealed_text(value):
                        # An empty text (a body the retention removed) hides nothing and stays as it is.
                        values[column] = ring.seal_text(value)
                if key_of is not None:
                    values[f"{key_of}_key"] = sealing.lookup_key(ring.open_text(str(row[1 + columns.index(key_of)])))
                if values:
                    assignments = ", ".join(f"{name} = :{name}" for name in values)
                    connection.execute(sa.text(f"UPDATE {table} SET {assignments} WHERE id = :row_id"),
                                       {**values, "row_id": row[0]})
            last = rows[-1][0]

