"""Accounts: who may do what at which centre, proven by a password or a bearer token.

People log in with a username and a password, hashed with argon2id: a memory-hard function, so a
copied ``users`` table is slow to crack even on GPUs. Scripts, kiosk PCs, the consultation desk and
devices carry bearer tokens with the same roles; only a token's SHA-256 is stored, so a copied
``tokens`` table holds no working token. Either proof yields a :class:`Principal`: its role, the
centres it may see and the actor string the event log records. What each role may do is data,
:data:`ACTION_ROLES`, checked together with the centre by :func:`allowed`. That a staff member acts
only at the window signed on to is the domain's rule; here we only make the actor right.

Every async function takes an open connection, so callers compose accounts into their own
transactions; run the writing ones (and :func:`verify_login`, which may store a stronger hash)
inside ``db.write()``.

Errors: :class:`AccountError` (a ``ValueError``), whose message names what failed and why.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import re
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from typing import Any, Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from queue_server.domain.audit import CITY, SYSTEM, Actor, AuditAct, AuditKind
from queue_server.domain.centre import Centre
from queue_server.store import accounts as stored
from queue_server.store import audit as audit_trail
from queue_server.store.database import Connection, utcnow
from queue_server.store.lookup import centre_codes, centre_configs
from queue_server.vocabulary import DeviceKind


class AccountError(ValueError):
    """An account or token that cannot be created or used as asked; the message says why."""


class Role(StrEnum):
    ADMIN = "admin"
    MANAGER = "manager"
    STAFF = "staff"
    GUIDE = "guide"
    """The consultation desk (咨询导办台): issues tickets on someone's behalf."""
    SUPERVISOR = "supervisor"
    """City supervision (电子监察): the only role that may see several centres."""
    KIOSK = "kiosk"
    """A kiosk PC's device token; never a login."""
    DEVICE = "device"
    """Reserved for MQTT devices; never a login."""
    BUSINESS = "business"
    """The province's business system (业务办理系统): reports promised cases' results; a token, never a login."""
    PLATFORM = "platform"
    """A provincial booking platform (预约平台): books, moves and cancels for a citizen; a token, never a login."""


LOGIN_ROLES = frozenset({Role.ADMIN, Role.MANAGER, Role.STAFF, Role.GUIDE, Role.SUPERVISOR})
"""The roles a person logs in with; kiosks, devices and the business system only ever hold tokens."""
SEVERAL_CENTRES = frozenset({Role.SUPERVISOR, Role.BUSINESS, Role.PLATFORM})
"""The roles that may be scoped to several centres: the city's supervision and the province's system."""


class Action(StrEnum):
    ISSUE = "issue"
    WINDOW = "window"
    """Sign on and off, call next or a chosen ticket, recall, start, no-show, transfer, finish,
    pause, resume, close the window."""
    REQUEUE = "requeue"
    CANCEL = "cancel"
    """Staff cancelling a ticket; the citizen cancels through the ticket's public status token."""
    CLOSE_DAY = "close_day"
    READ = "read"
    REPORT = "report"
    """The supervision reports and the rectification cases: read them."""
    COMPLAIN = "complain"
    """Open a rectification case from a complaint (the complaint window, the desk)."""
    RECTIFY = "rectify"
    """Work rectification cases: verify, rectify, follow up, close, assign."""
    PAD = "pad"
    """A rating pad on a tablet: read its open request and rate (its own pad only)."""
    DELIVER = "deliver"
    """Hand a promised case's result to the citizen (the result window, the desk)."""
    RESULT = "result"
    """Report a promised case's result by its case number: ready, refused, delivered (the business system)."""
    CASES = "cases"
    """Read the rectification cases: a staff member only those about their own service."""
    APPEAL = "appeal"
    """Appeal a bad rating of the window (申诉): a staff member their own, a manager any."""
    DECIDE_APPEAL = "decide_appeal"
    """Uphold or reject an appeal (复核): supervision, never the window that appealed."""
    BOOK = "book"
    """Book, move or cancel a booking (预约) for someone: the desk, and a provincial booking platform."""
    CHECK_IN = "check_in"
    """Check a booking in by its code or the ID number: the kiosk and the desk."""
    AUDIT = "audit"
    """Read and export the audit trail (审计日志): supervision and the administrator."""


