"""What a display shows, kept from the bus messages alone: pure, synchronous, no I/O.

The hall board builds itself from small retained messages: each window's own state, the hall's
summary (centre, time zone, waiting counts) and its latest calls; none grows with the hall. A
display may miss messages, get them twice or in an odd order (the retained latest calls and a
window's retained state race each other after every reconnect), so each message is merged by
what it says rather than by when it arrived:

- a window's view is replaced only by one whose ``version`` (the window's change counter in the
  database) is not older;
- the latest calls (``hall/calls``) are the server's own order; a live call the list does not
  hold yet (made after it) stays in front of them;
- a call is announced only when it arrives live on a window's call topic with a ``call_id`` never
  seen live before (see :meth:`Board.take_call`), so a reconnect replays nothing aloud and a
  duplicate delivery is neither shown twice nor spoken twice;
- the newest call stands large on the hall board only while its window still holds that ticket:
  once a state of the window newer than the call says otherwise (paused, closed, the ticket
  finished), it is cleared (see :attr:`Board.current_call`).

:meth:`Board.snapshot` is the one JSON shape the pages render, pushed to them on every change.
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from queue_server.protocol.payloads import (
    PROTOCOL,
    PROTOCOL_REVISION,
    CallView,
    GroupCount,
    HallCalls,
    HallSummary,
    WindowView,
)

SHOWN_CALLS = 8
"""How many of the latest calls the hall board lists (the newest one large)."""
REMEMBERED_CALLS = 512
"""How many live call ids are remembered to drop a second delivery; far more than QoS 1 ever repeats."""


class Mode(StrEnum):
    HALL = "hall"
    WINDOW = "window"


class Link(StrEnum):
    """How the display reaches the truth, shown on screen when it is not ``live``."""

    CONNECTING = "connecting"
    """Not yet connected to the broker since the client started."""
    LIVE = "live"
    BROKER_LOST = "broker_lost"
    """The broker is gone: what is shown is the last known state."""
    SERVER_LOST = "server_lost"
    """The broker is there but the server said offline (its last will): nothing new will come."""
    OUTDATED = "outdated"
    """The server speaks a newer protocol than this display knows: it must be updated."""


@dataclass
class Board:
    """The state of one hall board or one window display."""

    mode: Mode
    window: int | None = None
    """The window shown, in window mode."""
    centre: str = ""
    centre_name: str = ""
    centre_name_en: str = ""
    time_zone: str = "Asia/Shanghai"
    """The centre's time zone, from the hall's summary: the clock and the times shown are the hall's."""
    windows: dict[int, WindowView] = field(default_factory=dict)
    waiting: list[GroupCount] = field(default_factory=list)
    broker_connected: bool = False
    server_online: bool | None = None
    """None until the server's retained availability arrived."""
    ever_connected: bool = False
    unknown_protocol: int | None = None
    """A protocol version the server sent that this display does not know: it shows that, not the message."""
    newer_protocol: tuple[int, int] | None = None
    """A newer revision (or version) the server speaks, (version, revision): the display keeps working
    and shows staff a small maintenance hint that an update is available."""
    updated_at: dt.datetime | None = None
    _recent: list[CallView] = field(default_factory=list)
    """The latest calls, newest first."""
    _announced: OrderedDict[str, None] = field(default_factory=OrderedDict)
    """Ids of the calls that arrived live, oldest first, to drop a second delivery."""
    _settled: set[str] = field(default_factory=set)
    """Shown calls whose window's state has caught up with them: it was seen holding the ticket, or
    the call came only in the retained latest calls, never live (the windows' retained states are
    as new). A state of that window not holding the ticket then means the call is over."""

    def __post_init__(self) -> None:
        if self.mode is Mode.WINDOW and self.window is None:
            raise ValueError("Cannot show a window display without its window number")

    # --- Taking messages -----------------------------------------------------------------------

    def take_summary(self, summary: HallSummary, now: dt.datetime) -> bool:
        """Merge the hall's summary (name, time zone, waiting counts); True if anything shown changed."""
        before = self.snapshot()
        self.centre = summary.centre
        self.centre_name, self.centre_name_en = summary.name, summary.name_en
        self.time_zone = summary.time_zone
        if self.mode is Mode.HALL:
            self.waiting = list(summary.waiting)
        return self._changed(before, now)

    def take_calls(self, latest: HallCalls, now: dt.datetime) -> bool:
        """Merge the hall's latest calls; True if anything shown changed.

        A call announced live and not in the list yet (made after it) stays in front; a call the
        board knows only from the list is settled at once (see :attr:`_settled`)."""
        before = self.snapshot()
        held = {call.call_id for call in latest.calls}
        newer = [call for call in self._recent if call.call_id not in held and call.at >= latest.at]
        self._recent = [*newer, *(call for call in latest.calls if self._shows(call.window))][:SHOWN_CALLS]
        unsettled = {c.call_id for c in self._recent if c.call_id in self._announced and c.call_id not in self._settled}
        self._settled = {c.call_id for c in self._recent if c.call_id not in unsettled}
        for number in {c.window for c in self._recent}:
            self._settle(number)
        return self._changed(before, now)

    def take_unknown_protocol(self, version: int, now: dt.datetime) -> bool:
        """Note a message of a protocol newer than :data:`PROTOCOL`: the display says it needs an update."""
        if version <= PROTOCOL or self.unknown_protocol == version:
            return False
        self.unknown_protocol = version
        self.updated_at = now
        return True

    def take_newer_protocol(self, spoken: tuple[int, int] | None, now: dt.datetime) -> bool:
        """Note what the server said it speaks, when newer than this display; True if the hint changed."""
        if spoken is None or spoken == self.newer_protocol:
            return False
        self.newer_protocol = spoken
        self.updated_at = now
        return True

    def take_window(self, view: WindowView, now: dt.datetime) -> bool:
        """Merge one window's retained state; True if anything shown changed."""
        before = self.snapshot()
        self._take_window(view)
        return self._changed(before, now)

    def take_call(self, call: CallView, now: dt.datetime) -> bool:
        """Merge a live call; True if it was never seen, i.e. it should be shown and announced."""
        if not self._shows(call.window) or call.call_id in self._announced:
            return False
        self._announced[call.call_id] = None
        while len(self._announced) > REMEMBERED_CALLS:
            self._announced.popitem(last=False)
        others = [shown for shown in self._recent if shown.call_id != call.call_id]
        self._recent = [call, *others][:SHOWN_CALLS]
        self._settled &= {shown.call_id for shown in self._recent}
        self._settle(call.window)
        self.updated_at = now
        return True

    def take_server(self, online: bool, now: dt.datetime) -> bool:
        changed = self.server_online is not online
        self.server_online = online
        if changed:
            self.updated_at = now
        return changed

    def take_connection(self, connected: bool, now: dt.datetime) -> bool:
        changed = self.broker_connected is not connected
        self.broker_connected = connected
        self.ever_connected = self.ever_connected or connected
        if changed:
            self.updated_at = now
        return changed

    def _shows(self, number: int) -> bool:
        return self.mode is Mode.HALL or number == self.window

    def _take_window(self, view: WindowView) -> None:
        if not self._shows(view.number):
            return
        known = self.windows.get(view.number)
        if known is None or view.version >= known.version:
            self.windows[view.number] = view
            self._settle(view.number)

    def _settle(self, number: int) -> None:
        """Note the shown calls to window ``number`` whose ticket its state now holds."""
        view = self.windows.get(number)
        if view is None or view.ticket is None:
            return
        serial = view.ticket.serial
        self._settled |= {c.call_id for c in self._recent if c.window == number and c.serial == serial}

    def _changed(self, before: dict[str, Any], now: dt.datetime) -> bool:
        if self.snapshot() == before:
            return False
        self.updated_at = now
        return True

    # --- What is shown -------------------------------------------------------------------------

    @property
    def link(self) -> Link:
        if not self.broker_connected:
            return Link.BROKER_LOST if self.ever_connected else Link.CONNECTING
        if self.server_online is False:
            return Link.SERVER_LOST
        if self.unknown_protocol is not None:
            return Link.OUTDATED
        return Link.LIVE

    @property
    def calls(self) -> list[CallView]:
        """The latest calls, newest first (a recall counts as a call)."""
        return list(self._recent)

    @property
    def current_call(self) -> CallView | None:
        """The call to show large: the newest, unless its window has since moved on (paused, closed,
        finished or handed on that ticket). A live call may come before its window's new state (another
        topic), so a state not holding the ticket counts only once the window caught up with the call,
        or when the window paused or closed after it."""
        if not self._recent:
            return None
        newest = self._recent[0]
        view = self.windows.get(newest.window)
        if view is None or (view.ticket is not None and view.ticket.serial == newest.serial):
            return newest
        stopped_after = view.status != "open" and view.since is not None and view.since >= newest.at
        return None if newest.call_id in self._settled or stopped_after else newest

    def window_view(self) -> WindowView | None:
        """The shown window's state in window mode (None until it is known)."""
        return self.windows.get(self.window) if self.window is not None else None

    def snapshot(self) -> dict[str, Any]:
        """Everything a page shows, as JSON-ready data; equal snapshots look the same."""
        return {
            "mode": self.mode.value,
            "window": self.window,
            "centre": self.centre,
            "centre_name": self.centre_name,
            "centre_name_en": self.centre_name_en,
            "time_zone": self.time_zone,
            "link": self.link.value,
            "protocol": PROTOCOL,
            "revision": PROTOCOL_REVISION,
            "unknown_protocol": self.unknown_protocol,
            "update_available": None if self.newer_protocol is None else "{}.{}".format(*self.newer_protocol),
            "windows": [self.windows[n].model_dump(mode="json") for n in sorted(self.windows)],
            "waiting": [group.model_dump(mode="json") for group in self.waiting],
            "calls": [call.model_dump(mode="json") for call in self.calls],
            "current": current.model_dump(mode="json") if (current := self.current_call) else None,
        }
