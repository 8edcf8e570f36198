"""Feedback after services and at closure (issue 6), on both databases: the service survey, tying an answer to the
survey asked, the figures per organisation and service and their minimum group, and who reads comments."""
from __future__ import annotations

import itertools
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select, update

from casecore.base import utcnow
from casecore.cases import referrals
from casecore.cases import surveys as cases_surveys
from casecore.cases.models import Case, CaseConsent, FeedbackRequest, Referral
from casecore.directory import services
from casecore.directory.services import ServiceInput
from casecore.errors import InvalidInput
from casecore.feedback import figures as ff
from casecore.feedback.answers import FeedbackDraft, link_feedback, record_feedback
from casecore.feedback.models import Feedback
from casecore.messaging.contacts import opt_out
from casecore.messaging.models import OutboundMessage
from channels.sms.encoding import to_gsm7
from dialogs.closure_survey import survey_invitations
from dialogs.keywords import keyword_book
from tests.factories import as_staff, make_case, make_organisation, make_user

FAMILY = "+22376000100"
SECOND = "+22366000200"
SURVEYS = cases_surveys.SurveyPlan(
    lambda language: {k: to_gsm7(v) for k, v in survey_invitations(language, keyword_book().first_words).items()},
    backend="console", default_language="fr")
_answers = itertools.count(1)


@pytest.fixture
def world(any_db_runtime):
    """A case assigned to a case worker with two family numbers, a clinic in the directory, consent to share, the
    case's supervisor, another case worker and a focal point."""
    with any_db_runtime.unit_of_work() as session:
        org = make_organisation(session, name="Association Espoir")
        supervisor = make_user(session, org)
        worker = make_user(session, org, role="caseworker")
        other_worker = make_user(session, org, role="caseworker")
        focal = make_user(session, org, role="focal_point")
        admin = make_user(session, org, role="admin")
        case = make_case(session, organisation_slug=org.slug, assigned_to_id=worker.id,
                         contact_phones=[FAMILY, SECOND])
        clinic = services.create_service(session, org.id, ServiceInput("Clinique Sud", "health"), user_id=None)
        session.add(CaseConsent(case_id=case.id, purpose="sharing_providers", given=True, given_by="caregiver",
                                recorded_by_id=worker.id, recorded_at=utcnow()))
        people = {name: as_staff(u) for name, u in [
            ("supervisor", supervisor), ("worker", worker), ("other_worker", other_worker), ("focal", focal),
            ("admin", admin)]}
        ids = {"case": case.id, "clinic": clinic.id, "org": org.id, "reference": case.reference}
    return any_db_runtime, people, ids


def _done_referral(runtime, people, ids, surveys=SURVEYS):
    worker = people["worker"]
    with runtime.unit_of_work() as session:
        referral_id = referrals.make_referral(session, worker, ids["case"], ids["clinic"])
    for status in ("accepted", "done"):
        with runtime.unit_of_work() as session:
            referrals.update_referral(session, worker, ids["case"], referral_id, status=status, surveys=surveys)
    return referral_id


def _answer(runtime, phone, rating, comment=None, channel="ussd", answer_days=30, receiving=None):
    with runtime.unit_of_work() as session:
        link = link_feedback(session, phone, answer_days=answer_days)
        feedback_id = record_feedback(session, FeedbackDraft(
            organisation_id=link.organisation_id or receiving, channel=channel,
            source_key=f"{channel}:answer-{next(_answers)}", rating=rating, comment=comment, language="fr",
            case_id=link.case_id, referral_id=link.referral_id, about=link.about, audience=link.audience,
            request_id=link.request_id))
    with runtime.unit_of_work() as session:
        return session.get(Feedback, feedback_id)


def _general(runtime, org_id, rating, comment=None):
    with runtime.unit_of_work() as session:
        record_feedback(session, FeedbackDraft(org_id, "sms", f"sms:general-{next(_answers)}", rating, comment, "fr"))