ACTION_ROLES: dict[Action, frozenset[Role]] = {
    Action.ISSUE: frozenset({Role.KIOSK, Role.GUIDE}),
    Action.WINDOW: frozenset({Role.STAFF, Role.MANAGER, Role.ADMIN}),
    Action.REQUEUE: frozenset({Role.STAFF, Role.GUIDE, Role.MANAGER, Role.ADMIN}),
    Action.CANCEL: frozenset({Role.STAFF, Role.GUIDE, Role.MANAGER, Role.ADMIN}),
    Action.CLOSE_DAY: frozenset({Role.MANAGER, Role.ADMIN}),
    Action.READ: LOGIN_ROLES | {Role.KIOSK},
    Action.REPORT: frozenset({Role.MANAGER, Role.ADMIN, Role.SUPERVISOR}),
    Action.COMPLAIN: frozenset({Role.STAFF, Role.GUIDE, Role.MANAGER, Role.ADMIN}),
    Action.RECTIFY: frozenset({Role.MANAGER, Role.ADMIN}),
    Action.PAD: frozenset({Role.DEVICE}),
    Action.DELIVER: frozenset({Role.STAFF, Role.GUIDE, Role.MANAGER, Role.ADMIN}),
    Action.RESULT: frozenset({Role.BUSINESS}),
    Action.CASES: frozenset({Role.STAFF, Role.MANAGER, Role.ADMIN, Role.SUPERVISOR}),
    Action.APPEAL: frozenset({Role.STAFF, Role.MANAGER, Role.ADMIN}),
    Action.DECIDE_APPEAL: frozenset({Role.SUPERVISOR, Role.ADMIN}),
    Action.BOOK: frozenset({Role.GUIDE, Role.MANAGER, Role.ADMIN, Role.PLATFORM}),
    Action.CHECK_IN: frozenset({Role.KIOSK, Role.GUIDE, Role.MANAGER, Role.ADMIN}),
    Action.AUDIT: frozenset({Role.SUPERVISOR, Role.ADMIN}),
}
"""Which roles may take each action; :func:`allowed` adds the centre scope."""

USERNAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9_.-]{1,63}")
SUBJECT_PATTERN = re.compile(r"[a-z0-9][a-z0-9_.-]{0,79}")
TOKEN_PREFIX = "ow_"
TOKEN_PATTERN = re.compile(r"ow_[A-Za-z0-9_-]{40,100}")
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024
"""Long enough for any passphrase, short enough that hashing stays cheap to ask for."""
COMMON_PASSWORDS = frozenset(
    {"password", "password1", "passw0rd", "qwertyui", "qwerty123", "1qaz2wsx", "abcd1234", "iloveyou", "admin123"}
)

_hasher = PasswordHasher()
"""argon2id with argon2-cffi's defaults (RFC 9106's low-memory profile: 64 MiB, 3 passes, 4 lanes).

Following the library's defaults means a stronger future default applies on the next login, through
``check_needs_rehash``.
"""


# --- Who is acting -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Principal:
    """Whoever a request acts for, after a password or a token proved it."""

    role: Role
    subject: str
    """The username, or the kiosk, desk, device or staff id a token was issued for."""
    centres: tuple[str, ...]
    staff_code: str | None
    via: Literal["password", "token"]
    user_id: int | None

    @property
    def actor(self) -> str:
        """What the event log records: ``staff:<code>`` for staff (the domain checks that code is
        signed on to the window), else ``<role>:<subject>``."""
        if self.role is Role.STAFF and self.staff_code:
            return f"staff:{self.staff_code}"
        return f"{self.role}:{self.subject}"

    def may_see(self, centre: str) -> bool:
        return centre in self.centres


