"""A Relais on each database, handing reports over to a fake Primero: an organisation with a supervisor and a case
worker whose Primero user the mapping names, an administrator to alert, and reports to accept."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select

from bootstrap import Runtime, bootstrap
from casecore.audit import AuditEvent
from casecore.handoff.queue import queue_handoff
from casecore.people.models import Organisation
from casecore.triage.decisions import Acceptance, Accepted, accept_report
from dialogs.committee_thanks import accepted_text
from tests.conftest import make_settings
from tests.factories import make_locations, make_organisation, make_report, make_user
from tests.fakes.primero import PASSWORD, USERNAME, FakePrimero

WORKER_EMAIL = "awa@relais.example"
SUPERVISOR_EMAIL = "moussa@relais.example"


@dataclass
class Handing:
    """What a hand-off test works with."""

    runtime: Runtime
    primero: FakePrimero
    organisation_id: Any
    slug: str
    supervisor_id: Any
    worker_id: Any
    admin_id: Any

    def report(self, **overrides):
        """A new report of the organisation (SubmittedReport)."""
        with self.runtime.unit_of_work() as session:
            return make_report(session, organisation_slug=self.slug, **overrides)

    def accept_in(self, session, report_id, risk_level: str = "high") -> Accepted:
        """Accept the report as the supervisor, assigned to the case worker, in the caller's transaction."""
        return accept_report(
            session, report_id, Acceptance(risk_level=risk_level, assigned_to_id=self.worker_id),
            organisation_id=self.organisation_id, decided_by_id=self.supervisor_id, timelines=self.runtime.timelines,
            default_region="ML", sms_backend="console", committee_thanks=accepted_text)

    def accept(self, report_id, risk_level: str = "high") -> tuple[Any, Any]:
        """Accept the report as the supervisor and queue its hand-off, in one transaction: (case id, hand-off id)."""
        with self.runtime.unit_of_work() as session:
            accepted = self.accept_in(session, report_id, risk_level)
            handoff_id = queue_handoff(session, accepted.report_id, self.organisation_id, "on_accept",
                                       case_id=accepted.case_id, actor_id=self.supervisor_id)
        return accepted.case_id, handoff_id


@pytest.fixture
def mapping_file(tmp_path):
    """The deployment's mapping: stock values, the Bamako commune mapped to a Primero location, staff to users."""
    path = tmp_path / "mapping.json"
    path.write_text(json.dumps({"locations": {"ML090101": "ML01"},
                                "users": {WORKER_EMAIL: "cp_worker", SUPERVISOR_EMAIL: "cp_supervisor"}}))
    return path


def handing(database_url: str, redis_url: str, mapping_file, primero: FakePrimero, handoff: str = "on_accept",
            **settings) -> Handing:
    rt = bootstrap(make_settings(
        DATABASE_URL=database_url, REDIS_URL=redis_url, PRIMERO_URL=primero.url, PRIMERO_USERNAME=USERNAME,
        PRIMERO_PASSWORD=PASSWORD, PRIMERO_MAPPING=str(mapping_file), PRIMERO_HANDOFF=handoff,
        PROVIDER_TIMEOUT=1.0, PRIMERO_WEBHOOK_KEY="hook-key", **settings))
    with rt.unit_of_work() as session:
        org = make_organisation(session)
        make_locations(session)
        supervisor = make_user(session, org, role="supervisor", email=SUPERVISOR_EMAIL)
        worker = make_user(session, org, role="caseworker", email=WORKER_EMAIL)
        admin = make_user(session, org, role="admin")
        ids = (org.id, org.slug, supervisor.id, worker.id, admin.id)
    return Handing(rt, primero, *ids)


@pytest.fixture
def handoff_env(database_url, redis_url, mapping_file, primero):
    env = handing(database_url, redis_url, mapping_file, primero)
    yield env
    env.runtime.close()


@pytest.fixture
def on_report_env(database_url, redis_url, mapping_file, primero):
    """Every organisation hands its reports over as they arrive (triage in CPIMS+)."""
    env = handing(database_url, redis_url, mapping_file, primero, handoff="on_report")
    yield env
    env.runtime.close()


def organisation(session, org_id) -> Organisation:
    return session.get(Organisation, org_id)


def audited(session, action: str) -> list[tuple]:
    """(user id, object id) of each audit event of action, in the order they were written."""
    return [tuple(row) for row in session.execute(select(AuditEvent.user_id, AuditEvent.object_id)
                                                  .where(AuditEvent.action == action).order_by(AuditEvent.at))]
