"""What Relais last sent to a Primero case (casecore.handoff.record.Sent): only what differs goes again; a null
only to clear what Relais sent; a creation's try remembers its own payload, not an earlier one's."""
from __future__ import annotations

from types import SimpleNamespace

from casecore.handoff.record import FAMILY_SECTION, SERVICES_SECTION, Sent, remember_payload

ROW = {"unique_id": "a1", "relation": "mother", "relation_name": None, "relation_is_caregiver": True}


def test_only_fields_and_rows_that_differ_go_again():
    sent = Sent()
    record = {"risk_level": "high", "age": 9, FAMILY_SECTION: [ROW]}
    assert sent.unsent(record) == {"risk_level": "high", "age": 9, FAMILY_SECTION: [
        {"unique_id": "a1", "relation": "mother", "relation_is_caregiver": True}]}  # no empty key sent
    sent.remember(sent.unsent(record), built=record)
    assert sent.unsent(record) == {}, "a row sent without its empty keys still counts as sent as built"
    assert sent.unsent({**record, "age": 10}) == {"age": 10}


def test_a_null_goes_only_to_clear_what_relais_itself_sent():
    sent = Sent()
    assert sent.unsent({"name_middle": None, "address_current": "Quartier Mali"}) == {
        "address_current": "Quartier Mali"}
    sent.remember({"address_current": "Quartier Mali"})
    assert sent.unsent({"name_middle": None, "address_current": None}) == {"address_current": None}


def test_a_creations_try_remembers_its_own_payload_and_every_family_row_that_may_be_there():
    handoff = SimpleNamespace(record_sent=None)
    remember_payload(handoff, {"name_first": "Awa", FAMILY_SECTION: [ROW], SERVICES_SECTION: []})
    # That try was refused; the next one holds no name (the consent was withdrawn meanwhile) and no relative.
    remember_payload(handoff, {"consent_for_services": False})
    sent = Sent(handoff.record_sent)
    assert sent.unsent({"name_first": "Awa"}) == {"name_first": "Awa"}, "the first try's digest is forgotten"
    assert sent.gone({FAMILY_SECTION: []}) == ["a1"], "the row the first try may have put there is known"
