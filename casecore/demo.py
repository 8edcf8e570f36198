"""Demo data: an organisation, Mali's locations and two staff accounts, loadable any number of times."""
from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from casecore.locations import import_locations
from casecore.models import Organisation, User
from casecore.users import create_user

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


@dataclass(frozen=True)
class DemoLogins:
    """What load_demo made available."""

    organisation_slug: str
    locations: int
    logins: tuple[DemoLogin, ...]


# Known on purpose: these accounts exist to be shown, never in a real deployment.
DEMO_ACCOUNTS = (
    (DemoLogin("superviseur@demo.relais.example", "demo-superviseur", "supervisor"), "+22376000001"),
    (DemoLogin("agent@demo.relais.example", "demo-agent-social", "caseworker"), "+22376000002"),
)


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


def load_demo(session: Session, default_region: str = "ML") -> DemoLogins:
    """Create the demo organisation, locations and accounts where missing; running it again changes nothing."""
    if session.scalar(select(Organisation.id).where(Organisation.slug == DEMO_SLUG)) is None:
        session.add(Organisation(slug=DEMO_SLUG, name=DEMO_NAME))
        session.flush()
    # The import updates rows by p-code, so a second run rewrites the same rows instead of adding any.
    locations = import_locations(session, io.StringIO(demo_locations_csv()))
    for login, phone in DEMO_ACCOUNTS:
        if session.scalar(select(User.id).where(User.email == login.email)) is None:
            create_user(
                session, email=login.email, role=login.role, phone=phone, password=login.password,
                language="fr", organisation_slug=DEMO_SLUG, default_region=default_region,
            )
    log.info("demo data loaded (%d locations)", locations)
    return DemoLogins(DEMO_SLUG, locations, tuple(login for login, _ in DEMO_ACCOUNTS))
