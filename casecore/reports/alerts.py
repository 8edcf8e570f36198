"""Telling supervisors by SMS that a report arrived: one outbox row per supervisor, written once."""
from __future__ import annotations

import logging
import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from casecore.base import utcnow
from casecore.errors import NotFound
from casecore.i18n import gettext_for
from casecore.ids import parse_id
from casecore.messaging.outbox import queue_message
from casecore.people.lookups import supervisors_of
from casecore.reports.models import Report

log = logging.getLogger(__name__)


def alert_text(language: str, reference: str, urgent: bool) -> str:
    """The alert SMS: the reference and whether it is urgent, nothing else (domain rules, SMS safety)."""
    _ = gettext_for(language, "notifications")
    if urgent:
        return _("Relais: new report %(reference)s. URGENT: act now.") % {"reference": reference}
    return _("Relais: new report %(reference)s in the triage queue.") % {"reference": reference}


def alert_purpose_key(report_id: uuid.UUID, user_id: uuid.UUID) -> str:
    """The outbox key that makes one alert per report and supervisor."""
    return f"report-alert:{report_id}:{user_id}"


def queue_report_alerts(session: Session, report_id: str | uuid.UUID, backend: str) -> list[uuid.UUID]:
    """Write an alert for each supervisor of the report's organisation (once) and return those still to send."""
    report = session.get(Report, parse_id(report_id, "report"), with_for_update=True)
    if report is None:
        raise NotFound(f"report {report_id} does not exist")
    to_send = []
    supervisors = supervisors_of(session, report.organisation_id)
    for user in supervisors:
        message = queue_message(
            session, purpose_key=alert_purpose_key(report.id, user.id), to_phone=user.phone,
            body=alert_text(user.language, report.reference, report.urgent), backend=backend,
            organisation_id=report.organisation_id, recipient_user_id=user.id,
        )
        if message.status == "queued":
            to_send.append(message.id)
    if not supervisors:
        log.error("report %s: organisation %s has no supervisor with a phone to alert", report.id,
                    report.organisation_id)
    if report.alerted_at is None:
        report.alerted_at = utcnow()
    session.flush()
    return to_send


def reports_awaiting_alert(session: Session, received_before: datetime, limit: int = 200) -> list[uuid.UUID]:
    """Ids of reports received before received_before whose alerts were never written, oldest first."""
    return list(
        session.scalars(
            select(Report.id)
            .where(Report.alerted_at.is_(None), Report.received_at < received_before)
            .order_by(Report.received_at)
            .limit(limit)
        )
    )
