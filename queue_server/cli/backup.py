"""`backup` and `restore`: a consistent copy of the database, and that copy put back."""

from __future__ import annotations

import argparse
from pathlib import Path

from queue_server.cli.report import CommandError, report_errors
from queue_server.cli.settings import add_database_setting
from queue_server.cli.subcommands import SubCommands, command


def add_commands(commands: SubCommands) -> None:
    backup = command(
        commands,
        "backup",
        "a consistent copy of the database",
        "Safe while the server runs: SQLite is copied with its online backup API, PostgreSQL with\n"
        "pg_dump (custom format; the client tools of the server's major version, Debian package\n"
        "postgresql-client). The copy is checked and moved into place only when complete.",
        run_backup,
    )
    backup.add_argument("file", type=Path, metavar="FILE", help="where to write the copy")
    add_database_setting(backup)
    restore = command(
        commands,
        "restore",
        "put a copy made by backup back in place of the database",
        "Stop the server first: the database is replaced as a whole (SQLite: one atomic rename after\n"
        "an integrity check; PostgreSQL: pg_restore --clean in one transaction). A database that\n"
        "holds centres or tickets is replaced only with --yes; a damaged copy, or one of a schema\n"
        "this version does not know, is refused.",
        run_restore,
    )
    restore.add_argument("file", type=Path, metavar="FILE", help="the copy to restore")
    restore.add_argument("--yes", action="store_true", help="replace a database that holds centres or tickets")
    add_database_setting(restore)


def run_backup(args: argparse.Namespace) -> int:
    """A consistent copy of the database, safe while the server writes."""
    from queue_server.store.backup import BackupError, backup
    from queue_server.store.database import without_password

    def work() -> None:
        try:
            copy = backup(args.database_url, args.file)
        except BackupError as error:
            raise CommandError(str(error)) from None
        print(
            f"Backed up {without_password(args.database_url)} to {copy.path} ({copy.size:,} bytes, schema"
            f" {copy.revision}). Restore it, with the server stopped, by `onewindow restore {copy.path}`."
        )

    return report_errors(args.database_url, work)


def run_restore(args: argparse.Namespace) -> int:
    """A copy made by `backup` in place of the database; the server must be stopped."""
    from queue_server.store.backup import BackupError, restore
    from queue_server.store.database import without_password
    from queue_server.store.migrate import head_revision

    def work() -> None:
        try:
            copy = restore(args.database_url, args.file, replace=args.yes)
        except BackupError as error:
            raise CommandError(str(error)) from None
        later = "" if copy.revision == head_revision() else " Run `onewindow init` to bring it to this version."
        print(f"Restored {copy.path} (schema {copy.revision}) into {without_password(args.database_url)}.{later}")

    return report_errors(args.database_url, work)
