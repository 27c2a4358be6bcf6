"""`printer run` and `printer preview`: the ticket printer client, started from the command line.

One of the two modules of the server allowed to import a client (``ticket_printer``); it does so
only inside the run functions, so --help imports nothing of it.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from queue_server.cli.settings import EnvDefault, add_centre_code_setting, add_client_mqtt_setting, add_setting, yes_no
from queue_server.cli.subcommands import SubCommands, command, sub_commands


def add_commands(commands: SubCommands) -> None:
    printer = command(
        commands,
        "printer",
        "the ticket printer client",
        "See `onewindow printer run --help` and `onewindow printer preview --help`.",
    )
    printer_commands = sub_commands(printer)
    run = command(
        printer_commands,
        "run",
        "print the jobs sent over MQTT on an ESC/POS printer",
        "Takes the print jobs for one printer id and prints each once, keeping a local spool so\n"
        "a restart neither loses nor repeats a job. PRINTER is tcp://HOST:9100, usb://VID:PID,\n"
        "serial:///dev/ttyUSB0?baudrate=9600, file:///PATH or capture:// (keeps jobs in memory).",
        run_printer,
    )
    add_client_mqtt_setting(run)
    add_setting(
        run, "--id", env="ONEWINDOW_PRINTER_ID", default="printer-1", parse=str, help="the printer's id", metavar="ID"
    )
    add_setting(
        run,
        "--printer",
        env="ONEWINDOW_PRINTER_URL",
        default="file:///dev/usb/lp0",
        parse=str,
        help="the printer: tcp://HOST:9100, usb://VID:PID, serial:///DEVICE, file:///PATH or capture://",
        metavar="URL",
    )
    add_centre_code_setting(run)
    add_setting(
        run,
        "--spool",
        env="ONEWINDOW_PRINTER_SPOOL",
        default=Path("onewindow-data/print-spool"),
        parse=Path,
        help="the directory where taken jobs are kept",
        metavar="DIR",
    )
    _add_printer_looks(run, env_prefix="ONEWINDOW_PRINTER_")
    add_setting(
        run,
        "--mode",
        env="ONEWINDOW_PRINTER_MODE",
        default="text",
        parse=_choice("text", "raster"),
        help="text (the printer's GB18030 font) or raster (drawn here; any printer)",
    )
    preview = command(
        printer_commands,
        "preview",
        "a ticket as a PNG picture",
        "Draws the demo ticket, or the one the flags describe, as the printer would print it.",
        run_printer_preview,
    )
    _add_printer_looks(preview, env_prefix="ONEWINDOW_PRINTER_")
    preview.add_argument("--number", help="the ticket number (default: the demo's A012)")
    preview.add_argument("--matter-name", help="the matter's name (default: the demo's)")
    preview.add_argument("--centre-name", help="the centre's name (default: the demo's)")
    preview.add_argument("--status-url", help="the QR code's data (default: the demo's)")
    preview.add_argument(
        "-o", "--output", type=Path, default=Path("ticket.png"), help="the PNG file (default: ticket.png)"
    )


def _add_printer_looks(parser: argparse.ArgumentParser, env_prefix: str) -> None:
    """The paper width and the English lines, the same for a printed ticket and its preview."""
    add_setting(
        parser,
        "--profile",
        env=f"{env_prefix}PROFILE",
        default="80",
        parse=_choice("80", "58"),
        help="the paper width in mm",
    )
    env = f"{env_prefix}ENGLISH"
    parser.add_argument(
        "--english",
        action="store_true",
        default=EnvDefault(env, False, yes_no),
        help=f"add the English lines (env {env}=yes|no; default: no)",
    )


def _choice(*choices: str) -> Callable[[str], str]:
    """A parser for one of ``choices``; unlike argparse's ``choices``, it also checks the environment."""

    def parse(text: str) -> str:
        if text not in choices:
            raise argparse.ArgumentTypeError(f"{text!r} is not one of {', '.join(choices)}")
        return text

    return parse


def run_printer(args: argparse.Namespace) -> int:
    from ticket_printer.client.command import RunSettings, run_command
    from ticket_printer.layout import Mode

    return run_command(
        RunSettings(
            centre=args.centre_code,
            device_id=args.id,
            printer_url=args.printer,
            mqtt_url=args.mqtt_url,
            spool=args.spool,
            paper=args.profile,
            mode=Mode(args.mode),
            english=args.english,
        )
    )


def run_printer_preview(args: argparse.Namespace) -> int:
    from ticket_printer.client.command import PreviewSettings, preview_command

    return preview_command(
        PreviewSettings(
            output=args.output,
            paper=args.profile,
            english=args.english,
            number=args.number,
            matter_name=args.matter_name,
            centre_name=args.centre_name,
            status_url=args.status_url,
        )
    )
