"""The complaint pages, on both databases: who sees which complaint in the list and on its page (every role against
every category, the named-staff rule), the focal point's workflow from the page and its refusals, re-filing under
a sensitive category, the staff intake form (once per form, alerts written), CSRF, and no number in the logs."""
from __future__ import annotations

import itertools
import uuid
from datetime import timedelta
from html import unescape

import pytest
from sqlalchemy import func, select

from casecore import taxonomy
from casecore.audit import AuditEvent
from casecore.base import utcnow
from casecore.complaints.intake import ComplaintDraft, submit_complaint
from casecore.complaints.models import Complaint, ComplaintNote
from casecore.messaging.models import OutboundMessage
from tests.factories import make_organisation, make_user
from tests.queues import drain, queued_job_ids
from tests.web.conftest import PASSWORD, assert_in_web_catalogues, csrf_from
from workers.queueing import send_job_id

COMPLAINANT = "+22376701430"
SENSITIVE = taxonomy.SENSITIVE_COMPLAINT_CATEGORIES
_sessions = itertools.count(1)


@pytest.fixture
def app(any_db_app):
    """The app on each database in turn."""
    return any_db_app


@pytest.fixture
def people(app, uow):
    """One organisation with a person of each role and a second focal point, and another organisation's focal
    point: emails and ids, and names (name_of)."""
    with uow() as session:
        org = make_organisation(session)
        users = {name: make_user(session, org, role=role, language="fr") for name, role in [
            ("focal", "focal_point"), ("focal_2", "focal_point"), ("supervisor", "supervisor"),
            ("worker", "caseworker"), ("admin", "admin")]}
        users["other_focal"] = make_user(session, make_organisation(session), role="focal_point", language="fr")
        return {"org_id": org.id, **{name: (user.email, user.id) for name, user in users.items()},
                "name_of": {name: user.display_name for name, user in users.items()}}


def make_complaint(app, org_id, category="service_quality", anonymous=False, received_at=None):
    """A complaint made on USSD, through the real service; returns (id, reference)."""
    runtime = app.extensions["relais"]
    with runtime.unit_of_work() as session:
        draft = ComplaintDraft(
            organisation_id=org_id, channel="ussd", channel_session_id=f"ATUid_p{next(_sessions)}",
            category=category, anonymous=anonymous, contact_phone=None if anonymous else COMPLAINANT,
            may_contact=not anonymous, description="Le agent m'a demandé de l'argent", language="fr",
            complainant_key=None)
        submitted = submit_complaint(session, draft, "ML", runtime.timelines)
        if received_at is not None:
            complaint = session.get(Complaint, submitted.id)
            complaint.received_at = received_at
            complaint.due_at = runtime.timelines.complaint_due(received_at, complaint.severity)
        return submitted.id, submitted.reference


def client_for(app, email):
    """A test client logged in as email, through the real form."""
    client = app.test_client()
    token = csrf_from(client.get("/login").get_data(as_text=True))
    assert client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token}).status_code == 302
    return client


def post(client, path, page, **data):
    """POST a form with the CSRF token of page (a page the client may open)."""
    token = csrf_from(client.get(page).get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, **data})


def act(client, complaint_id, step, **data):
    """POST one of the complaint page's forms."""
    return post(client, f"/complaints/{complaint_id}/{step}", f"/complaints/{complaint_id}", **data)


def text_of(response) -> str:
    return unescape(response.get_data(as_text=True))


def actions(uow, user_id):
    with uow() as session:
        return list(session.scalars(select(AuditEvent.action).where(AuditEvent.user_id == user_id)))


# -- who sees what ---------------------------------------------------------------------------------------------------

NON_SENSITIVE = set(taxonomy.COMPLAINT_CATEGORIES) - SENSITIVE
READS = {"focal": set(taxonomy.COMPLAINT_CATEGORIES), "supervisor": NON_SENSITIVE, "other_focal": set()}


