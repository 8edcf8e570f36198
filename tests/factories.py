"""Plain factory functions for test data: make_x(session, **overrides)."""
from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from functools import cache
from unittest import mock

from werkzeug.security import generate_password_hash

from casecore.accounts.users import create_user
from casecore.base import utcnow
from casecore.cases.models import Case
from casecore.cases.opening import open_case
from casecore.people.models import Location, Organisation, User
from casecore.people.organisations import find_organisation
from casecore.reports.intake import ReportDraft, submit_report

_counter = itertools.count(1)


def make_organisation(session, **overrides) -> Organisation:
    n = next(_counter)
    org = Organisation(**{"slug": f"org-{n}", "name": f"Organisation {n}", **overrides})
    session.add(org)
    session.flush()
    return org


def make_locations(session) -> dict[str, Location]:
    """Two regions, a cercle each, and a few communes: enough for every location menu branch."""
    rows = [
        ("ML09", "Bamako", 1, None), ("ML0901", "District de Bamako", 2, "ML09"),
        ("ML090101", "Commune I", 3, "ML0901"), ("ML090102", "Commune II", 3, "ML0901"),
        ("ML02", "Koulikoro", 1, None), ("ML0201", "Kati", 2, "ML02"),
        ("ML020101", "Kati", 3, "ML0201"), ("ML020102", "Dio-Gare", 3, "ML0201"),
    ]
    made: dict[str, Location] = {}
    for code, name, level, parent in rows:
        loc = Location(code=code, name=name, level=level, parent_id=made[parent].id if parent else None)
        session.add(loc)
        session.flush()
        made[code] = loc
    return made


# Staff names as a Malian organisation's accounts carry them; a test's accounts each get another.
FIRST_NAMES = ("Awa", "Moussa", "Fatoumata", "Ibrahim", "Mariam", "Seydou", "Aminata", "Boubacar")
FAMILY_NAMES = ("Diallo", "Traoré", "Keïta", "Coulibaly", "Sangaré", "Touré", "Diarra", "Konaté")


def staff_name(n: int) -> str:
    """The n-th staff name of the factories: 'Moussa Diallo'."""
    return f"{FIRST_NAMES[n % len(FIRST_NAMES)]} {FAMILY_NAMES[n // len(FIRST_NAMES) % len(FAMILY_NAMES)]}"


def _staff_phone(n: int) -> str:
    """The n-th account's number, +2237670nnnn for the first 10,000 (a whole run makes more: still a Malian mobile,
    never the 12 digits a fifth counter digit would make)."""
    return f"+22376{(700000 + n) % 10**6:06d}"


def make_user(session, organisation: Organisation, **overrides) -> User:
    n = next(_counter)
    # A name no test gives a child or a staff member itself: two accounts never share one, a name a test writes
    # ("Awa Diallo") is never taken already, and a page's header never shows a word a test says must not be there.
    values = {
        "email": f"user{n}@example.org", "display_name": f"Staff member {n}", "role": "supervisor",
        "phone": _staff_phone(n),
        "password": "correct horse battery", "language": "fr", "organisation_slug": organisation.slug,
    }
    values.update(overrides)
    with mock.patch("casecore.accounts.users.generate_password_hash", _hash_once_per_password):
        return create_user(session, **values)


# Factory accounts' passwords: still scrypt, checked at each login by the same werkzeug call, at 1/32 of the default
# cost (n=2**10, not 2**15): a default hash or check is ~0.1 s of CPU, and a run makes thousands of accounts and logins.
TEST_HASH_METHOD = "scrypt:1024:8:1"


@cache
def _hash_once_per_password(password: str) -> str:
    """A real scrypt hash of password, at the tests' cost, made once per process."""
    return generate_password_hash(password, method=TEST_HASH_METHOD)


def make_receiving_service(session) -> Organisation:
    """What a community conversation needs to end in a report: the receiving organisation ("demo"), the location
    menus, and a supervisor to alert (+22376000001)."""
    org = make_organisation(session, slug="demo")
    make_locations(session)
    make_user(session, org, role="supervisor", phone="+22376000001")
    return org


def make_report(session, **overrides):
    """Submit a report through the real service; returns SubmittedReport."""
    n = next(_counter)
    values = dict(
        channel="ussd", channel_session_id=f"ATUid_test{n}", reporter_phone="+22376701430", language="fr",
        concern="physical_abuse", danger_now=False, child_sex="female", child_age_band="6_11",
        location_code=None, may_contact=True, consent_to_share=True, answers={},
    )
    slug = overrides.pop("organisation_slug", "")
    values.update(overrides)
    organisation_id = find_organisation(session, slug).id
    return submit_report(session, ReportDraft(**values), organisation_id=organisation_id, default_region="ML")


def make_case(session, report=None, **overrides) -> Case:
    """Open a case through the real service, from report (a SubmittedReport) or a new report; returns the Case.

    status="closed" closes it; organisation_slug picks the new report's organisation; the rest goes to open_case.
    """
    status = overrides.pop("status", "open")
    if report is None:
        report = make_report(session, organisation_slug=overrides.pop("organisation_slug", ""))
    case = session.get(Case, open_case(session, report.id, **overrides))
    if status == "closed":
        case.status, case.closed_at = "closed", utcnow()
        session.flush()
    return case


@dataclass(frozen=True)
class Asking:
    """Who asks, as casecore.cases.access reads a staff member (app.auth.views.StaffUser has the same fields)."""

    id: uuid.UUID
    organisation_id: uuid.UUID
    role: str


def as_staff(user: User) -> Asking:
    """The access view of a User."""
    return Asking(user.id, user.organisation_id, user.role)
