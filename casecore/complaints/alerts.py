"""SMS about complaints: the focal points told one arrived and when its date nears or passes, and the complainant's
acknowledgement.

Staff SMS carry the reference (and the date), never the category, a name or a word of the complaint; the
complainant's carries the reference alone. Each is written to the outbox once (its purpose key). The recipients
are the organisation's focal points who can be reached and are not named in the complaint; without any, the
supervisors for a complaint they may read, and for a sensitive one nobody but a warning in the log.
"""
from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import datetime, timezone

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from casecore import taxonomy
from casecore.base import utcnow
from casecore.complaints.models import Complaint, ComplaintStaff
from casecore.deadlines.timelines import OVERDUE, WARNING, Timelines, alert_due
from casecore.errors import NotFound
from casecore.i18n import N_, gettext_for
from casecore.ids import parse_id
from casecore.messaging.outbox import queue_message
from casecore.messaging.routes import family_route
from casecore.people.models import User
from casecore.people.roles import FOCAL_POINT, SUPERVISOR

log = logging.getLogger(__name__)

NEW_COMPLAINT = N_("Relais: new complaint %(reference)s. Log in to see it.")
COMPLAINT_WARNING = N_("Relais: complaint %(reference)s is to be closed by %(due)s UTC.")
COMPLAINT_OVERDUE = N_("Relais: complaint %(reference)s was to be closed by %(due)s UTC. It is overdue.")


def complaint_alert_text(language: str, template: str, reference: str, due_at: datetime | None = None) -> str:
    """One of the staff SMS about a complaint, in the staff member's language."""
    values = {"reference": reference}
    if due_at is not None:
        values["due"] = due_at.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M")
    return gettext_for(language, "notifications")(template) % values


def complaint_recipients(session: Session, complaint: Complaint) -> list[User]:
    """Who is told about this complaint: its organisation's reachable focal points not named in it, else (for a
    category supervisors may read) its supervisors not named in it."""
    def reachable(role: str) -> list[User]:
        named = select(ComplaintStaff.user_id).where(ComplaintStaff.complaint_id == complaint.id)
        return list(session.scalars(
            select(User).where(User.organisation_id == complaint.organisation_id, User.role == role,
                               User.is_active.is_(True), User.phone.is_not(None), User.id.not_in(named))
            .order_by(User.email)))

    focal_points = reachable(FOCAL_POINT)
    if focal_points:
        return focal_points
    if complaint.category in taxonomy.SENSITIVE_COMPLAINT_CATEGORIES:
        log.error("complaint %s: no focal point to tell, and its category is for focal points only", complaint.id)
        return []
    supervisors = reachable(SUPERVISOR)
    if not supervisors:
        log.error("complaint %s: nobody with a phone to tell", complaint.id)
    return supervisors


# Where the complainant has no lasting copy of the reference: a USSD screen is gone once the session ends, and
# someone who came in person or called has only what staff told them. An SMS or WhatsApp conversation already ended
# on a message holding it, which a second one would only repeat.
ACKNOWLEDGED_BY_SMS = (*taxonomy.STAFF_INTAKE_CHANNELS, "ussd")


def acknowledges_by_sms(complaint: Complaint) -> bool:
    """Whether the complainant gets an SMS with the reference (and nothing else): on a channel that left them no
    lasting copy of it (ACKNOWLEDGED_BY_SMS), when they left a number and agreed to be contacted."""
    return (complaint.channel in ACKNOWLEDGED_BY_SMS and not complaint.anonymous
            and complaint.may_contact and bool(complaint.contact_phone))


def queue_complaint_alerts(session: Session, complaint_id: str | uuid.UUID, backend: str,
                           acknowledgement: Callable[[str, str], str],
                           respell_sms: Callable[[str], str] = lambda text: text) -> list[uuid.UUID]:
    """Write the focal points' alerts and the complainant's acknowledgement (each once); the outbox ids to send.

    acknowledgement(language, reference) is the complainant's message (dialogs.complaint_ack), respelt with
    respell_sms only when it goes by SMS: WhatsApp carries the language's accents.
    """
    complaint = session.get(Complaint, parse_id(complaint_id, "complaint"), with_for_update=True)
    if complaint is None:
        raise NotFound(f"complaint {complaint_id} does not exist")
    to_send = []
    for user in complaint_recipients(session, complaint):
        message = queue_message(
            session, purpose_key=f"complaint-alert:{complaint.id}:{user.id}", to_phone=user.phone,
            body=complaint_alert_text(user.language, NEW_COMPLAINT, complaint.reference), backend=backend,
            organisation_id=complaint.organisation_id, recipient_user_id=user.id,
        )
        if message.status == "queued":
            to_send.append(message.id)
    if acknowledges_by_sms(complaint):
        route = family_route(session, complaint.contact_phone, backend)
        text = acknowledgement(complaint.language, complaint.reference)
        message = queue_message(
            session, purpose_key=f"complaint-ack:{complaint.id}", to_phone=complaint.contact_phone,
            body=respell_sms(text) if route.channel == "sms" else text, backend=route.backend,
            channel=route.channel, organisation_id=complaint.organisation_id,
        )
        if message.status == "queued":
            to_send.append(message.id)
    if complaint.alerted_at is None:
        complaint.alerted_at = utcnow()
    session.flush()
    log.info("complaint %s: %d message(s) written", complaint.id, len(to_send))
    return to_send