@pytest.mark.parametrize("who", ["focal", "supervisor", "other_focal", "worker", "admin"])
def test_each_role_lists_and_opens_only_the_complaints_it_may_read(app, uow, people, who):
    made = {category: make_complaint(app, people["org_id"], category) for category in taxonomy.COMPLAINT_CATEGORIES}
    client = client_for(app, people[who][0])
    listed = client.get("/complaints?status=all")
    if who in ("worker", "admin"):
        assert listed.status_code == 403
        assert "Les plaintes sont traitées par les points focaux plaintes." in text_of(listed)
        for complaint_id, reference in made.values():
            answer = client.get(f"/complaints/{complaint_id}")
            assert answer.status_code == 403 and reference not in text_of(answer)
        assert client.get(f"/complaints/{uuid.uuid4()}").status_code == 403  # the same answer: nothing learnt
        return
    assert listed.status_code == 200
    html = text_of(listed)
    for category, (complaint_id, reference) in made.items():
        readable = category in READS[who]
        assert (reference in html) == readable, category
        page = client.get(f"/complaints/{complaint_id}")
        assert page.status_code == (200 if readable else 404), category
        assert (reference in text_of(page)) == readable
    assert client.get(f"/complaints/{uuid.uuid4()}").status_code == 404
    assert client.get("/complaints/not-an-id").status_code == 404
    assert "complaints.viewed" in actions(uow, people[who][1])
    if who != "other_focal":
        assert "complaint.viewed" in actions(uow, people[who][1])


def test_a_focal_point_named_in_a_complaint_neither_lists_nor_opens_it(app, uow, people):
    complaint_id, reference = make_complaint(app, people["org_id"], "staff_misconduct")
    other_id, other_reference = make_complaint(app, people["org_id"], "staff_misconduct")
    focal = client_for(app, people["focal"][0])
    answer = act(focal, complaint_id, "staff", user_id=str(people["focal_2"][1]))
    assert answer.status_code == 302
    assert "Les personnes mises en cause sont enregistrées." in text_of(focal.get(answer.location))
    named = client_for(app, people["focal_2"][0])
    html = text_of(named.get("/complaints"))
    assert reference not in html and other_reference in html
    assert named.get(f"/complaints/{complaint_id}").status_code == 404
    assert act(named, other_id, "staff", user_id=str(people["worker"][1])).status_code == 302
    assert act(named, complaint_id, "acknowledge").status_code == 404


def test_a_focal_point_naming_themselves_is_sent_to_the_list_and_loses_the_complaint(app, people):
    complaint_id, reference = make_complaint(app, people["org_id"], "fraud_corruption")
    focal = client_for(app, people["focal"][0])
    page = text_of(focal.get(f"/complaints/{complaint_id}"))
    assert "Si vous vous mettez vous-même en cause, vous en perdez aussitôt l'accès" in page
    answer = act(focal, complaint_id, "staff", user_id=str(people["focal"][1]))
    assert answer.status_code == 302 and answer.location.endswith("/complaints")
    html = text_of(focal.get(answer.location))
    assert "vous n'y avez plus accès" in html and reference not in html
    assert focal.get(f"/complaints/{complaint_id}").status_code == 404


# -- the list --------------------------------------------------------------------------------------------------------

def test_the_list_filters_by_status_and_category_pages_by_50_and_shows_what_is_overdue(app, uow, people):
    org = people["org_id"]
    start = utcnow() - timedelta(days=30)
    old = [make_complaint(app, org, "other", received_at=start + timedelta(minutes=n)) for n in range(50)]
    _newest_id, newest = make_complaint(app, org, "no_response")
    closed_id, closed = make_complaint(app, org, "service_quality")
    with uow() as session:
        session.get(Complaint, closed_id).status = "closed"
    focal = client_for(app, people["focal"][0])
    first = text_of(focal.get("/complaints"))
    assert newest in first and closed not in first and old[-1][1] in first and old[0][1] not in first
    assert first.index(newest) < first.index(old[-1][1])  # newest first
    assert "Plaintes plus anciennes" in first and "En retard" in first and "Pas de réponse, retard" in first
    second = text_of(focal.get("/complaints?page=2"))
    assert old[0][1] in second and newest not in second and "Plaintes plus récentes" in second
    closed_only = text_of(focal.get("/complaints?status=closed"))
    assert closed in closed_only and newest not in closed_only
    by_category = text_of(focal.get("/complaints?status=all&category=no_response"))
    assert newest in by_category and closed not in by_category and old[0][1] not in by_category
    for bad in ("status=shut", "category=gossip", "page=0", "page=x"):
        assert focal.get(f"/complaints?{bad}").status_code == 400, bad


# -- the focal point's workflow -------------------------------------------------------------------------------------

