"""Who may publish and read what on the bus: one account per device, one for the server.

A device logs in as ``<centre>.<device id>`` (``demo.pad-3``) and may write only under its own
``<kind>/<id>/`` (its requests and availability; a printer also its state), and read only what it
must show: its own responses, the server's availability, the hall feed, its window's state and
calls when it belongs to a window, its pad state or its print jobs. So a stolen keypad password
calls nothing at another window, and no device can answer for the server. The server's account
reads and writes everything under ``onewindow/``.

Every topic here is built from the patterns of ``queue_server.protocol.topics``, so the rules
follow the protocol when it changes. The rules are data (:class:`Grant`); rendering them as a
Mosquitto ACL file is one function, so another broker's format would be another.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from queue_server.domain.centre import Device
from queue_server.domain.devices import DeviceKind
from queue_server.protocol.topics import (
    DEVICE_AVAILABILITY,
    DEVICE_REQUEST,
    DEVICE_RESPONSE,
    HALL_CALLS,
    HALL_FEED,
    HALL_SUMMARY,
    PAD_STATE,
    PRINTER_JOB,
    PRINTER_STATE,
    ROOT,
    SERVER_AVAILABILITY,
    SERVER_PROTOCOL,
    WINDOW_CALL,
    WINDOW_STATE,
)

DEFAULT_SERVER_USER = "onewindow-server"


class Access(StrEnum):
    """Mosquitto's words for what an ACL line allows."""

    READ = "read"
    WRITE = "write"
    READWRITE = "readwrite"


@dataclass(frozen=True, slots=True)
class Grant:
    """One ACL line: an account may read and/or write a topic or a filter."""

    access: Access
    topic: str


@dataclass(frozen=True, slots=True)
class Account:
    """An MQTT login with its password hash and what it may do; ``note`` says what it is for."""

    username: str
    password_hash: str
    grants: tuple[Grant, ...]
    note: str = ""


def device_username(centre: str, device: str) -> str:
    """The MQTT username of a device: ``<centre>.<device id>``, unique across centres."""
    return f"{centre}.{device}"


def server_grants() -> tuple[Grant, ...]:
    return (Grant(Access.READWRITE, f"{ROOT}/#"),)


def device_grants(centre: str, device: Device) -> tuple[Grant, ...]:
    """What one device may write (its own topics) and read (what it must show)."""
    kind, own = device.kind.value, device.id
    writes = [
        DEVICE_REQUEST.filter(centre, kind=kind, device=own),
        DEVICE_AVAILABILITY.build(centre, kind=kind, device=own),
    ]
    reads = [
        DEVICE_RESPONSE.filter(centre, kind=kind, device=own),
        SERVER_AVAILABILITY.build(centre),
        SERVER_PROTOCOL.build(centre),
        HALL_SUMMARY.build(centre),
        HALL_CALLS.build(centre),
        HALL_FEED.build(centre),  # the old form, for boards of the previous release
    ]
    if device.window is not None:
        reads += [WINDOW_STATE.build(centre, number=device.window), WINDOW_CALL.build(centre, number=device.window)]
    elif device.kind is DeviceKind.DISPLAY:
        # A display bound to no window is the hall board: it shows every window and announces each call.
        reads += [WINDOW_STATE.filter(centre), WINDOW_CALL.filter(centre)]
    if device.kind is DeviceKind.PAD:
        reads.append(PAD_STATE.build(centre, device=own))
    if device.kind is DeviceKind.PRINTER:
        writes.append(PRINTER_STATE.build(centre, device=own))
        reads.append(PRINTER_JOB.build(centre, device=own))
    return tuple(Grant(Access.WRITE, topic) for topic in writes) + tuple(Grant(Access.READ, topic) for topic in reads)


def writable(grants: Sequence[Grant]) -> tuple[str, ...]:
    return tuple(grant.topic for grant in grants if grant.access in (Access.WRITE, Access.READWRITE))


def readable(grants: Sequence[Grant]) -> tuple[str, ...]:
    return tuple(grant.topic for grant in grants if grant.access in (Access.READ, Access.READWRITE))


def topic_matches(topic: str, topic_filter: str) -> bool:
    """Whether a concrete topic matches a filter, with MQTT's ``+`` and ``#``."""
    levels, wanted = topic.split("/"), topic_filter.split("/")
    for index, level in enumerate(wanted):
        if level == "#":
            return True
        if index >= len(levels) or level not in ("+", levels[index]):
            return False
    return len(levels) == len(wanted)


def filter_covers(granted: str, requested: str) -> bool:
    """Whether every topic the ``requested`` filter matches is matched by ``granted`` too.

    ``onewindow/demo/window/+/call`` covers ``onewindow/demo/window/3/call`` but not ``onewindow/#``.
    """
    allowed, asked = granted.split("/"), requested.split("/")
    for index, level in enumerate(allowed):
        if level == "#":
            return True
        if index >= len(asked) or asked[index] == "#":
            return False
        if level != "+" and asked[index] != level:
            return False
    return len(asked) == len(allowed)


def render_acl(accounts: Sequence[Account]) -> str:
    """A Mosquitto ACL file: nothing for anonymous clients, then each account's lines."""
    lines = [
        "# OneWindow MQTT access, written by `onewindow mqtt-config` from the device registry.",
        "# Do not edit: the next run writes it again. Anonymous clients get nothing.",
    ]
    for account in accounts:
        lines.append("")
        if account.note:
            lines.append(f"# {account.note}")
        lines.append(f"user {account.username}")
        lines += [f"topic {grant.access.value} {grant.topic}" for grant in account.grants]
    return "\n".join(lines) + "\n"


def render_password_file(accounts: Sequence[Account]) -> str:
    """A Mosquitto password file: ``username:hash`` per line."""
    for account in accounts:
        if ":" in account.username or "\n" in account.username:
            raise ValueError(f"Cannot write MQTT username {account.username!r}: it holds ':' or a line break")
    return "".join(f"{account.username}:{account.password_hash}\n" for account in accounts)


def read_password_file(text: str) -> Mapping[str, str]:
    """The ``username: hash`` pairs of a Mosquitto password file (comments and blank lines skipped)."""
    found: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if line and not line.startswith("#") and ":" in line:
            username, password_hash = line.split(":", 1)
            found[username] = password_hash
    return found
