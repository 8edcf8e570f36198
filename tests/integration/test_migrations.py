"""Migrations bring an older database to the current schema without losing what it holds, and back again."""
import os
import uuid

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Uuid, bindparam, create_engine, inspect, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from casecore import schema, sealing
from casecore.migrate import alembic_config, upgrade_database

HEAD = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
NEW_TABLES = {"case_file", "case_contact", "case_event", "feedback", "complaint", "community_contact",
              "inbound_message"}


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request, tmp_path):
    """An empty database, never migrated: SQLite in a file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    server = os.environ.get("TEST_POSTGRES_URL", "")
    if not server:
        if os.environ.get("CI"):
            pytest.fail("TEST_POSTGRES_URL must be set in CI")
        pytest.skip("TEST_POSTGRES_URL not set")
    name = f"relais_migrate_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield server.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_an_older_database_is_upgraded_and_keeps_its_rows(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade_database(url, "0001")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO organisation (id, slug, name, created_at) "
                          "VALUES ('0f3b3a4c9d7e4b1f8a2c5d6e7f809112', 'old', 'Old', '2026-01-01 00:00:00')"))
    upgrade_database(url)
    assert "claimed_at" in {c["name"] for c in inspect(engine).get_columns("outbound_message")}
    with engine.connect() as conn:
        assert conn.execute(text("SELECT slug FROM organisation")).scalar_one() == "old"
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == HEAD
    engine.dispose()


def ids(statement: str, *names: str):
    """A raw SQL statement whose named parameters are UUIDs, bound as each database stores them."""
    return text(statement).bindparams(*(bindparam(name, type_=Uuid()) for name in names))


def test_reports_and_messages_written_before_0003_get_their_defaults(empty_url):
    upgrade_database(empty_url, "0002")
    engine = create_engine(empty_url)
    org, report, message = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    with engine.begin() as conn:
        conn.execute(ids("INSERT INTO organisation (id, slug, name, created_at) "
                         "VALUES (:id, 'old', 'Old', '2026-01-01 00:00:00')", "id"), {"id": org})
        conn.execute(ids(
            "INSERT INTO report (id, reference, organisation_id, channel, channel_session_id, language, concern, "
            "danger_now, urgent, child_sex, child_age_band, may_contact, consent_to_share, answers, status, "
            "received_at) VALUES (:id, 'ABCDEF2', :org, 'ussd', 'ATUid_old', 'fr', 'neglect', false, false, "
            "'female', '6_11', false, false, '{}', 'new', '2026-01-01 00:00:00')", "id", "org"),
            {"id": report, "org": org})
        conn.execute(ids(
            "INSERT INTO outbound_message (id, purpose_key, to_phone, body, backend, status, attempts, created_at) "
            "VALUES (:id, 'old-alert', '+22376701430', 'Relais', 'console', 'queued', 0, '2026-01-01 00:00:00')", "id"),
            {"id": message})
    upgrade_database(empty_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT kind, reporter_key, description FROM report")).one() == (
            "child_at_risk", None, None)
        channel, ignores, options = conn.execute(
            text("SELECT channel, ignores_opt_out, options FROM outbound_message")).one()
        assert (channel, bool(ignores), options) == ("sms", False, None)
    engine.dispose()


def test_0003_downgrades_and_upgrades_again(empty_url):
    upgrade_database(empty_url)
    engine = create_engine(empty_url)
    assert NEW_TABLES <= set(inspect(engine).get_table_names())
    command.downgrade(alembic_config(empty_url), "0002")
    inspector = inspect(engine)
    assert not NEW_TABLES & set(inspector.get_table_names())
    assert "kind" not in {c["name"] for c in inspector.get_columns("report")}
    assert "channel" not in {c["name"] for c in inspector.get_columns("outbound_message")}
    upgrade_database(empty_url)
    assert NEW_TABLES <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_the_migrated_schema_matches_the_models(empty_url):
    upgrade_database(empty_url)
    engine = create_engine(empty_url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, schema.metadata) == []
    engine.dispose()


def test_0004_adds_delivery_columns_and_downgrades_again(empty_url):
    upgrade_database(empty_url)
    engine = create_engine(empty_url)
    added = {"delivery_status", "delivery_reason", "delivered_at", "encoding", "segments"}
    assert added <= {c["name"] for c in inspect(engine).get_columns("outbound_message")}
    command.downgrade(alembic_config(empty_url), "0003")
    assert not added & {c["name"] for c in inspect(engine).get_columns("outbound_message")}
    upgrade_database(empty_url)
    assert added <= {c["name"] for c in inspect(engine).get_columns("outbound_message")}
    engine.dispose()


def test_0005_adds_the_ussd_session_end_table_and_downgrades_again(empty_url):
    upgrade_database(empty_url)
    engine = create_engine(empty_url)
    columns = {c["name"] for c in inspect(engine).get_columns("ussd_session_end")}
    assert {"session_id", "status", "last_step_count", "cost_amount", "ended_at"} <= columns
    assert not {"phone", "phone_number", "input", "input_path"} & columns
    command.downgrade(alembic_config(empty_url), "0004")
    assert "ussd_session_end" not in inspect(engine).get_table_names()
    upgrade_database(empty_url)
    assert "ussd_session_end" in inspect(engine).get_table_names()
    engine.dispose()


def test_0007_adds_the_inbound_media_table_and_downgrades_again(empty_url):
    upgrade_database(empty_url, "0006")
    engine = create_engine(empty_url)
    message = uuid.uuid4()
    with engine.begin() as conn:  # a message received before media were kept stays as it was
        conn.execute(ids("INSERT INTO inbound_message (id, provider, provider_message_id, channel, phone, to_address, "
                         "body, received_at, status) VALUES (:id, 'twilio', 'SM1', 'whatsapp', '+22376701430', '', "
                         "'Bonjour', '2026-01-01 00:00:00', 'processed')", "id"), {"id": message})
    upgrade_database(empty_url)
    columns = {c["name"] for c in inspect(engine).get_columns("inbound_media")}
    assert {"inbound_message_id", "position", "source_url", "declared_type", "status", "reason", "stored_type",
            "size", "sha256", "storage_key", "report_id", "case_id", "created_at", "stored_at"} <= columns
    assert not {"phone", "body", "file_name"} & columns  # neither the number nor anything the sender named
    with engine.connect() as conn:
        kept = conn.execute(text("SELECT body FROM inbound_message")).scalar_one()
    assert kept != "Bonjour" and sealing.keyring().open_text(kept) == "Bonjour"  # kept, sealed since 0036
    command.downgrade(alembic_config(empty_url), "0006")
    assert "inbound_media" not in inspect(engine).get_table_names()
    upgrade_database(empty_url)
    assert "inbound_media" in inspect(engine).get_table_names()
    engine.dispose()


def test_0010_gives_older_complaints_their_severity_and_downgrades_again(empty_url):
    upgrade_database(empty_url, "0009")
    engine = create_engine(empty_url)
    org, complaint = uuid.uuid4(), uuid.uuid4()
    with engine.begin() as conn:
        conn.execute(ids("INSERT INTO organisation (id, slug, name, created_at) "
                         "VALUES (:id, 'old', 'Old', '2026-01-01 00:00:00')", "id"), {"id": org})
        conn.execute(ids(
            "INSERT INTO complaint (id, reference, organisation_id, channel, category, anonymous, may_contact, "
            "language, status, received_at) VALUES (:id, 'ABCDEF2', :org, 'ussd', 'sexual_exploitation_abuse', "
            "true, false, 'fr', 'new', '2026-01-01 00:00:00')", "id", "org"), {"id": complaint, "org": org})
    upgrade_database(empty_url)
    with engine.connect() as conn:
        # The date to close by needs the settings: the scheduler sets it.
        assert conn.execute(text("SELECT severity, due_at FROM complaint")).one() == ("critical", None)
    assert {"complaint_staff", "complaint_note"} <= set(inspect(engine).get_table_names())
    command.downgrade(alembic_config(empty_url), "0009")
    inspector = inspect(engine)
    assert not {"complaint_staff", "complaint_note"} & set(inspector.get_table_names())
    assert "severity" not in {c["name"] for c in inspector.get_columns("complaint")}
    upgrade_database(empty_url)
    engine.dispose()


def test_0012_says_what_older_feedback_is_about_and_downgrades_again(empty_url):
    upgrade_database(empty_url, "0011")
    engine = create_engine(empty_url)
    org, loose = uuid.uuid4(), uuid.uuid4()
    with engine.begin() as conn:
        conn.execute(ids("INSERT INTO organisation (id, slug, name, created_at) "
                         "VALUES (:id, 'old', 'Old', '2026-01-01 00:00:00')", "id"), {"id": org})
        conn.execute(ids(
            "INSERT INTO feedback (id, organisation_id, channel, source_key, rating, language, received_at) "
            "VALUES (:id, :org, 'ussd', 'ussd:old', 4, 'fr', '2026-01-01 00:00:00')", "id", "org"),
            {"id": loose, "org": org})
    upgrade_database(empty_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT about, audience, referral_id, case_worker_id FROM feedback")).one() == (
            "general", None, None, None)
    inspector = inspect(engine)
    assert "feedback_request" in inspector.get_table_names()
    assert not {"phone", "body"} & {c["name"] for c in inspector.get_columns("feedback_request")}
    assert {"ix_complaint_org_status_received", "ix_complaint_due_open"} <= {
        index["name"] for index in inspector.get_indexes("complaint")}
    command.downgrade(alembic_config(empty_url), "0011")
    inspector = inspect(engine)
    assert "feedback_request" not in inspector.get_table_names()
    assert not {"about", "case_worker_id"} & {c["name"] for c in inspector.get_columns("feedback")}
    upgrade_database(empty_url)
    engine.dispose()


def test_0013_gives_referrals_declined_by_a_withdrawal_their_reason_as_a_code(empty_url):
    upgrade_database(empty_url, "0012")
    engine = create_engine(empty_url)
    withdrawn, refused = uuid.uuid4(), uuid.uuid4()
    if engine.dialect.name == "sqlite":  # no foreign keys enforced: the referrals need no case behind them here
        with engine.begin() as conn:
            for referral, notes in ((withdrawn, "consent withdrawn"), (refused, "Pas de place")):
                conn.execute(ids(
                    "INSERT INTO referral (id, case_id, service_id, status, notes, created_by_id, created_at, "
                    "updated_at) VALUES (:id, :other, :other, 'declined', :notes, :other, '2026-01-01 00:00:00', "
                    "'2026-01-01 00:00:00')", "id", "other"), {"id": referral, "other": uuid.uuid4(), "notes": notes})
    upgrade_database(empty_url, "0013")  # notes are sealed from 0036 on
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            rows = dict(conn.execute(text("SELECT notes, declined_because FROM referral")).all())
        assert rows == {None: "consent_withdrawn", "Pas de place": None}
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM referral"))  # the downgrade copies the table, foreign keys checked
    assert "declined_because" in {c["name"] for c in inspect(engine).get_columns("referral")}
    command.downgrade(alembic_config(empty_url), "0012")
    assert "declined_because" not in {c["name"] for c in inspect(engine).get_columns("referral")}
    upgrade_database(empty_url)
    engine.dispose()


def test_the_case_record_migrations_keep_existing_case_work_both_ways(empty_url):
    """0016-0028 (issue 16) add tables and three columns to case work that already exists: a case with a consent, a
    follow-up and a closure request keeps them down to 0015 and up again, the new columns at their defaults."""
    from bootstrap import bootstrap
    from casecore.cases.models import CaseApproval, CaseConsent, CaseFollowUp
    from tests.conftest import make_settings
    from tests.factories import make_case, make_organisation, make_user
    upgrade_database(empty_url)
    runtime = bootstrap(make_settings(DATABASE_URL=empty_url, REDIS_URL="redis://127.0.0.1:1/0"))
    try:
        with runtime.unit_of_work() as session:
            org = make_organisation(session)
            worker = make_user(session, org, role="caseworker")
            case = make_case(session, organisation_slug=org.slug, assigned_to_id=worker.id)
            from casecore.base import utcnow
            session.add_all([
                CaseConsent(case_id=case.id, purpose="services", given=True, given_by="caregiver",
                            recorded_by_id=worker.id, recorded_at=utcnow(), child_assent="given"),
                CaseFollowUp(case_id=case.id, kind="visit", happened_at=utcnow(), author_id=worker.id,
                             created_at=utcnow(), plan_changes=True),
                CaseApproval(case_id=case.id, step="closure", requested_by_id=worker.id, decision="pending",
                             closure_reason="death", closure_criteria=["child_informed"])])
        runtime.engine.dispose()
        command.downgrade(alembic_config(empty_url), "0015")
        engine = create_engine(empty_url)
        assert "case_bid" not in inspect(engine).get_table_names()
        assert "child_assent" not in {c["name"] for c in inspect(engine).get_columns("case_consent")}
        engine.dispose()
        upgrade_database(empty_url)
        with runtime.unit_of_work() as session:
            assert session.query(CaseConsent).one().child_assent is None
            assert session.query(CaseFollowUp).one().plan_changes is False
            approval = session.query(CaseApproval).one()
            assert (approval.closure_reason, approval.closure_criteria) == ("death", None)
    finally:
        runtime.close()


def test_0029_keeps_what_primero_last_got_and_sends_once_what_it_never_did(empty_url):
    """0029 renames the hand-off's consents_synced_at to record_synced_at, counts the case record's versions and
    keeps digests of what was sent, with the family messages' notes (a foreign key to the hand-off) in place: a case
    with no record kept since keeps its time; one registered before the upgrade is sent it all once. Down and up."""
    from datetime import datetime, timedelta, timezone

    from bootstrap import bootstrap
    from casecore.cases.models import Case, CaseConsent, CaseEvent
    from casecore.cases.record_models import ChildRegistration
    from casecore.handoff.models import Handoff, HandoffNote
    from tests.conftest import make_settings
    from tests.factories import make_case, make_organisation, make_user
    upgrade_database(empty_url)
    runtime = bootstrap(make_settings(DATABASE_URL=empty_url, REDIS_URL="redis://127.0.0.1:1/0"))
    synced = datetime(2026, 12, 1, 9, 30, tzinfo=timezone.utc)
    try:
        with runtime.unit_of_work() as session:
            org = make_organisation(session)
            quiet, registered, consented = (make_case(session, organisation_slug=org.slug) for _ in range(3))
            worker = make_user(session, org, role="caseworker")
            handoffs = [Handoff(report_id=case.report_id, organisation_id=org.id, case_id=case.id,
                                primero_id=uuid.uuid4(), trigger="on_accept", status="sent", record_synced_at=synced)
                        for case in (quiet, registered, consented)]
            event = CaseEvent(case_id=quiet.id, kind="family_message", body="Bonjour")
            session.add_all([*handoffs, event, ChildRegistration(case_id=registered.id, sex="female"),
                             CaseConsent(case_id=consented.id, purpose="services", given=True, given_by="caregiver",
                                         recorded_by_id=worker.id, recorded_at=synced + timedelta(hours=1))])
            session.flush()
            session.add(HandoffNote(event_id=event.id, handoff_id=handoffs[0].id, status="added"))
            ids = {"quiet": quiet.id, "registered": registered.id, "consented": consented.id}
        runtime.engine.dispose()
        command.downgrade(alembic_config(empty_url), "0028")
        engine = create_engine(empty_url)
        with engine.connect() as conn:
            kept = conn.execute(text("SELECT consents_synced_at FROM primero_handoff")).scalars().all()
            assert conn.execute(text("SELECT count(*) FROM primero_note")).scalar() == 1
        assert [str(k)[:16] for k in kept] == ["2026-12-01 09:30"] * 3
        engine.dispose()
        upgrade_database(empty_url)
        with runtime.unit_of_work() as session:
            rows = {row.case_id: row for row in session.query(Handoff)}
            quiet_row, registered_row = rows[ids["quiet"]], rows[ids["registered"]]
            assert (quiet_row.record_synced_at, quiet_row.record_version_synced, quiet_row.record_sent) == (
                synced, 0, None)
            assert session.get(Case, ids["quiet"]).record_version == 0
            assert session.get(Case, ids["registered"]).record_version == 1 and registered_row.record_sent is None
            assert session.get(Case, ids["consented"]).record_version == 1  # a consent Primero had not got yet
            assert session.query(HandoffNote).count() == 1
    finally:
        runtime.close()


def test_0036_seals_what_was_written_before_and_opens_it_again_going_down(empty_url):
    """Numbers, names and texts written in clear are sealed in place; the numbers looked up get their keys, so
    Relais finds them; a downgrade gives the clear values back."""
    from casecore.messaging.models import CommunityContact
    from casecore.phones import phone_key
    from casecore.reports.models import Report
    from tests.conftest import TEST_SECRET
    upgrade_database(empty_url, "0035")
    engine = create_engine(empty_url)
    org, report, contact = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    with engine.begin() as conn:
        conn.execute(ids("INSERT INTO organisation (id, slug, name, created_at) VALUES (:id, 'o', 'O', "
                         "'2026-01-01 00:00:00')", "id"), {"id": org})
        conn.execute(ids(
            "INSERT INTO report (id, reference, organisation_id, kind, channel, reporter_phone, language, concern, "
            "danger_now, urgent, child_sex, child_age_band, description, may_contact, consent_to_share, answers, "
            "status, received_at) VALUES (:id, 'ABCDEFG', :org, 'child_at_risk', 'sms', '+22376701430', 'fr', "
            "'neglect', false, false, 'female', '6_11', 'Awa dort dehors', true, true, '{\"q\": \"Awa\"}', 'new', "
            "'2026-01-01 00:00:00')", "id", "org"), {"id": report, "org": org})
        conn.execute(ids("INSERT INTO community_contact (id, phone, language, updated_at) VALUES (:id, "
                         "'+22376701430', 'bm', '2026-01-01 00:00:00')", "id"), {"id": contact})
    upgrade_database(empty_url)
    with engine.connect() as conn:
        raw = conn.execute(text("SELECT reporter_phone, description, answers FROM report")).one()
        key = conn.execute(text("SELECT phone_key FROM community_contact")).scalar_one()
    assert all(value.startswith("s1:") for value in raw) and "Awa" not in "".join(raw)
    assert key == phone_key("+22376701430", TEST_SECRET)
    with Session(engine) as session:
        assert session.scalar(select(CommunityContact.language).where(CommunityContact.phone == "+22376701430")) == "bm"
        stored = session.get(Report, report)
        assert (stored.reporter_phone, stored.description, stored.answers) == ("+22376701430", "Awa dort dehors",
                                                                               {"q": "Awa"})
    command.downgrade(alembic_config(empty_url), "0035")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT reporter_phone, description FROM report")).one() == ("+22376701430",
                                                                                              "Awa dort dehors")
        assert conn.execute(text("SELECT phone FROM community_contact")).scalar_one() == "+22376701430"
    upgrade_database(empty_url)
    engine.dispose()


def test_0037_names_the_accounts_made_before_from_their_email_and_forgets_the_names_going_down(empty_url):
    """Every account gets a display name read from its email's local part, then the name is required; the team an
    account leads keeps it through the table's rebuild; a downgrade drops the names and keeps the accounts."""
    from casecore.people.models import Team, User
    upgrade_database(empty_url, "0036")
    engine = create_engine(empty_url)
    org, team = uuid.uuid4(), uuid.uuid4()
    accounts = {uuid.uuid4(): ("awa.diallo@x.org", "Awa Diallo"),
                uuid.uuid4(): ("jean-marc_kone+ops@x.org", "Jean-Marc Kone"),
                uuid.uuid4(): ("moussa@x.org", "Moussa"),
                uuid.uuid4(): ("..@x.org", "..@x.org"),
                # The same name twice in one organisation: the second (by email) carries its email.
                uuid.uuid4(): ("awa.diallo@y.org", "Awa Diallo (awa.diallo@y.org)")}
    with engine.begin() as conn:
        conn.execute(ids("INSERT INTO organisation (id, slug, name, created_at) VALUES (:id, 'o', 'O', "
                         "'2026-01-01 00:00:00')", "id"), {"id": org})
        for user_id, (email, _name) in accounts.items():
            conn.execute(ids("INSERT INTO user_account (id, organisation_id, email, password_hash, role, language, "
                             "is_active, created_at) VALUES (:id, :org, :email, 'x', 'supervisor', 'fr', true, "
                             "'2026-01-01 00:00:00')", "id", "org"), {"id": user_id, "org": org, "email": email})
        conn.execute(ids("INSERT INTO team (id, organisation_id, name, supervisor_id, created_at) VALUES (:id, :org, "
                         "'Équipe', :lead, '2026-01-01 00:00:00')", "id", "org", "lead"),
                     {"id": team, "org": org, "lead": next(iter(accounts))})
    upgrade_database(empty_url)
    with Session(engine) as session:
        assert {user.id: user.display_name for user in session.scalars(select(User))} == {
            user_id: name for user_id, (_email, name) in accounts.items()}
        assert session.get(Team, team).supervisor_id == next(iter(accounts))
    assert not next(c for c in inspect(engine).get_columns("user_account") if c["name"] == "display_name")["nullable"]
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(ids("INSERT INTO user_account (id, organisation_id, email, password_hash, role, language, "
                         "is_active, created_at) VALUES (:id, :org, 'nameless@x.org', 'x', 'caseworker', 'fr', true, "
                         "'2026-01-01 00:00:00')", "id", "org"), {"id": uuid.uuid4(), "org": org})
    command.downgrade(alembic_config(empty_url), "0036")
    engine.dispose()
    engine = create_engine(empty_url)
    assert "display_name" not in {c["name"] for c in inspect(engine).get_columns("user_account")}
    with engine.connect() as conn:
        assert sorted(conn.execute(text("SELECT email FROM user_account")).scalars()) == sorted(
            email for email, _name in accounts.values())
        assert conn.execute(text("SELECT count(*) FROM team")).scalar() == 1
    upgrade_database(empty_url)
    engine.dispose()