def test_a_focal_point_runs_the_whole_workflow_from_the_page(app, uow, people, caplog):
    complaint_id, _reference = make_complaint(app, people["org_id"], "no_response")
    focal = client_for(app, people["focal"][0])
    caplog.set_level("DEBUG")
    page = text_of(focal.get(f"/complaints/{complaint_id}"))
    assert COMPLAINANT in page and "accepte d'être recontacté" in page and "Pas de réponse, retard" in page
    assert "Confirmer la réception" in page and "Marquer comme résolue" not in page
    answer = act(focal, complaint_id, "acknowledge")
    assert answer.status_code == 302
    assert "La réception de la plainte est confirmée." in text_of(focal.get(answer.location))
    key = str(uuid.uuid4())
    for _ in range(2):  # the same note form sent twice
        assert act(focal, complaint_id, "notes", text="Appelé la plaignante", form_key=key).status_code == 302
    assert act(focal, complaint_id, "severity", severity="high").status_code == 302
    assert act(focal, complaint_id, "resolve", outcome="Le centre répond désormais sous 48 h").status_code == 302
    page = text_of(focal.get(f"/complaints/{complaint_id}"))
    assert "Deux SMS au plus" in page and "Clôturer la plainte" in page
    answer = act(focal, complaint_id, "inform", text="Votre plainte a été traitée. Bonne fête.")
    assert answer.status_code == 302
    with uow() as session:
        message = session.scalars(select(OutboundMessage)).one()
        # Respelt for GSM-7 as a case worker's message is: é is in its alphabet, ê is not.
        assert (message.to_phone, message.body) == (COMPLAINANT, "Votre plainte a été traitée. Bonne fete.")
    assert send_job_id(message.id) in queued_job_ids(app.extensions["relais"].queue)
    assert act(focal, complaint_id, "close", confirmed="1").status_code == 302
    page = text_of(focal.get(f"/complaints/{complaint_id}"))
    trail = page[page.index("Suivi privé"):]
    for words in ("Réception confirmée", "Appelé la plaignante", "Gravité modifiée", "Élevée", "Résolue",
                  "Le centre répond désormais sous 48 h", "Plaignant informé", "Clôturé", people["name_of"]["focal"]):
        assert words in trail, words
    assert "Confirmer la réception" not in page and "Ajouter une note privée" not in page
    with uow() as session:
        assert session.scalar(select(func.count()).select_from(ComplaintNote).where(ComplaintNote.kind == "note")) == 1
        assert session.get(Complaint, complaint_id).status == "closed"
    assert {"complaint.acknowledged", "complaint.noted", "complaint.severity_changed", "complaint.resolved",
            "complaint.complainant_informed", "complaint.closed"} <= set(actions(uow, people["focal"][1]))
    assert "76701430" not in caplog.text and "Bonne f" not in caplog.text and "Appelé" not in caplog.text


@pytest.mark.parametrize("step, data, status, words", [
    ("resolve", {"outcome": "Fait"}, 409, "Seule une plainte dont la réception est confirmée peut être résolue."),
    ("close", {}, 409, "La plainte doit d'abord être résolue."),
    ("notes", {"text": "Trop tôt"}, 409, "Confirmez d'abord la réception de la plainte."),
    ("severity", {"severity": "urgent"}, 400, "Une valeur du formulaire n'est pas valide."),
    ("category", {"category": "gossip"}, 400, "Une valeur du formulaire n'est pas valide."),
    ("staff", {}, 400, "Choisissez les membres du personnel que la plainte met en cause."),
    ("staff", {"user_id": str(uuid.uuid4())}, 400, "Une valeur du formulaire n'est pas valide."),
])
def test_a_step_out_of_order_or_a_bad_value_is_refused_with_the_reason(app, people, step, data, status, words):
    complaint_id, _reference = make_complaint(app, people["org_id"])
    focal = client_for(app, people["focal"][0])
    answer = act(focal, complaint_id, step, **data)
    assert answer.status_code == status and words in text_of(answer)


