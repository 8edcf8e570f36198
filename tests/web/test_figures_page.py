"""The complaint figures page and its CSV, on both databases: who may see them, the periods and their refusals, the
breakdowns counting only what the viewer may read (no trace of a complaint naming them, nothing sensitive for a
supervisor, nothing for an administrator), the table by organisation in bands over ended months, and no personal
data in what is sent."""
from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select, update

from casecore.audit import AuditEvent
from casecore.complaints import handling
from casecore.complaints.models import Complaint
from tests.factories import as_staff, make_organisation, make_user
from tests.integration.complaints.test_complaint_figures import COMPLAINANT, complain, log_in_person
from tests.web.conftest import PASSWORD, assert_in_web_catalogues, csrf_from

DESCRIPTION = "Le gardien du centre a demandé de l'argent à ma sœur"


@pytest.fixture
def app(any_db_app):
    """The app on each database in turn."""
    return any_db_app


@pytest.fixture
def world(app):
    """An organisation with one account per role, complaints of several kinds, one naming a case worker, one naming
    a focal point and one naming the supervisor."""
    rt = app.extensions["relais"]
    with rt.unit_of_work() as session:
        org = make_organisation(session, name="Enfance Kati")
        make_organisation(session, name="Aide Bamako")
        people = {role: make_user(session, org, role=role, language="en")
                  for role in ("focal_point", "supervisor", "admin", "caseworker")}
        people["colleague"] = make_user(session, org, role="focal_point", language="en")
        named = make_user(session, org, role="caseworker", email="mariam.traore@example.org")
        ids = []
        for _ in range(2):
            ids.append(complain(session, org, rt.timelines, category="sexual_exploitation_abuse", channel="sms",
                                description=DESCRIPTION))
        for _ in range(3):
            ids.append(complain(session, org, rt.timelines, description=DESCRIPTION))
        ids.append(log_in_person(session, people["caseworker"], rt.timelines, category="staff_misconduct",
                                 named=[named.id]))
        handling.acknowledge(session, as_staff(people["focal_point"]), ids[-1])
        # Seen only by the other focal point: it names the first one (phone call, past its deadline).
        ids.append(log_in_person(session, people["caseworker"], rt.timelines, category="staff_misconduct",
                                 channel="phone_call", named=[people["focal_point"].id]))
        session.execute(update(Complaint).where(Complaint.id == ids[-1])
                        .values(due_at=datetime.now(timezone.utc) - timedelta(minutes=1)))
        # Not seen by the supervisor it names (in person).
        ids.append(log_in_person(session, people["caseworker"], rt.timelines, category="no_response",
                                 named=[people["supervisor"].id]))
        refs = list(session.scalars(select(Complaint.reference).where(Complaint.id.in_(ids))))
        return {"emails": {role: person.email for role, person in people.items()}, "references": refs,
                "named": named.email, "ids": ids}


def received_last_month(app, world) -> None:
    """Move every complaint of the world to the middle of last month, a month that has ended."""
    last_month = datetime.now(timezone.utc).replace(day=1, hour=9, minute=0, second=0, microsecond=0)
    last_month = (last_month - timedelta(days=1)).replace(day=15)
    with app.extensions["relais"].unit_of_work() as session:
        session.execute(update(Complaint).where(Complaint.id.in_(world["ids"])).values(received_at=last_month))


def csv_cells(response) -> dict[tuple[str, str], str]:
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][:3] == ["breakdown", "value", "complaints"]
    return {(row[0], row[1]): row[2] for row in rows[1:]}


def row(label: str, value) -> str:
    return f'<th scope="row">{label}</th><td>{value}</td>'


def client_for(app, email):
    client = app.test_client()
    token = csrf_from(client.get("/login").get_data(as_text=True))
    assert client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token}).status_code == 302
    return client


def assert_no_personal_data(text: str, world) -> None:
    for reference in world["references"]:
        assert reference not in text
    for secret in (DESCRIPTION, COMPLAINT_PHONE_DIGITS, "76 70 14 30", "Reçu au bureau", world["named"], "mariam"):
        assert secret not in text, secret


COMPLAINT_PHONE_DIGITS = COMPLAINANT.lstrip("+")


