"""/cases: a partner system (an integration platform, a national dashboard) reads its organisation's cases."""
from __future__ import annotations

from datetime import date
from typing import Any

from app.api.calls import Call
from app.api.listing import list_filters, list_params, next_link, page_schema
from app.api.problems import ApiProblem
from app.api.registry import API
from app.api.spec import NULLABLE_TEXT
from casecore import taxonomy
from casecore.errors import NotFound
from casecore.partners.cases import NAME_FIELDS, PartnerCase, case_by_reference, list_cases
from casecore.partners.paging import Cursor
from casecore.partners.resources import api_time
from casecore.partners.scopes import CASES_READ

PERSONAL = "Personal data: only with the personal_data scope (left out otherwise)."
MOMENT = {"type": "string", "format": "date-time"}
NULLABLE_MOMENT = {"type": ["string", "null"], "format": "date-time"}


def _codes(values, description: str, nullable: bool = False) -> dict[str, Any]:
    listed = [*values, None] if nullable else list(values)
    return {"enum": listed, "description": description} if nullable else \
        {"type": "string", "enum": listed, "description": description}


REFERENCE = {"type": "string", "minLength": 1, "maxLength": 40,
             "description": "The case's reference (7 characters; spaces and dashes as typed are ignored)."}
DEADLINE = API.schema("CaseDeadline", {
    "type": "object",
    "additionalProperties": False,
    "required": ["kind", "due_at", "met", "met_at"],
    "properties": {
        "kind": _codes(taxonomy.DEADLINE_KINDS, "What must be done by then."),
        "due_at": {**MOMENT, "description": "When it falls due."},
        "met": {"type": "boolean", "description": "Whether it was met (done, at any time)."},
        "met_at": {**NULLABLE_MOMENT, "description": "When it was met; null while it is not."},
    },
})
REFERRAL = API.schema("CaseReferral", {
    "type": "object",
    "additionalProperties": False,
    "required": ["service_name", "service_type", "status", "declined_because", "created_at", "updated_at"],
    "properties": {
        "service_name": {"type": "string", "description": "The provider, as the service directory names it."},
        "service_type": _codes(taxonomy.SERVICE_TYPES, "What the service gives."),
        "status": _codes(taxonomy.REFERRAL_STATUSES, "sent, then accepted or declined by the provider, then done."),
        "declined_because": _codes(taxonomy.REFERRAL_DECLINED_BECAUSE, "Declined on our side, not by the provider: "
                                   "the family withdrew the consent it relied on.", nullable=True),
        "created_at": {**MOMENT, "description": "When the case was referred."},
        "updated_at": {**MOMENT, "description": "When its status last changed."},
        "notes": {**NULLABLE_TEXT, "description": f"What the case worker wrote with the referral. {PERSONAL}"},
        "counter_referral_notes": {**NULLABLE_TEXT, "description": f"The provider's answer, as typed in. {PERSONAL}"},
    },
})
HISTORY_ENTRY = API.schema("CaseHistoryEntry", {
    "type": "object",
    "additionalProperties": False,
    "required": ["at", "kind", "channel", "body", "author"],
    "properties": {
        "at": {**MOMENT, "description": "When it happened."},
        "kind": {"type": "string", "description": "What happened: a family's message, a note, a step changed, an "
                 "approval asked or given, a referral, a transfer..."},
        "channel": {**NULLABLE_TEXT, "description": "The channel a family's message came by (sms, whatsapp...)."},
        "body": {**NULLABLE_TEXT, "description": "What was written, or the code of what changed (the new step)."},
        "author": {**NULLABLE_TEXT, "description": "The staff member who wrote it (display name); null for a "
                   "family's message or the system."},
    },
})
CHILD = API.schema("CaseChild", {
    "type": "object",
    "additionalProperties": False,
    "required": [*NAME_FIELDS, "date_of_birth", "address_current"],
    "description": f"Who the child is, as registered (all null before the registration). {PERSONAL}",
    "properties": {
        **{name: NULLABLE_TEXT for name in NAME_FIELDS},
        "date_of_birth": {"type": ["string", "null"], "format": "date"},
        "address_current": {**NULLABLE_TEXT, "description": "Where the child lives, as written."},
    },
})
RELATIVE = API.schema("CaseRelative", {
    "type": "object",
    "additionalProperties": False,
    "required": ["relation", "name", "is_caregiver", "lives_with_child"],
    "properties": {
        "relation": _codes(taxonomy.FAMILY_RELATIONSHIPS, "Who they are to the child."),
        "name": NULLABLE_TEXT,
        "is_caregiver": {"type": "boolean"},
        "lives_with_child": {"type": "boolean"},
    },
})
CASE = API.schema("Case", {
    "type": "object",
    "additionalProperties": False,
    "required": ["reference", "status", "current_step", "risk_level", "opened_at", "assigned_at", "closed_at",
                 "closure_reason", "reopened_at", "assigned_to", "report_reference", "deadlines", "referrals"],
    "properties": {
        "reference": {"type": "string", "description": "The case's reference."},
        "status": _codes(taxonomy.CASE_STATUSES, "open, closure_requested (waiting for the supervisor), closed."),
        "current_step": _codes(taxonomy.CASE_STEPS, "The step of case management the case is at."),
        "risk_level": _codes(taxonomy.CASE_RISK_LEVELS, "null until the case worker or supervisor sets it.",
                             nullable=True),
        "opened_at": {**MOMENT, "description": "When the case was opened."},
        "assigned_at": {**NULLABLE_MOMENT, "description": "When its case worker was assigned."},
        "closed_at": {**NULLABLE_MOMENT, "description": "When it was closed; null while it is not."},
        "closure_reason": _codes(taxonomy.CLOSURE_REASONS, "Why it was closed.", nullable=True),
        "reopened_at": {**NULLABLE_MOMENT, "description": "When it was last reopened."},
        "assigned_to": {**NULLABLE_TEXT, "description": "The case worker's display name; null while unassigned."},
        "report_reference": {**NULLABLE_TEXT, "description": "The reference of the report it was opened from."},
        "deadlines": {"type": "array", "items": DEADLINE, "description": "Every deadline, met or not, soonest first."},
        "referrals": {"type": "array", "items": REFERRAL, "description": "Referrals to services, first made first."},
        "child": CHILD,
        "relatives": {"type": "array", "items": RELATIVE,
                      "description": f"The child's relatives and caregivers, as registered. {PERSONAL}"},
        "family_numbers": {"type": "array", "items": {"type": "string"},
                           "description": "The family's numbers linked to the case, masked (+223******30) as the "
                                          f"case page shows them: no one sees them whole. {PERSONAL}"},
        "reopen_reason": {**NULLABLE_TEXT, "description": f"Why it was last reopened. {PERSONAL}"},
        "history": {"type": "array", "items": HISTORY_ENTRY,
                    "description": f"The case's timeline, oldest first. {PERSONAL}"},
    },
})
CASE_PAGE = page_schema("CasePage", CASE)
NEED_TO_KNOW = ("The token's organisation's cases only: a case transferred to another organisation is theirs once "
                "they accept it. Numbers, names, free text and the timeline only with the personal_data scope.")