def allowed(principal: Principal, action: Action, centre: str) -> bool:
    """Whether ``principal`` may take ``action`` at ``centre``: its role and its centres both allow it.

    An unknown action is a programming error, so it raises instead of quietly refusing.
    """
    try:
        roles = ACTION_ROLES[action]
    except KeyError:
        raise ValueError(f"Unknown action {action!r}: use one of {', '.join(ACTION_ROLES)}") from None
    return principal.role in roles and principal.may_see(centre)


# --- Passwords -----------------------------------------------------------------------------------


def hash_password(password: str) -> str:
    """An argon2id hash with its salt and parameters, as ``verify_password`` reads it."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches; a malformed hash is a mismatch, not an error."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def check_password(password: str, *, username: str = "") -> None:
    """Refuse a password that is too short or obviously guessable, saying which."""
    problem = _password_problem(password, username)
    if problem:
        raise AccountError(f"Cannot use this password: {problem}")


def _password_problem(password: str, username: str) -> str | None:
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"it has {len(password)} characters; use at least {MIN_PASSWORD_LENGTH}"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"it has {len(password)} characters; use at most {MAX_PASSWORD_LENGTH}"
    if len(set(password)) == 1:
        return "it repeats one character; choose one that is hard to guess"
    steps = {ord(b) - ord(a) for a, b in itertools.pairwise(password)}
    if steps in ({1}, {-1}):
        return "it is a plain run of letters or digits (like 12345678); choose one that is hard to guess"
    lowered = password.lower()
    if lowered in COMMON_PASSWORDS or (len(username) >= 4 and username in lowered):
        return "it is among the first ones guessed (or contains the username); choose another"
    return None


@cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


def _verify_nobody(password: str) -> None:
    """Spend the time a real check takes, so the answer's delay does not reveal unknown usernames."""
    verify_password(_dummy_hash(), password)


# --- Users ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UserInfo:
    """An account as lists show it: everything but the password hash."""

    id: int
    username: str
    display_name: str
    role: Role
    centres: tuple[str, ...]
    staff_code: str | None
    disabled: bool


async def add_user(
    conn: Connection,
    *,
    username: str,
    password: str,
    role: Role | str,
    centres: Sequence[str],
    staff_code: str | None = None,
    display_name: str = "",
    by: Actor = SYSTEM,
) -> int:
    """Create a login account and return its id, after checking every rule with a clear message;
    the audit trail of each of its centres records who made it."""
    what = f"Cannot add user {username!r}"
    if not USERNAME_PATTERN.fullmatch(username):
        raise AccountError(
            f"{what}: a username is 2 to 64 lower-case letters, digits, '.', '_' or '-',"
            " starting with a letter or digit (e.g. wang.fang)"
        )
    checked = _role(what, role)
    if checked not in LOGIN_ROLES:
        raise AccountError(f"{what}: a {checked} never logs in; issue it a token with `onewindow user token`")
    problem = _password_problem(password, username)
    if problem:
        raise AccountError(f"{what}: the password is not good enough: {problem}")
    scope = await _check_scope(conn, what, checked, centres, staff_code)
    if await stored.user_id_by_name(conn, username) is not None:
        raise AccountError(f"{what}: the username is taken")
    if staff_code is not None:
        await _check_staff_has_no_account(conn, what, scope[0], staff_code)
    password_hash = await asyncio.to_thread(hash_password, password)
    user_id = await stored.insert_user(
        conn,
        username=username,
        display_name=display_name.strip(),
        role=checked.value,
        centres=scope,
        staff_code=staff_code,
        password_hash=password_hash,
        now=utcnow(),
    )
    detail = {"change": "added", "role": checked.value, "centres": list(scope), "staff": staff_code}
    await _audit(conn, by, AuditKind.ACCOUNT_CHANGED, scope, f"account:{username}", detail)
    return user_id


