"""`user add` and `user token`: the accounts people log in with and the bearer tokens of machines."""

from __future__ import annotations

import argparse
import sys
from functools import partial
from typing import TYPE_CHECKING

from queue_server.cli.database import check_database, command_line_actor, in_write
from queue_server.cli.report import CommandError, report_errors
from queue_server.cli.settings import add_database_setting
from queue_server.cli.subcommands import SubCommands, command, sub_commands

if TYPE_CHECKING:
    from queue_server.store.database import Connection

LOGIN_ROLES = ("admin", "manager", "staff", "guide", "supervisor")
"""The roles of `user add`: queue_server.auth.accounts.LOGIN_ROLES, spelled out so --help imports nothing."""
TOKEN_ROLES = (*LOGIN_ROLES, "kiosk", "device", "business", "platform")
"""The roles of `user token`: every role, kiosks, devices, the province's business system and booking platform too."""


def add_commands(commands: SubCommands) -> None:
    user = command(
        commands,
        "user",
        "accounts of managers, staff, guides and supervisors, and bearer tokens",
        "People log in with a password; scripts, kiosk PCs, the consultation desk and devices carry\n"
        "bearer tokens with the same roles. See `onewindow user add --help` and\n"
        "`onewindow user token --help`.",
    )
    user_commands = sub_commands(user)
    add = command(
        user_commands,
        "add",
        "add an account",
        "The password is asked for twice on the terminal, or read from the first line of standard\n"
        "input with --password-stdin. A staff account names the staff member of the centre file it\n"
        "signs on to windows as (--staff); only a supervisor may see several centres.",
        run_user_add,
    )
    add.add_argument("username", help="the login name, e.g. wang.fang")
    add.add_argument("--role", choices=LOGIN_ROLES, required=True, help="what the account may do")
    _add_centre_codes(add, "the centre the account belongs to (repeat for a supervisor's centres)")
    add.add_argument("--staff", metavar="CODE", help="for a staff account: the staff code in the centre file")
    add.add_argument("--name", default="", help="the person's name as pages show it, e.g. 王芳")
    add.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input instead of asking"
    )
    add_database_setting(add)

    token = command(
        user_commands,
        "token",
        "issue a bearer token for a script, kiosk PC, consultation desk or device",
        "Prints the token once, on standard output; only its hash is stored, so it cannot be shown\n"
        "again. Kiosk and guide (desk) tokens issue tickets; a staff token acts as the staff member\n"
        "whose code is its subject; a business token is the province's business system, which reports\n"
        "promised cases' results (ready, refused, delivered) at its centres.",
        run_user_token,
    )
    token.add_argument("--role", choices=TOKEN_ROLES, required=True, help="what the token may do")
    _add_centre_codes(token, "the centre it acts at (repeat for a supervisor's or the business system's centres)")
    token.add_argument(
        "--subject",
        required=True,
        metavar="ID",
        help="who acts with it: a kiosk or desk id (kiosk1, desk1), a device id, or a staff code",
    )
    token.add_argument("--label", default="", help="where it is used, e.g. 'east door kiosk' (default: ROLE SUBJECT)")
    add_database_setting(token)


def _add_centre_codes(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument("--centre", action="append", required=True, metavar="CODE", dest="centres", help=what)


def run_user_add(args: argparse.Namespace) -> int:
    """An account, its password asked for only once the database is known to be usable."""
    import asyncio

    def work() -> None:
        asyncio.run(check_database(args.database_url))  # before asking for a password in vain
        password = _new_password(args.username, from_stdin=args.password_stdin)
        asyncio.run(in_write(args.database_url, partial(_add_account, args, password)))
        staff = f", staff member {args.staff}" if args.staff else ""
        print(f"Added user {args.username!r} ({args.role} at {', '.join(args.centres)}{staff}).")

    return report_errors(args.database_url, work)


def run_user_token(args: argparse.Namespace) -> int:
    """A new token on standard output, the warning that it is shown once on standard error."""
    import asyncio

    def work() -> None:
        token = asyncio.run(in_write(args.database_url, partial(_issue_token, args)))
        print(token)
        print(
            f"Issued a token for {args.role} {args.subject!r} at {', '.join(args.centres)}. It is shown only"
            " once: store it now; it cannot be recovered, only revoked.",
            file=sys.stderr,
        )

    return report_errors(args.database_url, work)


async def _add_account(args: argparse.Namespace, password: str, conn: Connection) -> int:
    from queue_server.auth.accounts import add_user

    return await add_user(
        conn,
        username=args.username,
        password=password,
        role=args.role,
        centres=args.centres,
        staff_code=args.staff,
        display_name=args.name,
        by=command_line_actor(),
    )


async def _issue_token(args: argparse.Namespace, conn: Connection) -> str:
    from queue_server.auth.accounts import add_token

    label = args.label or f"{args.role} {args.subject}"
    return await add_token(
        conn, label=label, role=args.role, centres=args.centres, subject=args.subject, by=command_line_actor()
    )


def _new_password(username: str, *, from_stdin: bool) -> str:
    """The password: the first line of standard input, or typed twice on the terminal."""
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise CommandError(f"Cannot add user {username!r}: standard input holds no password")
        return password
    if not sys.stdin.isatty():
        raise CommandError(
            f"Cannot add user {username!r}: there is no terminal to ask for the password; pipe it in with"
            " --password-stdin"
        )
    import getpass

    from queue_server.auth.accounts import check_password

    try:
        password = getpass.getpass(f"Password for {username}: ")
        check_password(password, username=username)
        again = getpass.getpass("The same password again: ")
    except EOFError:
        raise CommandError(f"Cannot add user {username!r}: no password was typed") from None
    if again != password:
        raise CommandError(f"Cannot add user {username!r}: the two passwords differ")
    return password
