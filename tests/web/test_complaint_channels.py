"""A complaint made by SMS (Africa's Talking) and by WhatsApp (Twilio), from the provider's payload to the answer on
the complainant's phone and into the figures: only the focal point is told, the answer goes back on the channel the
person used.

(The USSD loop is in tests/integration/complaints/test_complaint_handling.py; staff intake in tests/web/test_complaint_pages.py.)
"""
from __future__ import annotations

import pytest
from sqlalchemy import select

from casecore.complaints import handling
from casecore.complaints.access import view_complaint
from casecore.complaints.figures import complaint_figures
from casecore.complaints.models import Complaint
from casecore.people.organisations import find_organisation
from casecore.periods import period_for
from channels.sms.encoding import to_gsm7
from tests.factories import as_staff, make_user
from tests.queues import drain
from tests.web.test_text_conversations import PHONE, Phone, app, providers, uow  # noqa: F401 (fixtures)
from workers.queueing import enqueue_send

FOCAL_POINT = "+22376000009"
ANSWER = "Relais: nous avons écouté votre plainte et agi. Merci de nous l'avoir dite."


@pytest.fixture
def people(app):  # noqa: F811 (the fixture imported above)
    with uow(app) as session:
        org = find_organisation(session, "demo")
        focal = make_user(session, org, role="focal_point", phone=FOCAL_POINT)
        return as_staff(focal)


@pytest.mark.parametrize("channel, keyword", [("sms", "PLAINTE"), ("whatsapp", "COMPLAINT")])
def test_a_complaint_by_text_reaches_the_focal_point_alone_and_the_answer_comes_back_on_that_channel(
        app, providers, people, channel, keyword):  # noqa: F811
    phone = Phone(app, providers, channel)
    phone.send(keyword)
    # staff behaviour, a description, not anonymous, send
    for answer in ["3", "Il a demandé de l'argent pour inscrire mon fils", "2"]:
        phone.send(answer)
    [thanks] = phone.send("1")
    with uow(app) as session:
        complaint = session.scalars(select(Complaint)).one()
        cid, reference = complaint.id, complaint.reference
        assert (complaint.channel, complaint.category, complaint.contact_phone) == (channel, "staff_misconduct", PHONE)
    assert reference in thanks
    at, twilio = providers
    alerts = [r["form"] for r in at.requests if r["form"].get("to") != PHONE]
    # The focal point alone (not the supervisor: staff misconduct is sensitive), with the reference and no detail.
    assert [a["to"] for a in alerts] == [FOCAL_POINT]
    assert reference in alerts[0]["message"] and "argent" not in alerts[0]["message"]
    with uow(app) as session:
        view_complaint(session, people, cid)
        handling.acknowledge(session, people, cid)
        handling.add_note(session, people, cid, "Appel à la mère, l'agent reconnaît les faits")
        handling.resolve(session, people, cid, "Agent suspendu, somme rendue")
        informed = handling.inform_complainant(session, people, cid, ANSWER, sms_backend="africastalking",
                                               respell_sms=to_gsm7)
    runtime = app.extensions["relais"]
    enqueue_send(runtime.queue, informed.outbox_id)
    drain(runtime.queue)
    # SMS respelt for GSM-7 (through AT, the provider the person wrote through); WhatsApp keeps the accents.
    assert phone.replies() == [to_gsm7(ANSWER) if channel == "sms" else ANSWER]
    with uow(app) as session:
        handling.close(session, people, cid)
        assert session.get(Complaint, cid).status == "closed"
    # And it shows in the figures: counted under its channel, closed, within its deadline.
    with uow(app) as session:
        mine = complaint_figures(session, people, period_for("this_month")).breakdowns
    assert (mine.by_channel[channel], mine.by_category["staff_misconduct"], mine.by_status["closed"]) == (1, 1, 1)
    assert (mine.deadlines["all"].judged, mine.deadlines["all"].within) == (1, 1)