def test_texts_are_checked_and_an_anonymous_complainant_cannot_be_informed(app, uow, people):
    complaint_id, _reference = make_complaint(app, people["org_id"], anonymous=True)
    focal = client_for(app, people["focal"][0])
    page = text_of(focal.get(f"/complaints/{complaint_id}"))
    assert "Anonyme" in page and COMPLAINANT not in page
    act(focal, complaint_id, "acknowledge")
    answer = act(focal, complaint_id, "notes", text="  ", form_key=str(uuid.uuid4()))
    assert answer.status_code == 400 and "Écrivez la note." in text_of(answer)
    answer = act(focal, complaint_id, "resolve", outcome="x" * 2001)
    assert answer.status_code == 400 and "Le texte est trop long." in text_of(answer)
    assert "x" * 2001 in text_of(answer)  # the form keeps what was typed
    act(focal, complaint_id, "resolve", outcome="Service amélioré")
    assert "Envoyer au plaignant" not in text_of(focal.get(f"/complaints/{complaint_id}"))
    answer = act(focal, complaint_id, "inform", text="Merci")
    assert answer.status_code == 409 and "n'a pas laissé de numéro" in text_of(answer)
    asked = act(focal, complaint_id, "close")
    assert asked.status_code == 200 and "Clôturer cette plainte ?" in text_of(asked)
    assert '<input type="hidden" name="confirmed" value="1">' in text_of(asked)
    with uow() as session:
        assert session.get(Complaint, complaint_id).status == "resolved"  # asked, not done
    assert act(focal, complaint_id, "close", confirmed="1").status_code == 302
    answer = act(focal, complaint_id, "close", confirmed="1")
    assert answer.status_code == 409 and "La plainte est clôturée." in text_of(answer)
    with uow() as session:
        assert session.scalar(select(func.count()).select_from(OutboundMessage)) == 0


@pytest.mark.parametrize("who, status", [("supervisor", 403), ("worker", 403), ("admin", 403), ("other_focal", 404)])
def test_only_the_organisations_focal_points_act_on_a_complaint(app, uow, people, who, status):
    complaint_id, _reference = make_complaint(app, people["org_id"])
    client = client_for(app, people[who][0])
    if who == "supervisor":
        page = text_of(client.get(f"/complaints/{complaint_id}"))
        assert "Confirmer la réception" not in page and "les points focaux plaintes la traitent" in page
        token = csrf_from(page)
    else:
        token = csrf_from(client.get("/complaints/new").get_data(as_text=True))
    for step, data in [("acknowledge", {}), ("category", {"category": "data_breach"}),
                       ("severity", {"severity": "critical"}), ("staff", {"user_id": str(people["worker"][1])})]:
        answer = client.post(f"/complaints/{complaint_id}/{step}", data={"csrf_token": token, **data})
        assert answer.status_code == status, step
    with uow() as session:
        complaint = session.get(Complaint, complaint_id)
        assert (complaint.status, complaint.category, complaint.severity) == ("new", "service_quality", "low")


def test_re_filing_a_complaint_as_sensitive_hides_it_from_the_supervisor_at_once(app, uow, people):
    complaint_id, reference = make_complaint(app, people["org_id"], "service_quality")
    supervisor = client_for(app, people["supervisor"][0])
    assert reference in text_of(supervisor.get("/complaints"))
    assert supervisor.get(f"/complaints/{complaint_id}").status_code == 200
    focal = client_for(app, people["focal"][0])
    answer = act(focal, complaint_id, "category", category="sexual_exploitation_abuse")
    assert answer.status_code == 302
    page = text_of(focal.get(answer.location))
    assert "La catégorie est modifiée." in page and "Catégorie modifiée" in page and "Critique" in page
    assert reference not in text_of(supervisor.get("/complaints?status=all"))
    assert supervisor.get(f"/complaints/{complaint_id}").status_code == 404
    with uow() as session:
        complaint = session.get(Complaint, complaint_id)
        assert (complaint.category, complaint.severity) == ("sexual_exploitation_abuse", "critical")
        assert complaint.due_at == complaint.received_at + timedelta(hours=24)


# -- staff intake ----------------------------------------------------------------------------------------------------

def intake(client, **overrides):
    page = text_of(client.get("/complaints/new"))
    key = page.split('name="form_key" value="', 1)[1].split('"', 1)[0]
    data = {"channel": "in_person", "category": "staff_misconduct", "description": "Il a crié sur ma fille",
            "contact": "76 70 14 30", "may_contact": "yes", "language": "fr", "form_key": key,
            "csrf_token": csrf_from(page)}
    data.update(overrides)
    return client.post("/complaints/new", data={k: v for k, v in data.items() if v is not None})


