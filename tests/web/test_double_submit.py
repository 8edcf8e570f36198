"""A case page form sent twice (a double click, a resend after a slow answer) adds its note, consent, follow-up or
referral once; a refused form leaves its key free for the corrected one."""
from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from casecore.base import utcnow
from casecore.cases.models import CaseConsent, CaseEvent, CaseFollowUp, Referral
from casecore.form_once import KEEP_FORM_KEYS, FormUse, forget_old_forms
from tests.web.conftest import csrf_from
from tests.web.test_case_referrals import _consent, world  # noqa: F401 (the case, its worker, a clinic)

FORMS = {
    "note": ("notes", {"text": "Visite à domicile faite"}, CaseEvent, CaseEvent.kind == "note"),
    "consent": ("consents", {"purpose": "services", "given": "yes", "given_by": "caregiver"}, CaseConsent, None),
    "follow-up": ("follow-ups", {"kind": "visit", "notes": "La mère était là"}, CaseFollowUp, None),
}


def _send(client, world, path, data):
    token = csrf_from(client.get(f"/cases/{world['case_id']}").get_data(as_text=True))
    return client.post(f"/cases/{world['case_id']}/{path}", data={"csrf_token": token, **data})


def _count(uow, world, model, condition=None) -> int:
    query = select(func.count()).select_from(model).where(model.case_id == world["case_id"])
    with uow() as session:
        return session.scalar(query if condition is None else query.where(condition))


@pytest.mark.parametrize("form", FORMS)
def test_the_same_form_twice_adds_once_and_another_form_adds_again(client, world, login, uow, form):  # noqa: F811
    path, data, model, condition = FORMS[form]
    login(world["caseworker"])
    before = _count(uow, world, model, condition)
    key = str(uuid.uuid4())
    for _ in range(2):
        assert _send(client, world, path, {**data, "form_key": key}).status_code == 302
    assert _count(uow, world, model, condition) == before + 1
    assert _send(client, world, path, {**data, "form_key": str(uuid.uuid4())}).status_code == 302
    assert _count(uow, world, model, condition) == before + 2


def test_a_refused_form_keeps_its_key_for_the_corrected_one(client, world, login, uow):  # noqa: F811
    login(world["caseworker"])
    key = str(uuid.uuid4())
    assert _send(client, world, "notes", {"text": "   ", "form_key": key}).status_code == 400
    assert _send(client, world, "notes", {"text": "Appel à la tante", "form_key": key}).status_code == 302
    assert _count(uow, world, CaseEvent, CaseEvent.kind == "note") == 1


def test_a_malformed_key_is_refused_with_a_reason(client, world, login, uow):  # noqa: F811
    login(world["caseworker"])
    response = _send(client, world, "notes", {"text": "Appel", "form_key": "not-a-key"})
    assert response.status_code == 400
    assert _count(uow, world, CaseEvent, CaseEvent.kind == "note") == 0


def test_a_referral_sent_twice_refers_once(client, world, login, uow):  # noqa: F811
    _consent(uow, world)
    login(world["caseworker"])
    page = f"/cases/{world['case_id']}/referrals"
    key = str(uuid.uuid4())
    for _ in range(2):
        token = csrf_from(client.get(page).get_data(as_text=True))
        response = client.post(page, data={"csrf_token": token, "service_id": str(world["clinic_id"]),
                                           "form_key": key})
        assert response.status_code == 302
    with uow() as session:
        assert session.scalar(select(func.count()).select_from(Referral)) == 1


def test_each_form_of_the_page_carries_its_own_key(client, world, login):  # noqa: F811
    login(world["caseworker"])
    html = client.get(f"/cases/{world['case_id']}").get_data(as_text=True)
    keys = re.findall(r'name="form_key" value="([0-9a-f-]{36})"', html)
    assert len(keys) >= 3 and len(set(keys)) == len(keys)


def test_the_scheduler_forgets_keys_too_old_to_come_back(client, world, login, uow):  # noqa: F811
    login(world["caseworker"])
    for _ in range(2):
        _send(client, world, "notes", {"text": "Appel", "form_key": str(uuid.uuid4())})
    with uow() as session:
        session.scalars(select(FormUse)).first().used_at = utcnow() - KEEP_FORM_KEYS - timedelta(minutes=1)
    with uow() as session:
        assert forget_old_forms(session, utcnow()) == 1
        assert session.scalar(select(func.count()).select_from(FormUse)) == 1
