"""Where received files are kept: a small interface (a shared disk now, object storage later) and its files version.

Files are sealed under the data key (casecore.sealing) before they reach the disk.

Keys are random ids chosen here, never anything the sender chose, so a file name cannot reach outside the store.
"""
from __future__ import annotations

import fcntl
import os
import re
import uuid
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Iterator

from casecore import sealing
from casecore.errors import NotFound

_KEY = re.compile(r"[0-9a-f]{32}")


class MediaStore(ABC):
    """Keeps the bytes of received files by key; every web process and worker sees the same store."""

    @abstractmethod
    def put(self, data: bytes) -> str:
        """Keep data under a new key and return the key; the file is whole or absent, never half written."""

    @abstractmethod
    def get(self, key: str) -> bytes:
        """The bytes kept under key; NotFound when there are none."""

    @abstractmethod
    def delete(self, key: str) -> None:
        """Forget key's bytes (nothing happens when there are none)."""


class FileMediaStore(MediaStore):
    """Files under one directory (MEDIA_DIR), readable by this user only, in 256 subdirectories."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def put(self, data: bytes) -> str:
        key = uuid.uuid4().hex
        self._write(key, sealing.keyring().seal_bytes(data))
        return key

    def get(self, key: str) -> bytes:
        try:
            return sealing.keyring().open_bytes(self._path(key).read_bytes())
        except FileNotFoundError:
            raise NotFound(f"no stored media {key}") from None

    def delete(self, key: str) -> None:
        path = self._path(key)
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            return
        try:
            # Not while a rotation rewrites it (reseal), which would then put it back.
            fcntl.flock(fd, fcntl.LOCK_EX)
            path.unlink(missing_ok=True)
        finally:
            os.close(fd)

    def keys(self) -> Iterator[str]:
        """Every key in the store (a rotation goes through them)."""
        for path in sorted(self.root.glob("??/*")):
            if _KEY.fullmatch(path.name):
                yield path.name

    def reseal(self, key: str) -> bool:
        """Seal key's file under the current data key if it is not already; whether it was rewritten."""
        ring, path = sealing.keyring(), self._path(key)
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            return False  # deleted meanwhile
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # delete() waits, and unlinks what this writes
            if not _same_file(fd, path):
                return False  # deleted (or re-sealed) before the lock was ours
            with os.fdopen(os.dup(fd), "rb") as handle:
                sealed = handle.read()
            if ring.bytes_are_current(sealed):
                return False
            self._write(key, ring.seal_bytes(ring.open_bytes(sealed)))
            return True
        finally:
            os.close(fd)

    def is_current(self, key: str) -> bool:
        """Whether key's file is sealed under the current data key (or gone)."""
        try:
            with self._path(key).open("rb") as handle:
                return sealing.keyring().bytes_are_current(handle.read(16))
        except FileNotFoundError:
            return True

    def _write(self, key: str, sealed: bytes) -> None:
        path = self._path(key)
        if not self.root.exists():
            self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        temporary = path.with_name(f".{key}.{os.getpid()}.tmp")
        # O_EXCL and 0600 from the start: the bytes are never readable by another user, even for a moment.
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(sealed)
                handle.flush()
                os.fsync(handle.fileno())
            # A rename is atomic: a reader finds the whole file or none, even if this process dies here.
            os.replace(temporary, path)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise

    def _path(self, key: str) -> Path:
        if not _KEY.fullmatch(key or ""):
            raise NotFound(f"no stored media {key!r}")
        return self.root / key[:2] / key


def _same_file(fd: int, path: Path) -> bool:
    """Whether path still names the file open as fd."""
    try:
        return os.stat(path).st_ino == os.fstat(fd).st_ino
    except FileNotFoundError:
        return False
