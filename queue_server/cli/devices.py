"""`devices simulate`: software twins of a centre's keypads, pads and kiosks against a running server."""

from __future__ import annotations

import argparse
import sys
from functools import partial
from typing import TYPE_CHECKING

from queue_server.cli.centre import load_or_report
from queue_server.cli.report import EXIT_BAD_INPUT, EXIT_OK, CommandError
from queue_server.cli.settings import add_centre_setting, add_client_mqtt_setting
from queue_server.cli.subcommands import SubCommands, command, sub_commands

if TYPE_CHECKING:
    from queue_server.domain.centre import Centre
    from queue_server.twins import DeviceSpec


def add_commands(commands: SubCommands) -> None:
    devices = command(
        commands,
        "devices",
        "the hall's devices",
        "See `onewindow devices simulate --help`.",
    )
    simulate = command(
        sub_commands(devices),
        "simulate",
        "software twins of caller keypads, rating pads and button kiosks",
        "The twins speak the same MQTT protocol as the ESP32 devices (docs/protocol.md), against the\n"
        "broker of a running server: keypads call the next ticket and finish it, pads rate what they are\n"
        "asked with a random level, kiosks take tickets for random matters. One line per action with\n"
        "the server's answer; Ctrl-C stops them (each says offline as it goes).",
        run_devices_simulate,
    )
    add_client_mqtt_setting(simulate)
    add_centre_setting(simulate, "centre file whose devices and matters to use")
    simulate.add_argument(
        "--centre-code",
        metavar="CODE",
        help="the centre's code in topics (default: the centre file's code)",
    )
    simulate.add_argument(
        "--device",
        action="append",
        metavar="ID",
        help="simulate this device of the centre file (repeatable; default: all its keypads, pads and kiosks)",
    )
    simulate.add_argument(
        "--kind",
        action="append",
        choices=("keypad", "pad", "kiosk"),
        help="simulate only devices of this kind (repeatable; default: all kinds)",
    )
    simulate.add_argument(
        "--pace", type=_seconds, default=2.0, metavar="SECONDS", help="time between presses (default: 2)"
    )
    simulate.add_argument("--seed", type=int, default=0, help="random seed, for repeatable runs (default: 0)")
    simulate.add_argument(
        "--duration", type=_seconds, metavar="SECONDS", help="stop after this long (default: run until Ctrl-C)"
    )


def _seconds(text: str) -> float:
    """A positive number of seconds."""
    try:
        seconds = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 < seconds < float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number of seconds")
    return seconds


def run_devices_simulate(args: argparse.Namespace) -> int:
    """Twins of a centre's keypads, pads and kiosks pressing their buttons until Ctrl-C."""
    import asyncio

    from queue_server.protocol.topics import TopicError
    from queue_server.twins import Broker, TwinError, simulate

    centre = load_or_report(args.centre)
    if centre is None:
        return EXIT_BAD_INPUT
    try:
        devices = _simulated_devices(centre, args.device or [], args.kind or [])
        run = simulate(
            args.centre_code or centre.code,
            devices,
            Broker.from_url(args.mqtt_url),
            matters=[matter.code for matter in centre.matters],
            pace=args.pace,
            seed=args.seed,
            say=partial(print, flush=True),
            duration=args.duration,
        )
        asyncio.run(run)
    except KeyboardInterrupt:
        print("Stopped: the twins said offline.", file=sys.stderr)
    except (CommandError, TwinError, TopicError) as error:
        print(error, file=sys.stderr)
        return EXIT_BAD_INPUT
    return EXIT_OK


def _simulated_devices(centre: Centre, ids: list[str], kinds: list[str]) -> list[DeviceSpec]:
    """The devices ``--device`` and ``--kind`` name, or every keypad, pad and kiosk of the centre."""
    from queue_server.domain.devices import DeviceKind
    from queue_server.twins import DeviceSpec

    simulated = {DeviceKind.KEYPAD, DeviceKind.PAD, DeviceKind.KIOSK}
    wanted = {DeviceKind(kind) for kind in kinds} or simulated
    code = centre.code
    chosen = [device for device in centre.devices if device.kind in wanted] if not ids else []
    for device_id in ids:
        device = centre.devices_by_id.get(device_id)
        if device is None:
            known = ", ".join(d.id for d in centre.devices if d.kind in simulated) or "none"
            raise CommandError(
                f"Cannot simulate device {device_id!r}: centre {code} has no such device (its keypads, pads and"
                f" kiosks: {known})"
            )
        if device.kind not in simulated:
            raise CommandError(
                f"Cannot simulate {device.kind.value} {device_id!r}: only keypads, pads and kiosks have twins"
                " (printers and displays run their own clients)"
            )
        if device.kind in wanted:
            chosen.append(device)
    if not chosen:
        what = " or ".join(sorted(kind.value for kind in wanted))
        raise CommandError(f"Cannot simulate centre {code}: no {what} device was chosen or registered")
    return [DeviceSpec(device.kind, device.id, device.window) for device in chosen]
