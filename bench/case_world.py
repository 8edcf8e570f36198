"""The rows of the seeded world (bench/case_seed.py): organisations, staff, services, reports and their cases.

Generated in dependency order from one random generator and inserted with SQLAlchemy Core executemany in chunks,
parents before children.
"""
from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection
from werkzeug.security import generate_password_hash

from bench.case_life import CaseLife
from casecore import schema, taxonomy
from casecore.cases.models import Case
from casecore.deadlines.models import CaseDeadline
from casecore.deadlines.timelines import Timelines
from casecore.directory.models import Service
from casecore.people.models import Location, Organisation, Team, User
from casecore.references import ALPHABET, BODY_LENGTH, _check_character
from casecore.reports.models import CommitteeMember, Report

# Every seeded account has this password (the bench logs in with it); one hash, made once.
PASSWORD = "bench-relais-password"
EMAIL_DOMAIN = "bench.relais.example"
# Reports and cases are spread over this many days before now.
HISTORY_DAYS = 730
# Rows per executemany: bounds the memory the generated rows take.
CHUNK = 5_000
# Staff names as a Malian agency's accounts carry them (not drawn from the generator: the world stays the same).
FIRST_NAMES = ("Awa", "Moussa", "Fatoumata", "Ibrahim", "Mariam", "Seydou", "Aminata", "Boubacar", "Kadiatou",
               "Oumar", "Hawa", "Mamadou", "Rokia", "Adama")
FAMILY_NAMES = ("Diallo", "Traoré", "Keïta", "Coulibaly", "Sangaré", "Touré", "Diarra", "Konaté", "Cissé",
                "Sidibé", "Dembélé", "Maïga", "Camara", "Sissoko", "Kanté")


@dataclass(frozen=True)
class Scale:
    """How much to seed; the defaults are the issue's (100,000 reports, 20,000 cases)."""

    reports: int = 100_000
    cases: int = 20_000
    new_reports: int = 3_000
    organisations: int = 3
    supervisors: int = 10
    caseworkers: int = 200
    services_per_organisation: int = 120
    committee_members_per_organisation: int = 40
    # The measured case worker's heaviest case: a long case with this many timeline entries.
    heaviest_events: int = 600

    def check(self) -> None:
        """ValueError when the numbers cannot make a coherent world."""
        if not 1 <= self.organisations <= self.supervisors <= self.caseworkers:
            raise ValueError("need 1 <= organisations <= supervisors <= caseworkers")
        if self.cases + self.new_reports > self.reports or self.cases < self.caseworkers:
            raise ValueError("need cases + new reports <= reports and at least one case per case worker")


def staff_name(n: int) -> str:
    """The n-th seeded account's name; 210 before one comes again."""
    return f"{FIRST_NAMES[n % len(FIRST_NAMES)]} {FAMILY_NAMES[n // len(FIRST_NAMES) % len(FAMILY_NAMES)]}"


