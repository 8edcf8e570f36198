"""A supervisor's decision about a new report: accept it into a case, or close it as a duplicate, not eligible, or
referred to another organisation. A report is decided once: of two decisions at the same time, one wins."""
from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from typing import Callable

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from casecore import taxonomy
from casecore.audit import log_when_committed, record_event
from casecore.base import utcnow
from casecore.cases.alerts import queue_assignment_alert
from casecore.cases.assignment import find_case_worker
from casecore.cases.models import Case
from casecore.cases.opening import open_case
from casecore.deadlines.timelines import Timelines, meet, schedule
from casecore.directory.models import Service
from casecore.errors import Conflict, InvalidInput, NotFound
from casecore.free_text import short_text, without_controls
from casecore.i18n import N_
from casecore.ids import parse_id
from casecore.references import LENGTH, clean_reference, is_valid_reference
from casecore.reports.committees import queue_acceptance_thanks
from casecore.reports.models import Report

log = logging.getLogger(__name__)

# Error messages are marked N_: the web view shows them translated (web catalogue).

NOTE_LENGTH = 2000


class AlreadyDecided(Conflict):
    """The report is no longer new: someone decided about it already."""


@dataclass(frozen=True)
class Acceptance:
    """What accepting a report needs: the risk level, the case worker, and the family's needs for matching."""

    risk_level: str
    assigned_to_id: uuid.UUID | str
    wants_female_worker: bool = False
    family_language: str | None = None


@dataclass(frozen=True)
class Accepted:
    """The case opened from an accepted report, and the outbox messages to send once committed."""

    case_id: uuid.UUID
    case_reference: str
    outbox_ids: list[uuid.UUID] = field(default_factory=list)
    report_id: uuid.UUID | None = None


def accept_report(
    session: Session, report_id: str | uuid.UUID, acceptance: Acceptance, *, organisation_id: uuid.UUID,
    decided_by_id: uuid.UUID, timelines: Timelines, default_region: str, sms_backend: str,
    committee_thanks: Callable[[str, str], str],
) -> Accepted:
    """Open a case from a new report, assigned to a case worker, with its first deadlines by risk level.

    committee_thanks(language, reference) is the SMS thanking a committee member whose report this is.
    """
    risk = taxonomy.require(acceptance.risk_level, taxonomy.CASE_RISK_LEVELS, "risk level")
    language = acceptance.family_language or None
    if language is not None:
        taxonomy.require(language, taxonomy.COMMUNITY_LANGUAGES, "language")
    try:
        assignee_id = parse_id(acceptance.assigned_to_id, "case worker")
    except NotFound:
        raise InvalidInput(N_("choose a case worker")) from None
    assignee = find_case_worker(session, organisation_id, assignee_id)
    if assignee is None:
        raise InvalidInput(N_("the case must be assigned to an active case worker of the organisation"))
    key = _decide(session, report_id, organisation_id, decided_by_id, "accepted")
    report = session.get(Report, key, populate_existing=True)
    # The reporter's number becomes a family contact only when they agreed to be known and contacted; a committee
    # member reports about someone else's child and is thanked instead.
    contacts = [report.reporter_phone] if (report.reporter_phone and report.consent_to_share
                                           and report.may_contact and report.committee_member_id is None) else []
    case_id = open_case(session, key, assigned_to_id=assignee.id, contact_phones=contacts,
                        default_region=default_region)
    case = session.get(Case, case_id)
    now = utcnow()
    case.risk_level, case.team_id, case.assigned_at = risk, assignee.team_id, now
    case.wants_female_worker, case.family_language = bool(acceptance.wants_female_worker), language
    for kind in ("first_response", "assessment"):
        schedule(session, kind, timelines.by_risk(kind, risk, now), case_id=case_id)
    record_event(session, decided_by_id, "case.opened", "case", case_id)
    # The case worker learns of the case by SMS (the reference only); the family's details wait behind the login.
    outbox_ids = queue_assignment_alert(session, case, assignee, sms_backend)
    thanks = queue_acceptance_thanks(session, report, sms_backend, committee_thanks)
    if thanks is not None and thanks.status == "queued":
        outbox_ids.append(thanks.id)
    session.flush()
    log.info("report %s accepted: case %s (risk %s)", key, case_id, risk)
    return Accepted(case_id, case.reference, outbox_ids, key)


