"""Demo data: an organisation, Mali's locations, a team of staff accounts and an open case, loadable again and again."""
from __future__ import annotations

import csv
import io
import logging
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from casecore.accounts.teams import create_team
from casecore.accounts.users import create_user, parse_spoken_languages
from casecore.base import utcnow
from casecore.cases.models import Case
from casecore.cases.opening import open_case
from casecore.people.locations import import_locations
from casecore.people.models import Organisation, Team, User
from casecore.phones import phone_key
from casecore.reports.intake import ReportDraft, submit_report
from casecore.reports.models import Report

log = logging.getLogger(__name__)

DEMO_SLUG = "demo"
DEMO_NAME = "Relais (démonstration)"

# Region p-codes follow OCHA's Mali COD-AB (Ménaka and Taoudénit, created in 2016, come last); cercle and commune
# codes and the choice of communes are illustrative. A real deployment imports the official list with
# `flask locations import`. Kayes has more than eight communes so the USSD menus page.
_REGIONS: list[tuple[str, str, list[tuple[str, list[str]]]]] = [
    ("ML01", "Kayes", [
        ("Kayes", ["Kayes", "Khouloum", "Liberté Dembaya", "Kéméné Tambo", "Sony", "Samé Diomgoma", "Ségala",
                   "Koussané", "Hawa Dembaya", "Sadiola", "Diamou", "Djélébou"]),
        ("Kita", ["Kita", "Sébékoro", "Namala Guimba"]),
    ]),
    ("ML02", "Koulikoro", [
        ("Kati", ["Kati", "Dio-Gare", "Baguinéda-Camp", "Kalabancoro", "Mandé", "Sanankoroba", "Ouélessébougou"]),
        ("Koulikoro", ["Koulikoro", "Méguétan", "Tienfala"]),
    ]),
    ("ML03", "Sikasso", [("Sikasso", ["Sikasso", "Danderesso", "Kaboïla", "Finkolo"])]),
    ("ML04", "Ségou", [("Ségou", ["Ségou", "Pelengana", "Sébougou", "Markala"])]),
    ("ML05", "Mopti", [("Mopti", ["Mopti", "Socoura", "Fatoma", "Konna"])]),
    ("ML06", "Tombouctou", [("Tombouctou", ["Tombouctou", "Alafia", "Ber", "Bourem-Inaly"])]),
    ("ML07", "Gao", [("Gao", ["Gao", "Sony Aliber", "Anchawadi", "Gounzoureye"])]),
    ("ML08", "Kidal", [("Kidal", ["Kidal", "Anéfif", "Essouk"])]),
    ("ML09", "Bamako", [
        ("District de Bamako", ["Commune I", "Commune II", "Commune III", "Commune IV", "Commune V", "Commune VI"]),
    ]),
    ("ML10", "Ménaka", [("Ménaka", ["Ménaka", "Alata", "Anderamboukane", "Inékar", "Tidermène"])]),
    ("ML11", "Taoudénit", [("Araouane", ["Araouane", "Boujbéha", "Foum-Elba"])]),
]


@dataclass(frozen=True)
class DemoLogin:
    """A demo account's credentials, printed for whoever runs the demo."""

    email: str
    password: str
    role: str
    name: str


@dataclass(frozen=True)
class DemoLogins:
    """What load_demo made available."""

    organisation_slug: str
    locations: int
    logins: tuple[DemoLogin, ...]
    # A family whose number is linked to the demo case: "reach my case worker" works from it.
    family_phone: str = ""
    case_reference: str = ""


# Known on purpose: these accounts exist to be shown, never in a real deployment.
DEMO_ACCOUNTS = (
    (DemoLogin("superviseur@demo.relais.example", "demo-triage-bamako", "supervisor", "Mariam Traoré"),
     "+22376000001"),
    (DemoLogin("agent@demo.relais.example", "demo-travail-social", "caseworker", "Awa Diallo"), "+22376000002"),
    (DemoLogin("agent2@demo.relais.example", "demo-travail-social-2", "caseworker", "Moussa Keïta"),
     "+22376000003"),
    (DemoLogin("admin@demo.relais.example", "demo-gestion-comptes", "admin", "Ibrahim Coulibaly"), "+22376000004"),
    # Complaints, the sensitive ones included, go to the focal point: a supervisor reads only the others.
    (DemoLogin("plaintes@demo.relais.example", "demo-point-focal", "focal_point", "Fatoumata Sangaré"),
     "+22376000005"),
)
DEMO_SUPERVISOR = DEMO_ACCOUNTS[0][0].email
DEMO_CASE_WORKER = DEMO_ACCOUNTS[1][0].email
DEMO_SECOND_CASE_WORKER = DEMO_ACCOUNTS[2][0].email
# Matching needs: a woman speaking French and Bambara, a man speaking French and English.
DEMO_PROFILES = {DEMO_CASE_WORKER: ("female", "fr,bm"), DEMO_SECOND_CASE_WORKER: ("male", "fr,en")}
# The demo supervisor's team, holding both demo case workers.
DEMO_TEAM = "Équipe Bamako"
# The family of the demo case: a message from this number lands in the case's timeline.
DEMO_FAMILY_PHONE = "+22376000100"
# The demo report's session id: loading the demo again finds the same report instead of adding one.
DEMO_CASE_SESSION = "demo-case-1"