def test_a_focal_point_sees_what_they_may_read_and_no_trace_of_a_complaint_naming_them(app, world):
    client = client_for(app, world["emails"]["focal_point"])
    page = client.get("/figures")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Complaint figures" in text and 'aria-current="page">Figures' in text
    assert "These tables count only the complaints you may read yourself" in text
    assert row('Sexual exploitation or abuse <span class="tag">sensitive</span>', 2) in text
    assert row('Staff misconduct <span class="tag">sensitive</span>', 1) in text
    assert row("All complaints", 7) in text and row("By phone", 0) in text
    assert "Of the complaints whose deadline fell in the period" in text
    assert_no_personal_data(text, world)
    # The review's case: a single day, in the CSV.
    today = datetime.now(timezone.utc).date().isoformat()
    cells = csv_cells(client.get(f"/figures.csv?period=custom&from={today}&to={today}"))
    assert cells[("category", "staff_misconduct")] == "1" and cells[("category", "all")] == "7"
    assert cells[("channel", "phone_call")] == "0" and cells[("severity", "high")] == "1"
    assert cells[("deadline", "all")] == ""  # judged and open past it are further along the row
    # Their colleague may read it, and counts it.
    colleague = csv_cells(client_for(app, world["emails"]["colleague"]).get("/figures.csv"))
    assert colleague[("category", "staff_misconduct")] == "2" and colleague[("channel", "phone_call")] == "1"


def test_past_deadline_counts_only_what_the_viewer_may_read(app, world):
    def deadline_row(email):
        text = client_for(app, email).get("/figures.csv").get_data(as_text=True)
        return next(r for r in csv.reader(io.StringIO(text)) if r[:2] == ["deadline", "all"])
    assert deadline_row(world["emails"]["focal_point"])[6:] == ["0", "0", "", "0"]
    assert deadline_row(world["emails"]["colleague"])[6:] == ["1", "0", "0.0000", "1"]


def test_a_supervisor_sees_no_sensitive_complaint_and_none_naming_them(app, world):
    client = client_for(app, world["emails"]["supervisor"])
    text = client.get("/figures?period=this_year").get_data(as_text=True)
    assert "Sexual exploitation or abuse" not in text and "Staff misconduct" not in text
    assert row("Quality of a service", 3) in text and row("No response to a request", 0) in text
    assert row("All complaints", 3) in text
    assert row("SMS", 0) in text and row("In person", 0) in text
    assert_no_personal_data(text, world)
    today = datetime.now(timezone.utc).date().isoformat()
    cells = csv_cells(client.get(f"/figures.csv?period=custom&from={today}&to={today}"))
    assert ("category", "staff_misconduct") not in cells and ("category", "sexual_exploitation_abuse") not in cells
    assert cells[("category", "no_response")] == "0" and cells[("category", "all")] == "3"
    assert cells[("channel", "in_person")] == "0" and cells[("channel", "sms")] == "0"


def test_the_table_by_organisation_waits_for_a_month_to_end(app, world):
    text = client_for(app, world["emails"]["supervisor"]).get("/figures").get_data(as_text=True)
    assert "No month of this period has ended yet: this table covers none." in text
    assert 'class="tag">yours</span>' not in text  # no row
    cells = csv_cells(client_for(app, world["emails"]["supervisor"]).get("/figures.csv"))
    assert cells[("organisation_months", "")] == ""
    assert not any(key[0].startswith("organisation_sensitive") for key in cells)


def test_the_table_by_organisation_bands_0_to_4_together_over_ended_months(app, world):
    received_last_month(app, world)
    last = datetime.now(timezone.utc).date().replace(day=1) - timedelta(days=1)
    first = last.replace(day=1)
    for role in ("focal_point", "supervisor", "admin"):
        client = client_for(app, world["emails"][role])
        text = client.get("/figures?period=last_month").get_data(as_text=True)
        # 8 complaints, 4 of them sensitive; none at all: "fewer than 5" too. Their own organisation's row only for
        # the administrator: the others have its exact breakdowns, which a band beside them would give away.
        own_row = ('<th scope="row">Enfance Kati <span class="tag">yours</span></th>\n'
                   '      <td>5-9</td><td>fewer than 5</td>')
        assert (own_row in text) == (role == "admin")
        assert '<th scope="row">Aide Bamako</th>\n      <td>fewer than 5</td><td>fewer than 5</td>' in text
        cells = csv_cells(client.get("/figures.csv?period=last_month"))
        if role == "admin":
            assert cells[("organisation", "Enfance Kati")] == "5 to 9"
            assert cells[("organisation_sensitive", "Enfance Kati")] == "0 to 4"
        else:
            assert ("organisation", "Enfance Kati") not in cells
        assert cells[("organisation", "Aide Bamako")] == cells[("organisation_sensitive", "Aide Bamako")] == "0 to 4"
        assert ("organisation_months", f"{first}..{last}") in cells
        assert f"This table covers the whole months from {first} to {last}." in text
        assert_no_personal_data(text, world)