def test_a_done_referral_asks_each_family_number_once_and_says_nothing_of_the_case(world):
    runtime, people, ids = world
    with runtime.unit_of_work() as session:
        opt_out(session, SECOND)
    referral_id = _done_referral(runtime, people, ids)
    with runtime.unit_of_work() as session:
        [message] = session.scalars(select(OutboundMessage).where(
            OutboundMessage.purpose_key.like("service-survey:%"))).all()
        [asked] = session.scalars(select(FeedbackRequest)).all()
        assert referrals.service_survey_ids(session, referral_id) == [message.id]
        # Written once: asking again (a retried request) adds nothing.
        cases_surveys.queue_service_surveys(session, session.get(Referral, referral_id), SURVEYS)
    with runtime.unit_of_work() as session:
        assert len(session.scalars(select(OutboundMessage).where(
            OutboundMessage.purpose_key.like("service-survey:%"))).all()) == 1
        assert len(session.scalars(select(FeedbackRequest)).all()) == 1
    assert message.to_phone == FAMILY and message.purpose_key.startswith(f"service-survey:{referral_id}:")
    assert "AVIS" in message.body
    for detail in ("Clinique", "Sud", "sant", "Espoir", ids["reference"]):
        assert detail.lower() not in message.body.lower()
    assert (asked.kind, asked.referral_id, asked.audience, asked.case_id) == ("service", referral_id, None,
                                                                             ids["case"])


def test_no_survey_without_a_plan_or_before_the_referral_is_done(world):
    runtime, people, ids = world
    _done_referral(runtime, people, ids, surveys=None)
    with runtime.unit_of_work() as session:
        referral_id = referrals.make_referral(session, people["worker"], ids["case"], ids["clinic"])
        referrals.update_referral(session, people["worker"], ids["case"], referral_id, status="accepted",
                                  surveys=SURVEYS)
    with runtime.unit_of_work() as session:
        assert session.scalars(select(FeedbackRequest)).all() == []
        assert session.scalars(select(OutboundMessage)).all() == []


def test_an_answer_takes_the_survey_asked_then_the_case(world):
    runtime, people, ids = world
    referral_id = _done_referral(runtime, people, ids)
    first = _answer(runtime, FAMILY, 2, "Long wait")
    second = _answer(runtime, FAMILY, 5)
    assert (first.about, first.referral_id, first.case_id, first.audience) == ("service", referral_id, ids["case"],
                                                                               None)
    # The survey is answered: the next answer from that number is about its (open) case.
    assert (second.about, second.referral_id, second.case_id) == ("case", None, ids["case"])
    with runtime.unit_of_work() as session:
        asked = {r.feedback_id: r for r in session.scalars(select(FeedbackRequest))}
        assert set(asked) == {first.id, None} and asked[first.id].answered_at is not None  # SECOND's still waits
    # A number linked to nothing gives general feedback.
    stranger = _answer(runtime, "+22370000999", 3, receiving=ids["org"])
    assert (stranger.about, stranger.case_id) == ("general", None)


def test_closure_surveys_are_answered_adult_first_then_child(world):
    runtime, people, ids = world
    with runtime.unit_of_work() as session:
        case = session.get(Case, ids["case"])
        cases_surveys.queue_closure_surveys(session, case, uuid.uuid4(), SURVEYS)
        case.status, case.closed_at = "closed", utcnow()
    adult, child, later = (_answer(runtime, FAMILY, rating) for rating in (4, 3, 5))
    other_number = _answer(runtime, SECOND, 1)
    assert [(f.about, f.audience) for f in (adult, child, later)] == [
        ("closure", "adult"), ("closure", "child"), ("case", None)]
    assert (other_number.about, other_number.audience, other_number.case_id) == ("closure", "adult", ids["case"])


@pytest.mark.parametrize("days_ago, about", [(29, "service"), (31, "case")])
def test_a_survey_is_answered_within_the_answer_days(world, days_ago, about):
    runtime, people, ids = world
    _done_referral(runtime, people, ids)
    with runtime.unit_of_work() as session:
        session.execute(update(FeedbackRequest).values(asked_at=utcnow() - timedelta(days=days_ago)))
    assert _answer(runtime, FAMILY, 4, answer_days=30).about == about


