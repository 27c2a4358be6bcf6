"""`mqtt-config`: the hall broker's password and ACL files, written from the device registry."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from queue_server.cli.database import command_line_actor, in_write
from queue_server.cli.report import CommandError, report_errors
from queue_server.cli.settings import add_database_setting
from queue_server.cli.subcommands import SubCommands, command

if TYPE_CHECKING:
    from queue_server.store.database import Connection

DEFAULT_MQTT_CONFIG_DIR = "mosquitto"
DEFAULT_MQTT_SERVER_USER = "onewindow-server"
"""queue_server.bus.acl.DEFAULT_SERVER_USER, spelled out so --help imports nothing."""


def add_commands(commands: SubCommands) -> None:
    config = command(
        commands,
        "mqtt-config",
        "Mosquitto password and ACL files from the device registry",
        "Each device may publish only its own requests and read only what it must show; the server's\n"
        "account may read and write everything under onewindow/. Every device of every centre in the\n"
        "database gets an account named CENTRE.DEVICE (demo.pad-3). A device without a password gets a\n"
        "random one, printed once (or written to --secrets); only its hash is stored, and it is kept on\n"
        "later runs. Devices no longer registered lose theirs. Writes DIR/passwords and DIR/acl and\n"
        "prints the mosquitto.conf lines that load them.",
        run_mqtt_config,
    )
    add_database_setting(config)
    config.add_argument(
        "--output-dir",
        type=Path,
        default=Path(DEFAULT_MQTT_CONFIG_DIR),
        metavar="DIR",
        help=f"where to write the passwords and acl files (default: ./{DEFAULT_MQTT_CONFIG_DIR})",
    )
    config.add_argument(
        "--secrets",
        type=Path,
        metavar="FILE",
        help="write new passwords to this JSON file (mode 600, {centre: {device: password}}) instead of printing them",
    )
    config.add_argument(
        "--server-user",
        default=DEFAULT_MQTT_SERVER_USER,
        metavar="NAME",
        help=f"the server's MQTT username (default: {DEFAULT_MQTT_SERVER_USER})",
    )
    config.add_argument(
        "--server-password-file",
        type=Path,
        metavar="FILE",
        help="the server's password, on the first line; made there when the file does not exist"
        " (default: keep the password already in DIR/passwords, or make one and print it)",
    )


def run_mqtt_config(args: argparse.Namespace) -> int:
    """The files are written inside the write transaction: when they cannot be, no new password is kept."""
    import asyncio

    from queue_server.bus import mqtt_config

    settings = mqtt_config.Settings(
        output_dir=args.output_dir,
        server_user=args.server_user,
        server_password_file=args.server_password_file,
        secrets_file=args.secrets,
    )

    async def generate(conn: Connection) -> mqtt_config.Result:
        from queue_server.store.database import utcnow

        return await mqtt_config.generate(conn, settings, utcnow(), command_line_actor())

    def work() -> None:
        try:
            result = asyncio.run(in_write(args.database_url, generate))
        except mqtt_config.MqttConfigError as error:
            raise CommandError(str(error)) from None
        print(mqtt_config.report(result, settings))

    return report_errors(args.database_url, work)
