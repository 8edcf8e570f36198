"""/reports: a partner system posts a report (triaged like any other) and reads its organisation's reports."""
from __future__ import annotations

from dataclasses import asdict
from typing import Any

from app.api.calls import Call
from app.api.listing import list_filters, list_params, next_link, page_schema
from app.api.problems import ApiProblem
from app.api.registry import API
from app.api.spec import NULLABLE_TEXT, Param
from app.runtime import runtime, timelines
from app.web.paths import API_URL_PREFIX
from casecore import taxonomy
from casecore.errors import Conflict, InvalidInput, NotFound
from casecore.partners.paging import Cursor
from casecore.partners.reports import (
    PartnerReport,
    list_reports,
    report_by_reference,
    request_digest,
    take_report,
)
from casecore.partners.resources import api_time, report_resource
from casecore.partners.scopes import REPORTS_READ, REPORTS_WRITE
from casecore.reports.intake import DESCRIPTION_LENGTH
from casecore.reports.models import Report
from workers.queueing import enqueue_new_report_alert

REFERENCE = {"type": "string", "minLength": 1, "maxLength": 16, "description": "The reference given to the "
             "reporter (as printed, dashes and case as they come)."}


def _enum(values, nullable: bool = False) -> dict[str, Any]:
    return {"enum": [*values, None]} if nullable else {"type": "string", "enum": list(values)}


REPORT_INPUT = {
    "type": "object",
    "additionalProperties": False,
    "required": ["concern", "danger_now", "child_sex", "child_age_band"],
    "properties": {
        "concern": {**_enum(taxonomy.PROTECTION_CONCERNS), "description": "The protection concern (the inter-agency "
                    "list)."},
        "danger_now": {"type": "boolean", "description": "The child is in danger right now: alerted as urgent."},
        "child_sex": _enum(taxonomy.CHILD_SEXES),
        "child_age_band": _enum(taxonomy.AGE_BANDS),
        "kind": {**_enum(taxonomy.REPORT_KINDS), "default": "child_at_risk",
                 "description": "tracing: a missing or separated child (alerted as urgent): its concern is "
                                "`separated`, with `last_seen` and `relationship`."},
        "language": {**_enum(taxonomy.COMMUNITY_LANGUAGES), "default": "fr",
                     "description": "The reporter's language, for any message back to them."},
        "location_code": {"type": ["string", "null"], "minLength": 1, "maxLength": 32,
                          "description": "The place's p-code (the location lists Relais holds)."},
        "description": {"type": ["string", "null"], "maxLength": DESCRIPTION_LENGTH,
                        "description": "What the reporter said, in their words (personal data)."},
        "last_seen": {**_enum(taxonomy.LAST_SEEN, nullable=True),
                      "description": "Tracing: when last seen (required for it, null or left out otherwise)."},
        "relationship": {**_enum(taxonomy.RELATIONSHIPS, nullable=True),
                         "description": "Tracing: who the reporter is to the child (required for it)."},
        "reporter": {
            "type": "object",
            "additionalProperties": False,
            "required": ["consent_to_share"],
            "description": "Who reported, only if they agreed to be known: without consent_to_share no number is "
                           "kept and the report stays anonymous.",
            "properties": {
                "phone": {"type": "string", "minLength": 3, "maxLength": 32,
                          "description": "International (+223...) or national format."},
                "consent_to_share": {"type": "boolean"},
                "may_contact": {"type": "boolean", "default": False,
                                "description": "The reporter agreed to be called back (needs phone and consent)."},
            },
        },
    },
    # As the conversations ask: a missing child is a separated child, with when it was last seen and who reports
    # it; a child at risk has neither.
    "if": {"properties": {"kind": {"const": "tracing"}}, "required": ["kind"]},
    "then": {"properties": {"concern": {"const": "separated"}, "last_seen": {"type": "string"},
                            "relationship": {"type": "string"}},
             "required": ["last_seen", "relationship"]},
    "else": {"properties": {"last_seen": {"const": None}, "relationship": {"const": None}}},
}
REPORT_EXAMPLE = {
    "concern": "physical_abuse", "danger_now": False, "child_sex": "female", "child_age_band": "6_11",
    "language": "fr", "location_code": "ML0101", "description": "Signalé par la ligne d'écoute.",
    "reporter": {"phone": "+22376000123", "consent_to_share": True, "may_contact": True},
}
CREATED = API.schema("ReportCreated", {
    "type": "object",
    "required": ["reference", "status", "urgent", "received_at"],
    "properties": {
        "reference": {"type": "string", "description": "Give it to the reporter: they can ask where it stands."},
        "status": {"type": "string"},
        "urgent": {"type": "boolean", "description": "Danger now, tracing or an escalation concern: alerted at once."},
        "received_at": {"type": "string", "format": "date-time"},
    },
})
REPORT = API.schema("Report", {
    "type": "object",
    "required": ["reference", "kind", "channel", "status", "received_at", "urgent", "danger_now", "concern",
                 "child_sex", "child_age_band", "location_code", "may_contact", "consent_to_share",
                 "case_reference"],
    "properties": {
        "reference": {"type": "string"},
        "kind": _enum(taxonomy.REPORT_KINDS),
        "channel": _enum(taxonomy.CHANNELS),
        "partner": {**NULLABLE_TEXT, "description": "The token that posted it, for a report from a partner."},
        "status": _enum(taxonomy.REPORT_STATUSES),
        "received_at": {"type": "string", "format": "date-time"},
        "urgent": {"type": "boolean"},
        "danger_now": {"type": "boolean"},
        "concern": {"type": "string"},
        "child_sex": _enum(taxonomy.CHILD_SEXES),
        "child_age_band": _enum(taxonomy.AGE_BANDS),
        "location_code": NULLABLE_TEXT,
        "last_seen": NULLABLE_TEXT,
        "relationship": NULLABLE_TEXT,
        "may_contact": {"type": "boolean"},
        "consent_to_share": {"type": "boolean"},
        "case_reference": {**NULLABLE_TEXT, "description": "The case opened from it, if any."},
        "reporter_phone": {**NULLABLE_TEXT, "description": "Only with the personal_data scope; null unless the "
                           "reporter consented to share it."},
        "description": {**NULLABLE_TEXT, "description": "Only with the personal_data scope."},
    },
})
REPORT_PAGE = page_schema("ReportPage", REPORT)


