"""The audit trail (审计日志): who changed a centre or looked at a person's data, when and why.

An entry is written once and never changed. Entries form one hash chain per centre (and one for
acts of no single centre, ``CITY``): each entry's hash covers its own fields and the previous
entry's hash, so an entry edited, inserted or deleted in the middle of a chain directly in the
database no longer matches, and :func:`check_chain` names the first one that breaks. Only the
oldest entries of a chain are ever removed (by the retention job, past the centre's
``audit_days``), so what remains is still one unbroken chain whose first entry is trusted.

Pure: no I/O; the store keeps the rows, the application decides what to record.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

AUDIT_DAYS = 180
"""Days an entry is kept by default: 等保 2.0 asks for at least six months of logs."""
AUDIT_DAYS_LEAST = 180
"""The shortest period a centre may set; the databases' own guard refuses to delete younger entries."""
CITY = ""
"""The chain of the acts of no single centre (an account or token of several centres, a city export)."""
GENESIS = "0" * 64
"""The previous hash of a chain's first entry."""


class AuditKind(StrEnum):
    """What an entry records."""

    CONFIG_CHANGED = "config_changed"
    """A centre's configuration: loaded from a file, edited by its manager, a setting changed."""
    ACCOUNT_CHANGED = "account_changed"
    """An account made (with its role and centres) or its password set; accounts change no other way."""
    TOKEN_CHANGED = "token_changed"
    """A bearer token made or revoked."""
    DEVICE_CHANGED = "device_changed"
    """A device registered, its password set, or removed."""
    PERSONAL_VIEWED = "personal_viewed"
    """A person's data shown in full: a follow-up number, a postal address, a phone number."""
    PERSONAL_EXPORTED = "personal_exported"
    """A person's data exported (``onewindow privacy export``)."""
    PERSONAL_ERASED = "personal_erased"
    """A person's data erased on request (``onewindow privacy erase``)."""
    AUDIT_EXPORTED = "audit_exported"
    """The audit trail itself exported (a CSV or .xlsx file)."""


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts, as an entry names them."""

    name: str
    """``manager:li``, ``staff:s01``, ``supervisor:city``, ``cli:root`` (an operator's shell login)."""
    role: str


SYSTEM = Actor("system", "system")
"""The server acting by itself: the demo making its own accounts, the daily jobs."""


@dataclass(frozen=True, slots=True)
class AuditAct:
    """One act to record, before it has a place in a chain."""

    kind: AuditKind
    centre: str
    """The centre's code, or :data:`CITY`."""
    actor: str
    """Who: the account (``user:li``), the token (``token:3``) or the command line (``cli:root``)."""
    role: str
    subject: str
    """Which object: ``rectification:12``, ``account:li``, ``device:pad-3``, ``phone:138****5678``."""
    reason: str = ""
    """Why, as the person gave it; required for every view or export of personal data."""
    request_id: str = ""
    detail: Mapping[str, Any] = field(default_factory=dict)
    """What changed or what was shown (never the personal data itself)."""

    @classmethod
    def by(
        cls,
        actor: Actor,
        kind: AuditKind,
        centre: str,
        subject: str,
        *,
        reason: str = "",
        request_id: str = "",
        detail: Mapping[str, Any] | None = None,
    ) -> AuditAct:
        return cls(kind, centre, actor.name, actor.role, subject, reason, request_id, dict(detail or {}))


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """An entry as kept: the act, when, and its place in its centre's chain."""

    id: int
    at: dt.datetime
    act: AuditAct
    previous: str
    hash: str


def entry_hash(previous: str, at: dt.datetime, act: AuditAct) -> str:
    """SHA-256 over the previous hash and every field of the act, as canonical JSON."""
    fields = {
        "previous": previous,
        "at": at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "kind": act.kind.value,
        "centre": act.centre,
        "actor": act.actor,
        "role": act.role,
        "subject": act.subject,
        "reason": act.reason,
        "request_id": act.request_id,
        "detail": dict(act.detail),
    }
    canonical = json.dumps(fields, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


DEVICE_LINE = re.compile(r"^[+~-] devices ")
"""A line of a centre's difference (queue_server.store.seed.describe_difference) about its devices."""


def configuration_acts(
    actor: Actor, centre: str, differences: Sequence[str], *, request_id: str = "", source: str
) -> list[AuditAct]:
    """The entries of a centre's configuration change: its devices' changes apart (``device_changed``)
    and the rest (``config_changed``); none for a change that changes nothing."""
    devices = [line for line in differences if DEVICE_LINE.match(line)]
    rest = [line for line in differences if not DEVICE_LINE.match(line)]
    acts = []
    for kind, lines in ((AuditKind.CONFIG_CHANGED, rest), (AuditKind.DEVICE_CHANGED, devices)):
        if lines:
            detail = {"source": source, "changes": lines}
            acts.append(AuditAct.by(actor, kind, centre, f"centre:{centre}", request_id=request_id, detail=detail))
    return acts


@dataclass(frozen=True, slots=True)
class ChainBreak:
    """Where a chain stops matching: the entry and what is wrong with it."""

    centre: str
    entry: int
    problem: str

    def __str__(self) -> str:
        chain = f"centre {self.centre!r}" if self.centre else "the city chain"
        return f"Audit entry {self.entry} of {chain}: {self.problem}"


def check_chain(entries: Iterable[AuditEntry]) -> list[ChainBreak]:
    """Every break in the chains of ``entries`` (in id order); empty when the trail is intact.

    The first kept entry of each chain is trusted to follow what the retention job removed.
    """
    breaks: list[ChainBreak] = []
    last: dict[str, str] = {}
    for entry in entries:
        centre = entry.act.centre
        expected = last.get(centre)
        if expected is not None and entry.previous != expected:
            breaks.append(
                ChainBreak(centre, entry.id, "it does not follow the entry before it (one was removed or added)")
            )
        if entry_hash(entry.previous, entry.at, entry.act) != entry.hash:
            breaks.append(ChainBreak(centre, entry.id, "its fields do not match its hash (it was edited)"))
        last[centre] = entry.hash
    return breaks
