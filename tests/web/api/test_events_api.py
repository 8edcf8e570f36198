"""A partner, as the README tells it: a token, a subscription to its receiver, a report posted through the API;
the event reaches the receiver signed with the subscription's secret and masked by the token's scopes."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from casecore.partners.models import EventDelivery
from tests.fakes.receiver import FakeReceiver
from tests.queues import drain
from tests.web.api.conftest import bearer

BODY = {"concern": "physical_abuse", "danger_now": True, "child_sex": "female", "child_age_band": "6_11",
        "description": "Frappée chaque soir.", "reporter": {"phone": "+22376000123", "consent_to_share": True}}


@pytest.fixture
def receiver():
    with FakeReceiver() as fake:
        yield fake


@pytest.fixture
def cli(app, world):
    runner = app.test_cli_runner()
    return lambda *args: runner.invoke(args=list(args))


def made(result) -> str:
    """The last line a command printed (the token, the secret), after checking it succeeded."""
    assert result.exit_code == 0, result.output
    return result.output.strip().splitlines()[-1]


@pytest.mark.parametrize("personal", [True, False], ids=["personal_data", "masked"])
def test_a_posted_report_reaches_the_receiver_signed_and_masked(app, client, cli, receiver, uow, personal):
    scopes = "reports:write,reports:read,events" + (",personal_data" if personal else "")
    token = made(cli("token", "create", "hotline", "--org", "ours", "--scopes", scopes))
    subscribed = cli("events", "subscribe", receiver.url, "--token", "hotline", "--events", "report.created")
    receiver.secret = made(subscribed)
    assert "never shown again" in subscribed.output

    posted = client.post("/api/v1/reports", json=BODY, headers=bearer(token))
    assert posted.status_code == 201, posted.get_json()
    with uow() as session:  # written with the report, before any worker ran
        [row] = session.scalars(select(EventDelivery)).all()
        assert row.status == "pending"
    drain(app.extensions["relais"].queue)

    [received] = receiver.wait_for(1)
    assert received["signature_ok"], received["signature"]
    event = received["json"]
    assert (event["id"], event["type"]) == (str(row.id), "report.created") == (received["delivery"], received["event"])
    data = event["data"]
    assert (data["reference"], data["channel"], data["partner"]) == (posted.get_json()["reference"], "api", "hotline")
    read = client.get(f"/api/v1/reports/{data['reference']}", headers=bearer(token)).get_json()
    assert data == read  # the same resource, masked the same way, as the read endpoint gives it
    assert ("description" in data) is personal and ("reporter_phone" in data) is personal

    listed = made(cli("events", "list"))
    assert listed.split("\t")[1:4] == ["hotline", "ours", receiver.url]
    assert listed.endswith("0 pending, 1 delivered, 0 failed")


def test_the_commands_refuse_what_cannot_work(cli, receiver):
    made(cli("token", "create", "reader", "--org", "ours", "--scopes", "reports:read"))
    made(cli("token", "create", "partner", "--org", "ours", "--scopes", "events,reports:read"))
    for args, reason in [
        (("reader", receiver.url, "report.created"), "needs the events scope"),
        (("partner", receiver.url, "case.updated"), "case.updated needs cases:read"),
        (("partner", "http://partner.example.org/in", "report.created"), "must use https"),
        (("partner", receiver.url, "complaint.created"), "complaint.created needs complaints:read"),
        (("partner", receiver.url, "report.updated"), "unknown event type"),
        (("nobody", receiver.url, "report.created"), "no active token"),
    ]:
        token, url, kinds = args
        refused = cli("events", "subscribe", url, "--token", token, "--events", kinds)
        assert refused.exit_code == 1 and reason in refused.output, refused.output
    made(cli("events", "subscribe", receiver.url, "--token", "partner", "--events", "report.created"))
    subscription_id = made(cli("events", "list")).split("\t")[0]
    assert made(cli("events", "unsubscribe", subscription_id)) == f"Subscription {subscription_id} ended."
    assert "\tended " in made(cli("events", "list"))
    assert cli("events", "unsubscribe", "not-an-id").exit_code == 1