@pytest.mark.parametrize("who", ["worker", "supervisor", "admin", "focal"])
def test_any_staff_member_logs_a_complaint_and_the_focal_points_are_alerted(app, uow, people, who, caplog):
    client = client_for(app, people[who][0])
    page = text_of(client.get("/complaints/new"))
    assert "ne sont vues que par les points focaux plaintes" in page
    caplog.set_level("DEBUG")
    answer = intake(client, named_staff=str(people["focal_2"][1]))
    assert answer.status_code == 302
    with uow() as session:
        complaint = session.scalars(select(Complaint)).one()
        assert (complaint.channel, complaint.received_by_id, complaint.contact_phone) == (
            "in_person", people[who][1], COMPLAINANT)
        reference, complaint_id = complaint.reference, complaint.id
    html = text_of(client.get(answer.location))
    assert f"Plainte enregistrée : référence {reference}. Donnez-la au plaignant." in html
    assert ("vous ne la verrez plus dans Relais" in html) == (who != "focal")
    drain(app.extensions["relais"].queue)
    with uow() as session:
        outbox = {m.to_phone: m.body for m in session.scalars(select(OutboundMessage))}
        focal_phone = session.scalar(select(func.min(OutboundMessage.to_phone))
                                     .where(OutboundMessage.recipient_user_id == people["focal"][1]))
    assert reference in outbox[focal_phone] and "crié" not in outbox[focal_phone]
    assert reference in outbox[COMPLAINANT]  # the acknowledgement
    assert len(outbox) == 2  # the named focal point is not told
    assert "76701430" not in caplog.text and "70 14 30" not in caplog.text
    assert client.get(f"/complaints/{complaint_id}").status_code == (200 if who == "focal" else
                                                                     403 if who in ("worker", "admin") else 404)


def test_a_supervisor_who_logs_a_complaint_they_may_read_is_not_told_they_will_not_see_it(app, people):
    client = client_for(app, people["supervisor"][0])
    answer = intake(client, category="no_response")
    assert "vous ne la verrez plus" not in text_of(client.get(answer.location))


def test_the_same_form_sent_twice_logs_one_complaint(app, uow, people):
    client = client_for(app, people["worker"][0])
    key = str(uuid.uuid4())
    first = intake(client, form_key=key)
    second = intake(client, form_key=key)
    assert first.status_code == second.status_code == 302
    with uow() as session:
        [reference] = session.scalars(select(Complaint.reference)).all()
    assert reference in text_of(client.get(second.location))


@pytest.mark.parametrize("overrides, words", [
    ({"contact": "12"}, "Le numéro à rappeler n'est pas un numéro de téléphone valide."),
    ({"category": "gossip"}, "Choisissez une catégorie dans la liste."),
    ({"channel": "ussd"}, "Indiquez comment la plainte a été reçue"),
    ({"language": "de"}, "Choisissez la langue du plaignant"),
    ({"description": "é" * 501}, "La description est limitée à 500 caractères."),
    ({"contact": ""}, "Indiquez le numéro à rappeler"),
    ({"form_key": "x"}, "Une valeur du formulaire n'est pas valide."),
])
def test_a_bad_intake_form_is_refused_with_the_reason_and_refilled(app, uow, people, overrides, words, caplog):
    client = client_for(app, people["worker"][0])
    caplog.set_level("DEBUG")
    answer = intake(client, **overrides)
    html = text_of(answer)
    assert answer.status_code == 400 and words in html
    assert "Il a crié sur ma fille" in html or "é" * 501 in html
    assert "76701430" not in caplog.text
    with uow() as session:
        assert session.scalar(select(func.count()).select_from(Complaint)) == 0


def test_an_anonymous_complaint_keeps_no_number(app, uow, people):
    client = client_for(app, people["worker"][0])
    assert intake(client, anonymous="yes", channel="phone_call").status_code == 302
    with uow() as session:
        complaint = session.scalars(select(Complaint)).one()
        assert (complaint.anonymous, complaint.contact_phone, complaint.complainant_key) == (True, None, None)


# -- the forms and the menu ------------------------------------------------------------------------------------------

def test_forms_need_the_csrf_token(app, uow, people):
    complaint_id, _reference = make_complaint(app, people["org_id"])
    focal = client_for(app, people["focal"][0])
    assert focal.post(f"/complaints/{complaint_id}/acknowledge").status_code == 400
    assert focal.post("/complaints/new", data={"channel": "in_person", "category": "other", "language": "fr",
                                               "form_key": str(uuid.uuid4())}).status_code == 400
    with uow() as session:
        assert session.scalar(select(func.count()).select_from(Complaint)) == 1
        assert session.get(Complaint, complaint_id).status == "new"


