"""Rotating the data key: everything sealed under the old key is sealed again under the new one, in batches, without
putting back a value the service changed meanwhile; then the old key can go."""
from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import Text, select, type_coerce

from bootstrap import bootstrap
from casecore import rekey as rekey_module
from casecore import sealing
from casecore.cases.models import CaseContact, CaseEvent
from casecore.rekey import rekey, sealed_tables
from casecore.reports.models import Report
from dialogs.state import DialogState
from tests.conftest import TEST_DATA_KEY, TEST_SECRET
from tests.factories import make_case, make_organisation

NEW_KEY = sealing.new_key()
NUMBER = "+22376701430"


@pytest.fixture
def rotated(any_db_runtime, tmp_path):
    """The runtime's data written under the test key, then a runtime whose current key is NEW_KEY."""
    settings = dataclasses.replace(any_db_runtime.settings, MEDIA_DIR=str(tmp_path / "media"))
    before = bootstrap(settings)
    yield before, dataclasses.replace(settings, DATA_ENCRYPTION_KEY=NEW_KEY, DATA_ENCRYPTION_OLD_KEYS=TEST_DATA_KEY)
    sealing.configure(sealing.Keyring.from_settings(TEST_DATA_KEY), TEST_SECRET)


def _raw_values(runtime) -> list[str]:
    found = []
    with runtime.unit_of_work() as session:
        for _table, columns in sealed_tables():
            for column in columns:
                found += session.scalars(select(type_coerce(column, Text)).where(column.is_not(None))).all()
    return found


def test_a_rotation_reseals_every_table_file_and_conversation_then_the_old_key_can_go(rotated):
    before, settings = rotated
    with before.unit_of_work() as session:
        org = make_organisation(session)
        cases = [make_case(session, organisation_slug=org.slug, contact_phones=(NUMBER,)) for _ in range(3)]
        session.add(CaseEvent(case_id=cases[0].id, kind="note", body="Awa dort chez sa tante"))
    photo = before.media_store.put(b"a photo")
    before.dialog_store.write({"sms:abc": (DialogState("c1", "report", {"description": "Awa"}), 600)})
    old_mark = sealing.keyring().current_mark
    assert all(v.startswith(old_mark) for v in _raw_values(before))

    after = bootstrap(settings)
    done = rekey(after.unit_of_work, after.media_store, after.dialog_store, batch=2)  # several batches per table
    assert not done.anything_left and done.rows["case_contact"] == 3 and done.rows["report"] == 3
    assert done.files == 1 and done.conversations == 1
    assert all(v.startswith(sealing.keyring().current_mark) for v in _raw_values(after))
    assert rekey(after.unit_of_work, after.media_store, after.dialog_store).rows.total() == 0  # nothing left to do

    # The old key gone: everything still opens, and numbers are still found.
    final = bootstrap(dataclasses.replace(settings, DATA_ENCRYPTION_OLD_KEYS=""))
    with final.unit_of_work() as session:
        assert session.scalar(select(CaseEvent.body).where(CaseEvent.kind == "note")) == "Awa dort chez sa tante"
        assert len(session.scalars(select(CaseContact).where(CaseContact.phone == NUMBER)).all()) == 3
        assert {r.reporter_phone for r in session.scalars(select(Report))} == {"+22376701430"}
    assert final.media_store.get(photo) == b"a photo"
    assert final.dialog_store.load("sms:abc").answers == {"description": "Awa"}


def test_a_value_changed_during_the_rotation_is_not_put_back(rotated):
    before, settings = rotated
    with before.unit_of_work() as session:
        case = make_case(session, organisation_slug=make_organisation(session).slug)
        session.add(CaseEvent(case_id=case.id, kind="note", body="first"))
    after = bootstrap(settings)
    [(table, columns)] = [(t, c) for t, c in sealed_tables() if t.name == "case_event"]
    key = table.c.id
    with after.unit_of_work() as session:
        # What a rotation read (under the old key), then what the service wrote since (under the new one).
        stale = session.execute(select(key, *(type_coerce(c, Text) for c in columns))
                                .where(table.c.kind == "note")).one()
        session.scalars(select(CaseEvent).where(CaseEvent.kind == "note")).one().body = "changed meanwhile"
        session.flush()
        assert rekey_module._reseal_row(session, sealing.keyring(), table, key, columns, stale) == 0
    with after.unit_of_work() as session:
        assert session.scalar(select(CaseEvent.body).where(CaseEvent.kind == "note")) == "changed meanwhile"
    assert rekey(after.unit_of_work).left == 0


def test_a_menu_record_opened_before_is_not_read_once_its_key_is_gone(rotated):
    """Menu records are kept opened for a while (dialogs.state.OpenedRecords), with the keyring that opened them: a
    process whose keyring no longer holds the record's key does not read it back from that memory."""
    before, settings = rotated
    before.dialog_store.write({"menu:s1": (DialogState("s1", "main", {"language": "fr"}), 600)})
    [state] = before.dialog_store.exchange(["menu:s1"], {}, stable=["menu:s1"])
    state.answers["language"] = "bm"  # each read gives a record of its own
    assert before.dialog_store.exchange(["menu:s1"], {}, stable=["menu:s1"])[0].answers == {"language": "fr"}
    bootstrap(dataclasses.replace(settings, DATA_ENCRYPTION_OLD_KEYS=""))  # the new key only
    with pytest.raises(sealing.SealingError):
        before.dialog_store.exchange(["menu:s1"], {}, stable=["menu:s1"])
