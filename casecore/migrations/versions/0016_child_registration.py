"""The child's registration (forms 1.A, 1.B, 1.E): names, age, languages, functioning, documents, place, separation
status and concerns, one row per case; the child's relatives and caregivers

Revision ID: 0016
Revises: 0015
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: Union[str, Sequence[str], None] = "0015"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "child_registration",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("name_first", sa.String(100), nullable=True),
        sa.Column("name_middle", sa.String(100), nullable=True),
        sa.Column("name_last", sa.String(100), nullable=True),
        sa.Column("name_nickname", sa.String(100), nullable=True),
        sa.Column("name_other", sa.String(200), nullable=True),
        sa.Column("sex", sa.String(16), nullable=True),
        sa.Column("date_of_birth", sa.Date(), nullable=True),
        sa.Column("age", sa.Integer(), nullable=True),
        sa.Column("estimated", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("wg_seeing", sa.String(24), nullable=True),
        sa.Column("wg_hearing", sa.String(24), nullable=True),
        sa.Column("wg_walking", sa.String(24), nullable=True),
        sa.Column("wg_remembering", sa.String(24), nullable=True),
        sa.Column("wg_self_care", sa.String(24), nullable=True),
        sa.Column("wg_communicating", sa.String(24), nullable=True),
        sa.Column("documents", sa.JSON(), nullable=False),
        sa.Column("location_current_id", sa.Uuid(), nullable=True),
        sa.Column("address_current", sa.Text(), nullable=True),
        sa.Column("protection_status", sa.String(16), nullable=True),
        sa.Column("protection_concerns", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["case_file.id"], name="fk_child_registration_case_id_case_file"),
        sa.ForeignKeyConstraint(["location_current_id"], ["location.id"],
                                name="fk_child_registration_location_current_id_location"),
        sa.ForeignKeyConstraint(["updated_by_id"], ["user_account.id"],
                                name="fk_child_registration_updated_by_id_user_account"),
        sa.PrimaryKeyConstraint("id", name="pk_child_registration"),
        sa.UniqueConstraint("case_id", name="uq_child_registration_case_id"),
    )
    op.create_table(
        "case_caregiver",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("relation_name", sa.String(200), nullable=True),
        sa.Column("relation", sa.String(24), nullable=False),
        sa.Column("relation_is_caregiver", sa.Boolean(), nullable=False),
        sa.Column("lives_with_child", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case_file.id"], name="fk_case_caregiver_case_id_case_file"),
        sa.PrimaryKeyConstraint("id", name="pk_case_caregiver"),
    )
    op.create_index("ix_case_caregiver_case_id", "case_caregiver", ["case_id"])


def downgrade() -> None:
    op.drop_index("ix_case_caregiver_case_id", table_name="case_caregiver")
    op.drop_table("case_caregiver")
    op.drop_table("child_registration")
