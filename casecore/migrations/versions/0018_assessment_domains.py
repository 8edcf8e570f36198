"""The child's assessment by domain (form 2.A): needs, risk factors, protective factors and the child's views for
safety, care arrangements, health, education, psychosocial wellbeing, legal status and documents, economic situation

Revision ID: 0018
Revises: 0017
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: Union[str, Sequence[str], None] = "0017"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "case_assessment_domain",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("domain", sa.String(24), nullable=False),
        sa.Column("needs", sa.Text(), nullable=True),
        sa.Column("risk_factors", sa.Text(), nullable=True),
        sa.Column("protective_factors", sa.Text(), nullable=True),
        sa.Column("child_views", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case_file.id"], name="fk_case_assessment_domain_case_id_case_file"),
        sa.ForeignKeyConstraint(["updated_by_id"], ["user_account.id"],
                                name="fk_case_assessment_domain_updated_by_id_user_account"),
        sa.PrimaryKeyConstraint("id", name="pk_case_assessment_domain"),
        sa.UniqueConstraint("case_id", "domain", name="uq_case_assessment_domain_case_domain"),
    )


def downgrade() -> None:
    op.drop_table("case_assessment_domain")