async def _audit(
    conn: Connection, by: Actor, kind: AuditKind, centres: Sequence[str], subject: str, detail: Mapping[str, Any]
) -> None:
    """Record an account's or token's change in the trail of each centre it may see (the city's when none)."""
    for centre in centres or (CITY,):
        await audit_trail.append(conn, AuditAct.by(by, kind, centre, subject, detail=detail), utcnow())


async def _check_staff_has_no_account(conn: Connection, what: str, centre: str, staff_code: str) -> None:
    """One account per staff member, so the event log's ``staff:<code>`` names one person's login."""
    for username, centres in await stored.staff_accounts(conn, staff_code):
        if centre in centres:
            raise AccountError(
                f"{what}: staff member {staff_code!r} of centre {centre!r} already has the account {username!r}"
            )


async def verify_login(conn: Connection, username: str, password: str) -> Principal | None:
    """The account's principal when the password is right and the account enabled, else None.

    A hash made with weaker parameters than today's is replaced; that write persists only when
    ``conn`` is in a write transaction. Hashing runs in a thread so the event loop keeps serving.
    """
    row = await stored.user_by_name(conn, username.strip().lower())
    if row is None:
        await asyncio.to_thread(_verify_nobody, password)
        return None
    if not await asyncio.to_thread(verify_password, row.password_hash, password) or row.disabled:
        return None
    if _hasher.check_needs_rehash(row.password_hash):
        stronger = await asyncio.to_thread(hash_password, password)
        await stored.set_password_hash(conn, row.id, stronger)
    return Principal(
        role=Role(row.role),
        subject=row.username,
        centres=tuple(row.centres),
        staff_code=row.staff_code,
        via="password",
        user_id=row.id,
    )


async def list_users(conn: Connection) -> list[UserInfo]:
    """Every account, by username, without password hashes."""
    return [
        UserInfo(
            id=row.id,
            username=row.username,
            display_name=row.display_name,
            role=Role(row.role),
            centres=tuple(row.centres),
            staff_code=row.staff_code,
            disabled=row.disabled,
        )
        for row in await stored.all_users(conn)
    ]


async def _set_password(conn: Connection, user_id: int, password: str, by: Actor = SYSTEM) -> None:
    password_hash = await asyncio.to_thread(hash_password, password)
    await stored.set_password_hash(conn, user_id, password_hash)
    user = await stored.user_by_id(conn, user_id)
    if user is not None:
        await _audit(
            conn, by, AuditKind.ACCOUNT_CHANGED, user.centres, f"account:{user.username}", {"change": "password"}
        )


# --- Tokens --------------------------------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    """A fresh bearer token: a prefix that makes it recognisable in a leak scan, and 256 random bits."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


async def add_token(
    conn: Connection,
    *,
    label: str,
    role: Role | str,
    centres: Sequence[str],
    subject: str,
    user_id: int | None = None,
    by: Actor = SYSTEM,
) -> str:
    """Issue a bearer token and return it in plain text: the only time anyone sees it.

    A staff token's subject is the staff code it acts as. A token bound to a user (``user_id``)
    acts as that user and stops working when the user is disabled or deleted.
    """
    return await _add_token(
        conn, new_token(), label=label, role=role, centres=centres, subject=subject, user_id=user_id, by=by
    )


