"""Whether a number is a real family's: the simulator plays only as numbers that are not.

A number is a real family's once real traffic came from it (a message through a provider, a USSD session not the
simulator's) or staff recorded a report naming it (a web report, the demo data's aside). The simulator's own
traffic is marked: its messages' provider is "simulator", its USSD sessions' ids start with SIM-.
"""
from __future__ import annotations

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import Session

from casecore.messaging.models import InboundMessage
from casecore.messaging.routes import SIMULATOR
from casecore.reports.models import Report
from casecore.sealing import lookup_key

SIMULATED_SESSION_PREFIX = "SIM-"
# The demo data's report (casecore.demo): its family number is a simulator number by design.
DEMO_SESSION_PREFIX = "demo-"


def is_real_family_number(session: Session, phone: str) -> bool:
    """Whether real traffic or a staff-recorded report names this number (E.164)."""
    real_message = exists().where(InboundMessage.phone == phone, InboundMessage.provider != SIMULATOR)
    # The report's keyed hash stands for its sealed number (kept, with the number, only with consent).
    real_report = exists().where(Report.reporter_key == lookup_key(phone), Report.reporter_phone.is_not(None), or_(
        and_(Report.channel == "ussd", _not_from(SIMULATED_SESSION_PREFIX)),
        and_(Report.channel == "web", _not_from(DEMO_SESSION_PREFIX))))
    return bool(session.scalar(select(or_(real_message, real_report))))


def _not_from(prefix: str):
    return or_(Report.channel_session_id.is_(None), ~Report.channel_session_id.startswith(prefix))
