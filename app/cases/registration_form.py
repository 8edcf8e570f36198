"""The registration form's fields (the case page's registration section) read into a casecore RegistrationEntry."""
from __future__ import annotations

from datetime import date

from werkzeug.datastructures import MultiDict

from casecore.cases.registration import MAX_CAREGIVERS, NAME_FIELDS, WG_FIELDS, CaregiverEntry, RegistrationEntry
from casecore.errors import Refused
from casecore.periods import parse_day

# Rows of relatives the form offers: those recorded and two blank ones, up to the limit.
BLANK_CAREGIVER_ROWS = 2


def registration_entry(form: MultiDict) -> RegistrationEntry:
    """What the form says; Refused for a date or an age that is not one (casecore checks the rest)."""
    return RegistrationEntry(
        names={name: form.get(name, "") for name in NAME_FIELDS},
        sex=form.get("sex") or None,
        date_of_birth=form_date(form.get("date_of_birth")),
        age=_age(form.get("age")),
        estimated=form.get("estimated") == "yes",
        languages=form.getlist("languages"),
        functioning={name: form.get(name, "") for name in WG_FIELDS},
        documents=form.getlist("documents"),
        location_code=form.get("location_current") or None,
        address_current=form.get("address_current"),
        protection_status=form.get("protection_status") or None,
        protection_concerns=form.getlist("protection_concerns"),
        caregivers=[CaregiverEntry(relation=form.get(f"relation_{row}", ""),
                                   relation_name=form.get(f"relation_name_{row}", ""),
                                   relation_is_caregiver=form.get(f"relation_is_caregiver_{row}") == "yes",
                                   lives_with_child=form.get(f"lives_with_child_{row}") == "yes",
                                   key=form.get(f"caregiver_{row}") or None)
                    for row in range(MAX_CAREGIVERS + BLANK_CAREGIVER_ROWS) if f"relation_{row}" in form],
    )


def form_date(value: str | None) -> date | None:
    """A form's day (DD/MM/YYYY, or a date picker's YYYY-MM-DD), None when left empty; Refused("bad_date")
    otherwise."""
    if not (value or "").strip():
        return None
    try:
        return parse_day(value)
    except ValueError:
        raise Refused("bad_date") from None


def _age(value: str | None) -> int | None:
    if not (value or "").strip():
        return None
    try:
        return int(value.strip())
    except ValueError:
        raise Refused("registration_bad_age") from None
