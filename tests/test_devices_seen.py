"""The service hears a device lost or back, tells its subscribers (the live pages) once per change,
and keeps the lost apart from the never heard."""

from __future__ import annotations

from queue_server.app.devices_seen import DeviceSightings
from queue_server.app.service import HallService
from queue_server.domain.centre import Device
from queue_server.domain.devices import DeviceKind
from queue_server.store.database import Database


async def test_a_device_change_is_told_to_subscribers_once(db: Database) -> None:
    service = HallService(db)
    told: list[str] = []
    unsubscribe = service.subscribe(told.append)
    service.device_seen("test", "kp-1", online=True)
    service.device_seen("test", "kp-1", online=True)  # a retained word heard again after a reconnect
    service.device_seen("test", "kp-1", online=False)
    assert told == ["test", "test"]
    assert service.devices("test").online() == {"kp-1": False}
    assert service.devices("test").changes == 2
    unsubscribe()
    service.device_seen("test", "kp-1", online=True)
    assert told == ["test", "test"]


def test_lost_means_said_offline_not_never_heard() -> None:
    sightings = DeviceSightings()
    keypad = Device(id="kp-1", kind=DeviceKind.KEYPAD, window=1)
    board = Device(id="board", kind=DeviceKind.DISPLAY)
    printer = Device(id="printer-1", kind=DeviceKind.PRINTER)
    sightings.saw("kp-1", online=True)
    sightings.saw("kp-1", online=False)
    sightings.saw("printer-1", online=True)
    assert sightings.lost([keypad, board, printer]) == [keypad]