def median_worker(caseloads: list[tuple[uuid.UUID, int]]) -> uuid.UUID:
    """The case worker in the middle of a team by number of cases (ties broken by id, so always the same one)."""
    ordered = sorted(caseloads, key=lambda item: (item[1], item[0]))
    return ordered[len(ordered) // 2][0]


class World:
    """Generates the rows in dependency order and inserts them in chunks."""

    def __init__(self, conn: Connection, scale: Scale, rng: random.Random) -> None:
        self.conn, self.scale, self.rng = conn, scale, rng
        self.now = datetime.now(timezone.utc).replace(microsecond=0)
        self.timelines = Timelines()
        self.references: set[str] = set()
        self.phones: set[str] = set()
        self.pending: dict[object, list[dict]] = {}

    # -- helpers -------------------------------------------------------------------------------------------------

    def uid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def reference(self) -> str:
        while True:
            body = "".join(self.rng.choice(ALPHABET) for _ in range(BODY_LENGTH))
            code = body + _check_character(body)
            if code not in self.references:
                self.references.add(code)
                return code

    def phone(self) -> str:
        while True:
            number = f"+2237{self.rng.choice('0123456789')}{self.rng.randrange(10**6):06d}"
            if number not in self.phones:
                self.phones.add(number)
                return number

    def add(self, table, row: dict) -> None:
        rows = self.pending.setdefault(table, [])
        rows.append(row)
        if len(rows) >= CHUNK:
            self.flush()

    def flush(self) -> None:
        """Insert every pending row, parents before children so each foreign key finds its row."""
        for table in schema.metadata.sorted_tables:
            rows = self.pending.get(table)
            if rows:
                self.conn.execute(insert(table), rows)
                rows.clear()

    def hours(self, low: float, high: float) -> timedelta:
        return timedelta(hours=self.rng.uniform(low, high))

    # -- the world -----------------------------------------------------------------------------------------------

    def build(self) -> None:
        """Generate and insert everything."""
        self.communes = list(self.conn.scalars(select(Location.id).where(Location.level == 3)))
        self.password_hash = generate_password_hash(PASSWORD)
        self._organisations_and_staff()
        self._services_and_committees()
        self._reports_and_cases(self._plan_cases())
        self.flush()

    def _organisations_and_staff(self) -> None:
        scale, rng = self.scale, self.rng
        self.orgs = [self.uid() for _ in range(scale.organisations)]
        for n, org in enumerate(self.orgs):
            self.conn.execute(insert(Organisation.__table__), [{
                "id": org, "slug": f"bench-{n + 1}", "name": f"Agence {n + 1}", "created_at": self.now - timedelta(
                    days=HISTORY_DAYS + 30)}])
        # One supervisor in each smaller organisation, the rest in the first: the first one is the big agency.
        supervisor_orgs = [self.orgs[0]] * (scale.supervisors - scale.organisations + 1) + self.orgs[1:]
        self.supervisors: list[tuple[uuid.UUID, uuid.UUID, uuid.UUID]] = []  # (user, organisation, team)
        users = []
        for n, org in enumerate(supervisor_orgs, start=1):
            user_id, team_id = self.uid(), self.uid()
            self.supervisors.append((user_id, org, team_id))
            users.append(self._user(user_id, org, f"superviseur{n:02d}", "supervisor", None, len(users)))
        self.workers: list[tuple[uuid.UUID, uuid.UUID, uuid.UUID]] = []  # (user, organisation, team)
        for n in range(scale.caseworkers):
            _, org, team_id = self.supervisors[n % len(self.supervisors)]
            user_id = self.uid()
            self.workers.append((user_id, org, team_id))
            users.append(self._user(user_id, org, f"agent{n + 1:03d}", "caseworker", team_id, len(users)))
        # Users first without teams (a team names its supervisor, a case worker names a team), then the teams.
        self.conn.execute(insert(User.__table__), [{**u, "team_id": None} for u in users])
        self.conn.execute(insert(Team.__table__), [
            {"id": team, "organisation_id": org, "name": f"Équipe {n + 1}", "supervisor_id": user,
             "created_at": self.now - timedelta(days=HISTORY_DAYS + 20)}
            for n, (user, org, team) in enumerate(self.supervisors)])
        for user, _, team in self.workers:
            self.conn.execute(update(User.__table__).where(User.__table__.c.id == user).values(team_id=team))
        self.org_supervisors = {org: [u for u, o, _ in self.supervisors if o == org] for org in self.orgs}
        rng.shuffle(self.workers)

    def _user(self, user_id, org, name: str, role: str, team_id, n: int) -> dict:
        rng = self.rng
        return {
            "id": user_id, "organisation_id": org, "email": f"{name}@{EMAIL_DOMAIN}",
            "display_name": staff_name(n),
            "password_hash": self.password_hash, "role": role, "phone": self.phone(),
            "language": rng.choice(("fr", "fr", "en")), "is_active": True,
            "created_at": self.now - timedelta(days=HISTORY_DAYS + 10), "team_id": team_id,
            "sex": rng.choice(("female", "male")), "spoken_languages": rng.choice(("fr", "fr,bm", "fr,en", "fr,bm,en")),
            "failed_logins": 0, "locked_until": None,
        }

    def _services_and_committees(self) -> None:
        scale, rng = self.scale, self.rng
        self.services = {org: [] for org in self.orgs}
        self.committee = {org: [] for org in self.orgs}
        for org in self.orgs:
            for n in range(scale.services_per_organisation):
                service_id = self.uid()
                self.services[org].append(service_id)
                verified = self.now - timedelta(days=rng.randrange(400)) if rng.random() < 0.9 else None
                self.add(Service.__table__, {
                    "id": service_id, "organisation_id": org, "provider_name": f"Prestataire {n + 1:03d}",
                    "service_type": taxonomy.SERVICE_TYPES[n % len(taxonomy.SERVICE_TYPES)],
                    "area_location_id": rng.choice(self.communes) if rng.random() < 0.7 else None,
                    "contact": f"+2232{rng.randrange(10**7):07d}", "provider_organisation_id": None,
                    "last_verified_at": verified, "is_active": rng.random() < 0.95,
                    "created_at": self.now - timedelta(days=HISTORY_DAYS)})
            for n in range(scale.committee_members_per_organisation):
                member = self.uid()
                self.committee[org].append(member)
                self.add(CommitteeMember.__table__, {
                    "id": member, "organisation_id": org, "name": f"Membre {n + 1}", "phone": self.phone(),
                    "committee": f"Comité {n % 8 + 1}", "location_id": rng.choice(self.communes),
                    "registered_by_id": self.org_supervisors[org][0], "is_active": True,
                    "created_at": self.now - timedelta(days=HISTORY_DAYS)})
        self.flush()

    def _plan_cases(self) -> dict[uuid.UUID, int]:
        """How many cases each case worker has had: uneven, a few overloaded."""
        rng = self.rng
        # Lognormal spread, one in twenty overloaded (twice the load), none above three times the average.
        weights = [min(3.0, rng.lognormvariate(0, 0.4) * (2 if rng.random() < 0.05 else 1)) for _ in self.workers]
        total = sum(weights)
        counts = [max(1, int(self.scale.cases * w / total)) for w in weights]
        # Rounding leaves a few cases over (or short): give them out one by one.
        n = 0
        while sum(counts) != self.scale.cases:
            step = 1 if sum(counts) < self.scale.cases else -1
            if counts[n % len(counts)] + step >= 1:
                counts[n % len(counts)] += step
            n += 1
        return {worker[0]: count for worker, count in zip(self.workers, counts, strict=True)}

    # -- reports and cases ---------------------------------------------------------------------------------------

    def _reports_and_cases(self, cases_by_worker: dict[uuid.UUID, int]) -> None:
        scale, rng = self.scale, self.rng
        worker_info = {user: (org, team) for user, org, team in self.workers}
        # The case worker measured (see describe) is a typical one of the first team; their heaviest case is long.
        first_team = self.supervisors[0][2]
        self.measured_worker = median_worker([(u, cases_by_worker[u]) for u, _, t in self.workers if t == first_team])
        self.heaviest_made = False
        case_slots = [user for user, count in cases_by_worker.items() for _ in range(count)]
        rng.shuffle(case_slots)
        other = scale.reports - scale.cases - scale.new_reports
        order = ["case"] * scale.cases + ["decided"] * other
        rng.shuffle(order)
        order += ["new"] * scale.new_reports
        # Decided reports oldest first (a duplicate names an older report), then the backlog, oldest first too.
        ages = sorted((self._age("decided") for _ in range(len(order) - scale.new_reports)), reverse=True)
        ages += sorted((self._age("new") for _ in range(scale.new_reports)), reverse=True)
        recent_by_org: dict[uuid.UUID, list[uuid.UUID]] = {org: [] for org in self.orgs}
        org_weights = [sum(1 for _, o, _ in self.workers if o == org) for org in self.orgs]
        for kind, age in zip(order, ages, strict=True):
            received = self.now - age
            if kind == "case":
                worker = case_slots.pop()
                org, team = worker_info[worker]
            else:
                org, worker, team = rng.choices(self.orgs, org_weights)[0], None, None
            report_id = self._report(kind, org, received, recent_by_org[org])
            recent_by_org[org].append(report_id)
            if len(recent_by_org[org]) > 500:
                del recent_by_org[org][:250]
            if kind == "case":
                opened = received + self.hours(0.2, 30)
                self._case(report_id, org, team, worker, min(opened, self.now - timedelta(minutes=5)))

    def _age(self, kind: str) -> timedelta:
        rng = self.rng
        if kind == "new":
            # The backlog: mostly the last few days, a tail of three weeks.
            return timedelta(hours=rng.expovariate(1 / 48) % (21 * 24) + 0.1)
        # More reports lately than two years ago (the service became known).
        return timedelta(days=HISTORY_DAYS * rng.random() ** 1.3 + 0.5)

    def _report(self, kind: str, org, received: datetime, earlier: list[uuid.UUID]) -> uuid.UUID:
        rng = self.rng
        report_id = self.uid()
        channel = rng.choices(taxonomy.CHANNELS[:3], (6, 3, 1))[0]
        danger = rng.random() < 0.15
        concern = rng.choice(taxonomy.PROTECTION_CONCERNS)
        shared = rng.random() < 0.7
        status = {"case": "accepted", "new": "new"}.get(kind) or rng.choices(
            ("duplicate", "not_eligible", "referred"), (30, 50, 20))[0]
        if status == "duplicate" and not earlier:
            status = "not_eligible"
        decided_at = None if status == "new" else min(received + self.hours(0.1, 20), self.now)
        decided_by = None if status == "new" else rng.choice(self.org_supervisors[org])
        self.add(Report.__table__, {
            "id": report_id, "reference": self.reference(), "organisation_id": org,
            "kind": "tracing" if rng.random() < 0.05 else "child_at_risk", "channel": channel,
            "channel_session_id": f"bench-{report_id.hex}", "reporter_phone": self.phone() if shared else None,
            "reporter_key": f"{rng.getrandbits(256):064x}", "language": rng.choice(("fr", "fr", "bm", "en")),
            "concern": concern, "danger_now": danger,
            "urgent": danger or concern in taxonomy.ESCALATION_CONCERNS, "child_sex": rng.choice(taxonomy.CHILD_SEXES),
            "child_age_band": rng.choice(taxonomy.AGE_BANDS),
            "location_id": rng.choice(self.communes) if rng.random() < 0.9 else None, "last_seen": None,
            "relationship": None,
            "description": "Description donnée par la personne qui signale." if channel != "ussd" else None,
            "may_contact": shared and rng.random() < 0.8, "consent_to_share": shared, "answers": {},
            "status": status, "received_at": received, "alerted_at": received + timedelta(seconds=20),
            "decided_at": decided_at, "decided_by_id": decided_by,
            "duplicate_of_id": rng.choice(earlier) if status == "duplicate" else None,
            "not_eligible_reason": rng.choice(taxonomy.NOT_ELIGIBLE_REASONS) if status == "not_eligible" else None,
            "decision_note": None,
            "referred_to_service_id": rng.choice(self.services[org]) if status == "referred" else None,
            "committee_member_id": rng.choice(self.committee[org]) if rng.random() < 0.05 else None,
        })
        urgent = danger or concern in taxonomy.ESCALATION_CONCERNS
        self._deadline(None, report_id, "assignment", self.timelines.assignment_due(received, urgent), decided_at,
                       received)
        return report_id

    def _deadline(self, case_id, report_id, kind: str, due: datetime, met: datetime | None,
                  created: datetime) -> None:
        self.add(CaseDeadline.__table__, {
            "id": self.uid(), "case_id": case_id, "report_id": report_id, "kind": kind, "due_at": due, "met_at": met,
            "warned_at": None, "overdue_alerted_at": None, "created_at": created})

    def _case(self, report_id, org, team, worker, opened: datetime) -> None:
        """One case's life from its opening until now: each step takes a while, the case may reach closure."""
        rng = self.rng
        heavy = worker == self.measured_worker and not self.heaviest_made and self.now - opened > timedelta(days=400)
        self.heaviest_made = self.heaviest_made or heavy
        case_id = self.uid()
        risk = rng.choices(taxonomy.CASE_RISK_LEVELS, (2, 5, 3))[0]
        life = CaseLife(self, case_id, worker, org, opened, risk)
        for _ in range(rng.choice((1, 1, 1, 2)) + (3 if heavy else 0)):
            life.contact()
        life.consents(heavy)
        status, step = life.live(heavy)
        if heavy:
            life.pad(self.scale.heaviest_events)
        self.add(Case.__table__, {
            "id": case_id, "reference": self.reference(), "organisation_id": org, "report_id": report_id,
            "assigned_to_id": worker, "status": status, "opened_at": opened,
            "closed_at": life.closed_at, "risk_level": risk, "current_step": step, "team_id": team,
            "wants_female_worker": rng.random() < 0.1, "family_language": rng.choice(("fr", "bm", "en", None)),
            "assigned_at": opened, "closure_reason": life.closure_reason, "reopened_at": None, "reopen_reason": None})
        # Children after their case: the case row must be written first.
        for table, rows in life.rows.items():
            for row in rows:
                self.add(table, row)
