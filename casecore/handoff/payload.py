"""The Primero case a hand-off creates: the minimum Primero needs, mapped to the instance's values, and nothing the
family did not agree to share (README, "CPIMS+/Primero", data dictionary).

- Always: module, registration date, other_agency_id (the Relais reference, searchable in CPIMS+) and
  other_agency_name, sex and protection concerns (mapped), urgency, location (mapped), and an intake note saying
  the channel, the source (community or committee member), the age band and, for a missing child, when last seen.
- After an acceptance: the owner (the Primero user mapped to the case worker), the consents recorded on the Relais
  case (a withdrawn one as not given) and the case record as it stands (casecore.handoff.record: risk level,
  registration, services given, tracing), sent again whenever it changes.
- Only if the reporter agreed to share with the agency: the description. Only if they also agreed to be contacted
  (and are not a committee member reporting someone else's child): their number.
Stock Primero has no age-band field (only an exact age or a date of birth, which Relais does not know): the band
goes in the note, never as a made-up age.
"""
from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from casecore.cases.models import Case, CaseConsent
from casecore.handoff.mapping import HandoffMapping
from casecore.handoff.models import Handoff
from casecore.handoff.record import record_fields, row_id
from casecore.i18n import N_, gettext_for
from casecore.people.models import Location, User
from casecore.reports.models import Report

# Who gave Relais the report (there is no field for it in stock Primero's case form: it goes in the note).
AGENCY_NAME = "Relais"
# Consent purposes recorded on a Relais case, and the Primero tick box each becomes (data_confidentiality form).
CONSENT_FIELDS = {"services": "consent_for_services", "sharing_providers": "disclosure_other_orgs"}
NOTE_SUBJECT = N_("Report %(reference)s received by Relais")
NOTE_LINES = {
    "channel": N_("Channel: %(value)s"),
    "source": N_("Reported by: %(value)s"),
    "age_band": N_("Age of the child (as reported): %(value)s"),
    "danger_now": N_("The reporter said the child was in danger at that moment."),
    "last_seen": N_("Missing child, last seen: %(value)s"),
    "relationship": N_("The reporter is the child's: %(value)s"),
    "phone": N_("The reporter agreed to be contacted: %(value)s"),
    "anonymous": N_("The reporter did not agree to be known: no number, no description."),
    "description": N_("What the reporter wrote: %(value)s"),
}
SOURCES = {"committee": N_("a member of a community child protection committee"),
           "community": N_("a community member"), "staff": N_("a staff member")}
CHANNELS = {"ussd": "USSD", "sms": "SMS", "whatsapp": "WhatsApp", "web": "web", "api": "API"}
AGE_BANDS = {"0_5": N_("0 to 5 years"), "6_11": N_("6 to 11 years"), "12_17": N_("12 to 17 years"),
             "unknown": N_("not known")}
LAST_SEEN = {"today": N_("today"), "yesterday": N_("yesterday"), "this_week": N_("this week"),
             "longer": N_("more than a week ago"), "unknown": N_("not known")}
RELATIONSHIPS = {"parent": N_("parent"), "relative": N_("relative"), "neighbour": N_("neighbour"),
                 "committee": N_("committee member"), "other": N_("other")}


def case_fields(session: Session, handoff: Handoff, mapping: HandoffMapping, *, module: str,
                language: str, today: date) -> dict[str, Any]:
    """The fields of the Primero case for this hand-off (id apart), in the instance's values."""
    report = session.get(Report, handoff.report_id)
    case = session.get(Case, handoff.case_id) if handoff.case_id else None
    fields: dict[str, Any] = {
        "module_id": module,
        "registration_date": report.received_at.date().isoformat(),
        "other_agency_id": report.reference,
        "other_agency_name": AGENCY_NAME,
        "urgent_protection_concern": "true" if report.urgent else "false",
    }
    sex = mapping.sexes.get(report.child_sex)
    if sex:
        fields["sex"] = sex
    concerns = mapping.concern_values([report.concern])
    if concerns:
        fields["protection_concerns"] = concerns
    if report.location_id is not None:
        code = session.scalar(select(Location.code).where(Location.id == report.location_id))
        fields["location_current"] = mapping.location_code(code)
    if case is not None:
        owner = _owner(session, case, mapping)
        if owner:
            fields["owned_by"] = owner
        consents = consent_ticks(session, case.id)
        fields.update(consents)
        # The registration's sex and concerns, once recorded, stand over the report's.
        fields.update(record_fields(session, case, handoff.primero_id, mapping, consents=consents, today=today))
    fields["notes_section"] = [intake_note(report, handoff.primero_id, language)]
    return fields


