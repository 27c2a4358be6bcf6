"""A device kiosk over MQTT cannot give an ID number: for a real-name matter it is refused in words."""

from __future__ import annotations

from queue_server.bus.connection import BrokerAddress
from queue_server.store.database import Database
from tests.factories import centre_data, make_centre
from tests.test_bus import DEVICES, T, broker, hall_on, request, watcher
from tests.test_real_name import real_name_centre

__all__ = ["broker"]  # the fixture, used by name


async def test_a_device_kiosk_is_refused_a_real_name_matter_in_words(db: Database, broker: BrokerAddress) -> None:
    data = centre_data()
    data["matters"] = [m.model_dump(mode="json") for m in real_name_centre().matters]
    centre = make_centre(matters=data["matters"], devices=DEVICES)
    async with hall_on(db, broker, centre) as _, watcher(broker, "kiosk") as device:
        await device.subscribe(f"{T}/kiosk/k-1/response/+", qos=1)
        refused = await request(device, "kiosk", "k-1", "ticket", {"request_id": "rn-1", "matter": "pension"})
        assert not refused.ok and refused.error is not None
        assert refused.error.code == "real_name_id_missing"
        assert refused.error.message == "「养老保险待遇领取」实行实名取号，请提供身份证号码"
        issued = await request(device, "kiosk", "k-1", "ticket", {"request_id": "rn-2", "matter": "medical"})
        assert issued.ok, "a matter without real name is issued as before"
