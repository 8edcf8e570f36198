"""The service directory (casecore.directory.services) and its CSV import and export, on both databases."""
from __future__ import annotations

import io
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from casecore.audit import AuditEvent
from casecore.directory import csv_io, services
from casecore.directory.models import Service
from casecore.directory.services import ServiceInput
from casecore.errors import InvalidInput, NotFound
from tests.factories import make_locations, make_organisation, make_user

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)
HEADER = "provider_name,service_type,area_code,contact,last_verified\n"


@pytest.fixture
def directory(any_db_runtime):
    """An organisation with the test locations and a supervisor; another organisation."""
    with any_db_runtime.unit_of_work() as session:
        org = make_organisation(session)
        other = make_organisation(session)
        make_locations(session)
        supervisor = make_user(session, org)
        return any_db_runtime, org.id, other.id, supervisor.id


def _add(session, org_id, name, kind="health", area="", verified=None, user_id=None):
    return services.create_service(session, org_id, ServiceInput(name, kind, area, "+223 76 00 00 00"),
                                   user_id=user_id, verified_at=verified).id


def _names(rows):
    return [row.provider_name for row in rows]


def test_entries_are_listed_by_type_and_flagged_when_not_verified_for_six_months(directory):
    runtime, org, other, user = directory
    with runtime.unit_of_work() as session:
        _add(session, org, "Fresh clinic", verified=NOW - timedelta(days=10), user_id=user)
        _add(session, org, "Old clinic", verified=NOW - timedelta(days=184))
        _add(session, org, "Border clinic", verified=NOW - timedelta(days=182))
        _add(session, org, "Unchecked lawyer", kind="legal_aid")
        _add(session, other, "Someone else's clinic", verified=NOW)
    with runtime.unit_of_work() as session:
        rows = services.list_services(session, org, stale_days=183, now=NOW)
        assert _names(rows) == ["Border clinic", "Fresh clinic", "Old clinic", "Unchecked lawyer"]
        assert {row.provider_name: row.stale for row in rows} == {
            "Border clinic": False, "Fresh clinic": False, "Old clinic": True, "Unchecked lawyer": True}
        assert _names(services.list_services(session, org, stale_days=183, now=NOW, stale_only=True)) == [
            "Old clinic", "Unchecked lawyer"]
        assert _names(services.list_services(session, org, stale_days=183, now=NOW, service_type="legal_aid")) == [
            "Unchecked lawyer"]
        # The threshold is the setting's, not a constant.
        assert _names(services.list_services(session, org, stale_days=5, now=NOW, stale_only=True)) == [
            "Border clinic", "Fresh clinic", "Old clinic", "Unchecked lawyer"]


def test_an_area_finds_the_services_covering_it(directory):
    runtime, org, _, _ = directory
    with runtime.unit_of_work() as session:
        _add(session, org, "Bamako region", area="ML09")
        _add(session, org, "Commune I centre", area="ML090101")
        _add(session, org, "Commune II centre", area="ML090102")
        _add(session, org, "Kati centre", area="ML0201")
        _add(session, org, "National helpline")
    with runtime.unit_of_work() as session:
        def names(code):
            return set(_names(services.list_services(session, org, stale_days=183, area_code=code)))

        assert names("ML090101") == {"Bamako region", "Commune I centre", "National helpline"}
        assert names("ML09") == {"Bamako region", "Commune I centre", "Commune II centre", "National helpline"}
        assert names("ML020102") == {"Kati centre", "National helpline"}
        with pytest.raises(InvalidInput):
            services.list_services(session, org, stale_days=183, area_code="NOWHERE")
        with pytest.raises(InvalidInput):
            services.list_services(session, org, stale_days=183, service_type="magic")


def test_edit_verify_deactivate_and_reactivate_are_audited(directory):
    runtime, org, _, user = directory
    with runtime.unit_of_work() as session:
        service_id = _add(session, org, "Clinic", user_id=user)
        services.update_service(session, org, service_id, ServiceInput("  Clinic Nord ", "health", "ML02", ""),
                                user_id=user)
        services.mark_verified(session, org, service_id, user_id=user, now=NOW)
        services.set_service_active(session, org, service_id, False, user_id=user)
    with runtime.unit_of_work() as session:
        service = session.get(Service, service_id)
        assert (service.provider_name, service.contact, service.last_verified_at) == ("Clinic Nord", None, NOW)
        assert services.service_area_code(session, service) == "ML02"
        assert services.list_services(session, org, stale_days=183) == []
        assert _names(services.list_services(session, org, stale_days=183, include_inactive=True)) == ["Clinic Nord"]
        services.set_service_active(session, org, service_id, True, user_id=user)
        actions = session.scalars(select(AuditEvent.action).where(AuditEvent.object_id == str(service_id))
                                  .order_by(AuditEvent.at)).all()
    assert actions == ["service.created", "service.updated", "service.verified", "service.deactivated",
                       "service.activated"]


@pytest.mark.parametrize("data, reason", [
    (ServiceInput("  ", "health"), "the provider's name is required"),
    (ServiceInput("x" * 201, "health"), "the provider's name is longer than 200 characters"),
    (ServiceInput("Clinic", "health", contact="9" * 201), "the contact is longer than 200 characters"),
    (ServiceInput("Clinic", "magic"), "unknown service type: 'magic'"),
    (ServiceInput("Clinic", "health", area_code="NOWHERE"), "unknown area code"),
])
def test_bad_entries_are_refused_with_a_reason(directory, data, reason):
    runtime, org, _, _ = directory
    with runtime.unit_of_work() as session, pytest.raises(InvalidInput) as refused:
        services.create_service(session, org, data, user_id=None)
    assert str(refused.value) == reason


