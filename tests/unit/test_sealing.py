"""Sealing personal data: AES-GCM under the data key, previous keys still opening, look-ups by keyed hash."""
from __future__ import annotations

import base64
import threading

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session, aliased

from casecore import sealing
from casecore.messaging.media_store import FileMediaStore
from casecore.messaging.models import CommunityContact, InboundMessage, OutboundMessage
from casecore.phones import phone_key
from casecore.reports.models import Report
from settings import Settings
from tests.conftest import TEST_DATA_KEY, TEST_SECRET

OLD, NEW = b"o" * 32, b"n" * 32
NUMBER = "+22376701430"


@pytest.fixture
def restore_keyring():
    yield
    sealing.configure(sealing.Keyring.from_settings(TEST_DATA_KEY), TEST_SECRET)


def test_a_sealed_text_opens_to_what_was_sealed_and_shows_nothing_of_it():
    ring = sealing.Keyring(NEW)
    sealed = ring.seal_text("Awa, 14 ans, +22376701430")
    assert sealed.startswith("s1:") and "Awa" not in sealed and "22376701430" not in sealed
    assert ring.open_text(sealed) == "Awa, 14 ans, +22376701430"
    assert ring.seal_text("Awa") != ring.seal_text("Awa")  # a fresh nonce every time: equal texts do not show


# Sealed on 2026-12-07 under b"k" * 32 (current) and b"o" * 32 (previous), written down as the database keeps them:
# whatever the sealing code becomes, what it sealed before must open.
KEPT_TEXT = "s1:5e318f8c:dBcnqod/3GOaVtwoveyBRPnvyOU8BGGPJqyaiPTnN9WHJ2PMPDu0SjLXU/TXP1izyxmAz+F7NurWigaGyuM1woo="
KEPT_UNDER_OLD = "s1:b7bca737:aV5EOlw/0QeI+AiJFDLCCGqKNhhtZAU1tNaCUH1BqA=="
KEPT_FILE = "UkxTMV4xj4wxKLmbFWP+dyJiq8jRR7SQWc66mTdYJj87pebRxFji/ItcksknLzKWVtwcmJ2y7AMeJiZzcUJqjB8="


def test_what_was_sealed_before_still_opens_and_is_known_as_sealed():
    ring = sealing.Keyring(b"k" * 32, [b"o" * 32])
    assert ring.open_text(KEPT_TEXT) == "Awa, 14 ans, chez sa tante à Sikasso"
    assert ring.open_text(KEPT_UNDER_OLD) == "Awa"
    assert ring.open_bytes(base64.b64decode(KEPT_FILE)) == b"%PDF-1.4 fiche de signalement"
    assert sealing.is_sealed_text(KEPT_TEXT) and sealing.is_sealed_text(KEPT_UNDER_OLD)
    # What a rotation leaves and what it seals again.
    assert ring.text_is_current(KEPT_TEXT) and not ring.text_is_current(KEPT_UNDER_OLD)
    assert ring.bytes_are_current(base64.b64decode(KEPT_FILE))
    assert not sealing.Keyring(b"n" * 32, [b"k" * 32]).bytes_are_current(base64.b64decode(KEPT_FILE))


def test_a_numbers_look_up_key_is_what_it_was():
    # Every stored number is found by this key: a change would lose every sender's history and opt-out.
    assert sealing.cached_phone_key("+22376701430", "a fixed look-up secret") == "642fd809e0b4c51eea3a1f66e66ca2bc"


def test_without_a_data_key_nothing_personal_is_written_or_read_and_the_error_says_why(restore_keyring):
    sealing.configure(None, "")
    column = sealing.SealedText()
    with pytest.raises(sealing.SealingError, match="no data key configured"):
        column.process_bind_param("Awa, 14 ans", None)
    with pytest.raises(sealing.SealingError, match="no data key configured"):
        column.process_result_value(KEPT_TEXT, None)
    with pytest.raises(sealing.SealingError, match="no look-up secret configured"):
        sealing.lookup_key(NUMBER)


