"""`display`: the display client, the hall board or one window's display, started from the command line.

One of the two modules of the server allowed to import a client (``display_client``); it does so
only inside functions, so --help imports nothing of it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from queue_server.cli.report import EXIT_USAGE
from queue_server.cli.settings import (
    EnvDefault,
    add_centre_code_setting,
    add_client_mqtt_setting,
    add_setting,
    port_number,
    whole_number,
    window_number,
    yes_no,
)
from queue_server.cli.subcommands import SubCommands, command

if TYPE_CHECKING:
    from display_client.led import MatrixSize


def add_commands(commands: SubCommands) -> None:
    display = command(
        commands,
        "display",
        "the display client: the hall board or one window's display",
        "--mode hall shows the latest calls, every window and the waiting counts on a page for a\n"
        "browser in kiosk mode, and announces each call by voice; --mode window --window N shows\n"
        "window N's number, name and current ticket (暂停服务 while paused), also as an LED frame\n"
        "with --led WxH. The page is at http://HOST:PORT/ (printed at start).",
        run_display,
    )
    display.add_argument("--mode", choices=("hall", "window"), default="hall", help="what to show (default: hall)")
    display.add_argument(
        "--window", type=window_number, metavar="N", help="the window to show (needed with --mode window)"
    )
    add_client_mqtt_setting(display)
    add_centre_code_setting(display)
    add_setting(
        display,
        "--id",
        env="ONEWINDOW_DISPLAY_ID",
        default="",
        parse=str,
        help="the display's device id",
        default_text="board-1, or display-N with --window N",
        metavar="ID",
    )
    add_setting(
        display, "--host", env="ONEWINDOW_DISPLAY_HOST", default="127.0.0.1", parse=str, help="the page's address"
    )
    add_setting(
        display,
        "--port",
        env="ONEWINDOW_DISPLAY_PORT",
        default=0,
        parse=port_number,
        help="the page's port",
        default_text="8081, or 8100+N with --window N",
    )
    add_setting(
        display,
        "--server-url",
        env="ONEWINDOW_SERVER_URL",
        default="",
        parse=str,
        help="the OneWindow server's address, e.g. http://192.168.1.10:8080: a window display shows staff photos"
        " from there",
        default_text="none: the name and work number without a photo",
        metavar="URL",
    )
    english = "ONEWINDOW_DISPLAY_ENGLISH"
    display.add_argument(
        "--english",
        action="store_true",
        default=EnvDefault(english, False, yes_no),
        help=f"show the page in English (env {english}=yes|no; default: no)",
    )
    add_setting(
        display,
        "--notice",
        env="ONEWINDOW_DISPLAY_NOTICE",
        default=None,
        parse=str,
        help="the line scrolling at the bottom of the hall board ('' for none)",
        default_text="listen for your number; a missed call goes to the desk",
        metavar="TEXT",
    )
    voice = "ONEWINDOW_DISPLAY_VOICE"
    display.add_argument(
        "--voice",
        action=argparse.BooleanOptionalAction,
        default=EnvDefault(voice, None, yes_no),
        help=f"announce each call (env {voice}=yes|no; default: yes for the hall board, no for a window)",
    )
    display.add_argument("--voice-english", action="store_true", help="announce in English instead of Chinese")
    display.add_argument(
        "--repeat",
        type=whole_number(1, 5),
        default=2,
        metavar="N",
        help="say each announcement N times (1-5; default: 2)",
    )
    display.add_argument(
        "--audio-dir",
        type=Path,
        metavar="DIR",
        help="write each announcement to a WAV file in DIR (and log its playing times) instead of playing it",
    )
    display.add_argument("--led", type=_matrix_size, metavar="WxH", help="draw an LED matrix frame, e.g. 64x32")
    display.add_argument(
        "--png", type=Path, metavar="DIR", help="write each LED frame to DIR as a PNG file (window mode)"
    )


def _matrix_size(text: str) -> MatrixSize:
    """An LED matrix's size, WxH; the client's own parser imported only when --led is given."""
    from display_client.led import MatrixSize

    try:
        return MatrixSize.parse(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def run_display(args: argparse.Namespace) -> int:
    """The display client, after the checks of flags that only make sense together."""
    from display_client.command import DEFAULT_NOTICE, DEFAULT_NOTICE_EN, DisplaySettings, run_command

    if args.mode == "window" and args.window is None:
        print("Cannot show a window display without --window N", file=sys.stderr)
        return EXIT_USAGE
    window = args.window if args.mode == "window" else None
    if window is None and (args.led or args.png):
        print("--led and --png draw a window's LED sign: use them with --mode window --window N", file=sys.stderr)
        return EXIT_USAGE
    return run_command(
        DisplaySettings(
            centre=args.centre_code,
            device_id=args.id or ("board-1" if window is None else f"display-{window}"),
            mqtt_url=args.mqtt_url,
            window=window,
            host=args.host,
            port=args.port or (8081 if window is None else 8100 + window),
            english=args.english,
            notice=(DEFAULT_NOTICE_EN if args.english else DEFAULT_NOTICE) if args.notice is None else args.notice,
            voice=window is None if args.voice is None else args.voice,
            voice_english=args.voice_english,
            repeat=args.repeat,
            audio_dir=args.audio_dir,
            led=args.led,
            png_dir=args.png,
            server_url=args.server_url or None,
        )
    )
