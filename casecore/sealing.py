"""Personal data sealed at rest: AES-GCM under a rotatable data key, with a keyed hash beside numbers for look-ups.

A sealed text reads `s1:<key id>:<nonce and ciphertext, base64>`; a sealed file starts with `RLS1`, the key id and the
nonce. The key id is the start of the key's SHA-256, so the key that sealed a value is known without trying keys, and
a rotation (casecore.rekey) finds what is still sealed under an old one. Values written before sealing existed
(no mark) are read as they are until the rotation seals them.

The keyring is process-wide, like logging: SQLAlchemy column types seal and open values with no session at hand.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Iterable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import String, Text, TypeDecorator, event, literal, type_coerce
from sqlalchemy.orm import ColumnProperty, Mapper, column_property, mapped_column
from sqlalchemy.sql import ClauseElement, ColumnElement, operators
from sqlalchemy.sql.schema import Column

from casecore.phones import PHONE_KEY_LENGTH, phone_key

TEXT_MARK = "s1:"
FILE_MARK = b"RLS1"
KEY_ID_BYTES = 4
NONCE_BYTES = 12
KEY_BYTES = 32
_TEXT_HEAD = len(TEXT_MARK) + 2 * KEY_ID_BYTES + 1  # "s1:" + key id in hex + ":"
_FILE_HEAD = len(FILE_MARK) + KEY_ID_BYTES


# A sealed text: the mark, the key id, then base64 of at least a nonce and a GCM tag (an empty text sealed), whose
# 28 bytes take 38 characters before the padding: shorter is a text written in clear.
_SHORTEST_SEALED = -(-(NONCE_BYTES + 16) * 4 // 3)
_SEALED_TEXT = re.compile(r"s1:[0-9a-f]{%d}:[A-Za-z0-9+/]{%d,}={0,2}" % (2 * KEY_ID_BYTES, _SHORTEST_SEALED))


def is_sealed_text(value: str) -> bool:
    """Whether value is a sealed text rather than one written in clear (which may start the same way)."""
    return value.startswith(TEXT_MARK) and _SEALED_TEXT.fullmatch(value) is not None


class SealingError(Exception):
    """A value cannot be sealed or opened: no key configured, an unknown key, or a value altered at rest."""


def new_key() -> str:
    """A fresh data key as DATA_ENCRYPTION_KEY takes it: 32 random bytes in URL-safe base64."""
    return base64.urlsafe_b64encode(os.urandom(KEY_BYTES)).decode("ascii")


def parse_key(text: str, name: str = "DATA_ENCRYPTION_KEY") -> bytes:
    """The 32 bytes of a key given in base64; ValueError naming the setting otherwise."""
    try:
        key = base64.urlsafe_b64decode(text.strip().encode("ascii"))
    except (binascii.Error, ValueError, UnicodeEncodeError):
        key = b""
    if len(key) != KEY_BYTES:
        raise ValueError(f"{name} must be {KEY_BYTES} bytes in URL-safe base64 "
                         "(`python -m casecore.sealing` prints one)")
    return key


@dataclass(frozen=True)
class DataKey:
    """One AES-256-GCM key and its id."""

    id: bytes
    aead: AESGCM

    @classmethod
    def of(cls, key: bytes) -> "DataKey":
        return cls(hashlib.sha256(key).digest()[:KEY_ID_BYTES], AESGCM(key))


class Keyring:
    """The current data key, which seals, and the previous ones, which still open what they sealed."""

    def __init__(self, current: bytes, previous: Iterable[bytes] = ()):
        self.current = DataKey.of(current)
        self._keys = {self.current.id: self.current}
        for key in previous:
            data_key = DataKey.of(key)
            self._keys.setdefault(data_key.id, data_key)
        self.current_mark = f"{TEXT_MARK}{self.current.id.hex()}:"

    @classmethod
    def from_settings(cls, current: str, previous: str = "") -> "Keyring":
        """DATA_ENCRYPTION_KEY and DATA_ENCRYPTION_OLD_KEYS (comma-separated) as the settings give them."""
        old = [parse_key(part, "DATA_ENCRYPTION_OLD_KEYS") for part in previous.split(",") if part.strip()]
        return cls(parse_key(current), old)

    def seal_text(self, text: str) -> str:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self.current.aead.encrypt(nonce, text.encode("utf-8"), None)
        return self.current_mark + base64.b64encode(nonce + sealed).decode("ascii")

    def open_text(self, value: str) -> str:
        if not is_sealed_text(value):
            return value  # written before sealing (even if it starts like a sealed text); the rotation seals it
        key = self._key(bytes.fromhex(value[len(TEXT_MARK):_TEXT_HEAD - 1]))
        try:
            raw = base64.b64decode(value[_TEXT_HEAD:], validate=True)
        except binascii.Error:
            raise SealingError(f"a value sealed under data key {key.id.hex()} was cut or altered") from None
        return self._open(key, raw[:NONCE_BYTES], raw[NONCE_BYTES:]).decode("utf-8")

    def seal_bytes(self, data: bytes) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        return FILE_MARK + self.current.id + nonce + self.current.aead.encrypt(nonce, data, None)

    def open_bytes(self, data: bytes) -> bytes:
        if not data.startswith(FILE_MARK):
            return data  # stored before sealing; the rotation seals it
        key = self._key(data[len(FILE_MARK):_FILE_HEAD])
        return self._open(key, data[_FILE_HEAD:_FILE_HEAD + NONCE_BYTES], data[_FILE_HEAD + NONCE_BYTES:])

    def text_is_current(self, value: str) -> bool:
        """Whether value is sealed under the current key (nothing for a rotation to do)."""
        return value.startswith(self.current_mark)

    def bytes_are_current(self, data: bytes) -> bool:
        return data[:_FILE_HEAD] == FILE_MARK + self.current.id

    def _key(self, key_id: bytes) -> DataKey:
        try:
            return self._keys[key_id]
        except KeyError:
            raise SealingError(f"sealed under data key {key_id.hex()}, which is not configured "
                               "(DATA_ENCRYPTION_OLD_KEYS keeps previous keys during a rotation)") from None

    @staticmethod
    def _open(key: DataKey, nonce: bytes, sealed: bytes) -> bytes:
        try:
            return key.aead.decrypt(nonce, sealed, None)
        except InvalidTag:
            raise SealingError(f"a value sealed under data key {key.id.hex()} was altered") from None


_keyring: Keyring | None = None
_lookup_secret: str = ""


def configure(keyring: Keyring, lookup_secret: str) -> None:
    """Set the process's keyring and the secret keying number look-ups (each process does it at start-up)."""
    global _keyring, _lookup_secret
    _keyring, _lookup_secret = keyring, lookup_secret