def test_a_previous_key_still_opens_what_it_sealed_and_only_the_current_one_seals():
    before = sealing.Keyring(OLD).seal_text("Awa")
    ring = sealing.Keyring(NEW, [OLD])
    assert ring.open_text(before) == "Awa"
    assert not ring.text_is_current(before) and ring.text_is_current(ring.seal_text("Awa"))
    with pytest.raises(sealing.SealingError, match="not configured"):
        sealing.Keyring(NEW).open_text(before)


def test_an_altered_value_is_refused_not_read():
    ring = sealing.Keyring(NEW)
    sealed = ring.seal_text("Awa")
    raw = bytearray(base64.b64decode(sealed[12:]))
    raw[-1] ^= 1
    with pytest.raises(sealing.SealingError, match="altered"):
        ring.open_text(sealed[:12] + base64.b64encode(bytes(raw)).decode())


def test_files_are_sealed_the_same_way():
    ring = sealing.Keyring(NEW, [OLD])
    data = b"\xff\xd8\xff a photo"
    sealed = ring.seal_bytes(data)
    assert data not in sealed and ring.open_bytes(sealed) == data and ring.bytes_are_current(sealed)
    assert not ring.bytes_are_current(sealing.Keyring(OLD).seal_bytes(data))
    assert ring.open_bytes(data) == data  # a file kept before sealing is read as it is, until the rotation


def test_a_key_must_be_32_bytes_of_base64():
    assert len(sealing.parse_key(sealing.new_key())) == 32
    for bad in ("", "short", base64.urlsafe_b64encode(b"x" * 16).decode(), "not base64 at all !!"):
        with pytest.raises(ValueError, match="DATA_ENCRYPTION_KEY must be 32 bytes"):
            sealing.parse_key(bad)
    with pytest.raises(ValueError, match="DATA_ENCRYPTION_OLD_KEYS"):
        sealing.Keyring.from_settings(sealing.new_key(), "nope")


def test_outside_development_there_is_no_data_key_by_default():
    with pytest.raises(ValueError, match="DATA_ENCRYPTION_KEY is not set"):
        Settings(DEVELOPMENT=False).data_key  # noqa: B018
    assert Settings(DATA_ENCRYPTION_KEY=TEST_DATA_KEY).data_key == TEST_DATA_KEY


@pytest.fixture
def session():
    engine = create_engine("sqlite://")
    tables = [CommunityContact.__table__, InboundMessage.__table__, OutboundMessage.__table__]
    CommunityContact.metadata.create_all(engine, tables=tables)
    with Session(engine) as s:
        yield s


def test_numbers_are_found_by_their_keyed_hash_and_read_back_whole(session):
    session.add_all([CommunityContact(phone=NUMBER, language="fr"), CommunityContact(phone="+22376701431")])
    session.flush()
    assert session.scalar(select(CommunityContact.phone_key).where(CommunityContact.language == "fr")) == \
        phone_key(NUMBER, TEST_SECRET)
    assert session.scalars(select(CommunityContact.language).where(CommunityContact.phone == NUMBER)).all() == ["fr"]
    assert set(session.scalars(select(CommunityContact.phone).where(CommunityContact.phone != NUMBER))) == \
        {"+22376701431"}
    among = CommunityContact.phone.in_({NUMBER: 1}.keys())  # any collection of numbers
    assert len(session.scalars(select(CommunityContact).where(among)).all()) == 1
    other = aliased(CommunityContact)
    assert session.scalars(select(other.phone).where(other.phone.not_in([NUMBER]))).all() == ["+22376701431"]
    raw = session.connection().exec_driver_sql("SELECT phone FROM community_contact").scalars().all()
    assert all(value.startswith("s1:") for value in raw)


def test_a_number_changed_or_cleared_changes_its_key(session):
    contact = CommunityContact(phone=NUMBER)
    session.add(contact)
    session.flush()
    contact.phone = "+22376701431"
    session.flush()
    assert contact.phone_key == phone_key("+22376701431", TEST_SECRET)
    assert session.scalar(select(CommunityContact.id).where(CommunityContact.phone == NUMBER)) is None


