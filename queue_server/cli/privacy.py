"""`privacy export` and `privacy erase`: one person's data on request, by phone or ID number; and
`audit verify`: the audit trail's hash chains checked."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from queue_server.cli.database import command_line_actor
from queue_server.cli.report import EXIT_BAD_INPUT, CommandError, report_errors
from queue_server.cli.settings import add_database_setting, add_setting
from queue_server.cli.subcommands import SubCommands, command, sub_commands
from queue_server.http_common.id_key import DEFAULT_ID_KEY_FILE

if TYPE_CHECKING:
    from queue_server.app.privacy import Person


def add_commands(commands: SubCommands) -> None:
    privacy = command(
        commands,
        "privacy",
        "one person's data on request: export it or erase it",
        "The person is named by a phone number (--phone) or an ID number (--id-number; the database keeps\n"
        "only its keyed hash, so the server's ID key file is needed). Give - to read the number from\n"
        "standard input, which keeps it out of the shell's history. Both commands need --reason and are\n"
        "recorded in the audit trail of each centre that held something.",
    )
    privacy_commands = sub_commands(privacy)
    export = command(
        privacy_commands,
        "export",
        "write everything held about one person as JSON",
        "Follow-up numbers, postal addresses, numbers for SMS and the SMS sent, bookings, booking codes\n"
        "and real-name tickets, each with its centre; to standard output or --output FILE (mode 600).",
        run_export,
    )
    _add_person(export)
    export.add_argument("--output", type=Path, metavar="FILE", help="write the JSON here instead of standard output")
    erase = command(
        privacy_commands,
        "erase",
        "delete or anonymise everything held about one person",
        "Deletes the follow-up numbers, postal addresses, SMS numbers and booking codes, and blanks the\n"
        "person in tickets, bookings and SMS records, which stay for the statistics. Without --yes it\n"
        "only says how much it would erase.",
        run_erase,
    )
    _add_person(erase)
    erase.add_argument("--yes", action="store_true", help="erase; without it nothing is changed")

    audit = command(
        commands,
        "audit",
        "the audit trail: check that nobody edited it",
        "Who changed a centre, its accounts, tokens and devices, and who saw or exported whose personal\n"
        "data. Supervision reads it on the report page and at GET /api/v1/audit.",
    )
    audit_commands = sub_commands(audit)
    verify = command(
        audit_commands,
        "verify",
        "check every entry against its hash chain",
        "Each centre's entries form a hash chain: an entry edited, inserted or removed in the database\n"
        "breaks it. Prints the number of entries and each chain's last hash (note it down: a later run\n"
        "must still contain it), or every break found, and exits 1 on a break.",
        run_verify,
    )
    add_database_setting(verify)


def _add_person(parser: argparse.ArgumentParser) -> None:
    who = parser.add_mutually_exclusive_group(required=True)
    who.add_argument("--phone", metavar="NUMBER", help="the person's phone number, or - to read it from standard input")
    who.add_argument(
        "--id-number", metavar="NUMBER", help="the person's ID number, or - to read it from standard input"
    )
    parser.add_argument("--reason", required=True, help="why: the request's reference, e.g. '本人申请 第12号'")
    add_setting(
        parser,
        "--id-key-file",
        env="ONEWINDOW_ID_KEY_FILE",
        default=DEFAULT_ID_KEY_FILE,
        parse=Path,
        help="the server's key ID numbers and confirmed phone numbers are hashed with",
        metavar="FILE",
    )
    add_database_setting(parser)


def _typed(value: str | None) -> str | None:
    if value != "-":
        return value
    line = sys.stdin.readline().strip()
    if not line:
        raise CommandError("Cannot read the number: standard input is empty")
    return line


def _person(args: argparse.Namespace) -> Person:
    from queue_server.app.privacy import PrivacyRequestError, person
    from queue_server.http_common.id_key import IdKeyError, load_id_key

    key_file: Path = args.id_key_file
    if not key_file.exists():
        raise CommandError(f"Cannot look the person up: there is no ID key file {key_file} (give the server's)")
    try:
        key = load_id_key(key_file)
        return person(key, phone=_typed(args.phone), id_number_typed=_typed(args.id_number))
    except (PrivacyRequestError, IdKeyError) as error:
        raise CommandError(str(error)) from None


def run_export(args: argparse.Namespace) -> int:
    import asyncio
    import json
    import os

    from queue_server.app.privacy import PrivacyRequestError, export_person
    from queue_server.domain.clock import SystemClock
    from queue_server.store.database import Database
    from queue_server.store.migrate import require_current

    async def export(who: Person) -> dict[str, Any]:
        async with Database(args.database_url) as db:
            await require_current(db)
            return await export_person(db, SystemClock(), who, command_line_actor(), args.reason)

    def work() -> None:
        who = _person(args)
        try:
            found = asyncio.run(export(who))
        except PrivacyRequestError as error:
            raise CommandError(str(error)) from None
        text = json.dumps(found, ensure_ascii=False, indent=2) + "\n"
        if args.output is None:
            sys.stdout.write(text)
            return
        try:
            descriptor = os.open(args.output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(descriptor, "w", encoding="utf-8") as file:
                file.write(text)
        except OSError as error:
            raise CommandError(f"Cannot write {args.output}: {error.strerror or error}") from None
        rows = sum(len(rows) for rows in found["data"].values())
        print(f"Wrote {rows} records of {who.named} to {args.output}.", file=sys.stderr)

    return report_errors(args.database_url, work)


def run_erase(args: argparse.Namespace) -> int:
    import asyncio

    from queue_server.app.privacy import PrivacyRequestError, erase, held
    from queue_server.domain.clock import SystemClock
    from queue_server.store.database import Database
    from queue_server.store.migrate import require_current

    async def run(who: Person) -> dict[str, int]:
        async with Database(args.database_url) as db:
            await require_current(db)
            if not args.yes:
                return await held(db, who)
            return await erase(db, SystemClock(), who, command_line_actor(), args.reason)

    def work() -> None:
        who = _person(args)
        try:
            counts = asyncio.run(run(who))
        except PrivacyRequestError as error:
            raise CommandError(str(error)) from None
        listed = ", ".join(f"{kind} {count}" for kind, count in counts.items() if count) or "nothing"
        if args.yes:
            print(f"Erased the data of {who.named}: {listed}.")
        else:
            print(f"The data of {who.named}: {listed}. Nothing was changed; run again with --yes to erase it.")

    return report_errors(args.database_url, work)


def run_verify(args: argparse.Namespace) -> int:
    import asyncio

    from queue_server.app.audit import chain_ends, verify_trail
    from queue_server.store.database import Database
    from queue_server.store.migrate import require_current

    outcome: list[int] = []

    async def verify() -> None:
        async with Database(args.database_url) as db:
            await require_current(db)
            checked, breaks = await verify_trail(db)
            ends = await chain_ends(db)
        for found in breaks:
            print(found, file=sys.stderr)
        if breaks:
            print(f"The audit trail is broken: {len(breaks)} problems in {checked} entries.", file=sys.stderr)
            outcome.append(EXIT_BAD_INPUT)
            return
        print(f"The audit trail is intact: {checked} entries.")
        for centre, (count, last) in ends.items():
            print(f"  {centre or '(city)'}: {count} entries, last hash {last}")

    code = report_errors(args.database_url, lambda: asyncio.run(verify()))
    return code or (outcome[0] if outcome else 0)