def test_an_administrator_sees_only_the_table_by_organisation(app, world):
    client = client_for(app, world["emails"]["admin"])
    text = client.get("/figures").get_data(as_text=True)
    assert "You do not read complaints" in text
    for heading in ("By category", "By channel", "Time to acknowledge", "Closed within the deadline"):
        assert heading not in text
    assert "By organisation" in text
    cells = csv_cells(client.get("/figures.csv?period=last_90_days"))
    assert {key[0] for key in cells} == {"period", "organisation_months", "organisation", "organisation_sensitive"}
    assert_no_personal_data(text, world)


def test_no_complaint_in_the_period(app, world):
    client = client_for(app, world["emails"]["focal_point"])
    text = client.get("/figures?period=custom&from=2024-01-01&to=2024-01-31").get_data(as_text=True)
    assert "No complaint that you may read in this period." in text
    assert "Complaints received from 2024-01-01 to 2024-01-31" in text
    assert "This table covers the whole months from 2024-01-01 to 2024-01-31." in text
    assert '<td>–</td>' in text  # no share where nothing was judged


def test_the_page_speaks_french(app, world):
    rt = app.extensions["relais"]
    with rt.unit_of_work() as session:
        org = make_organisation(session)
        email = make_user(session, org, role="supervisor", language="fr").email
    text = client_for(app, email).get("/figures").get_data(as_text=True)
    assert "Chiffres des plaintes" in text and "Aucune plainte que vous pouvez lire pendant cette période." in text


@pytest.mark.parametrize("path", ["/figures", "/figures.csv"])
def test_a_case_worker_is_refused_with_a_reason(app, world, path):
    response = client_for(app, world["emails"]["caseworker"]).get(path)
    assert response.status_code == 403
    assert "for the complaints focal points, supervisors and administrators" in response.get_data(as_text=True)


def test_an_administrator_has_the_link(app, world):
    client = client_for(app, world["emails"]["admin"])
    assert 'href="/figures"' in client.get("/admin/users").get_data(as_text=True)
    worker = client_for(app, world["emails"]["caseworker"])
    assert 'href="/figures"' not in worker.get("/cases").get_data(as_text=True)


@pytest.mark.parametrize("query, reason", [
    ("period=custom&from=2026-03-10&to=2026-03-01", "the start date is after the end date"),
    ("from=2020-01-01&to=2024-01-01", "a period is at most 3 years"),
    ("period=custom&from=03/13/2026&to=2026-03-20", "write both dates as DD/MM/YYYY"),
    ("period=custom", "write both dates as DD/MM/YYYY"),
    ("period=forever", "choose a period from the list"),
])
@pytest.mark.parametrize("path", ["/figures", "/figures.csv"])
def test_a_bad_period_is_answered_400_with_the_reason(app, world, path, query, reason):
    response = client_for(app, world["emails"]["supervisor"]).get(f"{path}?{query}")
    assert response.status_code == 400
    assert reason in response.get_data(as_text=True)


def test_viewing_and_downloading_are_audited_with_the_period(app, world):
    client = client_for(app, world["emails"]["supervisor"])
    client.get("/figures?from=2026-01-01&to=2026-01-31")
    client.get("/figures.csv?from=2026-01-01&to=2026-01-31")
    with app.extensions["relais"].unit_of_work() as session:
        events = session.execute(select(AuditEvent.action, AuditEvent.object_type, AuditEvent.object_id)
                                 .where(AuditEvent.action.like("figures.%")).order_by(AuditEvent.at)).all()
    assert [tuple(event) for event in events] == [
        ("figures.viewed", "complaint_figures", "2026-01-01..2026-01-31"),
        ("figures.exported", "complaint_figures", "2026-01-01..2026-01-31")]


def test_every_figures_page_string_is_in_both_web_catalogues():
    assert_in_web_catalogues([("app/complaints/**.py", "python"), ("app/templates/complaints/**.html", "jinja2")])