def test_two_sealed_numbers_compare_by_their_keys(session):
    session.add_all([CommunityContact(phone=NUMBER), OutboundMessage(purpose_key="p", to_phone=NUMBER, body="x",
                                                                     backend="console")])
    session.flush()
    joined = (select(OutboundMessage.purpose_key)
              .join(CommunityContact, CommunityContact.phone == OutboundMessage.to_phone))
    assert session.scalars(joined).all() == ["p"]
    # A number compared with None: its key is NULL (no number), as the ORM's `== None` means everywhere else.
    assert session.scalar(select(func.count()).select_from(OutboundMessage)
                          .where(OutboundMessage.to_phone != None)) == 1  # noqa: E711
    assert session.scalar(select(func.count()).select_from(OutboundMessage)
                          .where(OutboundMessage.to_phone == None)) == 0  # noqa: E711


def test_a_sealed_column_refuses_what_would_silently_never_match():
    with pytest.raises(TypeError, match="cannot be compared or sorted"):
        select(Report).where(Report.description == "Awa")
    with pytest.raises(TypeError, match="cannot be compared or sorted"):
        select(Report).order_by(Report.description.desc())
    with pytest.raises(TypeError, match="cannot be compared or sorted"):
        # Between a column and a value: the value's side would never match either.
        select(Report).where(Report.description.between(Report.__table__.c.reference, "Zz"))
    select(Report).where(Report.description.is_not(None))  # NULL tests stay
    with pytest.raises(TypeError, match="look-up key"):
        from sqlalchemy import bindparam
        select(CommunityContact).where(CommunityContact.phone == bindparam("number"))
    # A sealed number: found by its key, never by a pattern or among a subquery's sealed values.
    with pytest.raises(TypeError, match="cannot be compared or sorted"):
        select(CommunityContact).where(CommunityContact.phone.like("+223%"))
    with pytest.raises(TypeError, match="not in a subquery"):
        select(CommunityContact).where(CommunityContact.phone.in_(select(OutboundMessage.to_phone)))


def test_received_files_reach_the_disk_sealed(tmp_path, restore_keyring):
    store = FileMediaStore(tmp_path)
    sealing.configure(sealing.Keyring(OLD), TEST_SECRET)
    key = store.put(b"a photo of the child")
    on_disk = (tmp_path / key[:2] / key).read_bytes()
    assert b"photo" not in on_disk and store.get(key) == b"a photo of the child"
    sealing.configure(sealing.Keyring(NEW, [OLD]), TEST_SECRET)
    assert store.reseal(key) and not store.reseal(key)  # once: then it is under the current key
    assert store.get(key) == b"a photo of the child" and list(store.keys()) == [key]
    sealing.configure(sealing.Keyring(NEW), TEST_SECRET)
    assert store.get(key) == b"a photo of the child"


def test_a_file_deleted_while_a_rotation_reseals_it_stays_deleted(tmp_path, restore_keyring):
    store = FileMediaStore(tmp_path)
    sealing.configure(sealing.Keyring(OLD), TEST_SECRET)
    key = store.put(b"a photo of the child")
    ring = sealing.Keyring(NEW, [OLD])
    sealing.configure(ring, TEST_SECRET)
    retention = threading.Thread(target=store.delete, args=(key,))
    opened = ring.open_bytes

    def open_as_retention_deletes(data: bytes) -> bytes:
        retention.start()  # the purge deletes the file between the rotation's read and its write
        retention.join(0.2)
        return opened(data)

    ring.open_bytes = open_as_retention_deletes
    assert store.reseal(key)
    retention.join(5)
    assert not retention.is_alive() and not (tmp_path / key[:2] / key).exists()
    assert not store.reseal(key)  # gone: nothing to re-seal, nothing written back


def test_a_text_in_clear_that_starts_like_a_sealed_one_is_read_as_it_is():
    ring = sealing.Keyring(NEW)
    # The last: base64 one character shorter than the shortest sealed text (an empty one) can be.
    for typed in ("s1: je veux parler", "s1:5e318f8c: bonjour", "s1:", "s1:5e318f8c:" + "A" * 37):
        assert not sealing.is_sealed_text(typed) and ring.open_text(typed) == typed
    empty = ring.seal_text("")
    assert len(empty) == len("s1:5e318f8c:") + 40 and empty.endswith("==")
    assert sealing.is_sealed_text(empty) and ring.open_text(empty) == ""
    assert sealing.is_sealed_text(ring.seal_text("x" * 500))
