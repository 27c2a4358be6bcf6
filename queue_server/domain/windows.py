"""A window's state (open, paused 暂停服务, closed), who staffs it, and its event log.

A window opens when a staff member signs on. A second person signing on covers it (A/B post,
AB岗): they act for the window until they sign off, when the first is in charge again. Pausing
records a reason and the planned minutes; the wait estimates expect the window back then. The
staff member's note on a pause is internal unless they mark it public: the hall board and the
window's display show it only then. The reasons are defined in ``queue_server.vocabulary``, which
the device protocol shares.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import ClassVar

from queue_server.domain.errors import InvalidTransition
from queue_server.domain.records import JSON, from_record, to_record
from queue_server.domain.refusal_codes import Fact, RefusalCode
from queue_server.vocabulary import PauseReason

__all__ = [
    "PAUSE_REASON_NAMES_ZH",
    "WINDOW_EVENT_TYPES",
    "PauseReason",
    "Paused",
    "Resumed",
    "SignedOff",
    "SignedOn",
    "WindowClosed",
    "WindowEvent",
    "WindowState",
    "WindowStatus",
    "apply_window",
    "replay_window",
    "window_event_from_record",
]


class WindowStatus(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    PAUSED = "paused"


PAUSE_REASON_NAMES_ZH = {
    PauseReason.BREAK: "休息",
    PauseReason.MEETING: "开会",
    PauseReason.SYSTEM_FAULT: "系统故障",
    PauseReason.TRAINING: "培训",
    PauseReason.OTHER: "其他",
}


@dataclass(frozen=True, slots=True)
class WindowState:
    number: int
    status: WindowStatus = WindowStatus.CLOSED
    staff: str | None = None
    """The staff member signed on (A post)."""
    cover: str | None = None
    """Who covers the window for now (B post), acting in the first one's place."""
    since: dt.datetime | None = None
    """When the status last changed."""
    pause_reason: PauseReason | None = None
    pause_note: str = ""
    pause_note_public: bool = False
    """The staff member chose to show the note to citizens; otherwise only staff see it."""
    pause_minutes: int | None = None
    """Planned length of the pause, as the staff member said."""
    version: int = 0

    @property
    def acting_staff(self) -> str | None:
        return self.cover or self.staff

    @property
    def staffed(self) -> bool:
        """Someone is signed on: open, or paused and coming back."""
        return self.status is not WindowStatus.CLOSED

    def signed_on(self, staff: str) -> bool:
        return staff in (self.staff, self.cover)

    def pause_ends(self) -> dt.datetime | None:
        """When a paused window is expected back."""
        if self.status is not WindowStatus.PAUSED or self.since is None:
            return None
        return self.since + dt.timedelta(minutes=self.pause_minutes or 0)


@dataclass(frozen=True, slots=True, kw_only=True)
class WindowEvent:
    kind: ClassVar[str] = ""
    window: int
    at: dt.datetime
    actor: str

    def to_record(self) -> dict[str, JSON]:
        return to_record(self.kind, self)


