"""The files media store: random names, whole files or none, readable by this user only, no way out of its root."""
from __future__ import annotations

import os
import stat

import pytest

from casecore.errors import NotFound
from casecore.messaging.media_store import FileMediaStore


def test_put_then_get(tmp_path):
    store = FileMediaStore(tmp_path / "media")
    key = store.put(b"\xff\xd8\xff photo")
    assert store.get(key) == b"\xff\xd8\xff photo"
    path = tmp_path / "media" / key[:2] / key
    assert path.is_file() and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert [p.name for p in path.parent.iterdir()] == [key]  # no temporary file left behind


def test_each_file_gets_its_own_random_key(tmp_path):
    store = FileMediaStore(tmp_path)
    keys = {store.put(b"same bytes") for _ in range(20)}
    assert len(keys) == 20 and all(len(key) == 32 for key in keys)


@pytest.mark.parametrize("key", ["", "../../etc/passwd", "/etc/passwd", "A" * 32, "0" * 31, "0" * 32 + "/x"])
def test_keys_that_are_not_ours_are_not_found(tmp_path, key):
    store = FileMediaStore(tmp_path)
    with pytest.raises(NotFound):
        store.get(key)


def test_a_missing_file_is_not_found_and_delete_is_quiet(tmp_path):
    store = FileMediaStore(tmp_path)
    key = store.put(b"x")
    store.delete(key)
    store.delete(key)
    with pytest.raises(NotFound):
        store.get(key)


def test_a_failed_write_leaves_nothing(tmp_path, monkeypatch):
    store = FileMediaStore(tmp_path)

    def refuse(*_args):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", refuse)  # the disk, not our code: the rename fails
    with pytest.raises(OSError):
        store.put(b"half a photo")
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []
