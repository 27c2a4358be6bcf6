"""``onewindow mqtt-config``: Mosquitto's password and ACL files from the device registry.

The database is the truth: each centre's configuration lists its devices, and
``device_credentials`` holds the hash of each one's password. A run gives every device without a
password a new random one, drops the credentials of devices no longer registered, and writes two
files a production Mosquitto loads (``password_file``, ``acl_file``): one account per device that
may touch only its own topics (see ``queue_server.bus.acl``), and the server's account.

A device keeps its password across runs, so running the command again after adding a device
changes nothing for the others. A new password exists in plain text only once: printed, or
written to a secrets file (mode 600) for whoever configures the devices. Everything happens in
one database transaction that commits only after the files are written, so a failure leaves no
device with a stored hash whose password nobody saw.

The server's password comes from ``--server-password-file`` (made there when the file does not
exist yet); without one, the server keeps the hash already in the output folder's password
file, and only a first run makes a new password.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from queue_server.bus.acl import (
    DEFAULT_SERVER_USER,
    Account,
    device_grants,
    device_username,
    read_password_file,
    render_acl,
    render_password_file,
    server_grants,
)
from queue_server.bus.passwords import PasswordHashError, hash_password, new_password, parse_hash, verify_password
from queue_server.domain.audit import SYSTEM, Actor, AuditAct, AuditKind
from queue_server.domain.centre import Centre, Device
from queue_server.store import audit as audit_trail
from queue_server.store import credentials
from queue_server.store.database import Connection

PASSWORDS_FILE = "passwords"
ACL_FILE = "acl"
DEFAULT_OUTPUT_DIR = Path("mosquitto")
SERVER_NOTE = "the OneWindow server"
USERNAME = re.compile(r"[A-Za-z0-9._-]{1,64}")
"""A server username that every broker's files take as it is."""
SERVER_KEY = "_server"
"""The secrets file's key for the server's account: no centre code can start with ``_``."""


class MqttConfigError(Exception):
    """The files cannot be made as asked; the message says which file and why."""


@dataclass(frozen=True, slots=True)
class Settings:
    output_dir: Path = DEFAULT_OUTPUT_DIR
    server_user: str = DEFAULT_SERVER_USER
    server_password_file: Path | None = None
    secrets_file: Path | None = None
    """Where new passwords go (JSON, mode 600) instead of being printed."""


@dataclass(frozen=True, slots=True)
class ServerPassword:
    password_hash: str
    new_password: str | None
    """The plain password when this run made it and wrote it to no file; else None."""
    source: str
    """Where the password comes from, for the report."""


@dataclass(frozen=True, slots=True)
class Result:
    """What a run found, made and wrote."""

    passwords_path: Path
    acl_path: Path
    accounts: tuple[Account, ...]
    server: ServerPassword
    new_passwords: dict[str, dict[str, str]] = field(default_factory=dict)
    """Plain passwords made in this run: centre code -> device id -> password."""
    kept: int = 0
    removed: tuple[str, ...] = ()
    """Usernames of devices that left the registry; their credentials are gone."""


