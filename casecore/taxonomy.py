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

CHANNELS = ("ussd", "sms", "whatsapp", "web", "api")
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

# handed_over: sent straight to CPIMS+ (PRIMERO_HANDOFF=on_report), which triages it; closed once closed there.
REPORT_STATUSES = ("new", "accepted", "duplicate", "not_eligible", "referred", "closed", "handed_over")

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

# Complaint handling (issue 6): how serious, where it stands, and how it came in.
COMPLAINT_SEVERITIES = ("critical", "high", "medium", "low")
# new -> acknowledged -> investigating (a first private note) -> resolved -> closed; the complainant is informed
# between resolved and closed.
COMPLAINT_STATUSES = ("new", "acknowledged", "investigating", "resolved", "closed")
# The community channels, and complaints staff log for someone who came in person or called them.
COMPLAINT_INTAKE_CHANNELS = ("ussd", "sms", "whatsapp", "web", "in_person", "phone_call")
STAFF_INTAKE_CHANNELS = ("in_person", "phone_call")
# A complaint's severity when it comes in, by category (a focal point may change it): abuse by those meant to
# protect is critical (24 h); misconduct, fraud and a data breach are high, as they may harm others while open; a
# request left unanswered is medium; the quality of a service and anything else, low.
DEFAULT_COMPLAINT_SEVERITY = {
    "sexual_exploitation_abuse": "critical",
    "staff_misconduct": "high",
    "fraud_corruption": "high",
    "data_breach": "high",
    "no_response": "medium",
    "service_quality": "low",
    "other": "low",
}
# What a focal point's private trail of a complaint records.
COMPLAINT_NOTE_KINDS = ("note", "acknowledged", "resolved", "informed", "closed", "severity", "named", "category")

FEEDBACK_RATINGS = (1, 2, 3, 4, 5)
# What an answer is about: a referral's service, the closure survey, the number's case, or nothing known.
FEEDBACK_ABOUT = ("service", "closure", "case", "general")
# Who a survey asked (None: whoever holds the phone).
FEEDBACK_AUDIENCES = ("adult", "child")
# The surveys the system sends: at closure, and after a referral's service is done.
FEEDBACK_REQUEST_KINDS = ("closure", "service")

# -- case work (issue 5) -----------------------------------------------------------------------------------------

# Risk levels a case is opened with (no_risk reports are not eligible for a case).
CASE_RISK_LEVELS = ("high", "medium", "low")

# What a supervisor decides about a new report.
TRIAGE_DECISIONS = ("accepted", "duplicate", "not_eligible", "referred")
NOT_ELIGIBLE_REASONS = (
    "no_protection_concern",  # no child protection concern
    "outside_area",  # outside the organisation's area
    "insufficient_information",  # not enough to identify or find the child
    "adult",  # the person is 18 or older
    "false_report",  # found to be false or malicious
    "other",
)

# The steps of case management (inter-agency guidelines), in order.
CASE_STEPS = ("registration", "assessment", "case_plan", "implementation", "follow_up", "closure")
# Steps a supervisor approves before the case moves on.
APPROVAL_STEPS = ("assessment", "case_plan", "closure")
APPROVAL_DECISIONS = ("pending", "approved", "returned")
CASE_STATUSES = ("open", "closure_requested", "closed", "transferred")

# Consent is recorded per purpose (Primero data_confidentiality; CPIMS+ consent forms).
CONSENT_PURPOSES = ("services", "sharing_providers", "anonymous_statistics")
# Who gave it: the caregiver, the child (15-17), both (6-14: caregiver and the child's assent), or a supervisor
# authorising it (no caregiver and a child too young, or imminent danger).
CONSENT_GIVERS = ("caregiver", "child", "caregiver_and_child", "supervisor_authorised")

# Follow-up: a visit, or a review of the case plan (at least monthly).
FOLLOW_UP_KINDS = ("visit", "review")

# Closure reasons (domain rules, "Closure").
CLOSURE_REASONS = (
    "goals_met_safe",
    "turned_18_transition",
    "no_longer_wants_support",
    "relocated_no_agency",
    "not_contactable",
    "death",
    "no_further_action_possible",
    "opened_in_error",
)