@API.endpoint(
    "GET", "/cases", operation_id="listCases", summary="The organisation's cases, first opened first",
    scope=CASES_READ, query=list_params("cases", taxonomy.CASE_STATUSES, "Opened"), description=NEED_TO_KNOW,
    responses={200: ("A page of cases", CASE_PAGE)}, problems=("invalid-request",),
)
def cases(call: Call):
    filters, limit = list_filters(call)
    page, more = list_cases(call.session, call.holder, filters, limit, personal=call.personal_data)
    call.object_ids.extend(str(found.case.id) for found in page)
    last = page[-1].case if page else None
    return {"items": [case_resource(found) for found in page],
            "next": next_link(Cursor(last.opened_at, last.id)) if more else None}


@API.endpoint(
    "GET", "/cases/{reference}", operation_id="getCase", summary="One case of the token's organisation",
    scope=CASES_READ, path_params={"reference": REFERENCE}, description=NEED_TO_KNOW,
    responses={200: ("The case", CASE)}, problems=("not-found",),
)
def get_case(call: Call, reference: str):
    try:
        found = case_by_reference(call.session, call.holder, reference, personal=call.personal_data)
    except NotFound:
        raise ApiProblem("not-found") from None
    call.object_ids.append(str(found.case.id))
    return case_resource(found)


def case_resource(found: PartnerCase) -> dict[str, Any]:
    """A case as a partner reads it; the personal part only when it was read (the caller has personal_data)."""
    case = found.case
    resource = {
        "reference": case.reference, "status": case.status, "current_step": case.current_step,
        "risk_level": case.risk_level, "opened_at": api_time(case.opened_at), "assigned_at": api_time(case.assigned_at),
        "closed_at": api_time(case.closed_at), "closure_reason": case.closure_reason,
        "reopened_at": api_time(case.reopened_at), "assigned_to": found.assigned_to,
        "report_reference": found.report_reference,
        "deadlines": [{"kind": d.kind, "due_at": api_time(d.due_at), "met": d.met_at is not None,
                       "met_at": api_time(d.met_at)} for d in found.deadlines],
        "referrals": [_referral(r, personal=found.personal is not None) for r in found.referrals],
    }
    personal = found.personal
    if personal is not None:
        resource.update(
            child={**personal.child_names, "date_of_birth": _day(personal.date_of_birth),
                   "address_current": personal.address_current},
            relatives=[{"relation": r.relation, "name": r.name, "is_caregiver": r.is_caregiver,
                        "lives_with_child": r.lives_with_child} for r in personal.relatives],
            family_numbers=personal.family_numbers,
            reopen_reason=personal.reopen_reason,
            history=[{"at": api_time(h.at), "kind": h.kind, "channel": h.channel, "body": h.body, "author": h.author}
                     for h in personal.history],
        )
    return resource


def _referral(referral, personal: bool) -> dict[str, Any]:
    described = {"service_name": referral.provider_name, "service_type": referral.service_type,
                 "status": referral.status, "declined_because": referral.declined_because,
                 "created_at": api_time(referral.created_at), "updated_at": api_time(referral.updated_at)}
    if personal:
        described.update(notes=referral.notes, counter_referral_notes=referral.counter_referral_notes)
    return described


def _day(day: date | None) -> str | None:
    return None if day is None else day.isoformat()
