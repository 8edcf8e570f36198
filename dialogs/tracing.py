"""Report a missing or separated child: who, where and when last seen, relationship, contact. High priority."""
from __future__ import annotations

from dialogs.common import AGE_BANDS, SEXES, confirm_step, consent_steps, description_step, place_steps
from dialogs.engine import Answers, Context, Ending, Option, Step
from dialogs.report_child import cancelled, submit

FLOW = "tracing"
ENTRY = "tracing.sex"

LAST_SEEN = (
    Option("today", "Today"),
    Option("yesterday", "Yesterday"),
    Option("this_week", "This week"),
    Option("longer", "Longer ago"),
    Option("unknown", "I don't know"),
)
RELATIONSHIPS = (
    Option("parent", "Parent"),
    Option("relative", "Other family"),
    Option("neighbour", "Neighbour"),
    Option("committee", "Committee member"),
    Option("other", "Other"),
)


def _submit(ctx: Context, answers: Answers) -> str:
    # A missing child is a separated child until found; the report is always urgent (casecore.reports).
    return submit(ctx, answers, kind="tracing", flow=FLOW, concern="separated", danger_now=False,
                  last_seen=answers["tracing.when"], relationship=answers["tracing.relationship"])


STEPS = {
    "tracing.sex": Step("tracing.sex", "Missing child: a girl or a boy?", SEXES, "tracing.age"),
    "tracing.age": Step("tracing.age", "How old is the child?", AGE_BANDS, "tracing.region"),
    **place_steps(FLOW, "Where was the child last seen? Region:", "tracing.when"),
    "tracing.when": Step("tracing.when", "When was the child last seen?", LAST_SEEN, "tracing.relationship"),
    "tracing.relationship": Step("tracing.relationship", "You are the child's:", RELATIONSHIPS,
                                 "tracing.description"),
    "tracing.description": description_step(
        "tracing.description", "Describe the child in a few words: name, clothes (optional)", "tracing.consent"),
    **consent_steps(FLOW, "tracing.confirm"),
    "tracing.confirm": confirm_step(FLOW, "Send the report?", "tracing.submitted", "tracing.cancelled"),
}

ENDINGS = {
    "tracing.submitted": Ending("tracing.submitted", _submit),
    "tracing.cancelled": Ending("tracing.cancelled", cancelled),
}
