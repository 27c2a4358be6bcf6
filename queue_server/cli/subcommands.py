"""The building blocks of every command group: a sub-command with its summary and its handler.

Each group module (``hall``, ``accounts``, ...) has an ``add_commands`` that uses these;
``parser.build_parser`` calls them in the order ``onewindow --help`` lists the commands.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TypeAlias

Handler = Callable[[argparse.Namespace], int]
"""What a command runs with its parsed arguments; it returns the exit code."""
SubCommands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
"""Where a group adds its commands: the sub-parsers of ``onewindow`` or of a parent command."""


def command(
    commands: SubCommands,
    name: str,
    summary: str,
    description: str,
    handler: Handler | None = None,
) -> argparse.ArgumentParser:
    """A sub-command with a one-line summary (in its parent's list) and a longer description."""
    parser = commands.add_parser(
        name,
        help=summary,
        description=f"{summary[0].upper()}{summary[1:]}.\n\n{description}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    if handler is not None:
        parser.set_defaults(handler=handler)
    return parser


def sub_commands(parser: argparse.ArgumentParser, dest: str = "subcommand") -> SubCommands:
    """The sub-commands of ``parser``; one of them must be given."""
    return parser.add_subparsers(dest=dest, metavar="COMMAND", required=True)
