"""The top-level ``onewindow`` parser, built from the command groups, and the environment filled in."""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping, Sequence
from importlib import metadata

from queue_server.cli import (
    accounts,
    backup,
    centre,
    devices,
    display,
    firmware,
    hall,
    mqtt,
    printer,
    privacy,
    simulate,
)
from queue_server.cli.settings import EnvDefault, SettingError
from queue_server.cli.subcommands import sub_commands

GROUPS = (hall, accounts, mqtt, devices, printer, display, firmware, simulate, backup, centre, privacy)
"""The command groups, in the order ``onewindow --help`` lists their commands."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="onewindow",
        description=(
            "OneWindow (一窗受理): queue and counter management for government service halls"
            " (便民服务中心).\n\nEach command answers --help. Settings come from flags or from ONEWINDOW_*"
            " environment\nvariables; each flag's help names its variable."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = sub_commands(parser, dest="command")
    for group in GROUPS:
        group.add_commands(commands)
    return parser


def parse_arguments(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> argparse.Namespace:
    """Parse ``argv`` and fill every flag not given from ``environ`` (default: ``os.environ``).

    Exits through argparse (code 2) on a usage error, a bad environment value included.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    environ = os.environ if environ is None else environ
    try:
        for name, value in vars(args).items():
            if isinstance(value, EnvDefault):
                setattr(args, name, value.resolve(environ))
    except SettingError as error:
        parser.error(str(error))
    return args


def _version() -> str:
    try:
        return metadata.version("onewindow")
    except metadata.PackageNotFoundError:
        return "(not installed)"
