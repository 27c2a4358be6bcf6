"""One device's ready configuration: found in the database's registry, its password from a secrets file.

``onewindow firmware render --device ID`` uses this: the device's centre, kind and window come
from the registry (the database is the truth after the first load), its MQTT password from the
JSON file ``onewindow mqtt-config --secrets`` wrote, and the shared parts are inlined so the
file stands alone beside a ``secrets.yaml`` that holds only Wi-Fi and OTA passwords.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from queue_server.domain.centre import Centre, Device
from queue_server.firmware.render import FirmwareError, identity, render_kind
from queue_server.firmware.vocabulary import FIRMWARE_KINDS


def find_device(centres: Sequence[Centre], device_id: str, centre_code: str | None = None) -> tuple[Centre, Device]:
    """The centre and device ``device_id`` names; ``centre_code`` chooses when several centres have it."""
    found = [
        (centre, centre.devices_by_id[device_id])
        for centre in centres
        if device_id in centre.devices_by_id and centre_code in (None, centre.code)
    ]
    if not found:
        where = f"centre {centre_code!r} has no such device" if centre_code else "no centre in the database has it"
        raise FirmwareError(
            f"Cannot render device {device_id!r}: {where} (is it in the centre file `onewindow init` loaded?)"
        )
    if len(found) > 1:
        codes = ", ".join(centre.code for centre, _ in found)
        raise FirmwareError(
            f"Cannot render device {device_id!r}: centres {codes} all have one; choose with --centre-code"
        )
    centre, device = found[0]
    if device.kind not in FIRMWARE_KINDS:
        raise FirmwareError(
            f"Cannot render {device.kind.value} {device_id!r}: it runs a Python client (`onewindow printer run`),"
            " not ESPHome"
        )
    return centre, device


def read_password(secrets_file: Path, centre: str, device: str) -> str:
    """The device's MQTT password in a ``{centre: {device: password}}`` file of `onewindow mqtt-config`."""
    try:
        loaded: Any = json.loads(secrets_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise FirmwareError(f"Cannot read the secrets file {secrets_file}: {error}") from None
    password = loaded.get(centre, {}).get(device) if isinstance(loaded, dict) else None
    if not isinstance(password, str) or not password:
        raise FirmwareError(
            f"Cannot find the MQTT password of {centre}.{device} in {secrets_file}: `onewindow mqtt-config --secrets"
            f" {secrets_file}` writes a device's password there only when it makes it"
        )
    return password


def render_device(
    centre: Centre, device: Device, *, broker_host: str, broker_port: int, password: str | None = None
) -> str:
    """The device's standalone configuration (``password`` None: ``!secret mqtt_password``)."""
    who = identity(centre, device, broker_host=broker_host, broker_port=broker_port, mqtt_password=password)
    return render_kind(device.kind, who, inline=True)
