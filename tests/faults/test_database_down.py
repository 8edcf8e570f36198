"""The database unreachable while providers call: each webhook answers an error status that makes its provider try
again (USSD a polite last screen), never a 500; once the database is back, the retried message is stored once."""
from __future__ import annotations

import shutil
from pathlib import Path

from casecore.migrate import upgrade_database
from tests.factories import make_organisation
from tests.faults.conftest import (
    FORM, fault_settings, inbox, outbox, post_at_delivery, post_at_sms, post_signed, post_twilio_message,
)
from tests.queues import drain
from tests.servers import free_port

AT_PERSON, WHATSAPP_PERSON = "+22376800001", "+22376800002"
UNAVAILABLE = "Service unavailable: "


class SqliteOutage:
    """A SQLite database file that can be made unreachable (a directory stands at its path) and brought back."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / "db" / "relais.db"
        self.aside = folder / "aside"
        self.url = f"sqlite:///{self.path}"
        upgrade_database(self.url)

    def go_down(self) -> None:
        self.aside.mkdir()
        for file in self.path.parent.glob(self.path.name + "*"):  # the database, and its -wal and -shm
            shutil.move(file, self.aside / file.name)
        self.path.mkdir()  # SQLite cannot open a directory: every new connection fails

    def come_back(self) -> None:
        self.path.rmdir()
        for file in self.aside.iterdir():
            shutil.move(file, self.path.parent / file.name)
        self.aside.rmdir()


def ussd_dial(client):
    form = {"sessionId": "ATUid_db_down", "serviceCode": "*384*1234#", "phoneNumber": AT_PERSON,
            "networkCode": "99999", "text": ""}
    return client.post("/webhooks/africastalking/ussd", data=form, content_type=FORM)


def assert_every_webhook_asks_for_a_retry(client):
    """Messages and delivery reports: 503 with a reason, so that providers that retry do; USSD: a polite END."""
    answers = {
        "at sms": post_at_sms(client, AT_PERSON, "Bonjour", "ATXid_db_down"),
        "twilio message": post_twilio_message(client, WHATSAPP_PERSON, "Bonjour", "SM" + "d" * 32),
        "at delivery": post_at_delivery(client, "ATXid_some_send", AT_PERSON),
        "twilio status": post_signed(client, "/webhooks/twilio/status", {
            "MessageSid": "SM" + "e" * 32, "MessageStatus": "delivered", "To": AT_PERSON, "AccountSid": "AC"}),
    }
    for name, answer in answers.items():
        assert answer.status_code == 503, (name, answer.status_code, answer.get_data(as_text=True))
        assert answer.get_data(as_text=True).startswith(UNAVAILABLE), name
    ussd = ussd_dial(client)
    assert ussd.status_code == 200 and ussd.mimetype == "text/plain"
    assert ussd.get_data(as_text=True).startswith("END "), ussd.get_data(as_text=True)


def test_with_the_database_down_providers_are_asked_to_retry_and_the_retry_is_stored_once(
        tmp_path, redis_url, fake_twilio, fake_at, make_runtime, client_for):
    database = SqliteOutage(tmp_path)
    seed = make_runtime(fault_settings(database.url, redis_url, fake_twilio, fake_at))
    with seed.unit_of_work() as session:
        make_organisation(session)
    seed.close()  # no pooled connection outlives the outage

    database.go_down()
    client = client_for(seed)
    assert_every_webhook_asks_for_a_retry(client)
    database.come_back()

    # The providers try again: the same ids, each delivered twice for good measure.
    for _ in range(2):
        assert post_at_sms(client, AT_PERSON, "Bonjour", "ATXid_db_down").status_code == 200
        assert post_twilio_message(client, WHATSAPP_PERSON, "Bonjour", "SM" + "d" * 32).status_code == 200
    rt = client.application.extensions["relais"]
    assert sorted((row.provider, row.provider_message_id) for row in inbox(rt)) == [
        ("africastalking", "ATXid_db_down"), ("twilio", "SM" + "d" * 32)]
    drain(rt.queue, runtime=rt)
    assert [r["form"]["to"] for r in fake_at.requests] == [AT_PERSON]
    assert [r["form"]["To"] for r in fake_twilio.requests] == [f"whatsapp:{WHATSAPP_PERSON}"]
    assert {row.status for row in outbox(rt)} == {"sent"}


def test_a_postgresql_server_refusing_connections_gets_retry_answers_never_a_500(
        redis_url, fake_twilio, fake_at, client_for, make_runtime):
    url = f"postgresql+psycopg://relais@127.0.0.1:{free_port()}/relais"  # nothing listens there
    client = client_for(make_runtime(fault_settings(url, redis_url, fake_twilio, fake_at)))
    assert_every_webhook_asks_for_a_retry(client)