def demo_locations_csv() -> str:
    """The demo locations as CSV (code,name,level,parent_code), parents before children."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["code", "name", "level", "parent_code"])
    for region_code, region_name, cercles in _REGIONS:
        writer.writerow([region_code, region_name, 1, ""])
        for c, (cercle_name, communes) in enumerate(cercles, start=1):
            cercle_code = f"{region_code}{c:02d}"
            writer.writerow([cercle_code, cercle_name, 2, region_code])
            for n, commune in enumerate(communes, start=1):
                writer.writerow([f"{cercle_code}{n:02d}", commune, 3, cercle_code])
    return out.getvalue()


def load_demo(session: Session, default_region: str = "ML", secret_key: str | None = None) -> DemoLogins:
    """Create the demo organisation, locations, accounts and case where missing; running it again changes nothing.

    With secret_key (the deployment's SECRET_KEY) the demo family's number may also check the demo report's status.
    """
    organisation_id = session.scalar(select(Organisation.id).where(Organisation.slug == DEMO_SLUG))
    if organisation_id is None:
        organisation = Organisation(slug=DEMO_SLUG, name=DEMO_NAME)
        session.add(organisation)
        session.flush()
        organisation_id = organisation.id
    # The import updates rows by p-code, so a second run rewrites the same rows instead of adding any.
    locations = import_locations(session, io.StringIO(demo_locations_csv()))
    for login, phone in DEMO_ACCOUNTS:
        account = session.scalar(select(User).where(User.email == login.email))
        if account is None:
            create_user(
                session, email=login.email, display_name=login.name, role=login.role, phone=phone,
                password=login.password, language="fr", organisation_slug=DEMO_SLUG, default_region=default_region,
            )
        else:
            # An older demo's account was named from its email when names came (migration 0037).
            account.display_name = login.name
    team_id = _demo_team(session, organisation_id)
    case_reference = _demo_case(session, organisation_id, default_region, secret_key, team_id)
    log.info("demo data loaded (%d locations)", locations)
    return DemoLogins(DEMO_SLUG, locations, tuple(login for login, _ in DEMO_ACCOUNTS), DEMO_FAMILY_PHONE,
                      case_reference)


def _demo_team(session: Session, organisation_id: uuid.UUID) -> uuid.UUID:
    """The demo supervisor's team with both demo case workers in it, their sex and languages set (again)."""
    team_id = session.scalar(select(Team.id).where(Team.organisation_id == organisation_id, Team.name == DEMO_TEAM))
    if team_id is None:
        supervisor_id = session.scalar(select(User.id).where(User.email == DEMO_SUPERVISOR))
        team_id = create_team(session, organisation_id=organisation_id, name=DEMO_TEAM, supervisor_id=supervisor_id).id
    for email, (sex, languages) in DEMO_PROFILES.items():
        worker = session.scalar(select(User).where(User.email == email))
        # Accounts made by an older demo had no team, sex or languages.
        worker.team_id, worker.sex, worker.spoken_languages = team_id, sex, parse_spoken_languages(languages)
    session.flush()
    return team_id


def _demo_case(session: Session, organisation_id: uuid.UUID, default_region: str, secret_key: str | None,
               team_id: uuid.UUID) -> str:
    """An open case from a demo report, assigned to the demo case worker in the demo team, with the family's number."""
    report = submit_report(session, ReportDraft(
        channel="web", channel_session_id=DEMO_CASE_SESSION, reporter_phone=DEMO_FAMILY_PHONE, language="fr",
        concern="neglect", danger_now=False, child_sex="male", child_age_band="6_11", location_code="ML090101",
        may_contact=True, consent_to_share=True,
        reporter_key=phone_key(DEMO_FAMILY_PHONE, secret_key) if secret_key else None,
    ), organisation_id=organisation_id, default_region=default_region)
    existing = session.scalar(select(Case).where(Case.report_id == report.id))
    if existing is not None:
        # A case made by an older demo had no team.
        existing.team_id = existing.team_id or team_id
        session.flush()
        return existing.reference
    # Demo data is not news: no supervisor is alerted about it.
    session.get(Report, report.id).alerted_at = utcnow()
    worker_id = session.scalar(select(User.id).where(User.email == DEMO_CASE_WORKER))
    case_id = open_case(session, report.id, assigned_to_id=worker_id, contact_phones=(DEMO_FAMILY_PHONE,))
    case = session.get(Case, case_id)
    case.team_id = case.team_id or team_id
    session.flush()
    return case.reference