async def generate(conn: Connection, settings: Settings, now: dt.datetime, by: Actor = SYSTEM) -> Result:
    """Make missing credentials and write the files; run it inside ``db.write()``. Each device's
    password made or removed is recorded in its centre's audit trail as done ``by``."""
    user = settings.server_user
    if not USERNAME.fullmatch(user):
        raise MqttConfigError(f"Cannot use {user!r} as the server's MQTT username: use letters, digits, '.', '_', '-'")
    output_dir = settings.output_dir
    passwords_path, acl_path = output_dir / PASSWORDS_FILE, output_dir / ACL_FILE
    previous = _read_existing(passwords_path)
    server = server_password(settings, previous)
    device_accounts, new_passwords, kept, removed = await _device_accounts(conn, now, by)
    accounts = (Account(user, server.password_hash, server_grants(), SERVER_NOTE), *device_accounts)
    if len({account.username for account in accounts}) != len(accounts):
        raise MqttConfigError(f"Cannot use {user!r} as the server's MQTT username: a device has that username")
    secrets = {centre: dict(devices) for centre, devices in new_passwords.items()}
    if server.new_password is not None:
        secrets[SERVER_KEY] = {user: server.new_password}
    if settings.secrets_file is not None and secrets:
        write_secrets(settings.secrets_file, secrets)
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
        write_file(passwords_path, render_password_file(accounts), 0o600)
        write_file(acl_path, render_acl(accounts), 0o644)
    except OSError as error:
        raise MqttConfigError(f"Cannot write the Mosquitto files in {output_dir}: {error.strerror or error}") from None
    return Result(passwords_path, acl_path, accounts, server, new_passwords, kept, removed)


async def stored_accounts(conn: Connection) -> list[Account]:
    """The account of every registered device that has credentials, with its grants; nothing is made.

    What a server embedding its own broker on the hall network gives it (``passwords`` and
    ``grants``), beside its own account (:func:`server_account`).
    """
    stored = await credentials.password_hashes(conn)
    return [
        _account(centre, device, stored[(centre.code, device.id)])
        for centre in await credentials.registered_centres(conn)
        for device in centre.devices
        if (centre.code, device.id) in stored
    ]


def server_account(password: str, username: str = DEFAULT_SERVER_USER) -> Account:
    """The server's account, which may read and write everything under ``onewindow/``."""
    return Account(username, hash_password(password), server_grants(), SERVER_NOTE)


def _account(centre: Centre, device: Device, password_hash: str) -> Account:
    code = centre.code
    where = f" at window {device.window}" if device.window is not None else ""
    note = f"{centre.name} ({code}): {device.kind.value} {device.id}{where}"
    return Account(device_username(code, device.id), password_hash, device_grants(code, device), note)


async def _device_accounts(
    conn: Connection, now: dt.datetime, by: Actor
) -> tuple[list[Account], dict[str, dict[str, str]], int, tuple[str, ...]]:
    stored = await credentials.password_hashes(conn)
    accounts: list[Account] = []
    made: dict[str, dict[str, str]] = {}
    registered: set[credentials.DeviceKey] = set()
    kept = 0
    for centre in await credentials.registered_centres(conn):
        code = centre.code
        for device in centre.devices:
            key = (code, device.id)
            registered.add(key)
            password_hash = stored.get(key)
            if password_hash is None:
                password = new_password()
                password_hash = hash_password(password)
                await credentials.add_password_hash(conn, key, password_hash, now)
                await _audit_device(conn, by, key, "password set", now)
                made.setdefault(code, {})[device.id] = password
            else:
                kept += 1
            accounts.append(_account(centre, device, password_hash))
    gone = sorted(set(stored) - registered)
    await credentials.delete_password_hashes(conn, gone)
    for key in gone:
        await _audit_device(conn, by, key, "password removed (no longer registered)", now)
    return accounts, made, kept, tuple(device_username(centre, device) for centre, device in gone)


async def _audit_device(conn: Connection, by: Actor, key: credentials.DeviceKey, change: str, now: dt.datetime) -> None:
    centre, device = key
    act = AuditAct.by(by, AuditKind.DEVICE_CHANGED, centre, f"device:{device}", detail={"change": change})
    await audit_trail.append(conn, act, now)


def server_password(settings: Settings, previous: Mapping[str, str]) -> ServerPassword:
    """The server account's hash: from its password file, else the one already written, else new."""
    user, path = settings.server_user, settings.server_password_file
    old_hash = previous.get(user)
    if path is not None and path.exists():
        password = _read_password(path)
        if old_hash is not None and _matches(password, old_hash):
            return ServerPassword(old_hash, None, f"password from {path}")
        return ServerPassword(hash_password(password), None, f"password from {path}")
    if path is not None:
        password = new_password()
        write_file(path, password + "\n", 0o600, what="the server's password")
        return ServerPassword(hash_password(password), None, f"new password written to {path}")
    if old_hash is not None and _valid(old_hash):
        return ServerPassword(old_hash, None, "kept its password")
    password = new_password()
    return ServerPassword(hash_password(password), password, "new password")