async def _add_token(
    conn: Connection,
    token: str,
    *,
    label: str,
    role: Role | str,
    centres: Sequence[str],
    subject: str,
    user_id: int | None,
    by: Actor = SYSTEM,
) -> str:
    what = f"Cannot issue a token for {role} {subject!r}"
    checked = _role(what, role)
    if not SUBJECT_PATTERN.fullmatch(subject):
        raise AccountError(
            f"{what}: a subject is 1 to 80 lower-case letters, digits, '.', '_' or '-' (e.g. kiosk1, desk1, s01)"
        )
    label = label.strip()
    if not 1 <= len(label) <= 120:
        raise AccountError(f"{what}: give it a label of 1 to 120 characters saying where it is used")
    scope = await _check_scope(conn, what, checked, centres, subject if checked is Role.STAFF else None)
    if user_id is not None:
        await _check_token_user(conn, what, user_id, checked, scope, subject)
    await stored.insert_token(
        conn,
        token_hash=_token_hash(token),
        label=label,
        role=checked.value,
        centres=scope,
        subject=subject,
        user_id=user_id,
        now=utcnow(),
    )
    made = await stored.token_id_by_hash(conn, _token_hash(token))
    detail = {"change": "issued", "role": checked.value, "subject": subject, "label": label, "user_id": user_id}
    await _audit(conn, by, AuditKind.TOKEN_CHANGED, scope, f"token:{made}", detail)
    return token


async def _check_token_user(
    conn: Connection, what: str, user_id: int, role: Role, scope: tuple[str, ...], subject: str
) -> None:
    """A token bound to a user may act only as that user: its role, within its centres."""
    user = await stored.user_by_id(conn, user_id)
    if user is None:
        raise AccountError(f"{what}: there is no user with id {user_id}")
    expected = user.staff_code if user.role == Role.STAFF else user.username
    if user.role != role or subject != expected:
        raise AccountError(f"{what}: user {user.username!r} acts as {user.role} {expected!r}, so its tokens must too")
    outside = [code for code in scope if code not in user.centres]
    if outside:
        raise AccountError(f"{what}: user {user.username!r} may not see centre {outside[0]!r}")


async def authenticate_token(conn: Connection, token: str) -> Principal | None:
    """The token's principal, or None when it is unknown, revoked or its user is disabled.

    The lookup is by the token's SHA-256, so timing reveals nothing about stored tokens.
    """
    if not TOKEN_PATTERN.fullmatch(token):
        return None
    return token_principal(await stored.token_by_hash(conn, _token_hash(token)))


def token_principal(row: stored.TokenRow | None) -> Principal | None:
    """The principal a stored token acts as, or None when it is missing, revoked or its user disabled."""
    if row is None or row.revoked_at is not None or row.user_disabled:
        return None
    role = Role(row.role)
    return Principal(
        role=role,
        subject=row.subject,
        centres=tuple(row.centres),
        staff_code=row.subject if role is Role.STAFF else None,
        via="token",
        user_id=row.user_id,
    )


async def token_id(conn: Connection, token: str) -> int | None:
    """The id of a token's row (revoked or not), or None for a token never made."""
    if not TOKEN_PATTERN.fullmatch(token):
        return None
    return await stored.token_id_by_hash(conn, _token_hash(token))


async def revoke_token(conn: Connection, token_or_id: str | int, by: Actor = SYSTEM) -> None:
    """Stop a token working, given in plain text or by its id; revoking twice changes nothing."""
    key = token_or_id if isinstance(token_or_id, int) else _token_hash(token_or_id)
    shown = f"token {token_or_id}" if isinstance(token_or_id, int) else "this token"
    row = await (stored.token_by_id(conn, key) if isinstance(key, int) else stored.token_by_hash(conn, key))
    if row is None:
        raise AccountError(f"Cannot revoke {shown}: there is no such token")
    await stored.revoke(conn, key, utcnow())
    if row.revoked_at is None:
        detail = {"change": "revoked", "role": row.role, "subject": row.subject}
        await _audit(conn, by, AuditKind.TOKEN_CHANGED, row.centres, f"token:{row.id}", detail)


# --- Shared rules --------------------------------------------------------------------------------


