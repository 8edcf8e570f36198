"""Partner events written in the transaction of the change they tell, on both databases: one delivery row per
subscription that wants the kind and may see it, masked by its token's scopes; nothing after a rollback; the post
enqueued once committed."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from casecore.cases.models import Case
from casecore.cases.risk import revise_risk
from casecore.complaints.intake import ComplaintDraft, submit_complaint
from casecore.deadlines.timelines import Timelines
from casecore.errors import InvalidInput, NotFound
from casecore.partners.models import EventDelivery
from casecore.partners.subscriptions import list_subscriptions, subscribe, unsubscribe
from casecore.partners.tokens import create_token, parse_scopes
from casecore.people.organisations import find_organisation
from casecore.sealing import as_stored
from tests.factories import as_staff, make_case, make_organisation, make_report, make_user
from tests.queues import queued_job_ids
from workers.queueing import event_job_id

URL = "https://partner.example.org/relais?key=abc"


@pytest.fixture
def rt(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        make_organisation(session, slug="ours")
        make_organisation(session, slug="theirs")
    return any_db_runtime


def token_and_subscription(rt, name, scopes, kinds, org="ours", url=URL):
    with rt.unit_of_work() as session:
        create_token(session, name, org, parse_scopes(scopes))
        return subscribe(session, name, url, kinds)


def deliveries(rt, **where) -> list[EventDelivery]:
    with rt.unit_of_work() as session:
        query = select(EventDelivery).order_by(EventDelivery.occurred_at, EventDelivery.id)
        for name, value in where.items():
            query = query.where(getattr(EventDelivery, name) == value)
        return list(session.scalars(query))


def report(rt, org="ours", **overrides):
    with rt.unit_of_work() as session:
        return make_report(session, organisation_slug=org, description="Frappée chaque soir.", **overrides)


def test_without_a_subscription_nothing_is_written(rt):
    report(rt)
    assert deliveries(rt) == []


def test_a_new_report_is_one_delivery_per_subscription_masked_by_its_token(rt):
    plain = token_and_subscription(rt, "dashboard", "events,reports:read", ("report.created",))
    personal = token_and_subscription(rt, "hotline", "events,reports:read,cases:read,personal_data",
                                      ("report.created", "case.updated"))
    token_and_subscription(rt, "cases-only", "events,cases:read", ("case.updated",))
    token_and_subscription(rt, "elsewhere", "events,reports:read,personal_data", ("report.created",),
                           org="theirs")
    submitted = report(rt)

    rows = deliveries(rt)
    assert sorted(row.subscription_id for row in rows) == sorted([plain.id, personal.id])
    by_subscription = {row.subscription_id: row for row in rows}
    masked = by_subscription[plain.id]
    assert (masked.event_type, masked.subject_id, masked.status, masked.attempts) == (
        "report.created", submitted.id, "pending", 0)
    assert masked.data["reference"] == submitted.reference and masked.data["concern"] == "physical_abuse"
    assert "reporter_phone" not in masked.data and "description" not in masked.data
    whole = by_subscription[personal.id].data
    assert whole["reporter_phone"] == "+22376701430" and whole["description"] == "Frappée chaque soir."
    assert {key: value for key, value in whole.items() if key not in ("reporter_phone", "description")} == masked.data


def test_the_data_is_sealed_at_rest(rt):
    token_and_subscription(rt, "hotline", "events,reports:read,personal_data", ("report.created",))
    report(rt)
    with rt.unit_of_work() as session:
        stored = session.scalar(select(as_stored(EventDelivery.data)))
    assert stored.startswith("s1:") and "Frapp" not in stored and "22376701430" not in stored


def test_a_rolled_back_transaction_leaves_no_event(rt):
    token_and_subscription(rt, "hotline", "events,reports:read", ("report.created",))
    with pytest.raises(RuntimeError):
        with rt.unit_of_work() as session:
            make_report(session, organisation_slug="ours")
            raise RuntimeError("something after the report failed")
    assert deliveries(rt) == []
    report(rt)  # the session's notes did not leak into the next transaction either
    assert len(deliveries(rt)) == 1


def test_the_post_is_enqueued_once_committed(rt):
    token_and_subscription(rt, "hotline", "events,reports:read", ("report.created",))
    report(rt)
    [row] = deliveries(rt)
    assert event_job_id(row.id) in queued_job_ids(rt.queue)


def test_a_case_opened_then_changed_tells_each_once(rt):
    sub = token_and_subscription(rt, "cases", "events,cases:read", ("case.opened", "case.updated"))
    with rt.unit_of_work() as session:
        org = find_organisation(session, "ours")
        worker = make_user(session, org, role="caseworker", display_name="Awa Keïta")
        case = make_case(session, organisation_slug="ours", assigned_to_id=worker.id)
        case.risk_level = "medium"  # in the opening's transaction: part of the opening
        case_id, staff = case.id, as_staff(worker)
    [opened] = deliveries(rt, event_type="case.opened")
    assert opened.subscription_id == sub.id and opened.subject_id == case_id
    assert (opened.data["status"], opened.data["current_step"], opened.data["risk_level"],
            opened.data["assigned_to"]) == ("open", "registration", "medium", "Awa Keïta")
    assert opened.data["assigned_at"] is None and opened.data["report_reference"]
    assert deliveries(rt, event_type="case.updated") == []

    with rt.unit_of_work() as session:
        revise_risk(session, staff, case_id, "high", "Menaces répétées", Timelines())
    [updated] = deliveries(rt, event_type="case.updated")
    assert (updated.data["risk_level"], updated.data["changed"]) == ("high", ["risk_level"])

    with rt.unit_of_work() as session:
        case = session.get(Case, case_id)
        case.risk_level = "high"  # the same value: no change to tell
        case.family_language = "bm"  # a field partners do not hear of
    assert len(deliveries(rt, event_type="case.updated")) == 1
    with rt.unit_of_work() as session:
        case = session.get(Case, case_id)
        case.status, case.current_step = "closure_requested", "closure"
    last = deliveries(rt, event_type="case.updated")[-1]
    assert last.data["changed"] == ["current_step", "status"] and last.data["status"] == "closure_requested"


def test_without_personal_data_the_case_is_told_all_the_same(rt):
    # Nothing of a case's summary is personal: GET /cases gives the case worker's name to any token reading cases.
    token_and_subscription(rt, "cases", "events,cases:read", ("case.opened",))
    with rt.unit_of_work() as session:
        worker = make_user(session, find_organisation(session, "ours"), role="caseworker", display_name="Awa Keïta")
        make_case(session, organisation_slug="ours", assigned_to_id=worker.id)
    [opened] = deliveries(rt)
    assert opened.data["assigned_to"] == "Awa Keïta"
    assert set(opened.data) == {"reference", "status", "current_step", "risk_level", "opened_at", "assigned_at",
                                "closed_at", "closure_reason", "reopened_at", "assigned_to", "report_reference"}


def complaint(rt, org="ours"):
    with rt.unit_of_work() as session:
        draft = ComplaintDraft(
            organisation_id=find_organisation(session, org).id, channel="ussd", channel_session_id="ATUid_c1",
            category="staff_misconduct", anonymous=False, contact_phone="+22376701430", may_contact=True,
            description="L'agent a demandé de l'argent.", language="fr", complainant_key=None)
        return submit_complaint(session, draft, "ML")


def test_complaints_go_only_to_a_token_that_reads_them(rt):
    focal = token_and_subscription(rt, "focal", "events,complaints:read", ("complaint.created",))
    with rt.unit_of_work() as session:
        create_token(session, "dashboard", "ours", parse_scopes("events,reports:read"))
        with pytest.raises(InvalidInput, match="complaint.created needs complaints:read"):
            subscribe(session, "dashboard", URL, ("complaint.created",))
    submitted = complaint(rt)
    [row] = deliveries(rt)
    assert (row.subscription_id, row.subject_id) == (focal.id, submitted.id)
    assert row.data["category"] == "staff_misconduct" and "description" not in row.data
    assert "contact_phone" not in row.data


def test_subscribing_needs_an_active_token_with_the_events_scope_and_a_safe_url(rt):
    with rt.unit_of_work() as session:
        create_token(session, "reader", "ours", parse_scopes("reports:read"))
        create_token(session, "partner", "ours", parse_scopes("events,reports:read"))
    for url, reason in [("http://partner.example.org/x", "https"), ("ftp://partner.example.org/x", "https://"),
                        ("https://user:pw@partner.example.org/x", "no user or password"),
                        ("https://partner.example.org/x#top", "fragment"), ("not a url", "no spaces"),
                        ("https://partner.example.org:port/", "cannot be read")]:
        with rt.unit_of_work() as session, pytest.raises(InvalidInput, match=reason):
            subscribe(session, "partner", url, ("report.created",))
    with rt.unit_of_work() as session:
        with pytest.raises(InvalidInput, match="events scope"):
            subscribe(session, "reader", URL, ("report.created",))
        with pytest.raises(NotFound):
            subscribe(session, "nobody", URL, ("report.created",))
        with pytest.raises(InvalidInput, match="unknown event type"):
            subscribe(session, "partner", URL, ("report.deleted",))
        with pytest.raises(InvalidInput, match="case.opened needs cases:read; case.updated needs cases:read"):
            subscribe(session, "partner", URL, ("case.opened", "case.updated"))
        local = subscribe(session, "partner", "http://127.0.0.1:8080/events", ("report.created",))
        assert local.secret.startswith("whsec_") and len(local.secret) > 40


def test_an_ended_subscription_gets_nothing_more_and_what_waited_fails(rt):
    sub = token_and_subscription(rt, "hotline", "events,reports:read", ("report.created",))
    report(rt)
    with rt.unit_of_work() as session:
        unsubscribe(session, str(sub.id))
    report(rt)
    [row] = deliveries(rt)
    assert (row.status, row.last_error, row.data) == ("failed", "the subscription ended", None)
    with rt.unit_of_work() as session:
        [listed] = list_subscriptions(session)
    assert (listed.url, listed.pending, listed.delivered, listed.failed) == (
        "https://partner.example.org/relais?…", 0, 0, 1)
    assert listed.ended_at is not None


def test_changes_of_two_organisations_in_one_transaction_go_to_each_ones_subscriptions(rt):
    ours = token_and_subscription(rt, "ours-hotline", "events,reports:read", ("report.created",))
    theirs = token_and_subscription(rt, "their-hotline", "events,reports:read", ("report.created",),
                                    org="theirs")
    with rt.unit_of_work() as session:
        first = make_report(session, organisation_slug="ours")
        second = make_report(session, organisation_slug="theirs")
    assert sorted((row.subscription_id, row.subject_id) for row in deliveries(rt)) == sorted(
        [(ours.id, first.id), (theirs.id, second.id)])


def test_a_case_moved_to_another_organisation_is_told_to_that_one_only(rt):
    ours = token_and_subscription(rt, "ours-cases", "events,cases:read", ("case.updated",))
    theirs = token_and_subscription(rt, "their-cases", "events,cases:read", ("case.updated",), org="theirs")
    with rt.unit_of_work() as session:
        worker = make_user(session, find_organisation(session, "ours"), role="caseworker")
        case_id = make_case(session, organisation_slug="ours", assigned_to_id=worker.id).id
    with rt.unit_of_work() as session:  # as an accepted transfer leaves it: theirs, unassigned
        case = session.get(Case, case_id)
        case.organisation_id = find_organisation(session, "theirs").id
        case.assigned_to_id = None
    [moved] = deliveries(rt)
    assert moved.subscription_id == theirs.id != ours.id
    assert (moved.data["changed"], moved.data["assigned_to"]) == (["assigned_to", "organisation"], None)
