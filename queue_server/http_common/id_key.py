"""The server's key for ID numbers: bookings keep an ID number only as its HMAC with this key.

An ID number has few enough values that its plain hash could be reversed by trying them all; with
a key kept outside the database (a file, mode 600, made on first start) a copy of the database
alone tells nobody's ID number. Losing the file only means check-in by ID number no longer finds
the bookings made before (their codes still work).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

KEY_BYTES = 32
DEFAULT_ID_KEY_FILE = Path("onewindow-data/id.key")
"""Beside the default SQLite database, in the folder the server's own files live in."""


class IdKeyError(Exception):
    """The key file cannot be read or made; the message says which file and why."""


def load_id_key(path: Path) -> bytes:
    """The key in ``path`` (hex), made there with mode 600 (and its folder) when the file does not exist."""
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        key = secrets.token_bytes(KEY_BYTES)
        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except OSError as error:
            raise IdKeyError(f"Cannot make the ID number key file {path}: {error.strerror or error}") from None
        with os.fdopen(descriptor, "w", encoding="ascii") as file:
            file.write(key.hex() + "\n")
        return key
    except (OSError, UnicodeDecodeError) as error:
        raise IdKeyError(f"Cannot read the ID number key file {path}: {error}") from None
    try:
        key = bytes.fromhex(text)
    except ValueError:
        raise IdKeyError(f"The ID number key file {path} holds no hex key") from None
    if len(key) < KEY_BYTES:
        raise IdKeyError(f"The ID number key in {path} is {len(key)} bytes: give at least {KEY_BYTES}")
    return key