def keyring() -> Keyring:
    """The process's keyring; SealingError before configure()."""
    if _keyring is None:
        raise SealingError("no data key configured: personal data cannot be read or written")
    return _keyring


def lookup_key(number: str) -> str:
    """The keyed hash a sealed number is found by (casecore.phones.phone_key, under the process's secret)."""
    if not _lookup_secret:
        raise SealingError("no look-up secret configured: numbers cannot be found")
    return cached_phone_key(number, _lookup_secret)


@lru_cache(maxsize=4096)
def cached_phone_key(number: str, secret: str) -> str:
    """phone_key, remembered: a pure function of its arguments, and parsing the number is its costly part (every
    USSD step keys its number)."""
    return phone_key(number, secret)


class SealedText(TypeDecorator):
    """Text sealed on the way in and opened on the way out; a sealed column is only ever tested for NULL."""

    impl = Text
    cache_ok = True

    class comparator_factory(Text.Comparator):
        def operate(self, op, *other, **kwargs):
            # Against a value (a sealed one would never match) or for a sort; SQLAlchemy itself compares columns.
            against_value = any(not isinstance(value, ColumnElement) for value in other)
            if op not in (operators.is_, operators.is_not) and (against_value or not other):
                raise TypeError(f"a sealed column cannot be compared or sorted ({op.__name__}); "
                                "compare its look-up key, or sort once opened")
            return super().operate(op, *other, **kwargs)

    def process_bind_param(self, value, dialect):
        return None if value is None else keyring().seal_text(value)

    def process_result_value(self, value, dialect):
        return None if value is None else keyring().open_text(value)


