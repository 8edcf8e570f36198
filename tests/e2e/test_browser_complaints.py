"""Complaints in a real browser (headless Chromium), in French: two complaints made on USSD through the real webhook,
the focal point alerted by SMS (fake Africa's Talking) handles one from acknowledgement to closure and the
complainant receives the answer; the supervisor never sees the sensitive one; a case worker logs a complaint received
in person from the form and gets its reference. Only the pages are used to act; the database and the fake provider
are read to check what left the system.
"""
from __future__ import annotations

from urllib.parse import urlencode

import pytest
import requests
from sqlalchemy import select

from bootstrap import bootstrap
from casecore.complaints.models import Complaint
from dialogs.community import main_menu_token
from tests.conftest import make_settings
from tests.e2e.support import SUPERVISOR_EMAIL, SUPERVISOR_PASSWORD, log_in, log_out, serving_app
from tests.factories import make_organisation, make_user
from tests.fakes.africastalking import FakeAfricasTalking
from tests.queues import drain

pytestmark = pytest.mark.e2e

PASSWORD = SUPERVISOR_PASSWORD
FOCAL_POINT = "plaintes@example.org"
FOCAL_PHONE = "+22376000024"
WORKER = "fatoumata@example.org"
COMPLAINANT = "+22376701430"
OTHER_COMPLAINANT = "+22376701431"
WEBHOOK_TOKEN = "e2e-at-token"


@pytest.fixture
def desk(sqlite_url, redis_url):
    """The app on a real HTTP server, sending SMS to a fake Africa's Talking, receiving for organisation "demo": its
    focal point, supervisor and a case worker."""
    with FakeAfricasTalking(api_key="at-key") as provider:
        runtime = bootstrap(make_settings(
            DATABASE_URL=sqlite_url, REDIS_URL=redis_url, SMS_BACKEND="africastalking", AT_API_URL=provider.url,
            AT_USERNAME="relais", AT_API_KEY="at-key", AT_WEBHOOK_TOKEN=WEBHOOK_TOKEN, PROVIDER_TIMEOUT=2.0,
            DEFAULT_ORGANISATION="demo"))
        with runtime.unit_of_work() as session:
            org = make_organisation(session, slug="demo")
            make_user(session, org, email=FOCAL_POINT, password=PASSWORD, role="focal_point", phone=FOCAL_PHONE)
            make_user(session, org, email=SUPERVISOR_EMAIL, password=PASSWORD, role="supervisor", phone="+22376000011")
            make_user(session, org, email=WORKER, password=PASSWORD, role="caseworker", phone="+22376000021")
        with serving_app() as base:
            yield base, runtime, provider
        runtime.close()


