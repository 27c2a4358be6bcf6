"""The closed vocabularies that the domain and the device contract share, defined once.

This is the ground floor: it imports nothing of OneWindow, so the domain core
(``queue_server.domain``) and the protocol (``queue_server.protocol``) may both build on it
without the protocol importing the domain. Only the words live here; what the domain does with
them (names in Chinese, state machines) stays in the domain.
"""

from __future__ import annotations

from enum import StrEnum


class DeviceKind(StrEnum):
    """Devices on the bus; each publishes only under ``<kind>/<id>/``."""

    KEYPAD = "keypad"  # a caller keypad at a window (next, recall, no-show, finish, pause, resume)
    PAD = "pad"  # a rating pad (好差评) at a window
    KIOSK = "kiosk"  # a button kiosk that requests tickets (village stations)
    PRINTER = "printer"  # a ticket printer client, beside a kiosk or a window
    DISPLAY = "display"  # a window display, or the hall board when bound to no window

    @property
    def needs_window(self) -> bool:
        return self in (DeviceKind.KEYPAD, DeviceKind.PAD)


class PauseReason(StrEnum):
    """Why a window is paused (暂停服务)."""

    BREAK = "break"
    MEETING = "meeting"
    SYSTEM_FAULT = "system_fault"
    TRAINING = "training"
    OTHER = "other"


class Category(StrEnum):
    """Why a ticket goes through the green channel (绿色通道)."""

    ELDERLY = "elderly"
    DISABLED = "disabled"
    PREGNANT = "pregnant"
    VETERAN = "veteran"
    OTHER = "other"


class Outcome(StrEnum):
    """How a case ends when its ticket is finished."""

    ON_THE_SPOT = "on_the_spot"  # 即办件
    PROMISED = "promised"  # 承诺件
    JOINT = "joint"  # 联办件
    REPORTED = "reported"  # 上报件
    RETURNED = "returned"  # 退回件, with the one-time notice (一次性告知)
    SUPPLEMENT = "supplement"  # 补正, missing materials told once and in full
    COMMITMENT = "commitment"  # 告知承诺, accepted on the applicant's written commitment
    DEFERRED = "deferred"  # 容缺受理, accepted with non-essential materials to follow by a date

    @property
    def needs_notice(self) -> bool:
        """Returned and supplement cases tell the citizen the reasons and materials in writing."""
        return self in (Outcome.RETURNED, Outcome.SUPPLEMENT)


class RatingItem(StrEnum):
    """The second-level items (二级评价指标) of a service in the hall, in the order kept: a citizen
    may rate each besides the overall level, on the pad or on a page."""

    EFFICIENCY = "efficiency"
    SKILL = "skill"
    ATTITUDE = "attitude"