def intake_note(report: Report, primero_id: uuid.UUID, language: str) -> dict[str, Any]:
    """The note row saying what Relais knows that the case form has no field for (its id fixed: sent once)."""
    tr = gettext_for(language, "web")  # not "_": the catalogue holds the N_ texts above, not these look-ups
    lines = [tr(NOTE_LINES["channel"]) % {"value": CHANNELS.get(report.channel, report.channel)},
             tr(NOTE_LINES["source"]) % {"value": tr(SOURCES[_source(report)])},
             tr(NOTE_LINES["age_band"]) % {"value": tr(AGE_BANDS.get(report.child_age_band, AGE_BANDS["unknown"]))}]
    if report.danger_now:
        lines.append(tr(NOTE_LINES["danger_now"]))
    if report.kind == "tracing" and report.last_seen:
        lines.append(tr(NOTE_LINES["last_seen"]) % {"value": tr(LAST_SEEN.get(report.last_seen, LAST_SEEN["unknown"]))})
    if report.relationship in RELATIONSHIPS:
        lines.append(tr(NOTE_LINES["relationship"]) % {"value": tr(RELATIONSHIPS[report.relationship])})
    if not report.consent_to_share:
        lines.append(tr(NOTE_LINES["anonymous"]))
    else:
        if report.may_contact and report.reporter_phone and report.committee_member_id is None:
            lines.append(tr(NOTE_LINES["phone"]) % {"value": report.reporter_phone})
        if report.description:
            lines.append(tr(NOTE_LINES["description"]) % {"value": report.description})
    return {"unique_id": str(row_id(primero_id, "intake")), "note_date": report.received_at.date().isoformat(),
            "note_subject": tr(NOTE_SUBJECT) % {"reference": report.reference}, "note_text": "\n".join(lines)}


# Fields whose values are codes from the mapping, shown beside a refusal so an administrator knows what to fix; the
# others (the note, dates) are named by their pointer only: a refusal must never put a child's data on a page.
CODED_FIELDS = frozenset({"module_id", "sex", "risk_level", "protection_concerns", "urgent_protection_concern",
                          "location_current", "owned_by", "consent_for_services", "disclosure_other_orgs",
                          "protection_status", "age", "estimated"})


# The same in the case record's subform rows ("/services_section/0/service_type").
CODED_ROW_FIELDS = frozenset({"service_type", "relation", "relation_is_caregiver", "tracing_outcome",
                              "location_tracing"})


def refused_values(fields: dict[str, Any], pointers: tuple[str, ...]) -> list[str]:
    """Primero's JSON pointers with the coded value sent there ("/risk_level = eleve"), the others as they are."""
    shown = []
    for pointer in pointers:
        parts = pointer.strip("/").split("/")
        value = fields.get(parts[0]) if parts[0] in CODED_FIELDS else None
        if isinstance(value, list) and len(parts) > 1 and parts[1].isdigit() and int(parts[1]) < len(value):
            value = value[int(parts[1])]
        rows = fields.get(parts[0])
        if (len(parts) == 3 and parts[2] in CODED_ROW_FIELDS and isinstance(rows, list) and parts[1].isdigit()
                and int(parts[1]) < len(rows) and isinstance(rows[int(parts[1])], dict)):
            value = rows[int(parts[1])].get(parts[2])
        shown.append(f"{pointer} = {value}" if value is not None and not isinstance(value, list) else pointer)
    return shown


def _source(report: Report) -> str:
    if report.committee_member_id is not None:
        return "committee"
    return "staff" if report.channel == "web" else "community"


def _owner(session: Session, case: Case, mapping: HandoffMapping) -> str | None:
    if case.assigned_to_id is None:
        return None
    return mapping.user_name(session.scalar(select(User.email).where(User.id == case.assigned_to_id)))


def consent_ticks(session: Session, case_id: uuid.UUID) -> dict[str, bool]:
    """Each purpose's latest record as the Primero tick box: given and not withdrawn is True; nothing recorded,
    nothing sent."""
    ticks: dict[str, bool] = {}
    for purpose, field_name in CONSENT_FIELDS.items():
        latest = session.execute(
            select(CaseConsent.given, CaseConsent.withdrawn_at)
            .where(CaseConsent.case_id == case_id, CaseConsent.purpose == purpose)
            .order_by(CaseConsent.recorded_at.desc(), CaseConsent.id).limit(1)).first()
        if latest is not None:
            ticks[field_name] = bool(latest.given) and latest.withdrawn_at is None
    return ticks
