"""Staff accounts get a display name, shown wherever people read who did what; the email stays the login

Revision ID: 0037
Revises: 0036

Accounts made before get a name read from their email's local part ("awa.diallo@…" -> "Awa Diallo"), which an
administrator corrects on the account page.
"""
import re
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0037"
down_revision: Union[str, Sequence[str], None] = "0036"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

NAME_LENGTH = 120


def readable_name(email: str) -> str:
    """'awa.diallo@x.org' -> 'Awa Diallo', 'jean-marc_kone+cp@x.org' -> 'Jean-Marc Kone'; the whole email when the
    local part has no letter or digit. Kept here, not imported: a migration runs the rule it was written with."""
    local = (email or "").split("@", 1)[0].split("+", 1)[0]  # a +tag is the mailbox's, not the person's
    words = [word for word in re.split(r"[._+\s]+", local) if word.strip("-")]
    name = " ".join("-".join(part[:1].upper() + part[1:] for part in word.split("-")) for word in words)
    return (name or email or "?")[:NAME_LENGTH]


def upgrade() -> None:
    op.add_column("user_account", sa.Column("display_name", sa.String(NAME_LENGTH), nullable=True))
    connection = op.get_bind()
    taken: set[tuple[str, str]] = set()
    rows = connection.execute(sa.text("SELECT id, email, organisation_id FROM user_account ORDER BY email")).all()
    for user_id, email, organisation_id in rows:
        name = readable_name(email)
        if (str(organisation_id), name.lower()) in taken:
            # Two accounts of one organisation never share a name (pickers show names): the email tells them apart.
            name = f"{name} ({email})"[:NAME_LENGTH]
        taken.add((str(organisation_id), name.lower()))
        connection.execute(sa.text("UPDATE user_account SET display_name = :name WHERE id = :id"),
                           {"name": name, "id": user_id})
    with op.batch_alter_table("user_account") as batch:
        batch.alter_column("display_name", existing_type=sa.String(NAME_LENGTH), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("user_account") as batch:
        batch.drop_column("display_name")
