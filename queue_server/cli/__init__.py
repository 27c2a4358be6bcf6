"""The ``onewindow`` command line: one entry point, one sub-command per part of the system.

One module per command group: ``hall`` (demo, serve, init), ``accounts`` (user add, user token),
``mqtt`` (mqtt-config), ``devices`` (devices simulate), ``printer``, ``display``, ``firmware``,
``simulate``, ``backup`` (backup, restore) and ``centre``. Beside them ``settings`` (a flag, else its
``ONEWINDOW_*`` variable, else a named default), ``report`` (exit codes, errors as messages),
``subcommands`` and ``parser``; what the hall commands run lives in ``server`` (serve: the whole
server assembled and run until a signal), ``demo_hall`` (demo) and ``initialise`` (init). Every
group imports its heavy modules inside its run functions, so ``onewindow --help`` stays fast.
"""

from __future__ import annotations

from queue_server.cli.parser import build_parser, parse_arguments
from queue_server.cli.report import EXIT_USAGE
from queue_server.cli.subcommands import Handler

__all__ = ["build_parser", "main", "parse_arguments"]


def main(argv: list[str] | None = None) -> int:
    """Run the command ``argv`` names (default: ``sys.argv``); its exit code."""
    try:
        args = parse_arguments(argv)
    except SystemExit as stop:  # --help, --version or a usage error, already printed by argparse
        return stop.code if isinstance(stop.code, int) else EXIT_USAGE
    handler: Handler = args.handler
    return handler(args)
