"""Re-filing a complaint under another category, on both databases: who reads it follows at once, the severity only
rises, the date to close by is counted again with it; and a note form sent twice adds one note."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from casecore.audit import AuditEvent
from casecore.base import utcnow
from casecore.complaints import handling
from casecore.complaints.access import require_complaint
from casecore.complaints.models import Complaint, ComplaintNote
from casecore.errors import InvalidInput, NotAllowed, NotFound, Refused
from tests.factories import as_staff
from tests.integration.complaints.test_complaint_handling import make_complaint, staff_of


def notes(session, complaint_id) -> list[tuple[str, str | None]]:
    rows = session.execute(select(ComplaintNote.kind, ComplaintNote.body)
                           .where(ComplaintNote.complaint_id == complaint_id)
                           .order_by(ComplaintNote.at, ComplaintNote.kind))
    return [tuple(row) for row in rows]


def test_re_filing_as_sensitive_raises_the_severity_and_hides_it_from_supervisors(any_db_runtime):
    timelines = any_db_runtime.timelines
    with any_db_runtime.unit_of_work() as session:
        org, people = staff_of(session)
        focal, supervisor = as_staff(people["focal_point"]), as_staff(people["supervisor"])
        complaint = make_complaint(session, org, category="service_quality", timelines=timelines)
        complaint.warned_at = utcnow()  # its old date was warned about: the new one is alerted anew
        cid = complaint.id
        assert require_complaint(session, supervisor, cid).id == cid
        handling.set_category(session, focal, cid, "sexual_exploitation_abuse", timelines)
        complaint = session.get(Complaint, cid)
        assert (complaint.category, complaint.severity, complaint.warned_at) == (
            "sexual_exploitation_abuse", "critical", None)
        assert complaint.due_at == complaint.received_at + timedelta(hours=24)
        with pytest.raises(NotFound):
            require_complaint(session, supervisor, cid)
        assert notes(session, cid) == [("category", "sexual_exploitation_abuse"), ("severity", "critical")]
        assert session.scalars(select(AuditEvent.action).where(AuditEvent.object_id == str(cid))).all() == [
            "complaint.category_changed"]


def test_the_severity_never_falls_with_the_category_and_a_supervisor_may_read_it_again(any_db_runtime):
    timelines = any_db_runtime.timelines
    with any_db_runtime.unit_of_work() as session:
        org, people = staff_of(session)
        focal = as_staff(people["focal_point"])
        cid = make_complaint(session, org, category="staff_misconduct", timelines=timelines).id
        due = session.get(Complaint, cid).due_at
        handling.set_category(session, focal, cid, "service_quality", timelines)  # low by default: stays high
        complaint = session.get(Complaint, cid)
        assert (complaint.category, complaint.severity, complaint.due_at) == ("service_quality", "high", due)
        assert require_complaint(session, as_staff(people["supervisor"]), cid).id == cid
        handling.set_category(session, focal, cid, "service_quality", timelines)  # no change, no note
        assert notes(session, cid) == [("category", "service_quality")]


def test_a_date_already_past_when_recounted_is_not_alerted(any_db_runtime):
    timelines = any_db_runtime.timelines
    with any_db_runtime.unit_of_work() as session:
        org, people = staff_of(session)
        complaint = make_complaint(session, org, category="other", timelines=timelines)
        complaint.received_at = utcnow() - timedelta(days=10)
        complaint.due_at = complaint.received_at + timedelta(days=14)
        handling.set_category(session, as_staff(people["focal_point"]), complaint.id, "no_response", timelines)
        complaint = session.get(Complaint, complaint.id)
        assert complaint.severity == "medium" and complaint.due_at == complaint.received_at + timedelta(days=7)
        assert complaint.overdue_alerted_at is not None and complaint.warned_at is not None


def test_re_filing_is_refused_to_others_for_an_unknown_category_and_once_closed(any_db_runtime):
    timelines = any_db_runtime.timelines
    with any_db_runtime.unit_of_work() as session:
        org, people = staff_of(session)
        focal = as_staff(people["focal_point"])
        cid = make_complaint(session, org).id
        with pytest.raises(NotAllowed):
            handling.set_category(session, as_staff(people["supervisor"]), cid, "other", timelines)
        for who in ("caseworker", "admin", "other_focal_point"):
            with pytest.raises(NotFound):
                handling.set_category(session, as_staff(people[who]), cid, "other", timelines)
        with pytest.raises(InvalidInput):
            handling.set_category(session, focal, cid, "gossip", timelines)
        handling.name_staff(session, focal, cid, [people["focal_point"].id])
        with pytest.raises(NotFound):
            handling.set_category(session, focal, cid, "other", timelines)
        closed = make_complaint(session, org)
        closed.status = "closed"
        session.flush()
        with pytest.raises(Refused, match="closed"):  # named in the first complaint only, not in this one
            handling.set_category(session, focal, closed.id, "data_breach", timelines)
        assert session.get(Complaint, closed.id).category == "service_quality"

