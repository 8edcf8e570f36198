"""The supervision log on both databases: a session with a case worker of the supervisor's teams, read by both."""
from __future__ import annotations

from datetime import date

import pytest

from casecore.cases.supervision import record_session, supervision_log
from casecore.errors import NotAllowed, Refused
from casecore.people.models import Team
from tests.factories import as_staff, make_case, make_organisation, make_user


def test_a_session_is_recorded_and_read(any_db_runtime):
    with any_db_runtime.unit_of_work() as session:
        org = make_organisation(session)
        lead = make_user(session, org, role="supervisor")
        team = Team(organisation_id=org.id, name="Nord", supervisor_id=lead.id)
        session.add(team)
        session.flush()
        worker = make_user(session, org, role="caseworker")
        worker.team_id = team.id
        stranger = make_user(session, org, role="caseworker")  # not in the supervisor's teams
        case = make_case(session, organisation_slug=org.slug, assigned_to_id=worker.id)
        case.team_id = team.id
        lead_staff, worker_staff, reference = as_staff(lead), as_staff(worker), case.reference
        stranger_id = stranger.id
    with any_db_runtime.unit_of_work() as session:
        record_session(session, lead_staff, case_worker_id=str(worker_staff.id), held_on=date(2026, 12, 1),
                       references=[reference, reference.lower()], decisions="Visite avant vendredi",
                       today=date(2026, 12, 6))
        with pytest.raises(Refused):
            record_session(session, lead_staff, case_worker_id=str(stranger_id), held_on=date(2026, 12, 1),
                           references=[], decisions="x", today=date(2026, 12, 6))
        with pytest.raises(NotAllowed):
            record_session(session, worker_staff, case_worker_id=str(worker_staff.id), held_on=date(2026, 12, 1),
                           references=[], decisions="x", today=date(2026, 12, 6))
    with any_db_runtime.unit_of_work() as session:
        [mine] = supervision_log(session, lead_staff).rows
        [theirs] = supervision_log(session, worker_staff).rows
    assert mine == theirs and mine.references == [reference] and mine.decisions == "Visite avant vendredi"
