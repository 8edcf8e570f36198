"""What we remember per community number: language, opt-out and opt-in, one row per number even under a race."""
import pytest
from sqlalchemy import func, select

from casecore.errors import InvalidInput, InvalidPhoneNumber
from casecore.messaging.contacts import is_opted_out, language_for, opt_in, opt_out, remember_language
from casecore.messaging.models import CommunityContact
from tests.concurrency import run_together

PHONE = "+22376701430"


def contacts(runtime):
    with runtime.unit_of_work() as session:
        return session.scalars(select(CommunityContact)).all()


def test_a_language_is_remembered_and_changed(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        assert language_for(session, PHONE) is None
        remember_language(session, PHONE, "bm")
    with any_db_runtime.unit_of_work() as session:
        assert language_for(session, PHONE) == "bm"
        # WhatsApp numbers arrive prefixed; they are the same number.
        remember_language(session, f"whatsapp:{PHONE}", "en")
    with any_db_runtime.unit_of_work() as session:
        assert language_for(session, PHONE) == "en"
    [contact] = contacts(any_db_runtime)
    assert (contact.phone, contact.language, contact.opted_out_at) == (PHONE, "en", None)


def test_an_unknown_language_or_number_is_refused(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        with pytest.raises(InvalidInput):
            remember_language(session, PHONE, "de")
        with pytest.raises(InvalidPhoneNumber):
            remember_language(session, "not a number", "fr")
    assert contacts(any_db_runtime) == []


def test_opt_out_and_opt_in_say_whether_they_changed_anything(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        assert opt_in(session, PHONE) is False  # never opted out: nothing to undo
        assert is_opted_out(session, PHONE) is False
        assert opt_out(session, PHONE) is True
    with any_db_runtime.unit_of_work() as session:
        assert is_opted_out(session, PHONE) is True
        first = session.scalar(select(CommunityContact.opted_out_at))
        assert opt_out(session, PHONE) is False
        assert session.scalar(select(CommunityContact.opted_out_at)) == first  # the first opt-out's time is kept
    with any_db_runtime.unit_of_work() as session:
        assert opt_in(session, PHONE) is True
        assert opt_in(session, PHONE) is False
        assert is_opted_out(session, PHONE) is False


def test_language_and_opt_out_live_side_by_side(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        remember_language(session, PHONE, "fr")
        opt_out(session, PHONE)
        remember_language(session, PHONE, "en")
    with any_db_runtime.unit_of_work() as session:
        assert is_opted_out(session, PHONE) and language_for(session, PHONE) == "en"
    assert len(contacts(any_db_runtime)) == 1


def test_concurrent_first_writes_for_one_number_leave_one_row(any_db_runtime):
    def choose_language():
        with any_db_runtime.unit_of_work() as session:
            remember_language(session, PHONE, "bm")

    _, errors = run_together(4, choose_language)
    assert not errors
    assert len(contacts(any_db_runtime)) == 1


def test_concurrent_first_opt_outs_report_one_change(any_db_runtime):
    def stop():
        with any_db_runtime.unit_of_work() as session:
            return opt_out(session, PHONE)

    results, errors = run_together(4, stop)
    assert not errors
    assert sorted(results) == [False, False, False, True]
    with any_db_runtime.unit_of_work() as session:
        assert session.scalar(select(func.count(CommunityContact.id))) == 1
        assert is_opted_out(session, PHONE)