def test_the_same_conversation_twice_answers_the_survey_once(world):
    runtime, people, ids = world
    _done_referral(runtime, people, ids)
    draft = None
    for _ in range(2):
        with runtime.unit_of_work() as session:
            link = link_feedback(session, FAMILY)
            draft = draft or FeedbackDraft(ids["org"], "sms", "sms:twice", 4, None, "fr", case_id=link.case_id,
                                           referral_id=link.referral_id, about=link.about, request_id=link.request_id)
            record_feedback(session, draft)
    with runtime.unit_of_work() as session:
        assert len(session.scalars(select(Feedback)).all()) == 1
        assert len([r for r in session.scalars(select(FeedbackRequest)) if r.answered_at is not None]) == 1


def _figures(runtime, who, period=None, min_group=5):
    """The figures of a quarter, by default the one in progress (which case workers may not read)."""
    with runtime.unit_of_work(read_only=True) as session:
        return ff.feedback_figures(session, who, period or ff.quarter_of(utcnow()), min_group)


def _date_answers(runtime, period, day=10, rating=None):
    """Moves the answers so far (or those rating `rating`) into a quarter, as if received then."""
    with runtime.unit_of_work() as session:
        moved = update(Feedback).values(received_at=period.since + timedelta(days=day))
        session.execute(moved if rating is None else moved.where(Feedback.rating == rating))
    return period


def _survey_answers(runtime, people, ids, ratings):
    """Answers to service surveys of the clinic, one done referral per answer."""
    for rating in ratings:
        _done_referral(runtime, people, ids)
        _answer(runtime, FAMILY, rating)


@pytest.mark.parametrize("ratings, shown", [((5, 4, 4, 1), False), ((5, 4, 4, 1, 1), True)])
def test_a_service_shows_an_average_from_the_minimum_group_only(world, ratings, shown):
    runtime, people, ids = world
    _survey_answers(runtime, people, ids, ratings)
    figures = _figures(runtime, people["supervisor"])
    [clinic] = figures.services
    assert (clinic.group, clinic.provider_name, clinic.service_type) == ("service", "Clinique Sud", "health")
    if shown:
        assert (clinic.overall.answers, clinic.overall.average, clinic.overall.distribution) == (
            5, 3.0, (2, 0, 0, 2, 1))
        assert clinic.overall.satisfied_share == pytest.approx(0.6)
        assert figures.organisation.answers == 5
        assert dict(clinic.by_channel)["ussd"].answers == 5
    else:
        assert clinic.overall == ff.Figure(None, small=True)
        assert figures.organisation == ff.Figure(None, small=True)
        assert dict(clinic.by_channel)["ussd"] == ff.Figure(None, small=True)


def test_a_small_group_is_not_given_away_by_the_organisation_less_the_others(world):
    runtime, people, ids = world
    _survey_answers(runtime, people, ids, (5, 5, 4, 4, 4))
    _general(runtime, ids["org"], 1, "Rude")
    figures = _figures(runtime, people["supervisor"])
    rows = {row.group: row for row in figures.services}
    assert figures.organisation.answers == 6
    assert rows["general"].overall == ff.Figure(None, small=True)
    # Shown, the clinic's 5 answers would give the general answer's rating away: withheld too, not as small.
    assert rows["service"].overall == ff.Figure(None, small=False)
    _general(runtime, ids["org"], 2)
    rows = {row.group: row for row in _figures(runtime, people["supervisor"]).services}
    assert rows["service"].overall.shown is False  # 2 general answers: still fewer than 5 withheld
    for rating in (3, 3, 3):
        _general(runtime, ids["org"], rating)
    rows = {row.group: row for row in _figures(runtime, people["supervisor"]).services}
    assert rows["service"].overall.answers == 5 and rows["general"].overall.answers == 5


