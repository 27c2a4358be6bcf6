"""Which devices of a centre the bus heard say ``online`` or ``offline``, and whether that changed.

Each device's availability is retained at the broker, with a last will saying ``offline``: a
device that says ``offline`` was online before and is now lost (its power, its network), while a
device never heard has no word at all. The service keeps one board per centre, in memory (every
instance of the server hears the retained words again when it connects), and tells its
subscribers when a device changes, so the live pages can warn of lost devices at once.
"""

from __future__ import annotations

from collections.abc import Iterable

from queue_server.domain.centre import Device


class DeviceSightings:
    """The latest availability each device of one centre said (absent: never heard)."""

    def __init__(self) -> None:
        self._online: dict[str, bool] = {}
        self.changes = 0
        """Counts the changes, so a reader can tell a device change from none."""

    def saw(self, device: str, *, online: bool) -> bool:
        """Keep what ``device`` said; True if it changed what is known."""
        if self._online.get(device) is online:
            return False
        self._online[device] = online
        self.changes += 1
        return True

    def online(self) -> dict[str, bool]:
        """Each heard device: True online, False lost."""
        return dict(self._online)

    def lost(self, devices: Iterable[Device]) -> list[Device]:
        """Of ``devices``, those that said online before and now say offline."""
        return [device for device in devices if self._online.get(device.id) is False]
