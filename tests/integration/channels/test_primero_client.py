"""The Primero client against the fake Primero: each answer of the contract becomes the outcome the hand-off needs."""
from __future__ import annotations

import uuid

import pytest

from channels.primero.client import (
    ALREADY_THERE,
    CREATED,
    INVALID,
    NOT_AUTHORISED,
    TRY_LATER,
    UNKNOWN,
    PrimeroClient,
    PrimeroRefused,
    PrimeroUnavailable,
)
from tests.fakes.primero import MODULE, PASSWORD, USERNAME, Answer, FakePrimero, Instance
from tests.servers import free_port

FIELDS = {"module_id": MODULE, "sex": "female", "age": 9, "protection_concerns": ["caafag"],
          "risk_level": "high", "other_agency_id": "RLS-K7QX2MP", "consent_for_services": True}


def client(primero, password=PASSWORD, timeout=2.0) -> PrimeroClient:
    return PrimeroClient(primero.url, USERNAME, password, timeout=timeout)


def test_a_case_is_created_under_the_id_we_give_and_a_repeat_is_recognised(primero):
    case_id = uuid.uuid4()
    created = client(primero).create_case(case_id, FIELDS)
    assert created.kind == CREATED and created.case == {}  # 204: no body when the client chose the id
    stored = primero.cases[str(case_id)]
    assert stored["sex"] == "female" and stored["protection_concerns"] == ["caafag"]
    assert stored["other_agency_id"] == "RLS-K7QX2MP" and stored["owned_by"] == USERNAME

    again = client(primero).create_case(case_id, FIELDS)
    assert again.kind == ALREADY_THERE and len(primero.cases) == 1
    [first, second] = primero.requests
    assert first["content_type"] == "application/json" and first["user"] == USERNAME
    assert '"id": "%s"' % case_id in first["body"]


def test_the_id_goes_in_lowercase(primero):
    case_id = uuid.UUID("8D0B6A1E-0C3F-4C55-9F0A-2B1D3E4F5A6B")
    assert client(primero).create_case(case_id, FIELDS).kind == CREATED
    assert str(case_id).lower() in primero.cases


def test_a_value_the_instance_does_not_have_is_invalid_with_its_fields_named_once(primero):
    fields = {**FIELDS, "sex": "girl", "protection_concerns": ["caafag", "not_a_concern"]}
    outcome = client(primero).create_case(uuid.uuid4(), fields)
    assert outcome.kind == INVALID
    assert outcome.fields == ("/sex", "/protection_concerns/1")
    assert primero.cases == {}


@pytest.mark.parametrize(("password", "reason"), [("wrong", "Invalid User name or password."),
                                                   (None, "You need to sign in")])
def test_a_refused_account_is_not_authorised(primero, password, reason):
    c = PrimeroClient(primero.url, USERNAME, password or "", timeout=2.0)
    if password is None:
        c.auth = None
    outcome = c.create_case(uuid.uuid4(), FIELDS)
    assert outcome.kind == NOT_AUTHORISED and reason in outcome.reason and primero.cases == {}


@pytest.mark.parametrize(("answer", "kind", "retry_after"), [
    (Answer.unavailable(), TRY_LATER, 60.0),
    (Answer.server_error(), TRY_LATER, None),
    (Answer.throttled(), TRY_LATER, None),
    (Answer.forbidden(), NOT_AUTHORISED, None),
])
def test_answers_that_created_nothing(primero, answer, kind, retry_after):
    primero.answer_next(answer)
    outcome = client(primero).create_case(uuid.uuid4(), FIELDS)
    assert (outcome.kind, outcome.retry_after) == (kind, retry_after) and primero.cases == {}


@pytest.mark.parametrize("answer", [Answer.hang(5), Answer.dropped()])
def test_no_answer_after_the_request_went_out_leaves_the_outcome_unknown(primero, answer):
    primero.answer_next(answer)
    case_id = uuid.uuid4()
    outcome = client(primero, timeout=1.0).create_case(case_id, FIELDS)
    assert outcome.kind == UNKNOWN
    assert str(case_id) in primero.cases  # Primero did create it: only a look-up can tell
    assert client(primero).get_case(case_id)["other_agency_id"] == "RLS-K7QX2MP"


def test_no_connection_means_nothing_was_sent():
    c = PrimeroClient(f"http://127.0.0.1:{free_port()}", USERNAME, PASSWORD, timeout=1.0)
    assert c.create_case(uuid.uuid4(), FIELDS).kind == TRY_LATER
    with pytest.raises(PrimeroUnavailable):
        c.get_case(uuid.uuid4())


def test_reads(primero):
    case_id = uuid.uuid4()
    client(primero).create_case(case_id, FIELDS)
    other = primero.add_case(module_id=MODULE, other_agency_id="RLS-OTHER22")
    c = client(primero)
    assert c.get_case(uuid.uuid4()) is None
    assert c.get_case(case_id)["short_id"] == primero.cases[str(case_id)]["short_id"]
    assert [row["id"] for row in c.cases_with_reference("RLS-K7QX2MP")] == [str(case_id)]
    assert [row["id"] for row in c.cases_with_reference("RLS-OTHER22")] == [other]
    assert c.cases_with_reference("RLS-NOTHING") == []
    lookups = c.lookups()
    assert "caafag" in lookups["lookup-protection-concerns"].values
    assert lookups["lookup-gender"].values == {"male", "female"}
    assert c.location_codes() == {"ML", "ML01", "ML0101", "ML02"}


def test_reads_walk_every_page():
    many = Instance(locations=[{"code": f"ML{n:04d}", "admin_level": 2, "name": f"Mali::{n}"} for n in range(2500)])
    with FakePrimero(instance=many) as fake:
        assert len(PrimeroClient(fake.url, USERNAME, PASSWORD).location_codes()) == 2500
        assert [r["params"]["page"] for r in fake.requests] == ["1", "2", "3"]


def test_reads_say_whether_to_try_again(primero):
    c = client(primero)
    primero.answer_next(Answer.unavailable())
    with pytest.raises(PrimeroUnavailable) as unavailable:
        c.lookups()
    assert unavailable.value.retry_after == 60.0
    c.auth = (USERNAME, "wrong")
    with pytest.raises(PrimeroRefused, match="Invalid User name"):
        c.location_codes()


def test_a_field_the_instance_does_not_have_is_dropped_and_noted():
    with FakePrimero() as fake:
        PrimeroClient(fake.url, USERNAME, PASSWORD).create_case(uuid.uuid4(), {**FIELDS, "age_group": "6_11"})
        assert fake.violations == ["age_group is not a field of the case form (dropped)"]
    with FakePrimero(instance=Instance(texts={"age_group"})) as fake:
        case_id = uuid.uuid4()
        PrimeroClient(fake.url, USERNAME, PASSWORD).create_case(case_id, {**FIELDS, "age_group": "6_11"})
        assert fake.violations == [] and fake.cases[str(case_id)]["age_group"] == "6_11"
