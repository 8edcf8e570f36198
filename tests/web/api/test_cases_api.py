"""A partner reads its organisation's cases: status, step, risk, deadlines, worker and referrals for anyone with
cases:read; names, numbers, free text and the timeline only with personal_data; never another organisation's."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from jsonschema import Draft202012Validator
from sqlalchemy import select

from app.api.registry import API
from casecore.base import utcnow
from casecore.cases import transfers
from casecore.cases.casework import add_note, record_consent
from casecore.cases.models import Case
from casecore.cases.referrals import make_referral
from casecore.cases.registration import CaregiverEntry, RegistrationEntry, record_registration
from casecore.deadlines.timelines import Timelines, meet, schedule
from casecore.directory.models import Service
from casecore.partners.models import ApiCall
from casecore.people.organisations import find_organisation
from tests.factories import as_staff, make_case, make_user
from tests.web.api.conftest import bearer

FAMILY_PHONE = "+22376111222"
CHILD_NAME = "Kadiatou"
NOTE = "La tante accueille l'enfant."
OPENED = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


def _check(body, schema_name):
    """The body is valid against the schema the OpenAPI document declares for it."""
    schema = API.resolve({"$ref": f"#/components/schemas/{schema_name}"})
    errors = [error.message for error in Draft202012Validator(schema).iter_errors(body)]
    assert errors == []


@pytest.fixture
def casework(uow, world):
    """In our organisation, a case worked on (registered, a note, a referral, deadlines met and open), assigned to a
    worker; one case of the other organisation."""
    with uow() as session:
        ours = find_organisation(session, "ours")
        supervisor = make_user(session, ours, role="supervisor")
        worker = make_user(session, ours, role="caseworker", display_name="Awa Case Worker")
        case = make_case(session, organisation_slug="ours", assigned_to_id=worker.id, contact_phones=[FAMILY_PHONE])
        case.risk_level, case.opened_at = "high", OPENED
        staff = as_staff(worker)
        record_registration(session, staff, case.id, RegistrationEntry(
            names={"name_first": CHILD_NAME, "name_last": "Sangaré"}, date_of_birth=date(2015, 4, 1),
            address_current="Près du marché", caregivers=[CaregiverEntry("aunt", "Mariam Sangaré", True, True)]),
            today=date(2026, 3, 3))
        add_note(session, staff, case.id, NOTE)
        record_consent(session, staff, case.id, purpose="sharing_providers", given=True, given_by="caregiver",
                       child_assent="given", today=date(2026, 3, 3))
        service = Service(organisation_id=ours.id, provider_name="Centre Sourire", service_type="health")
        session.add(service)
        session.flush()
        make_referral(session, staff, case.id, service.id, notes="Soins pour la blessure.")
        schedule(session, "first_response", OPENED + timedelta(hours=24), case_id=case.id)
        meet(session, "first_response", case_id=case.id)
        schedule(session, "assessment", OPENED + timedelta(days=3), case_id=case.id)
        theirs = make_case(session, organisation_slug="theirs")
        return {"reference": case.reference, "id": case.id, "theirs": theirs.reference,
                "supervisor": as_staff(supervisor)}


def test_a_case_reads_with_its_work_and_with_personal_data_its_people_and_history(client, token, casework, uow):
    reader = bearer(token("primero-sync"))
    answer = client.get(f"/api/v1/cases/{casework['reference']}", headers=reader)
    assert answer.status_code == 200, answer.get_json()
    case = answer.get_json()
    _check(case, "Case")
    assert (case["status"], case["current_step"], case["risk_level"]) == ("open", "registration", "high")
    assert case["opened_at"] == "2026-03-02T09:00:00Z" and case["closed_at"] is None
    assert case["assigned_to"] == "Awa Case Worker" and case["report_reference"]
    assert [(d["kind"], d["met"]) for d in case["deadlines"]] == [("first_response", True), ("assessment", False)]
    (referral,) = case["referrals"]
    assert (referral["service_name"], referral["service_type"], referral["status"]) == ("Centre Sourire", "health",
                                                                                        "sent")
    assert referral["notes"] == "Soins pour la blessure."
    assert case["child"]["name_first"] == CHILD_NAME and case["child"]["date_of_birth"] == "2015-04-01"
    assert case["relatives"] == [{"relation": "aunt", "name": "Mariam Sangaré", "is_caregiver": True,
                                  "lives_with_child": True}]
    # Masked as the case page shows it: no role sees a family's number whole.
    assert case["family_numbers"] == ["+223******22"]
    notes = [entry for entry in case["history"] if entry["kind"] == "note"]
    assert [(n["body"], n["author"]) for n in notes] == [(NOTE, "Awa Case Worker")]
    # The dashes and case a person types are forgiven, as on the phone.
    spaced = casework["reference"].lower()[:3] + "-" + casework["reference"].lower()[3:]
    assert client.get(f"/api/v1/cases/{spaced}", headers=reader).status_code == 200
    with uow() as session:
        calls = session.scalars(select(ApiCall).order_by(ApiCall.at)).all()
        assert [(c.endpoint, c.object_ids) for c in calls][0] == ("/api/v1/cases/{reference}", [str(casework["id"])])


def test_without_personal_data_names_numbers_notes_and_history_are_left_out(client, token, casework):
    dashboard = bearer(token("dashboard", "cases:read"))
    answer = client.get(f"/api/v1/cases/{casework['reference']}", headers=dashboard)
    case = answer.get_json()
    _check(case, "Case")
    for personal in ("child", "relatives", "family_numbers", "reopen_reason", "history"):
        assert personal not in case
    assert set(case["referrals"][0]) == {"service_name", "service_type", "status", "declined_because", "created_at",
                                         "updated_at"}
    text = answer.get_data(as_text=True)
    for secret in (CHILD_NAME, "Sangaré", "Près du marché", "Soins", NOTE, "+223"):
        assert secret not in text
    listed = client.get("/api/v1/cases", headers=dashboard).get_json()
    _check(listed, "CasePage")
    assert "history" not in listed["items"][0] and "child" not in listed["items"][0]


def test_another_organisations_case_is_never_seen(client, token, casework):
    ours, theirs = bearer(token("ours-sync")), bearer(token("theirs-sync", org="theirs"))
    assert client.get(f"/api/v1/cases/{casework['theirs']}", headers=ours).status_code == 404
    assert client.get(f"/api/v1/cases/{casework['reference']}", headers=theirs).status_code == 404
    assert [c["reference"] for c in client.get("/api/v1/cases", headers=ours).get_json()["items"]] == [
        casework["reference"]]
    assert [c["reference"] for c in client.get("/api/v1/cases", headers=theirs).get_json()["items"]] == [
        casework["theirs"]]


def test_a_transferred_case_belongs_to_the_organisation_that_accepted_it(client, token, casework, uow):
    ours, theirs = bearer(token("ours-sync")), bearer(token("theirs-sync", org="theirs"))
    with uow() as session:
        receiver = as_staff(make_user(session, find_organisation(session, "theirs"), role="supervisor"))
        target = find_organisation(session, "theirs").id
        asked = transfers.request_transfer(session, casework["supervisor"], casework["id"], target, "Moved.",
                                           sms_backend="console")
    # Asked for, not yet accepted: still ours.
    assert client.get(f"/api/v1/cases/{casework['reference']}", headers=ours).status_code == 200
    assert client.get(f"/api/v1/cases/{casework['reference']}", headers=theirs).status_code == 404
    with uow() as session:
        transfers.decide_transfer(session, receiver, asked.transfer_id, True, timelines=Timelines(),
                                  sms_backend="console")
    assert client.get(f"/api/v1/cases/{casework['reference']}", headers=ours).status_code == 404
    moved = client.get(f"/api/v1/cases/{casework['reference']}", headers=theirs).get_json()
    assert moved["assigned_to"] is None and moved["reference"] == casework["reference"]
    assert casework["reference"] not in {c["reference"] for c in client.get("/api/v1/cases", headers=ours)
                                         .get_json()["items"]}


def test_without_cases_read_the_token_is_refused(client, token, casework):
    other = bearer(token("intake-only", "reports:write,reports:read,personal_data"))
    for path in ("/api/v1/cases", f"/api/v1/cases/{casework['reference']}"):
        answer = client.get(path, headers=other)
        assert answer.status_code == 403 and answer.content_type == "application/problem+json"
    assert client.get("/api/v1/cases").status_code == 401


@pytest.fixture
def many(uow, world):
    """Seven cases of ours opened a day apart from 1 March 2026, two of them closed."""
    references = []
    with uow() as session:
        for day in range(7):
            case = make_case(session, organisation_slug="ours", status="closed" if day in (2, 5) else "open")
            case.opened_at = datetime(2026, 3, 1 + day, 12, tzinfo=timezone.utc)
            references.append(case.reference)
    return references


def test_pages_follow_each_other_to_the_end_and_each_call_notes_the_ids_it_returned(client, token, many, uow):
    reader = bearer(token("sync", "cases:read"))
    seen, url, pages = [], "/api/v1/cases?limit=3&status=open", 0
    while url:
        answer = client.get(url, headers=reader)
        assert answer.status_code == 200
        page = answer.get_json()
        _check(page, "CasePage")
        seen += [item["reference"] for item in page["items"]]
        url, pages = page["next"], pages + 1
        assert url is None or "status=open" in url
    assert seen == [reference for n, reference in enumerate(many) if n not in (2, 5)] and pages == 2
    with uow() as session:
        ids = dict(session.execute(select(Case.reference, Case.id)).all())
        calls = session.scalars(select(ApiCall).where(ApiCall.endpoint == "/api/v1/cases").order_by(ApiCall.at))
        assert [ref for call in calls for ref in call.object_ids] == [str(ids[ref]) for ref in seen]


def test_status_since_and_until_filter_on_the_time_opened(client, token, many):
    reader = bearer(token("sync", "cases:read"))

    def listed(query):
        answer = client.get(f"/api/v1/cases?{query}", headers=reader)
        assert answer.status_code == 200, answer.get_json()
        return [item["reference"] for item in answer.get_json()["items"]]

    assert listed("status=closed") == [many[2], many[5]]
    assert listed("since=2026-03-03T12:00:00Z&until=2026-03-05T12:00:00%2B00:00") == many[2:4]
    assert listed("since=2026-03-06T00:00:00%2B02:00") == many[5:]
    assert listed("status=transferred") == []


@pytest.mark.parametrize(("query", "names"), [
    ("limit=0", ["limit"]), ("limit=201", ["limit"]), ("limit=ten", ["limit"]), ("status=lost", ["status"]),
    ("since=2026-03-01", ["since"]), ("until=2026-03-01T00:00:00", ["until"]), ("cursor=not-ours", ["cursor"]),
    ("sort=opened_at", ["sort"]), ("limit=-1&status=nope", ["status", "limit"]),
])
def test_invalid_parameters_are_a_problem_naming_them(client, token, world, query, names):
    answer = client.get(f"/api/v1/cases?{query}", headers=bearer(token("sync", "cases:read")))
    assert answer.status_code == 422 and answer.content_type == "application/problem+json"
    assert sorted(p["name"] for p in answer.get_json()["invalid_params"]) == sorted(names)


def test_an_unknown_reference_is_not_found(client, token, world):
    reader = bearer(token("sync", "cases:read"))
    # A NUL would make PostgreSQL refuse the query: still a 404, never a 5xx.
    for reference in ("ABCDEFG", "x" * 300, "%20", "%00", "AB%00CD"):
        assert client.get(f"/api/v1/cases/{reference}", headers=reader).status_code == 404


def test_a_closed_case_says_when_and_why(client, token, uow, world):
    with uow() as session:
        case = make_case(session, organisation_slug="ours", status="closed")
        case.closure_reason, reference = "goals_met_safe", case.reference
    found = client.get(f"/api/v1/cases/{reference}", headers=bearer(token("sync", "cases:read"))).get_json()
    _check(found, "Case")
    assert (found["status"], found["closure_reason"]) == ("closed", "goals_met_safe")
    closed_at = datetime.fromisoformat(found["closed_at"].replace("Z", "+00:00"))
    assert datetime.fromisoformat(found["opened_at"].replace("Z", "+00:00")) <= closed_at <= utcnow()

