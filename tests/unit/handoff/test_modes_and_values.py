"""PRIMERO_HANDOFF's per-organisation modes, the refused values shown to administrators, Primero's times, and the
ids Primero cases are created under."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

import pytest

from casecore.handoff.follow import parse_time, snapshot_case_id
from casecore.handoff.modes import parse_modes
from casecore.handoff.payload import refused_values
from casecore.handoff.queue import backoff, primero_id_for
from casecore.handoff.record import row_id


@pytest.mark.parametrize("raw, default, named", [
    ("off", "off", {}),
    ("", "off", {}),
    ("on_accept", "on_accept", {}),
    ("ON_REPORT", "on_report", {}),
    ("on_accept,ngo-b=on_report", "on_accept", {"ngo-b": "on_report"}),
    ("ngo-b=on_report, ngo-c=off", "off", {"ngo-b": "on_report", "ngo-c": "off"}),
])
def test_modes_have_a_default_and_per_organisation_values(raw, default, named):
    modes = parse_modes(raw)
    assert (modes.default, dict(modes.by_organisation)) == (default, named)
    assert modes.for_organisation("anyone-else") == default
    assert modes.any_on == (default != "off" or any(v != "off" for v in named.values()))


@pytest.mark.parametrize("raw", ["sometimes", "on_accept,=on_report", "a=on_report,a=off", "on_accept,b=maybe"])
def test_a_malformed_mode_names_the_setting(raw):
    with pytest.raises(ValueError, match="PRIMERO_HANDOFF"):
        parse_modes(raw)


def test_refused_values_show_codes_never_free_text():
    fields = {"risk_level": "high", "protection_concerns": ["caafag", "nope"], "sex": "girl",
              "notes_section": [{"note_text": "Aminata, +22376701430"}], "registration_date": "2026-12-06"}
    shown = refused_values(fields, ("/risk_level", "/protection_concerns/1", "/sex", "/notes_section/0/note_text",
                                    "/registration_date", "date_of_birth"))
    assert shown == ["/risk_level = high", "/protection_concerns/1 = nope", "/sex = girl",
                     "/notes_section/0/note_text", "/registration_date", "date_of_birth"]


REFUSABLE = {
    "protection_concerns": ["caafag", "nope"],
    "services_section": [{"service_type": "psychosocial", "service_notes": "Aminata"}, "not a row"],
    "family_details_section": [{"relation": "mother"}, {"relation": "aunt_x", "relation_name": "Awa"}],
    "notes_section": [{"note_text": "Aminata"}],
}


@pytest.mark.parametrize("pointer, shown", [
    ("/protection_concerns/0", "/protection_concerns/0 = caafag"),
    ("/protection_concerns/1", "/protection_concerns/1 = nope"),
    ("/protection_concerns/2", "/protection_concerns/2"),  # past the end: named, never a crash
    ("/protection_concerns/-1", "/protection_concerns/-1"),
    ("/protection_concerns", "/protection_concerns"),  # a whole list is not one value
    ("/family_details_section/1/relation", "/family_details_section/1/relation = aunt_x"),
    ("/family_details_section/0/relation", "/family_details_section/0/relation = mother"),
    ("/family_details_section/2/relation", "/family_details_section/2/relation"),
    ("/family_details_section/1/relation_name", "/family_details_section/1/relation_name"),  # free text
    ("/family_details_section/x/relation", "/family_details_section/x/relation"),
    ("/family_details_section/1/relation/0", "/family_details_section/1/relation/0"),
    ("/services_section/0/service_type", "/services_section/0/service_type = psychosocial"),
    ("/services_section/1/service_type", "/services_section/1/service_type"),  # not a row
    ("/services_section/0/service_notes", "/services_section/0/service_notes"),
    ("/notes_section/0/note_text", "/notes_section/0/note_text"),
    ("/no_such_field/0/relation", "/no_such_field/0/relation"),
])
def test_a_refused_pointer_shows_the_coded_value_it_names_and_only_that(pointer, shown):
    assert refused_values(REFUSABLE, (pointer,)) == [shown]


@pytest.mark.parametrize("text, expected", [
    ("2026-08-19T17:20:02.123Z", datetime(2026, 8, 19, 17, 20, 2, 123000, tzinfo=timezone.utc)),
    ("2026-08-19T17:20:02+00:00", datetime(2026, 8, 19, 17, 20, 2, tzinfo=timezone.utc)),
    ("2026-08-19T19:20:02+02:00", datetime(2026, 8, 19, 17, 20, 2, tzinfo=timezone.utc)),
    ("not a time", None), (None, None), (12, None),
])
def test_primero_times_are_read_tolerantly(text, expected):
    assert parse_time(text) == expected


def test_a_snapshot_names_its_case_by_record_id_or_id():
    case = uuid.uuid4()
    assert snapshot_case_id({"record_id": str(case)}) == case == snapshot_case_id({"id": str(case).upper()})
    assert snapshot_case_id({"record_id": "x"}) is None and snapshot_case_id({}) is None


def test_ids_are_fixed_by_the_report_and_lowercase():
    report = uuid.uuid4()
    assert primero_id_for(report) == primero_id_for(report) != primero_id_for(uuid.uuid4())
    assert str(primero_id_for(report)) == str(primero_id_for(report)).lower()
    assert row_id(primero_id_for(report), "intake") != row_id(primero_id_for(report), "family-message:1")


def test_a_reports_primero_id_is_the_one_it_was_given_before():
    # Cases already in Primero were created under these ids: another id for the same report would make a second
    # case on the next resend, and a row merged by id would be added again.
    report = uuid.UUID("0b9f3c2e-6a41-4d8e-9f00-3c5d7e1a2b44")
    assert primero_id_for(report) == uuid.UUID("f6947d88-7d01-5808-b54b-9ccd013bd5f9")
    assert row_id(primero_id_for(report), "intake") == uuid.UUID("6f917faf-7ae8-5564-a0d7-56acd210ad7c")


def test_backoff_doubles_to_an_hour():
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 8, 20)] == [30, 60, 120, 3600, 3600]