def _role(what: str, role: Role | str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise AccountError(f"{what}: there is no role {role!r} (one of: {', '.join(Role)})") from None


async def _check_scope(
    conn: Connection, what: str, role: Role, centres: Sequence[str], staff_code: str | None
) -> tuple[str, ...]:
    """The centres, checked: they exist, only a supervisor has several, staff are staff there."""
    scope = tuple(dict.fromkeys(centres))
    if not scope:
        raise AccountError(f"{what}: name the centre it belongs to")
    if role not in SEVERAL_CENTRES and len(scope) > 1:
        raise AccountError(
            f"{what}: role {role} is for one centre, not {len(scope)} ({', '.join(scope)});"
            " only a supervisor, the business system or a booking platform may have several"
        )
    configs = await _centre_configs(conn, what, scope)
    if role is Role.STAFF:
        if not staff_code:
            raise AccountError(f"{what}: a staff account needs the staff code it signs on to windows as")
        _check_staff_member(what, scope[0], configs[scope[0]], staff_code)
    elif staff_code is not None:
        raise AccountError(f"{what}: only a staff account has a staff code, and this one is {role}")
    return scope


async def _centre_configs(conn: Connection, what: str, codes: tuple[str, ...]) -> dict[str, Any]:
    found = await centre_configs(conn, codes)
    missing = [code for code in codes if code not in found]
    if missing:
        known = await centre_codes(conn)
        hint = f"known: {_listing(known)}" if known else "the database has none yet: load one with `onewindow init`"
        raise AccountError(f"{what}: there is no centre {missing[0]!r} ({hint})")
    return found


def _check_staff_member(what: str, centre: str, config: Any, staff_code: str) -> None:
    staff = Centre.model_validate(config).staff_by_code
    if staff_code not in staff:
        known = _listing(staff) if staff else "none"
        raise AccountError(f"{what}: centre {centre!r} has no staff member {staff_code!r} (its staff: {known})")


def _listing(items: Iterable[str], limit: int = 10) -> str:
    shown = list(items)
    more = f" and {len(shown) - limit} more" if len(shown) > limit else ""
    return ", ".join(shown[:limit]) + more


# --- The demo's accounts -------------------------------------------------------------------------


@dataclass(slots=True)
class DemoAccounts:
    """The demo's credentials in plain text: passwords by username, tokens by the actor they act as."""

    passwords: dict[str, str] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DemoAccounts:
        """Read what :meth:`to_json` wrote, skipping anything that is not a name and a string."""

        def strings(value: Any) -> dict[str, str]:
            items = value.items() if isinstance(value, Mapping) else ()
            return {str(k): v for k, v in items if isinstance(v, str)}

        return cls(passwords=strings(data.get("passwords")), tokens=strings(data.get("tokens")))

    def to_json(self) -> dict[str, dict[str, str]]:
        return {"passwords": dict(self.passwords), "tokens": dict(self.tokens)}


DEMO_CENTRE_ACCOUNTS = ("admin", "manager", "guide", "supervisor")


@dataclass(frozen=True, slots=True)
class _DemoUser:
    username: str
    role: Role
    display_name: str
    staff_code: str | None = None


@dataclass(frozen=True, slots=True)
class _DemoToken:
    role: Role
    subject: str
    username: str | None
    """The demo account the token acts as, if any: disabling the account stops the token."""

    @property
    def name(self) -> str:
        """The token's key in :attr:`DemoAccounts.tokens`: the actor it acts as."""
        return f"{self.role}:{self.subject}"


async def ensure_demo_accounts(conn: Connection, centre: str, saved: DemoAccounts | None = None) -> DemoAccounts:
    """The demo's accounts and tokens at ``centre``, creating only what is missing.

    Passwords and tokens are stored hashed, so the demo keeps the plain text returned here (in a
    file) and hands it back as ``saved`` on its next start. A saved password is trusted for an
    account that exists; a saved token that still works is kept, and one the database lost (a new
    database file) is registered again, so the file stays right. An account with no saved
    password gets a new one; a token with nothing usable saved is issued afresh.
    """
    config = (await _centre_configs(conn, f"Cannot set up the demo accounts at {centre!r}", (centre,)))[centre]
    hall = Centre.model_validate(config)
    people = _demo_users(hall)
    saved = saved or DemoAccounts()
    result = DemoAccounts()
    ids: dict[str, int] = {}
    for person in people:
        ids[person.username], result.passwords[person.username] = await _ensure_demo_user(
            conn, centre, person, saved.passwords.get(person.username)
        )
    for token in _demo_tokens(people, [d.id for d in hall.devices if d.kind is DeviceKind.PAD]):
        user_id = ids[token.username] if token.username else None
        result.tokens[token.name] = await _ensure_demo_token(conn, centre, token, user_id, saved.tokens.get(token.name))
    return result


def _demo_users(centre: Centre) -> list[_DemoUser]:
    """An account per role, and one per staff member named by the staff code where it can be."""
    people = [
        _DemoUser("admin", Role.ADMIN, "系统管理员"),
        _DemoUser("manager", Role.MANAGER, "中心负责人"),
        _DemoUser("guide", Role.GUIDE, "导办员"),
        _DemoUser("supervisor", Role.SUPERVISOR, "电子监察"),
    ]
    for person in centre.staff:
        plain = USERNAME_PATTERN.fullmatch(person.code) and person.code not in DEMO_CENTRE_ACCOUNTS
        people.append(_DemoUser(person.code if plain else f"staff-{person.code}", Role.STAFF, person.name, person.code))
    return people


def _demo_tokens(people: Sequence[_DemoUser], pads: Sequence[str]) -> list[_DemoToken]:
    """The kiosk's, the desk's, the manager's and each staff member's; the first rating pad's, for a
    tablet; the province's business system's, to report promised cases' results."""
    tokens = [_DemoToken(Role.KIOSK, "kiosk-1", None), _DemoToken(Role.GUIDE, "desk1", None)]
    tokens.append(_DemoToken(Role.BUSINESS, "province", None))
    tokens += [_DemoToken(Role.DEVICE, pad, None) for pad in pads[:1]]
    tokens.append(_DemoToken(Role.MANAGER, "manager", "manager"))
    tokens += [_DemoToken(Role.STAFF, p.staff_code, p.username) for p in people if p.staff_code]
    return tokens


async def _ensure_demo_user(conn: Connection, centre: str, person: _DemoUser, saved: str | None) -> tuple[int, str]:
    """The account's id and a password that works for it."""
    existing = await stored.user_id_by_name(conn, person.username)
    if saved is not None and _password_problem(saved, person.username) is None:
        password = saved
        if existing is not None:
            return int(existing), password
    else:
        password = _demo_password(person.username)
        if existing is not None:
            await _set_password(conn, existing, password)
            return int(existing), password
    user_id = await add_user(
        conn,
        username=person.username,
        password=password,
        role=person.role,
        centres=[centre],
        staff_code=person.staff_code,
        display_name=person.display_name,
    )
    return user_id, password


def _demo_password(username: str) -> str:
    """A random password that passes our own rules (a short username may turn up in it by chance)."""
    while True:
        password = secrets.token_urlsafe(9)
        if _password_problem(password, username) is None:
            return password


async def _ensure_demo_token(
    conn: Connection, centre: str, token: _DemoToken, user_id: int | None, saved: str | None
) -> str:
    """A working token for ``token``: the saved one when it still works or can be registered again."""
    label = f"demo {token.role} {token.subject}"
    if saved is not None and TOKEN_PATTERN.fullmatch(saved):
        principal = await authenticate_token(conn, saved)
        wanted = (token.role, token.subject, (centre,), user_id)
        if (
            principal is not None
            and (principal.role, principal.subject, principal.centres, principal.user_id) == wanted
        ):
            return saved
        if not await stored.token_exists(conn, _token_hash(saved)):
            return await _add_token(
                conn, saved, label=label, role=token.role, centres=[centre], subject=token.subject, user_id=user_id
            )
        await revoke_token(conn, saved)
    return await add_token(conn, label=label, role=token.role, centres=[centre], subject=token.subject, user_id=user_id)
