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
# The channels that carry single messages (inbound and outbound), as opposed to USSD sessions and web forms.
MESSAGE_CHANNELS = ("sms", "whatsapp")

# focal_point: the designated complaints focal point (sexual exploitation and abuse, misconduct, fraud).
ROLES = ("supervisor", "caseworker", "admin", "focal_point")

# Staff read the web view and their SMS in these.
LANGUAGES = ("fr", "en")
# Community members can talk to Relais in these (Bambara catalogue awaiting a native speaker's review).
COMMUNITY_LANGUAGES = ("fr", "en", "bm")

# A report about a child at risk, or about a missing or separated child (tracing, always high priority).
REPORT_KINDS = ("child_at_risk", "tracing")

REPORT_STATUSES = ("new", "accepted", "duplicate", "not_eligible", "referred", "closed")

# When a missing child was last seen, and who the reporter is to the child (tracing reports).
LAST_SEEN = ("today", "yesterday", "this_week", "longer", "unknown")
RELATIONSHIPS = ("parent", "relative", "neighbour", "committee", "other")

COMPLAINT_CATEGORIES = (
    "service_quality",
    "no_response",
    "staff_misconduct",
    "sexual_exploitation_abuse",
    "fraud_corruption",
    "data_breach",
    "other",
)
# Routed to a designated focal point and readable only with a separate permission (UNICEF HOPE grievance module).
SENSITIVE_COMPLAINT_CATEGORIES = frozenset(
    {"staff_misconduct", "sexual_exploitation_abuse", "fraud_corruption", "data_breach"}
)

FEEDBACK_RATINGS = (1, 2, 3, 4, 5)


def require(value: str, allowed: tuple[str, ...], what: str) -> str:
    """Return value if it is one of allowed, else raise InvalidInput naming what was wrong."""
    if value not in allowed:
        raise InvalidInput(f"unknown {what}: {value!r}")
    return value