def test_closure_answers_count_as_case_management_by_audience(world):
    runtime, people, ids = world
    for _ in range(5):
        with runtime.unit_of_work() as session:
            cases_surveys.queue_closure_surveys(session, session.get(Case, ids["case"]), uuid.uuid4(), SURVEYS)
        _answer(runtime, FAMILY, 4)
        _answer(runtime, FAMILY, 5)
    [row] = _figures(runtime, people["focal"]).services
    audiences = dict(row.by_audience)
    assert row.group == ff.CASE_MANAGEMENT and row.overall.answers == 10
    assert (audiences["adult"].average, audiences["child"].average) == (4.0, 5.0)


def test_a_case_worker_sees_their_cases_together_never_one_answer(world):
    runtime, people, ids = world
    _survey_answers(runtime, people, ids, (1,))
    last = _date_answers(runtime, ff.default_quarter())
    figures = _figures(runtime, people["worker"], last)
    assert figures.your_cases == ff.Figure(None, small=True)
    assert figures.services[0].overall == ff.Figure(None, small=True)
    # No comment is ever handed to a case worker, a supervisor or an administrator.
    for who in ("worker", "supervisor", "admin"):
        with runtime.unit_of_work(read_only=True) as session, pytest.raises(InvalidInput):
            ff.feedback_comments(session, people[who], last)
    _survey_answers(runtime, people, ids, (5, 5, 4, 4))
    _date_answers(runtime, last)
    figures = _figures(runtime, people["worker"], last)
    assert (figures.your_cases.answers, figures.your_cases.average) == (5, 3.8)
    assert _figures(runtime, people["other_worker"], last).your_cases.answers == 0
    assert _figures(runtime, people["supervisor"], last).your_cases is None


def test_your_cases_is_withheld_when_the_rest_would_be_one_answer(world):
    runtime, people, ids = world
    _survey_answers(runtime, people, ids, (5, 5, 4, 4, 4))
    _general(runtime, ids["org"], 1)
    figures = _figures(runtime, people["worker"], _date_answers(runtime, ff.default_quarter()))
    assert figures.organisation.answers == 6
    assert figures.your_cases == ff.Figure(None, small=False)


def test_a_focal_point_reads_the_comments_newest_first_a_page_at_a_time(world):
    runtime, people, ids = world
    _survey_answers(runtime, people, ids, (2,))
    _general(runtime, ids["org"], 4, "Bon accueil")
    _general(runtime, ids["org"], 5)  # no comment: nothing to read
    with runtime.unit_of_work() as session:
        other = make_organisation(session)
        record_feedback(session, FeedbackDraft(other.id, "sms", "sms:theirs", 1, "Not yours", "fr"))
        session.execute(update(Feedback).where(Feedback.rating == 2).values(comment="Attente trop longue"))
    with runtime.unit_of_work(read_only=True) as session:
        first = ff.feedback_comments(session, people["focal"], ff.quarter_of(utcnow()), page=1, per_page=1)
        second = ff.feedback_comments(session, people["focal"], ff.quarter_of(utcnow()), page=2, per_page=1)
    assert (first.total, first.pages, second.page) == (2, 2, 2)
    assert [c.comment for c in first.comments + second.comments] == ["Bon accueil", "Attente trop longue"]
    service_comment = second.comments[0]
    assert (service_comment.about, service_comment.provider_name, service_comment.rating) == (
        "service", "Clinique Sud", 2)


def _choose(runtime, who, code, now=None):
    with runtime.unit_of_work(read_only=True) as session:
        return ff.choose_quarter(session, who, code, now)


