"""MQTT passwords in Mosquitto's own hash format, made and checked in pure Python.

Mosquitto 2.0 reads password files whose lines are ``username:$7$101$<salt>$<hash>``: PBKDF2 with
SHA-512, 101 iterations, a 12-byte random salt, both parts in standard base64. The server writes
these files itself (``onewindow mqtt-config``) and keeps the same hashes in ``device_credentials``,
so the hall's own broker and a Mosquitto of the operator's check a device's password alike: one
hash per device, whichever broker the hall runs. Calling ``mosquitto_passwd`` instead would tie
the server to a binary that production machines need not have.

The low iteration count is Mosquitto's choice, not ours; the passwords we generate are long and
random, so they do not rely on the hash being slow.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets

SCHEME = "7"
ITERATIONS = 101
SALT_BYTES = 12
PASSWORD_BYTES = 18
"""Randomness of a generated password: 144 bits, 24 characters of URL-safe base64."""


class PasswordHashError(ValueError):
    """A string that is not a Mosquitto ``$7$`` password hash."""


def new_password() -> str:
    """A random password for a device or the server: 24 characters that need no quoting anywhere."""
    return secrets.token_urlsafe(PASSWORD_BYTES)


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """``password`` as Mosquitto 2.0 stores it: ``$7$101$<salt>$<hash>``."""
    salt = secrets.token_bytes(SALT_BYTES) if salt is None else salt
    digest = _pbkdf2(password, salt, ITERATIONS)
    return f"${SCHEME}${ITERATIONS}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, encoded: str) -> bool:
    """Whether ``password`` matches the hash ``encoded``; a malformed hash raises PasswordHashError."""
    iterations, salt, digest = parse_hash(encoded)
    return hmac.compare_digest(_pbkdf2(password, salt, iterations), digest)


def parse_hash(encoded: str) -> tuple[int, bytes, bytes]:
    """The iterations, salt and digest of a ``$7$`` hash."""
    parts = encoded.split("$")
    if len(parts) != 5 or parts[0] or parts[1] != SCHEME:
        raise PasswordHashError(f"Cannot read password hash {_shown(encoded)}: expected $7$ITERATIONS$SALT$HASH")
    try:
        iterations = int(parts[2])
        salt = base64.b64decode(parts[3], validate=True)
        digest = base64.b64decode(parts[4], validate=True)
    except (ValueError, binascii.Error):
        raise PasswordHashError(f"Cannot read password hash {_shown(encoded)}: bad number or base64") from None
    if iterations < 1 or not salt or len(digest) != hashlib.sha512().digest_size:
        raise PasswordHashError(f"Cannot read password hash {_shown(encoded)}: wrong iterations, salt or length")
    return iterations, salt, digest


def _pbkdf2(password: str, salt: bytes, iterations: int) -> bytes:
    return hashlib.pbkdf2_hmac("sha512", password.encode("utf-8"), salt, iterations)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _shown(encoded: str) -> str:
    """Enough of a hash to recognise it in a message, never all of it."""
    return repr(encoded[:12] + "...") if len(encoded) > 12 else repr(encoded)