def test_another_organisations_entry_is_not_found(directory):
    runtime, org, other, user = directory
    with runtime.unit_of_work() as session:
        theirs = _add(session, other, "Their clinic")
    with runtime.unit_of_work() as session:
        for change in (lambda: services.mark_verified(session, org, theirs, user_id=user),
                       lambda: services.set_service_active(session, org, theirs, False, user_id=user),
                       lambda: services.get_service(session, org, "not-an-id")):
            with pytest.raises(NotFound):
                change()


def _import(runtime, org, text, today=date(2026, 11, 20)):
    with runtime.unit_of_work() as session:
        return csv_io.import_services(session, org, io.StringIO(text), user_id=None, today=today)


def _export(runtime, org):
    buffer = io.StringIO()
    with runtime.unit_of_work() as session:
        csv_io.export_services(session, org, buffer)
    return buffer.getvalue()


def test_csv_export_and_import_round_trip_without_duplicates(directory):
    runtime, org, other, _ = directory
    text = HEADER + (
        "Clinique Sud,health,ML090101,+223 76 00 00 01,2026-11-01\n"
        '"Avocats, sans frontières",legal_aid,,contact@example.org,\n'
        "=HYPERLINK(evil),other,ML02,-cmd,2026-05-20\n"
    )
    assert _import(runtime, org, text) == csv_io.ImportResult(created=3, updated=0)
    exported = _export(runtime, org)
    assert exported.splitlines() == [
        HEADER.strip(),
        "Clinique Sud,health,ML090101,+223 76 00 00 01,2026-11-01",
        '"Avocats, sans frontières",legal_aid,,contact@example.org,',
        # Spreadsheet formulas stay text; a phone number is left as it is.
        "'=HYPERLINK(evil),other,ML02,'-cmd,2026-05-20",
    ]
    assert _import(runtime, org, exported) == csv_io.ImportResult(created=0, updated=3)
    assert _export(runtime, org) == exported
    assert _import(runtime, other, exported) == csv_io.ImportResult(created=3, updated=0)
    with runtime.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(Service).where(Service.organisation_id == org)) == 3
        evil = session.scalar(select(Service).where(Service.service_type == "other", Service.organisation_id == org))
        assert (evil.provider_name, evil.contact) == ("=HYPERLINK(evil)", "-cmd")


def test_an_import_updates_contact_and_never_moves_a_verification_back(directory):
    runtime, org, _, _ = directory
    _import(runtime, org, HEADER + "Clinic,health,ML09,old,2026-11-10\n")
    _import(runtime, org, HEADER + "clinic,health,ML09,new,2026-01-01\n")
    with runtime.unit_of_work() as session:
        (service,) = session.scalars(select(Service)).all()
        assert service.contact == "new"
        assert service.last_verified_at == datetime(2026, 11, 10, tzinfo=timezone.utc)


def test_a_bad_file_imports_nothing_and_names_every_bad_line(directory):
    runtime, org, _, _ = directory
    text = HEADER + (
        "Good clinic,health,ML09,,2026-11-01\n"
        ",health,,,\n"
        "Clinic,magic,NOWHERE,,2026-13-01\n"
        "Clinic,health,,,2027-01-01\n"
        "Good clinic,health,ML09,,\n"
        "Clinic,health,,,20261101,extra\n"
        f"{'x' * 201},health,,,\n"
    )
    with pytest.raises(csv_io.ServiceImportError) as refused:
        _import(runtime, org, text)
    assert [(e.line, e.problem, e.column, e.value) for e in refused.value.errors] == [
        (3, "missing", "provider_name", ""),
        (4, "unknown_service_type", "service_type", "magic"),
        (4, "unknown_area", "area_code", "NOWHERE"),
        (4, "bad_date", "last_verified", "2026-13-01"),
        (5, "future_date", "last_verified", "2027-01-01"),
        (6, "duplicate", "", "2"),
        (7, "too_many_fields", "", ""),
        (7, "bad_date", "last_verified", "20261101"),
        (8, "too_long", "provider_name", ""),
    ]
    assert "line 4: unknown service type 'magic'" in str(refused.value)
    with runtime.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(Service)) == 0


@pytest.mark.parametrize("text, problem", [
    ("", "header"),
    ("name,type\nClinic,health\n", "header"),
    (HEADER + 'Clinic,"health\n', "unreadable"),
    (HEADER + '"Cli"nic,health,,,\n', "unreadable"),
])
def test_a_file_that_is_not_the_directory_format_is_refused(directory, text, problem):
    runtime, org, _, _ = directory
    with pytest.raises(csv_io.ServiceImportError) as refused:
        _import(runtime, org, text)
    assert [e.problem for e in refused.value.errors] == [problem]


def test_an_import_reactivates_an_entry_it_lists(directory):
    runtime, org, _, user = directory
    with runtime.unit_of_work() as session:
        service_id = _add(session, org, "Clinic")
        services.set_service_active(session, org, service_id, False, user_id=user)
    assert _export(runtime, org) == HEADER.replace("\n", "\r\n")
    assert _import(runtime, org, HEADER + "Clinic,health,,,\n") == csv_io.ImportResult(0, 1)
    with runtime.unit_of_work() as session:
        assert session.get(Service, service_id).is_active
