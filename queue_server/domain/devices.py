"""The kinds of device a hall has on its bus; the centre file registers each one."""

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
