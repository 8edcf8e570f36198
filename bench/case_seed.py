"""Case-work data for `make bench-cases`, seeded fast: organisations, teams, staff, 100,000 reports, 20,000 cases.

Rows go in through SQLAlchemy Core bulk inserts (executemany) on a database migrated by the real migrations, so
the pages read what a deployment after two years would hold: most reports decided, a backlog still new, cases
at every step with their contacts, timeline, deadlines (met and open), approvals, consents, follow-ups and
referrals, some closed. Everything is drawn from a seeded random generator: the same seed gives the same data.
"""
from __future__ import annotations

import io
import random
import time
import uuid
from dataclasses import dataclass, field

from sqlalchemy import func, select, text

from bench.case_world import EMAIL_DOMAIN, PASSWORD, Scale, World, median_worker  # noqa: F401 - the bench's API
from bench.servers import seal_like_the_servers
from casecore.cases.models import Case, CaseApproval, CaseConsent, CaseContact, CaseEvent, CaseFollowUp, Referral
from casecore.db import make_engine, make_session_factory, unit_of_work
from casecore.deadlines.models import CaseDeadline
from casecore.demo import demo_locations_csv
from casecore.directory.models import Service
from casecore.messaging.models import InboundMessage
from casecore.people.locations import import_locations
from casecore.people.models import Location, Organisation, Team, User
from casecore.reports.models import Report


@dataclass
class Seeded:
    """What the benchmark needs to know about the seeded world: who logs in, which cases to open."""

    supervisor: str = ""
    caseworker: str = ""
    caseworker_cases: list[uuid.UUID] = field(default_factory=list)
    caseworker_open: int = 0
    busiest_caseworker: str = ""
    busiest_open: int = 0
    heaviest_case: uuid.UUID | None = None
    # About a hundred of the supervisor's team's cases, spread evenly, for the supervisor's case pages.
    team_case_sample: list[uuid.UUID] = field(default_factory=list)
    team_cases: int = 0
    team_active_cases: int = 0
    new_in_queue: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


# The tables whose sizes the report gives.
COUNTED = (Organisation.__table__, Team.__table__, User.__table__, Location.__table__, Service.__table__,
           Report.__table__, Case.__table__, CaseContact.__table__, CaseEvent.__table__, CaseDeadline.__table__,
           CaseApproval.__table__, CaseConsent.__table__, CaseFollowUp.__table__, Referral.__table__,
           InboundMessage.__table__)


def seed(database_url: str, scale: Scale | None = None, rng_seed: int = 5) -> Seeded:
    """Fill a migrated, empty database (at the issue's scale by default); returns who logs in and what they open."""
    scale = scale or Scale()
    scale.check()
    seal_like_the_servers()
    started = time.monotonic()
    engine = make_engine(database_url)
    try:
        with unit_of_work(make_session_factory(engine)) as session:
            # The demo's Mali locations, through the same import an operator runs.
            import_locations(session, io.StringIO(demo_locations_csv()))
        with engine.begin() as conn:
            World(conn, scale, random.Random(rng_seed)).build()
        if engine.dialect.name == "postgresql":
            # Autovacuum would analyse the new rows within a minute in a deployment; do it now.
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
        # SQLite is left as the application leaves it: it never runs ANALYZE.
    finally:
        engine.dispose()
    seconds = time.monotonic() - started
    seeded = describe(database_url)
    seeded.seconds = seconds
    return seeded


def is_seeded(database_url: str) -> bool:
    """Whether the database already holds seeded data (a kept database is measured again without seeding)."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            return conn.scalar(select(func.count()).select_from(User.__table__)
                               .where(User.__table__.c.email.like(f"%@{EMAIL_DOMAIN}"))) > 0
    finally:
        engine.dispose()


def describe(database_url: str) -> Seeded:
    """Who logs in and what they open, read back from a seeded database."""
    seal_like_the_servers()
    engine = make_engine(database_url)
    cases, users, teams, reports = Case.__table__.c, User.__table__.c, Team.__table__.c, Report.__table__.c
    active = cases.status.in_(("open", "closure_requested"))
    seeded = Seeded()
    try:
        with engine.connect() as conn:
            def email(user_id):
                return conn.scalar(select(users.email).where(users.id == user_id))

            def count(table, *where):
                return conn.scalar(select(func.count()).select_from(table).where(*where))

            supervisor = f"superviseur01@{EMAIL_DOMAIN}"
            team, org = conn.execute(select(teams.id, teams.organisation_id).join(
                User.__table__, users.id == teams.supervisor_id).where(users.email == supervisor)).one()
            caseloads = conn.execute(select(users.id, func.count(cases.id)).join(
                Case.__table__, cases.assigned_to_id == users.id).where(users.team_id == team)
                .group_by(users.id)).all()
            worker = median_worker([(u, n) for u, n in caseloads])
            open_counts = dict(conn.execute(select(cases.assigned_to_id, func.count()).where(active)
                                            .group_by(cases.assigned_to_id)).all())
            busiest = max(open_counts, key=lambda user: (open_counts[user], user))
            events = CaseEvent.__table__.c
            by_events = conn.execute(
                select(cases.id, func.count(events.id)).outerjoin(CaseEvent.__table__, events.case_id == cases.id)
                .where(cases.assigned_to_id == worker).group_by(cases.id).order_by(cases.id)).all()
            seeded.supervisor, seeded.caseworker = supervisor, email(worker)
            seeded.caseworker_cases = [case_id for case_id, _ in by_events]
            seeded.heaviest_case = max(by_events, key=lambda row: (row[1], row[0]))[0]
            seeded.caseworker_open = open_counts.get(worker, 0)
            seeded.busiest_caseworker, seeded.busiest_open = email(busiest), open_counts[busiest]
            team_ids = list(conn.scalars(select(cases.id).where(cases.team_id == team).order_by(cases.id)))
            seeded.team_case_sample = team_ids[::max(1, len(team_ids) // 100)]
            seeded.team_cases = len(team_ids)
            seeded.team_active_cases = count(Case.__table__, cases.team_id == team, active)
            seeded.new_in_queue = count(Report.__table__, reports.organisation_id == org, reports.status == "new")
            seeded.counts = {table.name: count(table) for table in COUNTED}
    finally:
        engine.dispose()
    return seeded
