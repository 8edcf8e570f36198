"""Who consents for a child of a given age (../shared/domain/README.md, "Consent", age bands): up to 5 the
caregiver; 6 to 14 the caregiver, with the child's assent asked and recorded; from 15 the child. A supervisor may
authorise in their stead (no caregiver and a child too young, or imminent danger). Applied when the child's age is
recorded (the registration); before that, any giver is taken and the page says what the age bands ask."""
from __future__ import annotations

from dataclasses import dataclass

from casecore.errors import Refused


@dataclass(frozen=True)
class ConsentRule:
    """What a child's age asks of a consent: who may give it, and whether the child's assent is recorded."""

    code: str  # caregiver, caregiver_with_assent, child, unknown
    givers: frozenset[str]
    assent_required: bool


AUTHORISED = "supervisor_authorised"
RULES = {
    "caregiver": ConsentRule("caregiver", frozenset({"caregiver", AUTHORISED}), False),
    "caregiver_with_assent": ConsentRule("caregiver_with_assent",
                                         frozenset({"caregiver", "caregiver_and_child", AUTHORISED}), True),
    "child": ConsentRule("child", frozenset({"child", "caregiver_and_child", AUTHORISED}), False),
    "unknown": ConsentRule("unknown", frozenset({"caregiver", "child", "caregiver_and_child", AUTHORISED}), False),
}


def consent_rule(age: int | None) -> ConsentRule:
    """The rule for a child of this age (None: not recorded yet)."""
    if age is None:
        return RULES["unknown"]
    if age <= 5:
        return RULES["caregiver"]
    if age <= 14:
        return RULES["caregiver_with_assent"]
    return RULES["child"]


def check_consent(rule: ConsentRule, given_by: str, assent: str | None) -> str | None:
    """The assent to record (None when the age does not ask for it); Refused when the giver does not fit the age
    or the child's assent was not recorded."""
    if given_by not in rule.givers:
        raise Refused(f"consent_giver_{rule.code}")
    if not rule.assent_required or given_by == AUTHORISED:
        return assent if assent in ("given", "refused", "not_asked") else None
    if assent not in ("given", "refused", "not_asked"):
        raise Refused("assent_required")
    return assent
