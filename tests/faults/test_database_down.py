"""The database unreachable while providers call: each webhook answers an error status that makes its provider try
again (USSD a polite last screen), never a 500; once the database is back, the retried message is stored once."""
from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from casecore import db
from casecore.migrate import upgrade_database
from tests.factories import make_organisation
from tests.faults.conftest import (
    FORM,
    fault_settings,
    inbox,
    outbox,
    post_at_delivery,
    post_at_sms,
    post_signed,
    post_twilio_message,
)
from tests.queues import drain, queued
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


# The web app's connections carry this name, so that the test ends them and no other (the run's own live on).
WEB_APP = "relais-restart-test"


def end_web_connections(url: str) -> int:
    """End every server-side connection of the web app's pool, as a PostgreSQL restart does; how many there were."""
    admin = create_engine(url)
    with admin.connect() as connection:
        ended = connection.execute(text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                        "WHERE application_name = :name"), {"name": WEB_APP}).scalar_one()
    admin.dispose()
    time.sleep(0.2)  # each backend's goodbye reaches its pooled socket
    return ended


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize("idle_for", ["just used", "idle for long"])
def test_after_a_postgresql_restart_the_next_messages_are_stored_from_an_idle_pool(
        database_url, idle_for, redis_url, fake_twilio, fake_at, make_runtime, client_for, monkeypatch):
    # SQLite has no server whose connections could end under the pool: PostgreSQL only.
    if idle_for == "idle for long":
        monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 0.0)  # as if the pool sat idle past the ping's age
    else:
        monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 3600.0)  # only the server's goodbye can tell
    client = client_for(make_runtime(fault_settings(f"{database_url}?application_name={WEB_APP}", redis_url,
                                                    fake_twilio, fake_at)))
    assert post_at_sms(client, AT_PERSON, "Bonjour", "ATXid_before").status_code == 200  # the pool holds one now

    for post in (lambda: post_at_sms(client, AT_PERSON, "Bonjour", "ATXid_after_restart"),
                 lambda: post_twilio_message(client, WHATSAPP_PERSON, "Bonjour", "SM" + "f" * 32)):
        assert end_web_connections(database_url) >= 1
        answer = post()
        assert answer.status_code == 200, answer.get_data(as_text=True)
    rt = client.application.extensions["relais"]
    assert sorted(row.provider_message_id for row in inbox(rt)) == ["ATXid_after_restart", "ATXid_before",
                                                                     "SM" + "f" * 32]
    assert queued(rt.queue) == 3  # each stored once, and handed to the workers
