"""Lists of values, following the inter-agency lists (../shared/domain/README.md).

Codes are stable identifiers stored in the database and sent to other systems; labels live in the
translation catalogues.
"""
from __future__ import annotations

from casecore.errors import InvalidInput

# Protection concerns, inter-agency taxonomy (CPIMS+/Primero). Codes follow Primero's lookup values.
PROTECTION_CONCERNS = (
    "physical_abuse",
    "sexual_abuse",
    "emotional_abuse",
    "neglect",
    "abandonment",
    "child_labour",
    "hazardous_work",
    "sexual_exploitation",
    "trafficking",
    "conflict_with_law",
    "caafag",
    "unaccompanied",
    "separated",
    "orphan",
    "functional_difficulties",
    "psychosocial_distress",
    "substance_abuse",
    "marginalised_group",
    "no_documentation",
    "child_marriage",
    "fgm",
    "pregnancy_child_parent",
    "inappropriate_care",
    "other",
)

# Concerns escalated at once whatever else is said (domain rules, "immediate escalation"): sexual violence,
# trafficking or abduction, association with armed groups, a child without any care.
ESCALATION_CONCERNS = frozenset({"sexual_abuse", "sexual_exploitation", "trafficking", "caafag", "unaccompanied"})

RISK_LEVELS = ("high", "medium", "low", "no_risk")

CHILD_SEXES = ("female", "male", "unknown")

# Disaggregation bands from the indicators section; "unknown" when the reporter does not know.
AGE_BANDS = ("0_5", "6_11", "12_17", "unknown")

CHANNELS = ("ussd", "sms", "whatsapp", "web")

ROLES = ("supervisor", "caseworker", "admin")

# Staff read the web view and their SMS in these.
LANGUAGES = ("fr", "en")
# Community members can talk to Relais in these (Bambara catalogue awaiting a native speaker's review).
COMMUNITY_LANGUAGES = ("fr", "en", "bm")

REPORT_STATUSES = ("new",)


def require(value: str, allowed: tuple[str, ...], what: str) -> str:
    """Return value if it is one of allowed, else raise InvalidInput naming what was wrong."""
    if value not in allowed:
        raise InvalidInput(f"unknown {what}: {value!r}")
    return value