class SealedJSON(SealedText):
    """A JSON value (a list, a dict) sealed as its text."""

    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else keyring().seal_text(json.dumps(value, separators=(",", ":")))

    def process_result_value(self, value, dialect):
        return None if value is None else json.loads(keyring().open_text(value))


def as_stored(column):
    """SQL: a sealed column as it is stored, not opened: to compare with or write raw text (rekey, retention)."""
    return type_coerce(column, Text)


def stored_as_is(text: str):
    """SQL: a text written as it is, not sealed (an empty text hides nothing; a value re-sealed already)."""
    return literal(text, Text)


# Sealed numbers ----------------------------------------------------------------------------------------------------

_LOOKUPS = (operators.eq, operators.ne, operators.in_op, operators.not_in_op)


class NumberComparator(ColumnProperty.Comparator):
    """`Model.phone == number` (and !=, in_, not_in, or against another sealed number) compares look-up keys."""

    def key_column(self):
        column = self.__clause_element__()
        # The same table or alias as the number itself, so aliased classes compare their own keys.
        return column.table.c[self.prop.columns[0].info["lookup_key"]]

    def operate(self, op, *other, **kwargs):
        if op in (operators.in_op, operators.not_in_op):
            [numbers] = other
            if isinstance(numbers, ClauseElement):
                raise TypeError("a sealed number is looked for among numbers, not in a subquery: use the key column")
            return op(self.key_column(), [_as_key(number) for number in numbers], **kwargs)
        if op in _LOOKUPS:
            return op(self.key_column(), *(_as_key(value) for value in other), **kwargs)
        return super().operate(op, *other, **kwargs)
    # No reverse_operate: Python turns `number == Model.phone` into operate(eq) on the column's side, and eq, ne,
    # in_ and not_in have no reflected form for SQLAlchemy to reverse.


def _as_key(value: Any) -> Any:
    comparator = getattr(value, "comparator", value)
    if isinstance(comparator, NumberComparator):
        return comparator.key_column()
    if value is None:
        return None
    if isinstance(value, ClauseElement):
        raise TypeError("a sealed number is compared with a number, or another sealed number; for a bound "
                        "parameter compare the look-up key column with the number's lookup_key")
    return lookup_key(value)


def sealed_number(name: str, *, nullable: bool = False):
    """A sealed number column, found through the look-up key column `<name>_key` (declare it with number_key)."""
    column = Column(name, SealedText(), nullable=nullable, info={"lookup_key": f"{name}_key"})
    return column_property(column, comparator_factory=NumberComparator)


def number_key(name: str, *, nullable: bool = False, index: bool = False, unique: bool = False):
    """The look-up key of the sealed number `name`: kept by the ORM, and filled in by a Core insert that omits it."""
    def default(context):
        number = context.get_current_parameters().get(name)
        return None if number is None else lookup_key(number)
    return mapped_column(String(PHONE_KEY_LENGTH), nullable=nullable, index=index, unique=unique, default=default)


@event.listens_for(Mapper, "mapper_configured")
def _keep_keys(mapper, class_) -> None:
    """An object's number and its look-up key change together (constructor, assignment, clearing)."""
    for prop in mapper.column_attrs:
        key_name = prop.columns[0].info.get("lookup_key") if isinstance(prop.columns[0], Column) else None
        if key_name and prop.key == prop.columns[0].name:
            _listen(getattr(class_, prop.key), key_name)


def _listen(attribute, key_name: str) -> None:
    @event.listens_for(attribute, "set")
    def _set(target, value, _old, _initiator):
        setattr(target, key_name, None if value is None else lookup_key(value))


if __name__ == "__main__":
    print(new_key())  # `python -m casecore.sealing`: a new DATA_ENCRYPTION_KEY