@pytest.mark.parametrize("who, lands_on, lists", [
    ("focal", "/complaints", True), ("supervisor", "/triage", True), ("worker", "/cases", False),
    ("admin", "/admin/users", False),
])
def test_the_menu_links_to_the_complaints_for_their_readers_and_to_the_form_for_everyone(app, people, who, lands_on,
                                                                                         lists):
    client = app.test_client()
    token = csrf_from(client.get("/login").get_data(as_text=True))
    answer = client.post("/login", data={"email": people[who][0], "password": PASSWORD, "csrf_token": token})
    assert answer.location.endswith(lands_on)
    html = client.get(lands_on).get_data(as_text=True)
    assert ('href="/complaints"' in html) == lists and 'href="/complaints/new"' in html


# -- from a reading of the pages -------------------------------------------------------------------------------------

def test_a_supervisor_sees_that_a_note_was_written_not_what_it_says(app, uow, people):
    complaint_id, _reference = make_complaint(app, people["org_id"])
    focal = client_for(app, people["focal"][0])
    assert act(focal, complaint_id, "acknowledge").status_code == 302
    assert act(focal, complaint_id, "notes", text="La mère dit que l'agent boit").status_code == 302
    assert "La mère dit que l'agent boit" in text_of(focal.get(f"/complaints/{complaint_id}"))
    page = text_of(client_for(app, people["supervisor"][0]).get(f"/complaints/{complaint_id}"))
    assert "Note" in page and "l'agent boit" not in page


# A fixed unknown id, not uuid4(): pytest-xdist's workers must collect the same test names.
@pytest.mark.parametrize("named", ["junk", "\x00", "5b0e2a4c-8d1f-4e3a-9c6b-7f2d1e0a9b38"])
def test_a_named_staff_id_that_is_not_one_of_the_organisations_is_a_form_error(app, uow, people, named):
    response = intake(client_for(app, people["worker"][0]), named_staff=named)
    assert response.status_code == 400 and "n'est pas valide" in text_of(response)
    with uow() as session:
        assert session.scalar(select(func.count()).select_from(Complaint)) == 0


def test_a_call_back_number_of_control_characters_is_asked_again(app, uow, people):
    response = intake(client_for(app, people["worker"][0]), contact="\x00\x07")
    assert response.status_code == 400 and "Indiquez le numéro à rappeler" in text_of(response)


@pytest.mark.parametrize("page", ["²", "٣", "0", "-1"])
def test_an_odd_page_number_is_refused_with_a_reason(app, people, page):
    response = client_for(app, people["focal"][0]).get(f"/complaints?page={page}")
    assert response.status_code == 400


def test_a_focal_point_naming_themselves_in_capitals_gives_the_complaint_up(app, uow, people):
    complaint_id, _reference = make_complaint(app, people["org_id"])
    focal = client_for(app, people["focal"][0])
    response = act(focal, complaint_id, "staff", user_id=str(people["focal"][1]).upper())
    assert response.status_code == 302 and response.location.endswith("/complaints")
    assert focal.get(f"/complaints/{complaint_id}").status_code == 404


def test_every_complaint_page_string_is_in_both_web_catalogues():
    assert_in_web_catalogues([("app/complaints/**.py", "python"), ("app/web/words.py", "python"),
                              ("app/templates/complaints/**.html", "jinja2")])


def test_a_step_sent_twice_is_done_once_and_not_refused(app, uow, people):
    complaint_id, _reference = make_complaint(app, people["org_id"])
    focal = client_for(app, people["focal"][0])
    key = str(uuid.uuid4())
    for _ in range(2):  # a double click on "Acknowledge"
        answer = act(focal, complaint_id, "acknowledge", form_key=key)
        assert answer.status_code == 302
    with uow() as session:
        kinds = session.scalars(select(ComplaintNote.kind).where(ComplaintNote.complaint_id == complaint_id)).all()
    assert kinds == ["acknowledged"]
    # Another form (another key) asking the same is refused as done already, with the reason.
    assert act(focal, complaint_id, "acknowledge", form_key=str(uuid.uuid4())).status_code == 409
