"""Case work (issue 5): teams, triage decisions, case risk and steps, deadlines, approvals, consent, follow-ups,
the service directory, referrals, transfers, community committee members, login lockout

Revision ID: 0008
Revises: 0007
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: Union[str, Sequence[str], None] = "0007"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def _id() -> sa.Column:
    return sa.Column("id", sa.Uuid(), nullable=False)


def upgrade() -> None:
    op.create_table(
        "team",
        _id(),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("supervisor_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"],
                                name="fk_team_organisation_id_organisation"),
        sa.ForeignKeyConstraint(["supervisor_id"], ["user_account.id"], name="fk_team_supervisor_id_user_account"),
        sa.PrimaryKeyConstraint("id", name="pk_team"),
        sa.UniqueConstraint("organisation_id", "name", name="uq_team_organisation_name"),
    )
    op.create_index("ix_team_organisation_id", "team", ["organisation_id"])
    op.create_index("ix_team_supervisor_id", "team", ["supervisor_id"])
    op.create_table(
        "service",
        _id(),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("provider_name", sa.String(200), nullable=False),
        sa.Column("service_type", sa.String(40), nullable=False),
        sa.Column("area_location_id", sa.Uuid(), nullable=True),
        sa.Column("contact", sa.String(200), nullable=True),
        sa.Column("provider_organisation_id", sa.Uuid(), nullable=True),
        sa.Column("last_verified_at", sa.DateTime(), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"],
                                name="fk_service_organisation_id_organisation"),
        sa.ForeignKeyConstraint(["area_location_id"], ["location.id"], name="fk_service_area_location_id_location"),
        sa.ForeignKeyConstraint(["provider_organisation_id"], ["organisation.id"],
                                name="fk_service_provider_organisation_id_organisation"),
        sa.PrimaryKeyConstraint("id", name="pk_service"),
    )
    op.create_index("ix_service_organisation_id", "service", ["organisation_id"])
    op.create_table(
        "committee_member",
        _id(),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("phone", sa.String(20), nullable=False),
        sa.Column("committee", sa.String(200), nullable=False),
        sa.Column("location_id", sa.Uuid(), nullable=True),
        sa.Column("registered_by_id", sa.Uuid(), nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"],
                                name="fk_committee_member_organisation_id_organisation"),
        sa.ForeignKeyConstraint(["location_id"], ["location.id"], name="fk_committee_member_location_id_location"),
        sa.ForeignKeyConstraint(["registered_by_id"], ["user_account.id"],
                                name="fk_committee_member_registered_by_id_user_account"),
        sa.PrimaryKeyConstraint("id", name="pk_committee_member"),
        sa.UniqueConstraint("organisation_id", "phone", name="uq_committee_member_org_phone"),
    )
    op.create_index("ix_committee_member_organisation_id", "committee_member", ["organisation_id"])
    op.create_index("ix_committee_member_phone", "committee_member", ["phone"])

    with op.batch_alter_table("user_account") as batch:
        batch.add_column(sa.Column("team_id", sa.Uuid(), nullable=True))
        batch.add_column(sa.Column("sex", sa.String(16), nullable=True))
        batch.add_column(sa.Column("spoken_languages", sa.String(64), nullable=True))
        batch.add_column(sa.Column("failed_logins", sa.Integer(), server_default="0", nullable=False))
        batch.add_column(sa.Column("locked_until", sa.DateTime(), nullable=True))
        batch.create_foreign_key("fk_user_account_team_id_team", "team", ["team_id"], ["id"])
        batch.create_index("ix_user_account_team_id", ["team_id"])
    with op.batch_alter_table("report") as batch:
        batch.add_column(sa.Column("decided_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("decided_by_id", sa.Uuid(), nullable=True))
        batch.add_column(sa.Column("duplicate_of_id", sa.Uuid(), nullable=True))
        batch.add_column(sa.Column("not_eligible_reason", sa.String(40), nullable=True))
        batch.add_column(sa.Column("decision_note", sa.Text(), nullable=True))
        batch.add_column(sa.Column("referred_to_service_id", sa.Uuid(), nullable=True))
        batch.add_column(sa.Column("committee_member_id", sa.Uuid(), nullable=True))
        batch.create_foreign_key("fk_report_decided_by_id_user_account", "user_account", ["decided_by_id"], ["id"])
        batch.create_foreign_key("fk_report_duplicate_of_id_report", "report", ["duplicate_of_id"], ["id"])
        batch.create_foreign_key("fk_report_referred_to_service_id_service", "service",
                                 ["referred_to_service_id"], ["id"])
        batch.create_foreign_key("fk_report_committee_member_id_committee_member", "committee_member",
                                 ["committee_member_id"], ["id"])
    with op.batch_alter_table("case_file") as batch:
        batch.add_column(sa.Column("risk_level", sa.String(16), nullable=True))
        batch.add_column(sa.Column("current_step", sa.String(24), server_default="registration", nullable=False))
        batch.add_column(sa.Column("team_id", sa.Uuid(), nullable=True))
        batch.add_column(sa.Column("wants_female_worker", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch.add_column(sa.Column("family_language", sa.String(8), nullable=True))
        batch.add_column(sa.Column("assigned_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("closure_reason", sa.String(40), nullable=True))
        batch.add_column(sa.Column("reopened_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("reopen_reason", sa.Text(), nullable=True))
        # "closure_requested" does not fit the 16 characters of 0003.
        batch.alter_column("status", existing_type=sa.String(16), type_=sa.String(32), existing_nullable=False)
        batch.create_foreign_key("fk_case_file_team_id_team", "team", ["team_id"], ["id"])
        batch.create_index("ix_case_file_team_id", ["team_id"])

    op.create_table(
        "case_deadline",
        _id(),
        sa.Column("case_id", sa.Uuid(), nullable=True),
        sa.Column("report_id", sa.Uuid(), nullable=True),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("met_at", sa.DateTime(), nullable=True),
        sa.Column("warned_at", sa.DateTime(), nullable=True),
        sa.Column("overdue_alerted_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case_file.id"], name="fk_case_deadline_case_id_case_file"),
        sa.ForeignKeyConstraint(["report_id"], ["report.id"], name="fk_case_deadline_report_id_report"),
        sa.PrimaryKeyConstraint("id", name="pk_case_deadline"),
    )
    op.create_index("ix_case_deadline_case_id", "case_deadline", ["case_id"])
    op.create_index("ix_case_deadline_report_id", "case_deadline", ["report_id"])
    op.create_index("ix_case_deadline_open_due", "case_deadline", ["met_at", "due_at"])
    op.create_index("ix_case_deadline_case_open", "case_deadline", ["case_id", "met_at", "due_at"])
    op.create_table(
        "case_approval",
        _id(),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("step", sa.String(24), nullable=False),
        sa.Column("content", sa.Text(), nullable=True),
        sa.Column("closure_reason", sa.String(40), nullable=True),
        sa.Column("requested_by_id", sa.Uuid(), nullable=False),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("decided_by_id", sa.Uuid(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["case_file.id"], name="fk_case_approval_case_id_case_file"),
        sa.ForeignKeyConstraint(["requested_by_id"], ["user_account.id"],
                                name="fk_case_approval_requested_by_id_user_account"),
        sa.ForeignKeyConstraint(["decided_by_id"], ["user_account.id"],
                                name="fk_case_approval_decided_by_id_user_account"),
        sa.PrimaryKeyConstraint("id", name="pk_case_approval"),
    )
    op.create_index("ix_case_approval_case_id", "case_approval", ["case_id"])
    op.create_table(
        "case_consent",
        _id(),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("purpose", sa.String(32), nullable=False),
        sa.Column("given", sa.Boolean(), nullable=False),
        sa.Column("given_by", sa.String(32), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("recorded_by_id", sa.Uuid(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["case_file.id"], name="fk_case_consent_case_id_case_file"),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["user_account.id"],
                                name="fk_case_consent_recorded_by_id_user_account"),
        sa.PrimaryKeyConstraint("id", name="pk_case_consent"),
    )
    op.create_index("ix_case_consent_case_id", "case_consent", ["case_id"])
    op.create_table(
        "case_follow_up",
        _id(),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("happened_at", sa.DateTime(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("author_id", sa.Uuid(), nullable=False),
        sa.Column("next_due_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case_file.id"], name="fk_case_follow_up_case_id_case_file"),
        sa.ForeignKeyConstraint(["author_id"], ["user_account.id"], name="fk_case_follow_up_author_id_user_account"),
        sa.PrimaryKeyConstraint("id", name="pk_case_follow_up"),
    )
    op.create_index("ix_case_follow_up_case_id", "case_follow_up", ["case_id"])
    op.create_table(
        "referral",
        _id(),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("service_id", sa.Uuid(), nullable=False),
        sa.Column("consent_id", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("counter_referral_notes", sa.Text(), nullable=True),
        sa.Column("created_by_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case_file.id"], name="fk_referral_case_id_case_file"),
        sa.ForeignKeyConstraint(["service_id"], ["service.id"], name="fk_referral_service_id_service"),
        sa.ForeignKeyConstraint(["consent_id"], ["case_consent.id"], name="fk_referral_consent_id_case_consent"),
        sa.ForeignKeyConstraint(["created_by_id"], ["user_account.id"],
                                name="fk_referral_created_by_id_user_account"),
        sa.PrimaryKeyConstraint("id", name="pk_referral"),
    )
    op.create_index("ix_referral_case_id", "referral", ["case_id"])
    op.create_index("ix_referral_service_id", "referral", ["service_id"])
    op.create_table(
        "case_transfer",
        _id(),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("from_organisation_id", sa.Uuid(), nullable=False),
        sa.Column("to_organisation_id", sa.Uuid(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("requested_by_id", sa.Uuid(), nullable=False),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column("decided_by_id", sa.Uuid(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["case_file.id"], name="fk_case_transfer_case_id_case_file"),
        sa.ForeignKeyConstraint(["from_organisation_id"], ["organisation.id"],
                                name="fk_case_transfer_from_organisation_id_organisation"),
        sa.ForeignKeyConstraint(["to_organisation_id"], ["organisation.id"],
                                name="fk_case_transfer_to_organisation_id_organisation"),
        sa.ForeignKeyConstraint(["requested_by_id"], ["user_account.id"],
                                name="fk_case_transfer_requested_by_id_user_account"),
        sa.ForeignKeyConstraint(["decided_by_id"], ["user_account.id"],
                                name="fk_case_transfer_decided_by_id_user_account"),
        sa.PrimaryKeyConstraint("id", name="pk_case_transfer"),
    )
    op.create_index("ix_case_transfer_case_id", "case_transfer", ["case_id"])
    op.create_index("ix_case_transfer_to_organisation_id", "case_transfer", ["to_organisation_id"])


def downgrade() -> None:
    for table in ("case_transfer", "referral", "case_follow_up", "case_consent", "case_approval", "case_deadline"):
        op.drop_table(table)
    with op.batch_alter_table("case_file") as batch:
        batch.drop_index("ix_case_file_team_id")
        batch.drop_constraint("fk_case_file_team_id_team", type_="foreignkey")
        for column in ("reopen_reason", "reopened_at", "closure_reason", "assigned_at", "family_language",
                       "wants_female_worker", "team_id", "current_step", "risk_level"):
            batch.drop_column(column)
        batch.alter_column("status", existing_type=sa.String(32), type_=sa.String(16), existing_nullable=False)
    with op.batch_alter_table("report") as batch:
        for name in ("fk_report_committee_member_id_committee_member", "fk_report_referred_to_service_id_service",
                     "fk_report_duplicate_of_id_report", "fk_report_decided_by_id_user_account"):
            batch.drop_constraint(name, type_="foreignkey")
        for column in ("committee_member_id", "referred_to_service_id", "decision_note", "not_eligible_reason",
                       "duplicate_of_id", "decided_by_id", "decided_at"):
            batch.drop_column(column)
    with op.batch_alter_table("user_account") as batch:
        batch.drop_index("ix_user_account_team_id")
        batch.drop_constraint("fk_user_account_team_id_team", type_="foreignkey")
        for column in ("locked_until", "failed_logins", "spoken_languages", "sex", "team_id"):
            batch.drop_column(column)
    op.drop_table("committee_member")
    op.drop_table("service")
    op.drop_table("team")
