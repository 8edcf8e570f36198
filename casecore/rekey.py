"""Re-sealing personal data under the current data key, in batches, while the service runs.

After DATA_ENCRYPTION_KEY changes (the previous key moved to DATA_ENCRYPTION_OLD_KEYS), every sealed column of every
table and every stored file is sealed again under the new key; values written before sealing existed are sealed
too. A row is rewritten only if it still holds what was read, so a value the service changed meanwhile (already
under the new key) is never put back.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Iterator

from sqlalchemy import Column, Table, and_, func, or_, select, update
from sqlalchemy.orm import Session

from casecore import schema, sealing
from casecore.messaging.media_store import FileMediaStore, MediaStore
from casecore.sealing import as_stored, stored_as_is

BATCH = 500


@dataclass
class Rekeyed:
    """What a rotation re-sealed (rows by table, files, conversations) and what is still under an old key after it
    (written by a process that did not have the new key yet, or a row that failed)."""

    rows: Counter = field(default_factory=Counter)
    files: int = 0
    conversations: int = 0
    left: int = 0
    files_left: int = 0
    conversations_left: int = 0

    @property
    def anything_left(self) -> bool:
        return bool(self.left or self.files_left or self.conversations_left)


def sealed_tables() -> Iterator[tuple[Table, list[Column]]]:
    """Every table with sealed columns, and those columns."""
    for table in schema.metadata.sorted_tables:
        columns = [column for column in table.columns if isinstance(column.type, sealing.SealedText)]
        if columns:
            yield table, columns


def rekey(unit_of_work: Callable[..., object], media_store: MediaStore | None = None, dialog_store=None,
          batch: int = BATCH) -> Rekeyed:
    """Seal again under the current key whatever is not yet; then count what is left (0 unless rows failed)."""
    done = Rekeyed()
    for table, columns in sealed_tables():
        done.rows[table.name] = _rekey_table(unit_of_work, table, columns, batch)
    if isinstance(media_store, FileMediaStore):
        done.files = sum(media_store.reseal(key) for key in list(media_store.keys()))
    if dialog_store is not None:
        done.conversations = dialog_store.reseal_all()
    # Counted again after every pass: what a process still on the old key wrote meanwhile shows here.
    with unit_of_work(read_only=True) as session:
        done.left = sum(_count_stale(session, table, columns) for table, columns in sealed_tables())
    if isinstance(media_store, FileMediaStore):
        done.files_left = sum(not media_store.is_current(key) for key in media_store.keys())
    if dialog_store is not None:
        done.conversations_left = dialog_store.count_stale()
    return done


def _stale(columns: list[Column]):
    mark = sealing.keyring().current_mark
    # An empty text is left as it is (a body the retention removed): it hides nothing.
    return or_(*(and_(column.is_not(None), as_stored(column) != "",
                      ~as_stored(column).startswith(mark, autoescape=True))
                 for column in columns))


def _rekey_table(unit_of_work, table: Table, columns: list[Column], batch: int) -> int:
    [key] = table.primary_key.columns
    ring, rewritten, last = sealing.keyring(), 0, None
    while True:
        with unit_of_work() as session:
            query = select(key, *(as_stored(column) for column in columns)).where(_stale(columns))
            if last is not None:
                query = query.where(key > last)
            rows = session.execute(query.order_by(key).limit(batch)).all()
            for row in rows:
                rewritten += _reseal_row(session, ring, table, key, columns, row)
        if len(rows) < batch:
            return rewritten
        last = rows[-1][0]


def _reseal_row(session: Session, ring: sealing.Keyring, table: Table, key: Column, columns: list[Column],
                row) -> int:
    values, unchanged = {}, [key == row[0]]
    for column, raw in zip(columns, row[1:], strict=True):
        if raw is None:
            unchanged.append(column.is_(None))
            continue
        unchanged.append(as_stored(column) == stored_as_is(raw))
        if raw and not ring.text_is_current(raw):
            values[column.name] = stored_as_is(ring.seal_text(ring.open_text(raw)))
    if not values:
        return 0
    result = session.execute(update(table).where(*unchanged).values(values))
    return result.rowcount


def _count_stale(session: Session, table: Table, columns: list[Column]) -> int:
    return session.scalar(select(func.count()).select_from(table).where(_stale(columns)))
