"""Settings: a flag, else its ``ONEWINDOW_*`` environment variable, else a named default.

:func:`add_setting` declares every setting the same way, so each flag's help names its variable;
the parse functions here check a value the same way whether it came from a flag or a variable.
Only the standard library is imported, so ``onewindow --help`` stays fast.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar
from urllib.parse import urlsplit

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080
DEFAULT_MQTT_PORT = 1883
DEFAULT_DATABASE_URL = "sqlite:///onewindow-data/onewindow.db"
"""A SQLite file in ./onewindow-data, so the demo keeps its hall in the folder it runs in."""
DEFAULT_CLIENT_MQTT_URL = f"mqtt://127.0.0.1:{DEFAULT_MQTT_PORT}"
"""Where device twins and clients find the broker by default: the one a local server embeds."""

T = TypeVar("T")


class SettingError(ValueError):
    """An ``ONEWINDOW_*`` variable holds a value its flag would refuse."""


@dataclass(frozen=True, slots=True)
class EnvDefault(Generic[T]):
    """A flag's default: its environment variable when that is set and not empty, else ``default``.

    argparse keeps this object as the value of a flag not given; ``parse_arguments`` then resolves
    it against the environment, checked by the same ``parse`` the flag uses.
    """

    env: str
    default: T
    parse: Callable[[str], T]

    def resolve(self, environ: Mapping[str, str]) -> T:
        raw = environ.get(self.env, "")
        if not raw:
            return self.default
        try:
            return self.parse(raw)
        except (ValueError, argparse.ArgumentTypeError) as error:
            raise SettingError(f"{self.env}={raw!r}: {error}") from None


def add_setting(
    parser: argparse.ArgumentParser,
    flag: str,
    *,
    env: str,
    default: T,
    parse: Callable[[str], T],
    help: str,
    default_text: str | None = None,
    metavar: str | None = None,
) -> None:
    """Add ``flag`` whose default comes from ``env``; the help names both."""
    shown = default_text if default_text is not None else str(default)
    parser.add_argument(
        flag,
        type=parse,
        default=EnvDefault(env, default, parse),
        metavar=metavar,
        help=f"{help} (env {env}; default: {shown})",
    )


# --- Parse functions: a flag's text to its value, or argparse.ArgumentTypeError ----------------------

LOG_LEVELS = ("debug", "info", "warning", "error")


def choice_of(choices: tuple[str, ...]) -> Callable[[str], str]:
    """A parse function taking one of ``choices`` (in any case)."""

    def parse(text: str) -> str:
        value = text.strip().lower()
        if value not in choices:
            raise argparse.ArgumentTypeError(f"{text!r} is not one of {', '.join(choices)}")
        return value

    return parse


def port_number(text: str) -> int:
    """A TCP port, 1 to 65535."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (1-65535)") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port number (1-65535)")
    return port


def database_url(text: str) -> str:
    """A SQLAlchemy database URL: sqlite:///FILE or postgresql://USER@HOST/NAME."""
    scheme = urlsplit(text).scheme.split("+")[0]
    if scheme not in ("sqlite", "postgresql"):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a database URL (sqlite:///FILE or postgresql://USER@HOST/NAME)"
        )
    return text


def mqtt_url(text: str) -> str:
    """An MQTT broker URL: mqtt://[USER:PASSWORD@]HOST[:PORT] (mqtts:// for TLS)."""
    parts = urlsplit(text)
    if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an MQTT URL (mqtt://[USER:PASSWORD@]HOST[:PORT], or mqtts:// for TLS)"
        )
    return text


def window_number(text: str) -> int:
    """A window's number, 1 or more."""
    try:
        number = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a window number") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"{number} is not a window number (1 or more)")
    return number


def whole_number(low: int, high: int) -> Callable[[str], int]:
    """A parser for a whole number from ``low`` to ``high``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = low - 1
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number from {low} to {high}")
        return value

    return parse


def yes_no(text: str) -> bool:
    """A switch set from the environment: yes/no, true/false, on/off or 1/0."""
    lowered = text.strip().lower()
    if lowered in ("1", "yes", "true", "on"):
        return True
    if lowered in ("0", "no", "false", "off"):
        return False
    raise argparse.ArgumentTypeError(f"{text!r} is not yes or no")


# --- Settings several commands share ------------------------------------------------------------------


def add_database_setting(parser: argparse.ArgumentParser) -> None:
    add_setting(
        parser,
        "--database-url",
        env="ONEWINDOW_DATABASE_URL",
        default=DEFAULT_DATABASE_URL,
        parse=database_url,
        help="the database: sqlite:///FILE or postgresql://USER@HOST/NAME",
        metavar="URL",
    )


def add_client_mqtt_setting(parser: argparse.ArgumentParser) -> None:
    add_setting(
        parser,
        "--mqtt-url",
        env="ONEWINDOW_MQTT_URL",
        default=DEFAULT_CLIENT_MQTT_URL,
        parse=mqtt_url,
        help="the broker to connect to",
        metavar="URL",
    )


def add_centre_setting(parser: argparse.ArgumentParser, what: str) -> None:
    add_setting(
        parser,
        "--centre",
        env="ONEWINDOW_CENTRE",
        default=None,
        parse=Path,
        help=what,
        default_text="the built-in demo centre",
        metavar="FILE",
    )


def add_centre_code_setting(parser: argparse.ArgumentParser) -> None:
    """The centre a client serves, as its topics name it: the printer and the display share it."""
    add_setting(
        parser,
        "--centre-code",
        env="ONEWINDOW_CENTRE_CODE",
        default="demo",
        parse=str,
        help="the centre's code in topics",
        metavar="CODE",
    )