@API.endpoint(
    "POST", "/reports", operation_id="createReport", summary="Post a report about a child",
    scope=REPORTS_WRITE, body=REPORT_INPUT, body_example=REPORT_EXAMPLE,
    description="The same questions and lists as the phone conversations. The report joins the triage queue and "
                "its supervisors are alerted like any other; its channel is `api`, with the token's name. Send an "
                "`Idempotency-Key` to post safely again after a timeout: the same key gives the first answer back, "
                "the same key with a different body is refused (409).",
    headers=(Param("Idempotency-Key", {"type": "string", "minLength": 1, "maxLength": 64,
                                       "pattern": "^[\\x21-\\x7e]+$"},
                   "Any printable ASCII text of yours, unique per report (a UUID)."),),
    responses={201: ("Stored (or stored before under this Idempotency-Key)", CREATED)},
    problems=("invalid-request", "idempotency-conflict", "too-large", "unsupported-media-type"),
)
def create_report(call: Call):
    body = call.body
    reporter = body.get("reporter") or {}
    report = PartnerReport(
        concern=body["concern"], danger_now=body["danger_now"], child_sex=body["child_sex"],
        child_age_band=body["child_age_band"], language=body.get("language", "fr"),
        kind=body.get("kind", "child_at_risk"), location_code=body.get("location_code"),
        description=body.get("description"), last_seen=body.get("last_seen"),
        relationship=body.get("relationship"), reporter_phone=reporter.get("phone"),
        consent_to_share=reporter.get("consent_to_share", False), may_contact=reporter.get("may_contact", False),
    )
    try:
        submitted = take_report(call.session, call.holder, report, idempotency_key=call.headers.get(
            "Idempotency-Key"), digest=request_digest(asdict(report)), default_region=runtime().settings.DEFAULT_REGION,
            timelines=timelines())
    except Conflict as exc:
        raise ApiProblem("idempotency-conflict", str(exc)) from None
    except InvalidInput as exc:
        field, _, reason = str(exc).partition(": ")
        raise ApiProblem("invalid-request", str(exc), [{"name": field, "reason": reason or str(exc)}]) from None
    call.object_ids.append(str(submitted.id))
    stored = call.session.get(Report, submitted.id)
    if submitted.is_new:
        call.after_commit(lambda: enqueue_new_report_alert(runtime().queue, submitted.id))
    return ({"reference": submitted.reference, "status": stored.status, "urgent": submitted.urgent,
             "received_at": api_time(stored.received_at)}, 201,
            {"Location": f"{API_URL_PREFIX}/reports/{submitted.reference}"})


@API.endpoint(
    "GET", "/reports/{reference}", operation_id="getReport", summary="One report of the token's organisation",
    scope=REPORTS_READ, path_params={"reference": REFERENCE},
    responses={200: ("The report", REPORT)}, problems=("not-found",),
)
def get_report(call: Call, reference: str):
    try:
        report, place, case_reference = report_by_reference(call.session, call.holder, reference)
    except NotFound:
        raise ApiProblem("not-found") from None
    call.object_ids.append(str(report.id))
    return report_resource(report, place, case_reference, call.personal_data)


@API.endpoint(
    "GET", "/reports", operation_id="listReports", summary="The organisation's reports, oldest first",
    scope=REPORTS_READ, query=list_params("reports", taxonomy.REPORT_STATUSES, "Received"),
    responses={200: ("A page of reports", REPORT_PAGE)}, problems=("invalid-request",),
)
def reports(call: Call):
    filters, limit = list_filters(call)
    page, more = list_reports(call.session, call.holder, filters, limit)
    call.object_ids.extend(str(report.id) for report, _place, _case in page)
    last = page[-1][0] if page else None
    return {"items": [report_resource(report, place, case_reference, call.personal_data)
                      for report, place, case_reference in page],
            "next": next_link(Cursor(last.received_at, last.id)) if more else None}