# Service types of the service directory (inter-agency referral form, CPIMS+ "service type" lookup).
SERVICE_TYPES = (
    "health",
    "mental_health_psychosocial",
    "safe_shelter",
    "legal_aid",
    "police_security",
    "education",
    "livelihoods",
    "family_tracing_reunification",
    "alternative_care",
    "basic_material_assistance",
    "nutrition",
    "birth_registration",
    "gbv_services",
    "disability_support",
    "other",
)
REFERRAL_STATUSES = ("sent", "accepted", "declined", "done")
# Why a referral was declined on our side, not by the provider: the family withdrew the consent it relied on.
REFERRAL_DECLINED_BECAUSE = ("consent_withdrawn",)
TRANSFER_STATUSES = ("pending", "accepted", "declined")

# Deadlines tracked per case (and the assignment of a report), each alerted before and after it passes.
DEADLINE_KINDS = ("assignment", "first_response", "assessment", "case_plan", "review", "visit",
                  "post_closure_check")


def require(value: str, allowed: tuple[str, ...], what: str) -> str:
    """Return value if it is one of allowed, else raise InvalidInput naming what was wrong."""
    if value not in allowed:
        raise InvalidInput(f"unknown {what}: {value!r}")
    return value

# When reports are handed over to CPIMS+ (Primero): never, at a supervisor's acceptance, or as soon as received.
HANDOFF_MODES = ("off", "on_accept", "on_report")
# A hand-off's row: waiting to be sent, claimed by a job, of unknown outcome (looked up first), sent, failed.
HANDOFF_STATUSES = ("waiting", "sending", "unknown", "sent", "failed")

# -- the child's registration (forms 1.A, 1.B, 1.E; Primero's basic identity, family details, protection concerns) --
# The Washington Group short set on functioning, child version: six domains, each answered on one scale.
WG_DOMAINS = ("seeing", "hearing", "walking", "remembering", "self_care", "communicating")
WG_ANSWERS = ("no_difficulty", "some_difficulty", "a_lot_of_difficulty", "cannot_do_at_all")
# Unaccompanied (with neither parent nor usual caregiver) or separated (from them, with other relatives); Primero's
# lookup-protection-status.
PROTECTION_STATUSES = ("unaccompanied", "separated")
# Who a relative or caregiver is to the child: Primero's lookup-family-relationship.
FAMILY_RELATIONSHIPS = ("mother", "father", "aunt", "uncle", "grandmother", "grandfather", "brother", "sister",
                        "husband", "wife", "partner", "other_family", "other_nonfamily")
# Languages the child speaks, ISO 639 codes of the languages of the programme's areas (Mali first), then other.
CHILD_LANGUAGES = ("fr", "bm", "ff", "son", "snk", "tmh", "ar", "en", "sw", "other")
# Identity documents the child has (none: no document at all).
CHILD_DOCUMENTS = ("birth_certificate", "national_id", "school_card", "refugee_card", "passport", "other", "none")
# The domains of a child's assessment (form 2.A), each with needs, risk factors, protective factors and the child's
# views.
ASSESSMENT_DOMAINS = ("safety", "care_arrangements", "health", "education", "psychosocial", "legal_documents",
                      "economic")
# The case plan (forms 3.A, 4.A): goals and the actions towards them, who takes each and how it went.
GOAL_STATUSES = ("open", "achieved", "not_achieved", "dropped")
ACTION_BY = ("caseworker", "family", "child", "service", "other")
ACTION_STATUSES = ("planned", "done", "not_done")
# The child's assent beside a caregiver's consent (ages 6 to 14): given, refused, or not asked (and why, in the note).
ASSENT_ANSWERS = ("given", "refused", "not_asked")
# Why a best-interest assessment is done (UNHCR BIP 2021; domain notes, "Best interests").
BIA_REASONS = ("unaccompanied_separated", "alternative_care", "durable_solution", "separation_from_parents",
               "heightened_risk")
# Tracing (forms 4.B-4.E): how a tracing action ended, and where a proposed match stands.
TRACING_OUTCOMES = ("found", "lead", "not_found")
MATCH_STATUSES = ("proposed", "confirmed", "rejected")
# Closure criteria (form 6.A; the inter-agency SOP template's closure criteria), ticked when closure is requested.
CLOSURE_CRITERIA = ("goals_achieved", "child_safe", "family_coping", "services_in_place", "child_informed",
                    "caregiver_informed")
# The criteria a closure reason cannot do without.
CLOSURE_REASON_CRITERIA = {"goals_met_safe": ("goals_achieved", "child_safe"),
                           "turned_18_transition": ("services_in_place", "child_informed")}
# What a document staff attach to a case is.
DOCUMENT_KINDS = ("identity", "medical", "school", "legal", "consent_form", "photo", "other")
