"""The supervision log: a supervisor records a session with a case worker of their teams (cases by reference, only
their own), the case worker reads it, nobody else does."""
from __future__ import annotations

from tests.web.test_case_page import client_for, post, world  # noqa: F401 - the fixture


def test_a_supervisor_keeps_the_log_and_the_case_worker_reads_it(app, uow, world):  # noqa: F811
    from casecore.people.models import Team, User
    with uow() as session:
        team = session.query(Team).filter(Team.supervisor_id == world["lead"][1]).one()
        session.get(User, world["worker"][1]).team_id = team.id
    lead = client_for(app, world["lead"][0])
    page = lead.get("/supervision").get_data(as_text=True)
    assert "Journal de supervision" in page and world["worker_name"] in page
    saved = post(lead, "/supervision", case_worker_id=str(world["worker"][1]), held_on="2026-12-01",
                 references=world["reference"].lower(), decisions="Visite à domicile avant vendredi.")
    assert saved.status_code == 302
    worker = client_for(app, world["worker"][0])
    html = worker.get("/supervision").get_data(as_text=True)
    assert "Visite à domicile avant vendredi." in html and world["reference"] in html
    other = client_for(app, world["other_worker"][0])
    assert "Visite à domicile" not in other.get("/supervision").get_data(as_text=True)
    unknown = post(lead, "/supervision", case_worker_id=str(world["worker"][1]), held_on="2026-12-01",
                   references="RLS-999999", decisions="x")
    assert unknown.status_code == 400 and "dossier que vous supervisez" in unknown.get_data(as_text=True)
    assert post(worker, "/supervision", case_worker_id=str(world["worker"][1]), held_on="2026-12-01",
                decisions="x").status_code == 403
    assert client_for(app, world["admin"][0]).get("/supervision").status_code == 403


def test_a_tampered_worker_or_another_workers_case_is_refused_not_a_500(app, uow, world):  # noqa: F811
    from casecore.people.models import Team, User
    with uow() as session:
        team = session.query(Team).filter(Team.supervisor_id == world["lead"][1]).one()
        session.get(User, world["worker"][1]).team_id = team.id
        session.get(User, world["other_worker"][1]).team_id = team.id
    lead = client_for(app, world["lead"][0])
    assert post(lead, "/supervision", case_worker_id="not-an-id", held_on="2026-12-01",
                decisions="x").status_code == 400
    # The case is the first worker's: it is not cited in a session with the other one, who would read it.
    other = post(lead, "/supervision", case_worker_id=str(world["other_worker"][1]), held_on="2026-12-01",
                 references=world["reference"], decisions="x")
    assert other.status_code == 400
