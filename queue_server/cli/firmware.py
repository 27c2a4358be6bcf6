"""`firmware render`: one ESP32 device's ESPHome configuration, from the registry and the secrets file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from queue_server.cli.report import CommandError, report_errors
from queue_server.cli.settings import DEFAULT_MQTT_PORT, add_database_setting, add_setting, port_number
from queue_server.cli.subcommands import SubCommands, command, sub_commands

if TYPE_CHECKING:
    from queue_server.domain.centre import Centre


def add_commands(commands: SubCommands) -> None:
    firmware = command(
        commands,
        "firmware",
        "ESPHome configurations of the ESP32 devices",
        "See `onewindow firmware render --help`.",
    )
    render = command(
        sub_commands(firmware),
        "render",
        "an ESPHome configuration for one device",
        "Generated from the device protocol, so the firmware and the server agree on every topic. The\n"
        "device (a window display, rating pad, caller keypad or button kiosk) is read from the database's\n"
        "registry; its MQTT password from the --secrets file of `onewindow mqtt-config`, else the file\n"
        "says `!secret mqtt_password`. Wi-Fi and OTA passwords come from secrets.yaml beside the file.\n"
        "Flash it with `esphome run FILE` (docs/firmware.md).",
        run_firmware_render,
    )
    render.add_argument("--device", required=True, metavar="ID", help="the device id, e.g. pad-3 or keypad-1")
    render.add_argument(
        "--centre-code", metavar="CODE", help="the device's centre, when several centres have that id (default: any)"
    )
    add_database_setting(render)
    render.add_argument("-o", "--output", type=Path, metavar="FILE", help="the YAML file (default: standard output)")
    render.add_argument(
        "--secrets", type=Path, metavar="FILE", help="the JSON secrets file of `onewindow mqtt-config --secrets`"
    )
    add_setting(
        render,
        "--broker-host",
        env="ONEWINDOW_BROKER_HOST",
        default="192.168.1.10",
        parse=str,
        help="the broker's address on the hall network, as the device reaches it",
        metavar="HOST",
    )
    add_setting(
        render,
        "--broker-port",
        env="ONEWINDOW_BROKER_PORT",
        default=DEFAULT_MQTT_PORT,
        parse=port_number,
        help="the broker's port",
        metavar="PORT",
    )


def run_firmware_render(args: argparse.Namespace) -> int:
    """One device's ESPHome configuration, from the registry and the secrets file."""
    import asyncio

    from queue_server.firmware.device import find_device, read_password, render_device
    from queue_server.firmware.render import FirmwareError

    async def registered() -> list[Centre]:
        from queue_server.store.credentials import registered_centres
        from queue_server.store.database import Database
        from queue_server.store.migrate import require_current

        async with Database(args.database_url) as db:
            await require_current(db)
            async with db.read() as conn:
                return await registered_centres(conn)

    def work() -> None:
        try:
            centre, device = find_device(asyncio.run(registered()), args.device, args.centre_code)
            password = None if args.secrets is None else read_password(args.secrets, centre.code, device.id)
            text = render_device(
                centre, device, broker_host=args.broker_host, broker_port=args.broker_port, password=password
            )
        except FirmwareError as error:
            raise CommandError(str(error)) from None
        if args.output is None:
            sys.stdout.write(text)
            return
        from queue_server.bus.mqtt_config import MqttConfigError, write_file

        try:
            write_file(args.output, text, 0o600 if password else 0o644, what="the configuration")
        except MqttConfigError as error:
            raise CommandError(str(error)) from None
        print(f"Wrote {args.output}: {device.kind.value} {device.id} of centre {centre.code}", file=sys.stderr)

    return report_errors(args.database_url, work)