def _read_password(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise MqttConfigError(f"Cannot read the server's password from {path}: {error}") from None
    password = text.splitlines()[0].strip() if text.strip() else ""
    if not password:
        raise MqttConfigError(f"Cannot read the server's password from {path}: its first line is empty")
    return password


def _matches(password: str, password_hash: str) -> bool:
    try:
        return verify_password(password, password_hash)
    except PasswordHashError:
        return False


def _valid(password_hash: str) -> bool:
    try:
        parse_hash(password_hash)
    except PasswordHashError:
        return False
    return True


def _read_existing(path: Path) -> Mapping[str, str]:
    try:
        return read_password_file(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as error:
        raise MqttConfigError(f"Cannot read the existing password file {path}: {error}") from None


def write_secrets(path: Path, secrets: Mapping[str, Mapping[str, str]]) -> None:
    """Add new passwords to a JSON secrets file (made with mode 600); earlier entries stay."""
    merged: dict[str, dict[str, str]] = {}
    if path.exists():
        try:
            loaded: Any = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise MqttConfigError(f"Cannot add to the secrets file {path}: it is not readable JSON ({error})") from None
        if not isinstance(loaded, dict):
            raise MqttConfigError(f"Cannot add to the secrets file {path}: it holds no JSON object")
        merged = {str(key): dict(value) for key, value in loaded.items() if isinstance(value, dict)}
    for key, values in secrets.items():
        merged.setdefault(key, {}).update(values)
    text = json.dumps(merged, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    write_file(path, text, 0o600, what="the secrets file")


def write_file(path: Path, text: str, mode: int, *, what: str | None = None) -> None:
    """Replace ``path`` at once (a broker reloading meanwhile reads the old or the new file, never half)."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise MqttConfigError(f"Cannot write {what or path.name} to {path}: {error.strerror or error}") from None


def report(result: Result, settings: Settings) -> str:
    """What the person reads: the files, the new passwords (unless in a secrets file), the config lines."""
    count = len(result.accounts) - 1
    made = sum(len(devices) for devices in result.new_passwords.values())
    lines = [
        f"Wrote {result.passwords_path} and {result.acl_path}: {count} device account{'s' if count != 1 else ''}"
        f" ({made} new, {result.kept} kept) and the server account {settings.server_user!r}"
        f" ({result.server.source}).",
    ]
    if result.removed:
        lines.append(f"Removed the credentials of devices no longer registered: {', '.join(result.removed)}.")
    secrets = [
        (device_username(centre, device), password)
        for centre, devices in result.new_passwords.items()  # centres in code order, devices as registered
        for device, password in devices.items()
    ]
    if result.server.new_password is not None:
        secrets.insert(0, (settings.server_user, result.server.new_password))
    if secrets and settings.secrets_file is not None:
        lines.append(f"New passwords are in {settings.secrets_file} (mode 600); they are not stored anywhere else.")
    elif secrets:
        width = max(len(username) for username, _ in secrets)
        lines += ["", "New passwords, shown only this once (only their hashes are stored):"]
        lines += [f"  {username:<{width}}  {password}" for username, password in secrets]
    lines += [
        "",
        "In mosquitto.conf (then reload Mosquitto; its user must be able to read both files):",
        "  allow_anonymous false",
        f"  password_file {result.passwords_path.resolve()}",
        f"  acl_file {result.acl_path.resolve()}",
        "  set_tcp_nodelay true",
    ]
    return "\n".join(lines)