@dataclass(frozen=True, slots=True, kw_only=True)
class SignedOn(WindowEvent):
    kind: ClassVar[str] = "signed_on"
    staff: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SignedOff(WindowEvent):
    kind: ClassVar[str] = "signed_off"
    staff: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Paused(WindowEvent):
    kind: ClassVar[str] = "paused"
    reason: PauseReason
    note: str = ""
    minutes: int | None = None
    public: bool = False
    """The note may be shown to citizens (records written before it existed read as internal)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Resumed(WindowEvent):
    kind: ClassVar[str] = "resumed"


@dataclass(frozen=True, slots=True, kw_only=True)
class WindowClosed(WindowEvent):
    kind: ClassVar[str] = "closed"


WINDOW_EVENT_TYPES: dict[str, type[WindowEvent]] = {
    cls.kind: cls for cls in (SignedOn, SignedOff, Paused, Resumed, WindowClosed)
}


def window_event_from_record(record: dict[str, JSON]) -> WindowEvent:
    kind = record.get("kind")
    if not isinstance(kind, str) or kind not in WINDOW_EVENT_TYPES:
        raise ValueError(f"Cannot read a window event of unknown kind {kind!r}")
    return from_record(WINDOW_EVENT_TYPES[kind], record)


def _refuse(state: WindowState, action: str, why: str, code: RefusalCode, **facts: Fact) -> InvalidTransition:
    return InvalidTransition(f"Cannot {action} window {state.number}: {why}", code, window=state.number, **facts)


def _status_code(state: WindowState) -> RefusalCode:
    """Why a window that is not open refuses: it is paused, or closed."""
    return RefusalCode.WINDOW_PAUSED if state.status is WindowStatus.PAUSED else RefusalCode.WINDOW_CLOSED


def _closed(state: WindowState, at: dt.datetime) -> WindowState:
    return WindowState(state.number, WindowStatus.CLOSED, since=at)


def _transition(state: WindowState, event: WindowEvent) -> WindowState:
    match event:
        case SignedOn(staff=staff):
            if state.signed_on(staff):
                raise _refuse(
                    state,
                    f"sign {staff} on to",
                    f"{staff} is signed on already",
                    RefusalCode.SIGNED_ON_ALREADY,
                    staff=staff,
                )
            if state.status is WindowStatus.CLOSED:
                return replace(state, status=WindowStatus.OPEN, staff=staff, since=event.at)
            if state.cover is not None:
                raise _refuse(
                    state,
                    f"sign {staff} on to",
                    f"{state.staff} and {state.cover} staff it already",
                    RefusalCode.WINDOW_FULL,
                    staff=state.staff or "",
                    cover=state.cover,
                )
            return replace(state, cover=staff)
        case SignedOff(staff=staff):
            if not state.signed_on(staff):
                raise _refuse(
                    state,
                    f"sign {staff} off from",
                    f"{staff} is not signed on there",
                    RefusalCode.SIGN_OFF_NOT_SIGNED_ON,
                    staff=staff,
                )
            if staff == state.cover:
                return replace(state, cover=None)
            if state.cover is not None:
                return replace(state, staff=state.cover, cover=None)
            return _closed(state, event.at)
        case Paused():
            if state.status is not WindowStatus.OPEN:
                raise _refuse(state, "pause", f"the window is {state.status.value}", _status_code(state))
            return replace(
                state,
                status=WindowStatus.PAUSED,
                since=event.at,
                pause_reason=event.reason,
                pause_note=event.note,
                pause_note_public=event.public,
                pause_minutes=event.minutes,
            )
        case Resumed():
            if state.status is not WindowStatus.PAUSED:
                code = (
                    RefusalCode.WINDOW_CLOSED if state.status is WindowStatus.CLOSED else RefusalCode.WINDOW_NOT_PAUSED
                )
                raise _refuse(state, "resume", f"the window is {state.status.value}, not paused", code)
            return replace(
                state,
                status=WindowStatus.OPEN,
                since=event.at,
                pause_reason=None,
                pause_note="",
                pause_note_public=False,
                pause_minutes=None,
            )
        case WindowClosed():
            if state.status is WindowStatus.CLOSED:
                raise _refuse(state, "close", "it is closed already", RefusalCode.WINDOW_CLOSED)
            return _closed(state, event.at)
    raise TypeError(f"Cannot apply unknown window event {type(event).__name__}")


def apply_window(state: WindowState, event: WindowEvent) -> WindowState:
    if event.window != state.number:
        raise ValueError(f"Event for window {event.window} applied to window {state.number}")
    return replace(_transition(state, event), version=state.version + 1)


def replay_window(number: int, events: Iterable[WindowEvent]) -> WindowState:
    state = WindowState(number)
    for event in events:
        state = apply_window(state, event)
    return state
