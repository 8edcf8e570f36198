"""Documents and photos staff attach to a case (kept in the media store, checked like WhatsApp files)

Revision ID: 0028
Revises: 0027
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0028"
down_revision: Union[str, Sequence[str], None] = "0027"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "case_document",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("storage_key", sa.String(64), nullable=False),
        sa.Column("uploaded_by_id", sa.Uuid(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case_file.id"], name="fk_case_document_case_id_case_file"),
        sa.ForeignKeyConstraint(["uploaded_by_id"], ["user_account.id"],
                                name="fk_case_document_uploaded_by_id_user_account"),
        sa.PrimaryKeyConstraint("id", name="pk_case_document"),
    )
    op.create_index("ix_case_document_case_id", "case_document", ["case_id"])


def downgrade() -> None:
    op.drop_index("ix_case_document_case_id", table_name="case_document")
    op.drop_table("case_document")