def test_the_reviewers_difference_between_two_periods_cannot_be_asked(world):
    """Five families of the case worker's rate 5 in the last ended quarter, one rated 1 the quarter before: each
    quarter alone says nothing of the single one, and no period holding both can be asked for."""
    runtime, people, ids = world
    worker = people["worker"]
    last = ff.default_quarter()
    before = ff.quarter_of(last.since - timedelta(days=1))
    _survey_answers(runtime, people, ids, (1,))
    _date_answers(runtime, before, day=80)
    _survey_answers(runtime, people, ids, (5, 5, 5, 5, 5))
    _date_answers(runtime, last, day=2, rating=5)
    shown = _figures(runtime, worker, last)
    assert (shown.your_cases.answers, shown.your_cases.distribution) == (5, (0, 0, 0, 0, 5))
    earlier = _figures(runtime, worker, before)
    assert earlier.your_cases == earlier.organisation == ff.Figure(None, small=True)
    assert [row.overall for row in earlier.services] == [ff.Figure(None, small=True)]
    # The quarters a case worker may choose are ended, never overlap and follow each other.
    with runtime.unit_of_work(read_only=True) as session:
        offered = ff.offered_quarters(session, worker)
    assert offered[0] == last and offered[1] == before and all(p.ended for p in offered)
    assert all(newer.since == older.until for newer, older in zip(offered, offered[1:]))
    # Nothing else can be asked: not a number of days, not two quarters, not a quarter to come.
    for code in ("90", "30", "365", f"{before.code}-{last.code}", f"{last.year}-Q5", "2025Q1", "last", "2999-Q1"):
        with pytest.raises(InvalidInput):
            _choose(runtime, worker, code)
    assert _choose(runtime, worker, None) == last
    assert _choose(runtime, worker, last.code.lower()) == last


def test_a_case_worker_is_refused_the_quarter_in_progress_a_supervisor_is_not(world):
    runtime, people, ids = world
    _survey_answers(runtime, people, ids, (5, 5, 5, 5, 1))
    current = ff.quarter_of(utcnow())
    assert not current.ended
    with pytest.raises(InvalidInput, match="once it has ended"):
        _choose(runtime, people["worker"], current.code)
    with pytest.raises(InvalidInput, match="once it has ended"):
        _figures(runtime, people["worker"], current)
    for who in ("supervisor", "admin", "focal"):
        assert _choose(runtime, people[who], current.code) == current
        assert _figures(runtime, people[who], current).organisation.answers == 5
    with runtime.unit_of_work(read_only=True) as session:
        assert ff.offered_quarters(session, people["supervisor"])[0] == current
        assert current not in ff.offered_quarters(session, people["worker"])


def test_the_quarters_offered_go_back_to_the_first_answer_and_at_least_eight(world):
    runtime, people, ids = world
    now = utcnow()
    assert ff.quarter(2024, 4, now) == ff.Period(2024, 4, datetime(2024, 10, 1, tzinfo=timezone.utc),
                                                 datetime(2025, 1, 1, tzinfo=timezone.utc), True)
    assert ff.quarter_of(datetime(2025, 3, 31, 23, 59, tzinfo=timezone.utc), now).code == "2025-Q1"
    with runtime.unit_of_work(read_only=True) as session:
        assert len(ff.offered_quarters(session, people["worker"])) == ff.OFFERED_QUARTERS
    eight_back = ff.default_quarter()
    for _ in range(ff.OFFERED_QUARTERS):
        eight_back = ff.quarter_of(eight_back.since - timedelta(days=1))
    with pytest.raises(InvalidInput, match="from the list"):
        _choose(runtime, people["supervisor"], eight_back.code)
    _general(runtime, ids["org"], 3)
    _date_answers(runtime, eight_back, day=5)
    with runtime.unit_of_work(read_only=True) as session:
        offered = ff.offered_quarters(session, people["worker"])
    assert offered[-1] == eight_back and len(offered) == ff.OFFERED_QUARTERS + 1
    figures = _figures(runtime, people["supervisor"], _choose(runtime, people["supervisor"], eight_back.code),
                       min_group=1)
    assert figures.organisation.answers == 1


def test_a_case_changing_hands_changes_no_ended_quarter_of_your_cases(world):
    """Counted by today's worker, moving a case with one family's answer would tell that rating by difference."""
    runtime, people, ids = world
    _survey_answers(runtime, people, ids, (5, 5, 4, 4, 1))
    last = _date_answers(runtime, ff.default_quarter())
    before = _figures(runtime, people["worker"], last).your_cases
    assert before.answers == 5
    with runtime.unit_of_work() as session:
        session.get(Case, ids["case"]).assigned_to_id = people["other_worker"].id
    assert _figures(runtime, people["worker"], last).your_cases == before
    assert _figures(runtime, people["other_worker"], last).your_cases.answers == 0