def complain_on_ussd(base: str, runtime, session_id: str, phone: str, category_choice: str) -> str:
    """A complaint made on USSD, step by step through the webhook (French, not anonymous); returns its reference."""
    inputs = ["1", main_menu_token("complaint"), category_choice, "2", "1"]
    for n in range(len(inputs) + 1):
        form = {"sessionId": session_id, "serviceCode": "*384#", "phoneNumber": phone, "networkCode": "99999",
                "text": "*".join(inputs[:n])}
        response = requests.post(f"{base}/webhooks/africastalking/ussd?token={WEBHOOK_TOKEN}",
                                 data=urlencode(form), timeout=10,
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert response.status_code == 200, response.text
    assert response.text.startswith("END")
    with runtime.unit_of_work() as session:
        reference = session.scalars(select(Complaint.reference)
                                    .where(Complaint.channel_session_id == session_id)).one()
    assert reference in response.text
    return reference


def sent_to(provider, phone: str) -> list[str]:
    return [r["form"]["message"] for r in provider.requests if r["form"]["to"] == phone]


def test_a_ussd_complaint_is_handled_to_its_answer_and_staff_log_one_in_person(browser, desk):
    base, runtime, provider = desk
    reference = complain_on_ussd(base, runtime, "ATUid_cx1", COMPLAINANT, "1")  # poor service
    sensitive = complain_on_ussd(base, runtime, "ATUid_cx2", OTHER_COMPLAINANT, "4")  # sexual exploitation
    drain(runtime.queue, runtime=runtime)
    alerts = sent_to(provider, FOCAL_PHONE)
    assert len(alerts) == 2 and all("abus" not in alert.lower() for alert in alerts)
    assert any(reference in alert for alert in alerts) and any(sensitive in alert for alert in alerts)

    # 1. The focal point lands on the complaints, opens the one about the service and handles it to the end.
    page = browser.new_page()
    page.goto(f"{base}/login")
    log_in(page, base, FOCAL_POINT, PASSWORD, "/complaints")
    listing = page.locator("main").inner_text()
    assert reference in listing and sensitive in listing and "Exploitation, abus sexuels" in listing
    page.get_by_role("link", name=reference).click()
    assert "Mauvais service" in page.locator("dl.details").inner_text()
    assert COMPLAINANT in page.locator("dl.details").inner_text()
    page.get_by_role("button", name="Confirmer la réception").click()
    assert "La réception de la plainte est confirmée." in page.locator("main").inner_text()
    page.get_by_label("Note (vue seulement par les points focaux plaintes)").fill("Appelé le centre de Kati.")
    page.get_by_role("button", name="Ajouter la note").click()
    assert "En cours d'enquête" in page.locator("h1").inner_text()
    page.get_by_label("Suite donnée : ce qui a été constaté et fait").fill("Le centre rappelle sous 48 h.")
    page.get_by_role("button", name="Marquer comme résolue").click()
    page.get_by_label("Message au plaignant").fill("Relais: votre plainte a été traitée. Merci.")
    page.get_by_role("button", name="Envoyer au plaignant").click()
    assert "Le message au plaignant est en cours d'envoi." in page.locator("main").inner_text()
    drain(runtime.queue, runtime=runtime)
    # First the reference by SMS (the USSD screen is gone), then the focal point's answer.
    assert sent_to(provider, COMPLAINANT) == [f"Relais: votre message nous est parvenu. Votre référence: {reference}",
                                              "Relais: votre plainte a été traitée. Merci."]
    page.get_by_role("button", name="Clôturer la plainte").click()
    page.locator("form.confirm").get_by_role("button", name="Clôturer la plainte").click()  # it asks first
    page.wait_for_selector("#trail")
    assert "Clôturé" in page.locator("h1").inner_text()
    trail = page.locator("#trail").inner_text()
    for words in ("Réception confirmée", "Appelé le centre de Kati.", "Résolue", "Plaignant informé"):
        assert words in trail, words
    log_out(page, base)

    # 2. The supervisor reads the complaint about the service, never the sensitive one.
    log_in(page, base)
    page.get_by_role("navigation", name="Principal").get_by_role("link", name="Plaintes", exact=True).click()
    page.get_by_label("Statut").select_option(label="Clôturées ou non")
    page.get_by_role("button", name="Afficher").click()
    listing = page.locator("main").inner_text()
    assert reference in listing and sensitive not in listing
    with runtime.unit_of_work() as session:
        sensitive_id = session.scalars(select(Complaint.id).where(Complaint.reference == sensitive)).one()
    assert page.goto(f"{base}/complaints/{sensitive_id}").status == 404
    assert sensitive not in page.content()
    log_out(page, base)

    # 3. A case worker logs a complaint received in person and gets the reference to give.
    log_in(page, base, WORKER, PASSWORD, "/cases")
    page.get_by_role("link", name="Enregistrer une plainte", exact=True).click()
    page.get_by_label("En personne").check()
    page.get_by_label("Catégorie").select_option(label="Conduite d'un agent")
    page.get_by_label("Ce que le plaignant a dit").fill("Un agent a crié sur ma fille au centre.")
    page.get_by_label("Numéro à rappeler (s'il n'est pas anonyme)").fill("76 70 14 32")
    page.get_by_label("Il accepte d'être recontacté", exact=False).check()
    page.get_by_role("button", name="Enregistrer la plainte").click()
    done = page.locator("main").inner_text()
    with runtime.unit_of_work() as session:
        logged = session.scalars(select(Complaint).where(Complaint.channel == "in_person")).one()
        assert (logged.category, logged.contact_phone) == ("staff_misconduct", "+22376701432")
    assert f"Plainte enregistrée : référence {logged.reference}. Donnez-la au plaignant." in done
    assert "vous ne la verrez plus dans Relais" in done
    assert page.goto(f"{base}/complaints/{logged.id}").status == 403
    drain(runtime.queue, runtime=runtime)
    assert any(logged.reference in alert for alert in sent_to(provider, FOCAL_PHONE))
    assert [logged.reference in sms for sms in sent_to(provider, "+22376701432")] == [True]  # the acknowledgement
