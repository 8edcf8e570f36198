"""People and access on each database: teams, account changes, the login lockout and the supervisor's audit trail."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from casecore.accounts.grants import decide, pending_for_account
from casecore.accounts.logins import LoginPolicy, attempt_login
from casecore.accounts.models import LoginLock
from casecore.accounts.teams import add_member, create_team, list_teams, remove_member, set_supervisor
from casecore.accounts.users import AccountChange, create_user, parse_spoken_languages, update_user
from casecore.audit import AuditEvent, record_event
from casecore.base import utcnow
from casecore.cases.audit_trail import PAGE_SIZE, audit_trail
from casecore.cases.models import Case
from casecore.demo import DEMO_CASE_WORKER, DEMO_SECOND_CASE_WORKER, DEMO_SUPERVISOR, DEMO_TEAM, load_demo
from casecore.errors import Conflict, InvalidInput, NotFound
from casecore.people.lookups import find_team
from casecore.people.models import Team, User
from tests.factories import as_staff, make_case, make_organisation, make_report, make_user

PW = "correct horse battery"
POLICY = LoginPolicy(max_failures=3, lock_minutes=10)


@pytest.fixture
def org(any_db_runtime):
    """An organisation with two supervisors, two case workers and an administrator (ids as plain values)."""
    with any_db_runtime.unit_of_work() as session:
        org = make_organisation(session)
        users = {name: make_user(session, org, role=role).id for name, role in (
            ("sup", "supervisor"), ("sup2", "supervisor"), ("cw", "caseworker"), ("cw2", "caseworker"),
            ("admin", "admin"))}
        return {"id": org.id, "slug": org.slug, **users}


def test_teams_are_created_led_and_joined(any_db_runtime, org):
    with any_db_runtime.unit_of_work() as session:
        team = create_team(session, organisation_id=org["id"], name="  Équipe   Kayes ", supervisor_id=org["sup"])
        assert team.name == "Équipe Kayes"
        add_member(session, team, org["cw"])
        set_supervisor(session, team, org["sup2"])
        other = create_team(session, organisation_id=org["id"], name="Équipe Gao", supervisor_id=org["sup"])
        add_member(session, other, org["cw"])  # a case worker belongs to one team: this moves them
        add_member(session, other, org["cw2"])
    with any_db_runtime.unit_of_work() as session:
        rows = {row.name: row for row in list_teams(session, org["id"])}
        assert [m.id for m in rows["Équipe Gao"].members] == sorted(
            [org["cw"], org["cw2"]], key=lambda i: session.get(User, i).display_name)  # by name
        assert rows["Équipe Kayes"].members == () and rows["Équipe Kayes"].supervisor_id == org["sup2"]
        assert find_team(session, org["id"], "Équipe  Gao").id == rows["Équipe Gao"].id
        assert remove_member(session, session.get(Team, rows["Équipe Gao"].id), org["cw"]) is True
        assert remove_member(session, session.get(Team, rows["Équipe Gao"].id), org["cw"]) is False


def test_a_case_workers_open_cases_follow_them_to_their_new_team(any_db_runtime, org):
    with any_db_runtime.unit_of_work() as session:
        kayes = create_team(session, organisation_id=org["id"], name="Kayes", supervisor_id=org["sup"])
        gao = create_team(session, organisation_id=org["id"], name="Gao", supervisor_id=org["sup2"])
        add_member(session, kayes, org["cw"])
        open_case = make_case(session, organisation_slug=org["slug"], assigned_to_id=org["cw"])
        closed_case = make_case(session, organisation_slug=org["slug"], assigned_to_id=org["cw"], status="closed")
        open_case.team_id = closed_case.team_id = kayes.id
        add_member(session, gao, org["cw"])
    with any_db_runtime.unit_of_work() as session:
        # Open: Gao's supervisor oversees it now. Closed: its history stays with the team that did the work.
        assert session.get(Case, open_case.id).team_id == gao.id
        assert session.get(Case, closed_case.id).team_id == kayes.id
        remove_member(session, session.get(Team, gao.id), org["cw"])
    with any_db_runtime.unit_of_work() as session:
        assert session.get(Case, open_case.id).team_id is None


def test_team_rules(any_db_runtime, org):
    with any_db_runtime.unit_of_work() as session:
        foreign = make_organisation(session)
        foreign_sup = make_user(session, foreign, role="supervisor").id
        team = create_team(session, organisation_id=org["id"], name="A", supervisor_id=org["sup"])
        for supervisor in (org["cw"], foreign_sup, None, "not-an-id"):
            with pytest.raises(InvalidInput):
                create_team(session, organisation_id=org["id"], name="B", supervisor_id=supervisor)
        with pytest.raises(Conflict):
            create_team(session, organisation_id=org["id"], name="A", supervisor_id=org["sup2"])
        with pytest.raises(InvalidInput):
            create_team(session, organisation_id=org["id"], name=" ", supervisor_id=org["sup2"])
        for member in (org["sup2"], org["admin"], make_user(session, foreign, role="caseworker").id):
            with pytest.raises(InvalidInput):
                add_member(session, team, member)
        with pytest.raises(NotFound):
            find_team(session, org["id"], "Nowhere")
        # The same name in another organisation is another team.
        create_team(session, organisation_id=foreign.id, name="A", supervisor_id=foreign_sup)


def test_an_account_is_created_with_its_team_sex_and_languages(any_db_runtime, org):
    with any_db_runtime.unit_of_work() as session:
        create_team(session, organisation_id=org["id"], name="Équipe Mopti", supervisor_id=org["sup"])
        user = create_user(session, email="fanta@example.org", display_name="Fanta Camara", role="caseworker",
                           phone="+22376000050", password=PW, organisation_slug=org["slug"], team_name="Équipe Mopti",
                           sex="female", spoken_languages="FR, bm, fr")
        assert (user.sex, user.spoken_languages) == ("female", "fr,bm")
        assert session.get(Team, user.team_id).name == "Équipe Mopti"
        for bad in ({"team_name": "Nowhere"}, {"sex": "x"}, {"spoken_languages": "fr,de"},
                    {"team_name": "Équipe Mopti", "role": "supervisor"}):
            values = {"email": "x@example.org", "display_name": "X", "role": "caseworker", "phone": "+22376000051",
                      "password": PW, "organisation_slug": org["slug"]}
            with pytest.raises((InvalidInput, NotFound)), session.begin_nested():
                create_user(session, **{**values, **bad})


def test_parse_spoken_languages():
    assert parse_spoken_languages(" fr , BM,fr ") == "fr,bm"
    assert parse_spoken_languages(["en"]) == "en"
    assert parse_spoken_languages("") is None and parse_spoken_languages(None) is None
    with pytest.raises(InvalidInput):
        parse_spoken_languages("fr,wo")


def test_account_changes_and_their_rules(any_db_runtime, org):
    with any_db_runtime.unit_of_work() as session:
        team = create_team(session, organisation_id=org["id"], name="A", supervisor_id=org["sup"])
        change = AccountChange(role="caseworker", language="en", is_active=True, team_id=team.id, sex="male",
                               spoken_languages="fr,en")
        user = update_user(session, org["id"], org["cw"], change, acting_user_id=org["admin"])
        assert (user.team_id, user.sex, user.spoken_languages, user.language) == (None, "male", "fr,en", "en")
        # The place in the team waits for a supervisor; so does a supervisor's role.
        supervisor = as_staff(session.get(User, org["sup"]))
        [place] = pending_for_account(session, user.id)
        decide(session, supervisor, place.id, confirm=True)
        assert user.team_id == team.id
        user = update_user(session, org["id"], org["cw"], AccountChange("supervisor", "fr", True, team.id),
                           acting_user_id=org["admin"])
        assert (user.role, user.team_id) == ("caseworker", team.id)
        [role] = pending_for_account(session, user.id)
        decide(session, supervisor, role.id, confirm=True)
        assert (user.role, user.team_id) == ("supervisor", None)
        refused = [
            (org["admin"], AccountChange("supervisor", "fr", True)),  # one's own role
            (org["admin"], AccountChange("admin", "fr", False)),  # one's own account
            (org["sup"], AccountChange("caseworker", "fr", True)),  # leads team A
            (org["sup"], AccountChange("supervisor", "fr", False)),
            (org["cw2"], AccountChange("caseworker", "xx", True)),
        ]
        for user_id, bad in refused:
            with pytest.raises(InvalidInput):
                update_user(session, org["id"], user_id, bad, acting_user_id=org["admin"])
        foreign = make_organisation(session)
        foreign_team = create_team(session, organisation_id=foreign.id, name="F",
                                   supervisor_id=make_user(session, foreign, role="supervisor").id)
        with pytest.raises(NotFound):
            update_user(session, org["id"], org["cw2"], AccountChange("caseworker", "fr", True, foreign_team.id),
                        acting_user_id=org["admin"])
        with pytest.raises(NotFound):
            update_user(session, foreign.id, org["cw2"], AccountChange("caseworker", "fr", True),
                        acting_user_id=org["admin"])


def _login(runtime, email, password, now=None, source="address-a"):
    with runtime.unit_of_work() as session:
        outcome = attempt_login(session, email, password, POLICY, source, now=now)
        return (outcome.user.id if outcome.user else None), outcome.locked_minutes


def test_the_lockout_counts_failures_then_locks_then_lets_go(any_db_runtime, org):
    with any_db_runtime.unit_of_work() as session:
        email = session.get(User, org["cw"]).email
    assert _login(any_db_runtime, email, "nope") == (None, 0)
    assert _login(any_db_runtime, email, "nope") == (None, 0)
    assert _login(any_db_runtime, email, "nope") == (None, 10)
    assert _login(any_db_runtime, email, PW) == (None, 10)
    # Locked from that address only: its owner, elsewhere, logs in (and that says nothing about the lock).
    assert _login(any_db_runtime, email, PW, source="address-b") == (org["cw"], 0)
    assert _login(any_db_runtime, email, PW, now=utcnow() + timedelta(minutes=9, seconds=1)) == (None, 1)
    assert _login(any_db_runtime, email, PW, now=utcnow() + timedelta(minutes=11)) == (org["cw"], 0)
    with any_db_runtime.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(LoginLock)) == 0  # a success forgets the failures
        actions = session.scalars(select(AuditEvent.action).where(AuditEvent.user_id == org["cw"])
                                  .order_by(AuditEvent.at)).all()
    assert actions == ["login.failed"] * 3 + ["login.locked", "login.refused_locked", "login.succeeded",
                                              "login.refused_locked", "login.succeeded"]


def test_an_inactive_account_never_logs_in_and_an_unknown_email_is_only_audited(any_db_runtime, org):
    with any_db_runtime.unit_of_work() as session:
        user = session.get(User, org["cw2"])
        user.is_active = False
        email = user.email
    assert _login(any_db_runtime, email, PW) == (None, 0)
    assert _login(any_db_runtime, "nobody@example.org", PW) == (None, 0)
    with any_db_runtime.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(LoginLock)) == 0
        anonymous = session.execute(select(AuditEvent.user_id, AuditEvent.object_id)
                                    .where(AuditEvent.action == "login.failed", AuditEvent.user_id.is_(None))).all()
        assert [tuple(a) for a in anonymous] == [(None, None)]


class _Staff:
    def __init__(self, user_id, organisation_id, role="supervisor"):
        self.id, self.organisation_id, self.role = user_id, organisation_id, role


def test_the_audit_trail_reads_what_the_supervisor_may_see(any_db_runtime, org):
    with any_db_runtime.unit_of_work() as session:
        team = create_team(session, organisation_id=org["id"], name="A", supervisor_id=org["sup"])
        other_team = create_team(session, organisation_id=org["id"], name="B", supervisor_id=org["sup2"])
        add_member(session, team, org["cw"])
        add_member(session, other_team, org["cw2"])
        foreign = make_organisation(session)
        report = make_report(session, organisation_slug=org["slug"])
        foreign_report = make_report(session, organisation_slug=foreign.slug)
        own_case = make_case(session, organisation_slug=org["slug"], assigned_to_id=org["cw"])
        own_case.team_id = team.id
        other_case = make_case(session, organisation_slug=org["slug"], assigned_to_id=org["cw2"])
        other_case.team_id = other_team.id
        session.flush()
        record_event(session, org["sup2"], "report.viewed", "report", report.id)
        record_event(session, org["sup2"], "case.viewed", "case", own_case.id)
        record_event(session, org["cw"], "login.succeeded", "user", org["cw"])
        record_event(session, org["sup"], "message_log_viewed", "message_log", 1)
        hidden = [record_event(session, org["sup2"], "report.viewed", "report", foreign_report.id),
                  record_event(session, org["cw2"], "case.viewed", "case", other_case.id),
                  record_event(session, org["cw2"], "login.succeeded", "user", org["cw2"]),
                  record_event(session, None, "login.failed", "user", None),
                  # Another team's case's report is that case's content; a member's complaint is the focal points'.
                  record_event(session, org["sup2"], "report.viewed", "report", other_case.report_id),
                  record_event(session, org["cw"], "complaint.logged", "complaint", report.id)]
        hidden_ids = {event.id for event in hidden}
        references = {"report": report.reference, "case": own_case.reference}
    with any_db_runtime.unit_of_work() as session:
        page = audit_trail(session, _Staff(org["sup"], org["id"]))
        cw_name = session.get(User, org["cw"]).display_name
        shown = {(row.action, row.object_type, row.reference) for row in page.rows}
        assert shown == {("report.viewed", "report", references["report"]),
                         ("case.viewed", "case", references["case"]),
                         ("login.succeeded", "user", cw_name),
                         ("message_log_viewed", "message_log", None)}
        assert not page.has_next
        assert session.scalar(select(func.count()).select_from(AuditEvent)
                              .where(AuditEvent.id.in_(hidden_ids))) == len(hidden_ids)
        # Other roles read nothing.
        assert audit_trail(session, _Staff(org["admin"], org["id"], "admin")).rows == ()
        assert audit_trail(session, _Staff(org["cw"], org["id"], "caseworker")).rows == ()


def test_the_audit_trail_pages_newest_first(any_db_runtime, org):
    with any_db_runtime.unit_of_work() as session:
        start = utcnow()
        for n in range(PAGE_SIZE + 3):
            event = record_event(session, org["sup"], f"action.{n}", "thing", n)
            event.at = start + timedelta(seconds=n)
    with any_db_runtime.unit_of_work() as session:
        first = audit_trail(session, _Staff(org["sup"], org["id"]), 1)
        second = audit_trail(session, _Staff(org["sup"], org["id"]), 2)
    assert [row.action for row in first.rows][:2] == [f"action.{PAGE_SIZE + 2}", f"action.{PAGE_SIZE + 1}"]
    assert first.has_next and not second.has_next
    assert [row.action for row in second.rows] == ["action.2", "action.1", "action.0"]


def test_the_demo_team_and_its_case_workers(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        load_demo(session, "ML", secret_key="test-secret")
    with any_db_runtime.unit_of_work() as session:
        # An older demo's accounts had no team, sex or languages, and its case no team: loading again adds them.
        for user in session.scalars(select(User)):
            user.team_id, user.sex, user.spoken_languages = None, None, None
        session.get(Case, session.scalar(select(Case.id))).team_id = None
    with any_db_runtime.unit_of_work() as session:
        load_demo(session, "ML", secret_key="test-secret")
    with any_db_runtime.unit_of_work() as session:
        team = session.scalar(select(Team))
        assert session.scalar(select(func.count()).select_from(Team)) == 1 and team.name == DEMO_TEAM
        assert session.get(User, team.supervisor_id).email == DEMO_SUPERVISOR
        members = {u.email: (u.sex, u.spoken_languages, u.role) for u in
                   session.scalars(select(User).where(User.team_id == team.id))}
        assert members == {DEMO_CASE_WORKER: ("female", "fr,bm", "caseworker"),
                           DEMO_SECOND_CASE_WORKER: ("male", "fr,en", "caseworker")}
        assert session.scalar(select(Case.team_id)) == team.id
        assert session.scalar(select(func.count()).select_from(User)) == 5  # with the complaints focal point
