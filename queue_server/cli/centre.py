"""`centre check` and `centre show`: a centre file validated, or printed as a person reads it.

:func:`load_or_report` is also how `devices simulate` and `simulate` read their centre file.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from queue_server.cli.report import EXIT_BAD_INPUT, EXIT_OK
from queue_server.cli.subcommands import SubCommands, command, sub_commands

if TYPE_CHECKING:
    from queue_server.domain.centre import Centre


def add_commands(commands: SubCommands) -> None:
    centre = command(
        commands,
        "centre",
        "check or show a centre file",
        "A centre file (TOML) says what a hall is made of: its hours, windows, matters and staff.",
    )
    centre_commands = sub_commands(centre)
    check = command(
        centre_commands,
        "check",
        "validate a centre file",
        "Prints a summary when the file is valid; otherwise every problem as FILE:LINE: FIELD: MESSAGE,\nand exits 1.",
        run_centre_check,
    )
    check.add_argument("file", type=Path, metavar="FILE", help="the centre file")
    show = command(
        centre_commands,
        "show",
        "print a centre: name, hours per weekday, windows and matters per ticket group",
        "Without FILE it shows the built-in demo centre.",
        run_centre_show,
    )
    show.add_argument("file", type=Path, nargs="?", metavar="FILE", help="the centre file (default: the demo)")


def run_centre_check(args: argparse.Namespace) -> int:
    """A one-line summary of a valid file; the file's problems come from :func:`load_or_report`."""
    centre = load_or_report(args.file)
    if centre is None:
        return EXIT_BAD_INPUT
    groups = len(centre.ticket_groups)
    print(
        f"{args.file}: OK: {centre.name} ({centre.code}), {len(centre.windows)} windows,"
        f" {len(centre.matters)} matters in {groups} ticket group{'s' if groups != 1 else ''},"
        f" {len(centre.staff)} staff"
    )
    return EXIT_OK


def run_centre_show(args: argparse.Namespace) -> int:
    centre = load_or_report(args.file)
    if centre is None:
        return EXIT_BAD_INPUT
    print(describe_centre(centre))
    return EXIT_OK


def load_or_report(path: Path | None) -> Centre | None:
    """The centre in ``path`` (the demo centre when None), or None after printing why not."""
    from queue_server.config.centre_file import CentreFileError, load_centre, load_demo_centre

    try:
        return load_demo_centre() if path is None else load_centre(path)
    except CentreFileError as error:
        print(error, file=sys.stderr)
        return None


def describe_centre(centre: Centre) -> str:
    """A centre as a person reads it: who, when it opens, its windows, its matters per group."""
    from queue_server.domain.centre import WEEKDAYS

    info = centre.centre
    kinds = {kind.code: kind for kind in centre.window_kinds}
    title = f"{info.name} / {info.name_en}" if info.name_en else info.name
    lines = [
        title,
        f"code {info.code} · time zone {info.time_zone} · {len(centre.windows)} windows,"
        f" {len(centre.matters)} matters, {len(centre.staff)} staff",
        "",
        "Hours",
    ]
    for weekday, name in enumerate(WEEKDAYS):
        periods = centre.hours.for_weekday(weekday)
        shown = ", ".join(f"{p.start:%H:%M}-{p.end:%H:%M}" for p in periods) or "closed"
        lines.append(f"  {name.capitalize():<10} {shown}")
    calendar = centre.calendar
    if calendar.holidays or calendar.working_days:
        lines.append(f"  {len(calendar.holidays)} holidays, {len(calendar.working_days)} adjusted working days (调休)")
    lines += ["", "Windows"]
    width = len(str(max(window.number for window in centre.windows)))
    for window in centre.windows:
        served = ", ".join(f"{kinds[code].name} ({code})" for code in window.kinds)
        green = " · green channel (绿色通道)" if window.green_channel else ""
        lines.append(f"  {window.number:>{width}}  {window.name}: {served}{green}")
    lines += ["", "Matters per ticket group"]
    for group in centre.ticket_groups:
        count = sum(1 for matter in centre.matters if matter.prefix == group.prefix)
        lines.append(f"  {group.prefix:<2} {group.name}: {count}")
    return "\n".join(lines)
