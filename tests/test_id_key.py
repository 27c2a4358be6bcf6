"""The ID number key file: made with its folder on first start, kept private, read back the same."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from queue_server.http_common.id_key import KEY_BYTES, IdKeyError, load_id_key


def test_the_key_is_made_once_with_its_folder_and_read_back(tmp_path: Path) -> None:
    path = tmp_path / "onewindow-data" / "id.key"
    key = load_id_key(path)
    assert len(key) == KEY_BYTES
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert load_id_key(path) == key, "the second start reads the key the first one made"


def test_a_file_without_a_key_is_refused_in_words(tmp_path: Path) -> None:
    path = tmp_path / "id.key"
    path.write_text("not hex\n")
    with pytest.raises(IdKeyError, match="holds no hex key"):
        load_id_key(path)
    path.write_text("ab" * 8)
    with pytest.raises(IdKeyError, match="give at least 32"):
        load_id_key(path)