def complaints_awaiting_alert(session: Session, received_before: datetime, limit: int = 200) -> list[uuid.UUID]:
    """Ids of complaints received before received_before whose alerts were never written, oldest first."""
    return list(session.scalars(
        # Only new ones: a complaint a focal point already took up (Redis down meanwhile) is not "new" any more.
        select(Complaint.id).where(Complaint.alerted_at.is_(None), Complaint.status == "new",
                                   Complaint.received_at < received_before)
        .order_by(Complaint.received_at).limit(limit)))


def schedule_missing_complaint_deadlines(session: Session, timelines: Timelines, now: datetime | None = None,
                                         limit: int = 500) -> int:
    """Give complaints without a date to close by (received before severities, or without timelines) one.

    A date already past when it is set is not alerted: it is history, and shows as overdue in the list.
    """
    now = now or utcnow()
    rows = session.execute(
        select(Complaint.id, Complaint.category, Complaint.severity, Complaint.received_at)
        .where(Complaint.due_at.is_(None), Complaint.status != "closed").limit(limit)).all()
    for complaint_id, category, severity, received_at in rows:
        severity = severity or taxonomy.DEFAULT_COMPLAINT_SEVERITY.get(category, "low")
        due_at = timelines.complaint_due(received_at, severity)
        past = now if due_at <= now else None
        session.execute(update(Complaint).where(Complaint.id == complaint_id, Complaint.due_at.is_(None))
                        .values(severity=severity, due_at=due_at, warned_at=past, overdue_alerted_at=past)
                        .execution_options(synchronize_session=False))
    return len(rows)


def complaints_to_alert(session: Session, now: datetime, warn_fraction: float,
                        limit: int = 200) -> list[uuid.UUID]:
    """Ids of open complaints whose warning time or date has passed without its alert, soonest first."""
    due = alert_due(session, now, warn_fraction, due_at=Complaint.due_at, set_at=Complaint.received_at,
                    warned_at=Complaint.warned_at, overdue_alerted_at=Complaint.overdue_alerted_at)
    return list(session.scalars(
        select(Complaint.id).where(Complaint.status != "closed", Complaint.due_at.is_not(None), due)
        .order_by(Complaint.due_at).limit(limit)))


def alert_complaint_deadline(session: Session, complaint_id: str | uuid.UUID, timelines: Timelines, backend: str,
                             now: datetime | None = None) -> list[uuid.UUID]:
    """Write the alert a complaint's date calls for now, if any (once per date); the outbox ids to send."""
    now = now or utcnow()
    complaint = session.get(Complaint, parse_id(complaint_id, "complaint"), populate_existing=True)
    if complaint is None:
        raise NotFound(f"complaint {complaint_id} does not exist")
    stage = _stage(complaint, timelines, now)
    if stage is None:
        return []
    column = Complaint.warned_at if stage == WARNING else Complaint.overdue_alerted_at
    # Claimed first, on the date read: of two jobs one writes the alert, and a date moved meanwhile is left alone.
    claimed = session.execute(
        update(Complaint).where(Complaint.id == complaint.id, Complaint.status != "closed",
                                Complaint.due_at == complaint.due_at, column.is_(None))
        .values({column: now}).execution_options(synchronize_session=False)).rowcount
    if not claimed:
        return []
    template = COMPLAINT_WARNING if stage == WARNING else COMPLAINT_OVERDUE
    to_send = []
    for user in complaint_recipients(session, complaint):
        # The date in the key: a severity changed later gives a new date, alerted again.
        key = f"complaint-{stage}:{complaint.id}:{complaint.due_at:%Y%m%d%H%M}:{user.id}"
        message = queue_message(
            session, purpose_key=key, to_phone=user.phone, backend=backend,
            body=complaint_alert_text(user.language, template, complaint.reference, complaint.due_at),
            organisation_id=complaint.organisation_id, recipient_user_id=user.id,
        )
        if message.status == "queued":
            to_send.append(message.id)
    log.info("complaint %s (%s): %d alert(s) written", complaint.id, stage, len(to_send))
    return to_send


def _stage(complaint: Complaint, timelines: Timelines, now: datetime) -> str | None:
    if complaint.status == "closed" or complaint.due_at is None:
        return None
    if complaint.due_at <= now:
        return OVERDUE if complaint.overdue_alerted_at is None else None
    if complaint.warned_at is None and now >= timelines.warn_at(complaint.received_at, complaint.due_at):
        return WARNING
    return None
