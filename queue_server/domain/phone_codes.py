"""The public booking page's phone codes, as pure rules: made, hashed, and judged when typed.

A code is six digits texted to a number; it is kept only as a keyed hash (HMAC-SHA256 with the
server's key, so the million codes cannot be tried against a stolen row), lives ``CODE_MINUTES``,
and dies after ``MOST_TRIES`` wrong tries. The number is kept the same way, as a keyed hash: enough
to find its latest code and to know a booking's number again, never to read it back.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from enum import StrEnum

CODE_MINUTES = 10
"""How long a code may be used after it was asked for."""
MOST_TRIES = 5
"""Wrong tries a code takes; then it is dead and a new one must be asked for."""


@dataclass(frozen=True, slots=True)
class PhoneCode:
    """A code as kept: its row's id, the hash, when it dies, and the wrong tries so far."""

    id: int
    code_hash: str
    expires_at: dt.datetime
    attempts: int
    used_by: str | None = None


class Verdict(StrEnum):
    """What a typed code is against the latest one asked for that number."""

    RIGHT = "right"
    WRONG = "wrong"
    EXPIRED = "expired"
    EXHAUSTED = "exhausted"
    NONE = "none"
    """No code was asked for this number, or it was used already."""


def new_code() -> str:
    """Six random digits."""
    return f"{secrets.randbelow(1_000_000):06d}"


def phone_key(key: bytes, phone: str) -> str:
    """The keyed hash a confirmed number is kept as (the number as :func:`mobile_number` gives it)."""
    return hmac.new(key, b"phone:" + phone.encode(), hashlib.sha256).hexdigest()


def code_hash(key: bytes, phone: str, code: str) -> str:
    """The keyed hash a code is kept as, bound to its number."""
    return hmac.new(key, f"code:{phone}:{code}".encode(), hashlib.sha256).hexdigest()


def judge(key: bytes, found: PhoneCode | None, phone: str, typed: str, now: dt.datetime) -> Verdict:
    """Whether ``typed`` is the number's code, still alive and with tries left."""
    if found is None:
        return Verdict.NONE
    if found.attempts >= MOST_TRIES:
        return Verdict.EXHAUSTED
    if now >= found.expires_at:
        return Verdict.EXPIRED
    right = hmac.compare_digest(found.code_hash, code_hash(key, phone, typed.strip()))
    return Verdict.RIGHT if right else Verdict.WRONG


def reminder_due(slot_day: dt.date, today: dt.date, local_now: dt.time, from_time: dt.time) -> bool:
    """The reminder goes the day before the slot, from ``from_time`` on (no one is texted at night)."""
    return slot_day - dt.timedelta(days=1) == today and local_now >= from_time
