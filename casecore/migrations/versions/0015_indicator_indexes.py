"""Indexes the indicators read a period through: an organisation's reports by time received, its cases by time
opened (bench/case_pages.py, the indicators for a quarter of 100,000 reports)

Revision ID: 0015
Revises: 0014
"""
from typing import Sequence, Union

from alembic import op

revision: str = "0015"
down_revision: Union[str, Sequence[str], None] = "0014"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_index("ix_report_org_received", "report", ["organisation_id", "received_at"])
    op.create_index("ix_case_file_org_opened", "case_file", ["organisation_id", "opened_at"])


def downgrade() -> None:
    op.drop_index("ix_case_file_org_opened", table_name="case_file")
    op.drop_index("ix_report_org_received", table_name="report")
