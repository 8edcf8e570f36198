"""Staff accounts: creation rules, password checks and lookups, on a real SQLite database."""
from __future__ import annotations

import uuid

import pytest

from casecore.accounts.users import AccountChange, authenticate, create_user, update_user
from casecore.errors import Conflict, InvalidInput, InvalidPhoneNumber, NoOrganisation
from casecore.people.lookups import get_user, supervisors_of
from tests.factories import make_organisation, make_user

PW = "correct horse battery"


def _create(session, **overrides):
    values = dict(email="awa@example.org", display_name="Awa Diallo", role="supervisor", phone="76 70 14 30",
                  password=PW)
    values.update(overrides)
    return create_user(session, **values)


def test_create_user_normalises_email_and_phone_and_hashes_the_password(runtime):
    with runtime.unit_of_work() as session:
        org = make_organisation(session)
        user = _create(session, email="  Awa@Example.ORG ")
        assert user.email == "awa@example.org"
        assert user.phone == "+22376701430"
        assert user.organisation_id == org.id
        assert PW not in user.password_hash and user.password_hash


def test_authenticate_accepts_the_right_password_only(runtime):
    with runtime.unit_of_work() as session:
        make_organisation(session)
        user = _create(session)
    with runtime.unit_of_work() as session:
        assert authenticate(session, "AWA@example.org", PW).id == user.id
        assert authenticate(session, "awa@example.org", PW.upper()) is None
        assert authenticate(session, "awa@example.org", "") is None
        assert authenticate(session, "nobody@example.org", PW) is None
        assert authenticate(session, "", None) is None


def test_authenticate_refuses_inactive_users(runtime):
    with runtime.unit_of_work() as session:
        make_organisation(session)
        _create(session).is_active = False
    with runtime.unit_of_work() as session:
        assert authenticate(session, "awa@example.org", PW) is None


def test_duplicate_email_is_a_conflict_whatever_its_case(runtime):
    with runtime.unit_of_work() as session:
        make_organisation(session)
        _create(session)
        with pytest.raises(Conflict):
            _create(session, email="AWA@example.org", phone="+22376000009")


@pytest.mark.parametrize(
    "overrides, error",
    [
        ({"email": "no-at-sign"}, InvalidInput),
        ({"role": "boss"}, InvalidInput),
        ({"language": "de"}, InvalidInput),
        ({"password": "short"}, InvalidInput),
        ({"password": "motdepasse2025"}, InvalidInput),  # a common one, digits added
        ({"password": "qwertyuiop123"}, InvalidInput),
        ({"phone": "12345"}, InvalidPhoneNumber),
        ({"display_name": ""}, InvalidInput),
        ({"display_name": " \t "}, InvalidInput),
        ({"display_name": "A" * 121}, InvalidInput),
        ({"organisation_slug": "nowhere"}, NoOrganisation),
    ],
)
def test_create_user_refuses_bad_input(runtime, overrides, error):
    with runtime.unit_of_work() as session:
        make_organisation(session)
        with pytest.raises(error):
            _create(session, **overrides)


def test_create_user_needs_an_organisation_to_be_named_when_there_are_several(runtime):
    with runtime.unit_of_work() as session:
        with pytest.raises(NoOrganisation):
            _create(session)
        make_organisation(session)
        second = make_organisation(session)
        with pytest.raises(NoOrganisation):
            _create(session)
        assert _create(session, organisation_slug=second.slug).organisation_id == second.id


def test_get_user_by_string_or_uuid_and_none_for_malformed_ids(runtime):
    with runtime.unit_of_work() as session:
        org = make_organisation(session)
        user = make_user(session, org)
        assert get_user(session, str(user.id)).id == user.id
        assert get_user(session, user.id).id == user.id
        assert get_user(session, uuid.uuid4()) is None
        assert get_user(session, "not-a-uuid") is None


def test_supervisors_of_lists_active_supervisors_with_a_phone(runtime):
    with runtime.unit_of_work() as session:
        org = make_organisation(session)
        boss = make_user(session, org, role="supervisor")
        make_user(session, org, role="caseworker")
        make_user(session, org, role="supervisor").is_active = False
        session.flush()
        assert [u.id for u in supervisors_of(session, org.id)] == [boss.id]


def test_an_account_carries_its_display_name_spaces_tidied_and_keeps_it_unless_renamed(runtime):
    with runtime.unit_of_work() as session:
        org = make_organisation(session)
        admin = make_user(session, org, role="admin")
        user = _create(session, display_name="  Awa   Diallo ")
        assert user.display_name == "Awa Diallo"
        assert _create(session, email="b@example.org", phone="+22376000009", display_name="B" * 120).display_name \
            == "B" * 120
        update_user(session, org.id, user.id, AccountChange("supervisor", "fr", True), acting_user_id=admin.id)
        assert user.display_name == "Awa Diallo"  # a change that names nobody keeps the name
        update_user(session, org.id, user.id, AccountChange("supervisor", "fr", True, display_name=" Awa  Traoré "),
                    acting_user_id=admin.id)
        assert user.display_name == "Awa Traoré"
        for bad in ("", "   ", "x" * 121):
            with pytest.raises(InvalidInput):
                update_user(session, org.id, user.id, AccountChange("supervisor", "fr", True, display_name=bad),
                            acting_user_id=admin.id)
        assert user.display_name == "Awa Traoré"
