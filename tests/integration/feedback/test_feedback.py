"""Feedback: a rating and a comment stored once per conversation; the case timeline only learns it arrived."""
import uuid

import pytest
from sqlalchemy import func, inspect, select

from casecore.cases.models import CaseEvent
from casecore.errors import InvalidInput
from casecore.feedback.answers import FeedbackDraft, record_feedback
from casecore.feedback.models import Feedback
from tests.factories import make_case, make_organisation


def draft(organisation_id, **overrides) -> FeedbackDraft:
    values = dict(organisation_id=organisation_id, channel="ussd", source_key="ussd:ATUid_fb", rating=4,
                  comment="  Merci pour votre aide  ", language="bm")
    values.update(overrides)
    return FeedbackDraft(**values)


def test_feedback_is_stored_without_the_number(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        org = make_organisation(session)
        feedback_id = record_feedback(session, draft(org.id))
    with any_db_runtime.unit_of_work() as session:
        feedback = session.get(Feedback, feedback_id)
        assert (feedback.organisation_id, feedback.case_id, feedback.channel, feedback.rating) == (
            org.id, None, "ussd", 4)
        assert (feedback.comment, feedback.language) == ("Merci pour votre aide", "bm")
        assert feedback.received_at.tzinfo is not None
        assert session.scalar(select(func.count(CaseEvent.id))) == 0
    assert not any("phone" in column for column in inspect(Feedback).columns.keys())


def test_feedback_on_a_case_adds_an_event_that_says_nothing(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        org = make_organisation(session)
        case = make_case(session)
        record_feedback(session, draft(org.id, case_id=case.id, rating=1, comment="Agent impoli"))
    with any_db_runtime.unit_of_work() as session:
        [event] = session.scalars(select(CaseEvent)).all()
        assert (event.case_id, event.kind, event.channel, event.body) == (case.id, "feedback", "ussd", None)


def test_the_same_conversation_twice_is_one_feedback(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        org = make_organisation(session)
        case = make_case(session)
        first = record_feedback(session, draft(org.id, case_id=case.id))
    with any_db_runtime.unit_of_work() as session:
        assert record_feedback(session, draft(org.id, case_id=case.id, rating=2)) == first
        assert session.scalar(select(func.count(Feedback.id))) == 1
        assert session.scalar(select(func.count(CaseEvent.id))) == 1
        assert session.get(Feedback, first).rating == 4


def test_a_long_comment_is_cut_and_an_empty_one_is_none(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        org = make_organisation(session)
        long = record_feedback(session, draft(org.id, source_key="a", comment="x" * 700))
        empty = record_feedback(session, draft(org.id, source_key="b", comment="  "))
        assert len(session.get(Feedback, long).comment) == 500
        assert session.get(Feedback, empty).comment is None


@pytest.mark.parametrize("overrides", [
    {"rating": 0}, {"rating": 6}, {"rating": True}, {"rating": "5"}, {"rating": 4.0},
    {"channel": "fax"}, {"language": "de"}, {"source_key": ""}, {"case_id": uuid.uuid4()},
])
def test_feedback_is_checked(any_db_runtime, overrides):
    with any_db_runtime.unit_of_work() as session:
        org = make_organisation(session)
        with pytest.raises(InvalidInput):
            record_feedback(session, draft(org.id, **overrides))


def test_feedback_cannot_land_on_another_organisation_case(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        make_organisation(session, slug="theirs")
        case = make_case(session, organisation_slug="theirs")
        mine = make_organisation(session)
        with pytest.raises(InvalidInput):
            record_feedback(session, draft(mine.id, case_id=case.id))
