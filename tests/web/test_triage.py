"""The triage queue and the report page: who sees what, in which order, and what stays hidden."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import event, select

from casecore import taxonomy
from casecore.audit import AuditEvent
from casecore.base import utcnow
from casecore.deadlines.timelines import schedule
from casecore.people.models import User
from casecore.reports.models import Report
from casecore.triage import queries
from tests.factories import make_locations, make_organisation, make_report
from tests.web.conftest import assert_in_web_catalogues

PHONE = "+22376701430"
T0 = datetime(2026, 11, 20, 8, 0, tzinfo=timezone.utc)


def _report(uow, org_slug, *, minutes=0, **overrides):
    """A submitted report received at T0 + minutes; returns (id, reference)."""
    with uow() as session:
        submitted = make_report(session, organisation_slug=org_slug, **overrides)
        session.get(Report, submitted.id).received_at = T0 + timedelta(minutes=minutes)
        return submitted.id, submitted.reference


@pytest.fixture
def supervisor(staff, login):
    login(staff["supervisor"])
    return staff


def test_home_redirects_to_triage(client, supervisor):
    response = client.get("/")
    assert response.status_code == 302 and response.location.endswith("/triage")


def _due(uow, report_id, hours_from_now: float) -> None:
    with uow() as session:
        schedule(session, "assignment", utcnow() + timedelta(hours=hours_from_now), report_id=report_id)


def test_queue_shows_the_most_overdue_first_then_the_nearest_date(client, supervisor, uow):
    slug = supervisor["org_slug"]
    soon_id, soon = _report(uow, slug, minutes=50, danger_now=True)
    late_id, late = _report(uow, slug, minutes=40)
    later_id, later = _report(uow, slug, minutes=30)
    latest_id, latest = _report(uow, slug, minutes=0, danger_now=True)
    _, undated = _report(uow, slug, minutes=-60)
    for report_id, hours in ((soon_id, 2), (late_id, -1), (later_id, 10), (latest_id, -4)):
        _due(uow, report_id, hours)
    html = client.get("/triage").get_data(as_text=True)
    positions = [html.index(ref) for ref in (latest, late, soon, later, undated)]
    assert positions == sorted(positions)
    assert "Nouveaux : 5" in html and "Urgents : 2" in html and "Date d&#39;attribution passée : 2" in html
    table = html[html.index('<table class="queue">'):]
    assert table.count('class="late"') == 2 and table.count('class="is-urgent"') == 3  # overdue, or urgent


def test_queue_masks_the_reporter_number_and_shows_readable_labels(client, supervisor, uow):
    with uow() as session:
        make_locations(session)
    _report(uow, supervisor["org_slug"], location_code="ML090102", concern="child_marriage", child_sex="male",
            child_age_band="12_17", reporter_phone=PHONE)
    html = client.get("/triage").get_data(as_text=True)
    assert PHONE not in html and "76701430" not in html
    assert "+223******30" in html
    for shown in ("Mariage précoce", "Garçon", "12 à 17 ans", "Commune II", "2026-11-20 08:00"):
        assert shown in html


def test_queue_is_in_the_users_language(client, staff, login, uow):
    with uow() as session:
        session.get(User, staff["supervisor_id"]).language = "en"
    login(staff["supervisor"])
    _report(uow, staff["org_slug"], concern="child_marriage")
    html = client.get("/triage").get_data(as_text=True)
    assert '<html lang="en">' in html and "New reports" in html and "Child marriage" in html


def test_queue_leaves_out_other_organisations_and_handled_reports(client, supervisor, uow):
    with uow() as session:
        other = make_organisation(session)
    _, foreign = _report(uow, other.slug)
    handled_id, handled = _report(uow, supervisor["org_slug"])
    with uow() as session:
        session.get(Report, handled_id).status = "triaged"
    html = client.get("/triage").get_data(as_text=True)
    assert foreign not in html and handled not in html
    assert "Aucun nouveau signalement." in html


def test_caseworkers_get_a_clear_403(client, staff, login, uow):
    report_id, _ = _report(uow, staff["org_slug"])
    login(staff["caseworker"])
    for path in ("/triage", f"/reports/{report_id}"):
        response = client.get(path)
        assert response.status_code == 403
        assert "This page is for supervisors" in response.get_data(as_text=True)


def test_report_page_shows_the_details_and_the_number_when_shared(client, supervisor, uow):
    with uow() as session:
        make_locations(session)
    report_id, reference = _report(uow, supervisor["org_slug"], location_code="ML020102", danger_now=True,
                                   consent_to_share=True, reporter_phone=PHONE, channel="sms")
    html = client.get(f"/reports/{report_id}").get_data(as_text=True)
    for shown in (reference, PHONE, "Dio-Gare", "région : Koulikoro", "SMS", "Violence, coups", "Fille",
                  "6 à 11 ans", "Urgent"):
        assert shown in html


def test_report_page_hides_the_number_without_consent(client, supervisor, uow):
    report_id, _ = _report(uow, supervisor["org_slug"], consent_to_share=False, reporter_phone=PHONE)
    html = client.get(f"/reports/{report_id}").get_data(as_text=True)
    assert PHONE not in html and "76701430" not in html
    assert "n&#39;a pas accepté de partager son numéro" in html


def test_report_detail_query_drops_the_number_without_consent(uow, staff):
    report_id, _ = _report(uow, staff["org_slug"], consent_to_share=False, reporter_phone=PHONE)
    with uow() as session:
        assert queries.report_detail(session, staff["org_id"], report_id).reporter_phone is None


# A fixed unknown id, not uuid4(): pytest-xdist's workers must collect the same test names.
@pytest.mark.parametrize("path", ["/reports/not-a-uuid", "/reports/5b0e2a4c-8d1f-4e3a-9c6b-7f2d1e0a9b38",
                                  "/reports/1%27%20OR%201=1"])
def test_unknown_or_malformed_report_ids_are_404(client, supervisor, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "Page introuvable" in response.get_data(as_text=True)


def test_another_organisations_report_is_404(client, supervisor, uow):
    with uow() as session:
        other = make_organisation(session)
    report_id, _ = _report(uow, other.slug)
    assert client.get(f"/reports/{report_id}").status_code == 404
    with uow() as session:
        assert session.scalar(select(AuditEvent.id).where(AuditEvent.object_type == "report")) is None


def test_viewing_a_report_is_audited(client, supervisor, uow):
    report_id, _ = _report(uow, supervisor["org_slug"])
    client.get(f"/reports/{report_id}")
    with uow() as session:
        # Logins are audited too; this looks at the report.
        events = session.scalars(select(AuditEvent).where(AuditEvent.object_type == "report")).all()
    assert [(e.action, e.object_type, e.object_id, e.user_id) for e in events] == [
        ("report.viewed", "report", str(report_id), supervisor["supervisor_id"])
    ]


def test_report_view_logs_no_phone_number(client, supervisor, uow, caplog):
    report_id, _ = _report(uow, supervisor["org_slug"], reporter_phone=PHONE)
    with caplog.at_level("DEBUG"):
        client.get(f"/reports/{report_id}")
    assert "76701430" not in caplog.text


def test_the_queue_pages_past_two_hundred_reports(client, supervisor, uow):
    with uow() as session:
        references = [make_report(session, organisation_slug=supervisor["org_slug"]).reference for _ in range(205)]
    seen, page, pages = [], "/triage", 0
    while page:
        html = client.get(page).get_data(as_text=True)
        seen += [ref for ref in references if ref in html]
        pages += 1
        following = re.search(r'<a rel="next" href="([^"]+)"', html)
        page = following and following.group(1).replace("&amp;", "&")
    assert pages == 5 and sorted(seen) == sorted(references)  # 50 a page, every report once


def test_the_queue_is_filtered_by_priority_concern_region_channel_and_age(client, supervisor, uow):
    with uow() as session:
        make_locations(session)
    slug = supervisor["org_slug"]
    _, wanted = _report(uow, slug, danger_now=True, concern="child_marriage", location_code="ML090102",
                        channel="sms", child_age_band="12_17")
    others = [_report(uow, slug, **changed)[1] for changed in (
        dict(danger_now=False, concern="child_marriage", location_code="ML090102", channel="sms",
             child_age_band="12_17"),
        dict(danger_now=True, concern="neglect", location_code="ML090102", channel="sms", child_age_band="12_17"),
        dict(danger_now=True, concern="child_marriage", location_code=None, channel="sms", child_age_band="12_17"),
        dict(danger_now=True, concern="child_marriage", location_code="ML090102", channel="ussd",
             child_age_band="12_17"),
        dict(danger_now=True, concern="child_marriage", location_code="ML090102", channel="sms",
             child_age_band="0_5"),
    )]
    query = "urgency=urgent&concern=child_marriage&region=ML09&channel=sms&age=12_17"
    html = client.get(f"/triage?{query}").get_data(as_text=True)
    assert wanted in html and not [ref for ref in others if ref in html]
    assert "Nouveaux : 6" in html  # the counts are the whole queue's
    assert all(ref in client.get("/triage").get_data(as_text=True) for ref in others)
    assert "Aucun nouveau signalement ne correspond à ces filtres." in client.get(
        "/triage?concern=trafficking").get_data(as_text=True)


@pytest.mark.parametrize("query", ["urgency=maybe", "concern=nope", "channel=pigeon", "age=99", "page=0",
                                   "region=ML%3B--"])
def test_a_filter_not_from_its_list_is_refused_with_a_reason(client, supervisor, query):
    response = client.get(f"/triage?{query}")
    assert response.status_code == 400 and "Ce filtre ne peut pas être utilisé" in response.get_data(as_text=True)


def test_triage_query_reads_only_the_organisations_new_reports(uow, staff):
    # 100k reports stay fast only if the queue reads the new reports of one organisation through ix_report_triage,
    # not the whole table: only those are sorted by their dates.
    seen: list[tuple[str, tuple]] = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters))

    with uow() as session:
        engine = session.get_bind()
        event.listen(engine, "before_cursor_execute", capture)
        try:
            queries.triage_queue(session, staff["org_id"])
        finally:
            event.remove(engine, "before_cursor_execute", capture)
        statement, parameters = seen[-1]
        plan = " ".join(str(row[-1]) for row in session.connection().exec_driver_sql(
            "EXPLAIN QUERY PLAN " + statement, parameters))
    assert "SEARCH report USING INDEX ix_report_triage" in plan and "SCAN report" not in plan


def test_every_code_has_a_label_and_every_web_string_a_french_translation():
    from app.triage.labels import LABELS

    assert set(LABELS["concern"]) == set(taxonomy.PROTECTION_CONCERNS)
    assert set(LABELS["sex"]) == set(taxonomy.CHILD_SEXES)
    assert set(LABELS["age"]) == set(taxonomy.AGE_BANDS)
    assert set(LABELS["channel"]) == set(taxonomy.CHANNELS)
    assert_in_web_catalogues([("app/auth/**.py", "python"), ("app/web/**.py", "python"), ("app/triage/**.py", "python"),
                              ("app/cases/labels.py", "python"), ("app/templates/**.html", "jinja2")])
