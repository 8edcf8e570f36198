"""What a partner sees of a report, a case or a complaint, and the masking rule: numbers, names and free text only
for a token with the personal_data scope. The read endpoints and the outbound events both use these shapes."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable

from casecore.cases.models import Case
from casecore.complaints.models import Complaint
from casecore.partners.reports import PARTNER_ANSWER
from casecore.partners.scopes import PERSONAL_DATA
from casecore.reports.models import Report

# The personal fields of each resource: left out, not nulled, for a token without personal_data.
PERSONAL_REPORT_FIELDS = ("reporter_phone", "description")
PERSONAL_CASE_FIELDS: tuple[str, ...] = ()
PERSONAL_COMPLAINT_FIELDS = ("contact_phone", "description")
PERSONAL_FIELDS = {"report": PERSONAL_REPORT_FIELDS, "case": PERSONAL_CASE_FIELDS,
                   "complaint": PERSONAL_COMPLAINT_FIELDS}


def api_time(moment: datetime | None) -> str | None:
    """A time as partners read it: RFC 3339 in UTC with a Z."""
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")


def masked(resource: dict[str, Any], kind: str, scopes: Iterable[str]) -> dict[str, Any]:
    """The resource as a token with these scopes may see it: its personal fields left out without personal_data."""
    if PERSONAL_DATA in scopes:
        return dict(resource)
    personal = PERSONAL_FIELDS[kind]
    return {name: value for name, value in resource.items() if name not in personal}


def report_resource(report: Report, place: str | None, case_reference: str | None, personal: bool) -> dict:
    """A report as a partner reads it; number and free text only for a token with personal_data."""
    resource = {
        "reference": report.reference, "kind": report.kind, "channel": report.channel,
        "partner": (report.answers or {}).get(PARTNER_ANSWER) if report.channel == "api" else None,
        "status": report.status, "received_at": api_time(report.received_at), "urgent": report.urgent,
        "danger_now": report.danger_now, "concern": report.concern, "child_sex": report.child_sex,
        "child_age_band": report.child_age_band, "location_code": place, "last_seen": report.last_seen,
        "relationship": report.relationship, "may_contact": report.may_contact,
        "consent_to_share": report.consent_to_share, "case_reference": case_reference,
    }
    if personal:
        # The number only with the reporter's consent to share it, as the triage page shows it.
        resource.update(reporter_phone=report.reporter_phone if report.consent_to_share else None,
                        description=report.description)
    return resource


def case_summary(case: Case, report_reference: str | None, assigned_to: str | None) -> dict:
    """A case as an event tells it: the fields of GET /cases/{reference} that say where it stands (the same names;
    its deadlines, referrals and personal part are read there). Nothing in it is personal: the case worker's display
    name is given to any token that reads cases, as the read endpoint gives it."""
    return {
        "reference": case.reference, "status": case.status, "current_step": case.current_step,
        "risk_level": case.risk_level, "opened_at": api_time(case.opened_at), "assigned_at": api_time(case.assigned_at),
        "closed_at": api_time(case.closed_at), "closure_reason": case.closure_reason,
        "reopened_at": api_time(case.reopened_at), "assigned_to": assigned_to, "report_reference": report_reference,
    }


def complaint_resource(complaint: Complaint, personal: bool) -> dict:
    """A complaint as a token with complaints:read sees it; the number and the words only with personal_data."""
    resource = {
        "reference": complaint.reference, "channel": complaint.channel, "category": complaint.category,
        "status": complaint.status, "severity": complaint.severity, "anonymous": complaint.anonymous,
        "may_contact": complaint.may_contact, "received_at": api_time(complaint.received_at),
        "due_at": api_time(complaint.due_at),
    }
    if personal:
        resource.update(contact_phone=complaint.contact_phone, description=complaint.description)
    return resource
