"""Menu records kept opened in a process (dialogs.state.OpenedRecords): for a while, a few, never past their key."""
from __future__ import annotations

import pytest

from casecore import sealing
from dialogs.state import OpenedRecords


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class CountingKeyring(sealing.Keyring):
    """A keyring that counts the values it opens."""

    opened = 0

    def open_text(self, value: str) -> str:
        self.opened += 1
        return super().open_text(value)


def keyring() -> CountingKeyring:
    return CountingKeyring(sealing.parse_key(sealing.new_key()))


def test_a_record_read_again_is_opened_once():
    ring, records = keyring(), OpenedRecords()
    sealed = ring.seal_text('{"a": 1}')
    assert [records.open(sealed, ring), records.open(sealed.encode(), ring), records.open(sealed, ring)] == [
        '{"a": 1}'] * 3
    assert ring.opened == 2  # the value as bytes and as text are two keys; each opened once


def test_a_record_is_kept_no_longer_than_max_age_after_it_was_opened():
    clock, ring = Clock(), keyring()
    records = OpenedRecords(max_age=300, clock=clock)
    first, second = ring.seal_text("first"), ring.seal_text("second")
    records.open(first, ring)
    clock.now += 200
    records.open(second, ring)
    records.open(first, ring)  # read again: kept, but its age still counts from when it was opened
    assert ring.opened == 2
    clock.now += 100  # first is 300 s old: dropped at this read, second stays
    records.open(second, ring)
    assert len(records) == 1 and ring.opened == 2
    records.open(first, ring)
    assert ring.opened == 3


def test_no_more_than_size_are_kept_the_oldest_going_first():
    ring, records = keyring(), OpenedRecords(size=2)
    values = [ring.seal_text(text) for text in ("a", "b", "c")]
    for value in values:
        records.open(value, ring)
    assert len(records) == 2
    records.open(values[2], ring)
    records.open(values[0], ring)
    assert ring.opened == 4  # "c" was kept, "a" had gone


def test_a_new_keyring_opens_the_value_again():
    ring = keyring()
    sealed, records = ring.seal_text("x"), OpenedRecords()
    records.open(sealed, ring)
    with pytest.raises(sealing.SealingError):
        records.open(sealed, keyring())  # a keyring without the record's key