def suggested_risk(urgent: bool) -> str:
    """The risk level the acceptance form starts from: high when the child is in danger now (the report is urgent,
    and assigned as high risk already), medium otherwise; the supervisor sets the level that the report supports."""
    return "high" if urgent else "medium"


def mark_duplicate(session: Session, report_id: str | uuid.UUID, *, organisation_id: uuid.UUID,
                   decided_by_id: uuid.UUID, original_reference: str, note: str | None = None) -> uuid.UUID:
    """Close a new report as a duplicate of another report of the organisation; returns the original's id."""
    code = clean_reference(original_reference)
    if len(code) != LENGTH:
        raise InvalidInput(N_("give the reference of the original report (7 characters)"))
    if not is_valid_reference(code):
        # Seven characters, one of them misread or mistyped: the check character does not match.
        raise InvalidInput(N_("this reference does not exist: check each character against the original report"))
    original = session.execute(
        select(Report.id, Report.duplicate_of_id)
        .where(Report.reference == code, Report.organisation_id == organisation_id)
    ).first()
    if original is None:
        raise InvalidInput(N_("no report of the organisation has this reference"))
    # Linked to the first report of the chain, so a duplicate never points at another duplicate.
    original_id = original.duplicate_of_id or original.id
    if original_id == parse_id(report_id, "report"):
        raise InvalidInput(N_("a report cannot be a duplicate of itself"))
    _decide(session, report_id, organisation_id, decided_by_id, "duplicate", duplicate_of_id=original_id,
            decision_note=_note(note))
    return original_id


def mark_not_eligible(session: Session, report_id: str | uuid.UUID, *, organisation_id: uuid.UUID,
                      decided_by_id: uuid.UUID, reason: str, note: str | None = None) -> None:
    """Close a new report as not eligible for a case, with a reason from the list (and a note for "other")."""
    if reason not in taxonomy.NOT_ELIGIBLE_REASONS:
        raise InvalidInput(N_("choose the reason from the list"))
    text = _note(note)
    if reason == "other" and text is None:
        raise InvalidInput(N_("say why in the note when the reason is other"))
    _decide(session, report_id, organisation_id, decided_by_id, "not_eligible", not_eligible_reason=reason,
            decision_note=text)


def refer_out(session: Session, report_id: str | uuid.UUID, *, organisation_id: uuid.UUID,
              decided_by_id: uuid.UUID, service_id: str | uuid.UUID, note: str | None = None) -> uuid.UUID:
    """Close a new report as referred to a service of the organisation's directory; returns the service's id."""
    try:
        key = parse_id(service_id, "service")
    except NotFound:
        raise InvalidInput(N_("choose a service from the directory")) from None
    found = session.scalar(select(Service.id).where(
        Service.id == key, Service.organisation_id == organisation_id, Service.is_active.is_(True)))
    if found is None:
        raise InvalidInput(N_("choose an active service from the organisation's directory"))
    _decide(session, report_id, organisation_id, decided_by_id, "referred", referred_to_service_id=key,
            decision_note=_note(note))
    return key


def _decide(session: Session, report_id: str | uuid.UUID, organisation_id: uuid.UUID, decided_by_id: uuid.UUID,
            status: str, **fields) -> uuid.UUID:
    """Record the decision on a report still new, in one conditional UPDATE: a concurrent decision finds it taken."""
    taxonomy.require(status, taxonomy.TRIAGE_DECISIONS, "decision")
    key = parse_id(report_id, "report")
    claimed = session.execute(
        update(Report)
        .where(Report.id == key, Report.organisation_id == organisation_id, Report.status == "new")
        .values(status=status, decided_at=utcnow(), decided_by_id=decided_by_id, **fields)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not claimed:
        current = session.scalar(select(Report.status).where(Report.id == key,
                                                             Report.organisation_id == organisation_id))
        if current is None:
            raise NotFound(f"report {report_id} not found")
        raise AlreadyDecided(N_("this report was already decided"))
    # Deciding is what the assignment deadline asked for, whatever the decision.
    meet(session, "assignment", report_id=key)
    record_event(session, decided_by_id, f"report.{status}", "report", key)
    log_when_committed(session, log, "report %s decided: %s", key, status)
    return key


def _note(note: str | None) -> str | None:
    # Control characters dropped: PostgreSQL cannot store a NUL.
    return short_text(without_controls(note, keep_newlines=True), NOTE_LENGTH)
