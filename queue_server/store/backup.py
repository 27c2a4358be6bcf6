"""Backups: a consistent copy of a database that may be serving, and putting one back.

SQLite is copied with its online backup API (``sqlite3.Connection.backup``): the copy is one
read transaction, so it is the database as of one commit however busy the server is. PostgreSQL
is copied with its own ``pg_dump`` in custom format (a snapshot, also consistent while serving)
and put back with the script of ``pg_restore --clean --if-exists``, run by ``psql`` in one
transaction together with dropping any table the copy lacks (a newer schema's). The client tools are
found on ``PATH`` or in ``/usr/lib/postgresql/<version>/bin`` (Debian's postgresql-client).

Restoring replaces the whole database, so it is refused while the server seems to run (another
connection is open) and, unless the caller confirmed it, while the database holds anything. A
copy is checked before anything is replaced: SQLite's ``PRAGMA integrity_check``, a readable
archive for PostgreSQL, and in both a schema revision this version of OneWindow knows.

Every failure, a tool's included, is a :class:`BackupError` whose message says what failed and why.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy.engine import URL

from queue_server.store.database import DatabaseUrlError, normalize_url
from queue_server.store.migrate import alembic_config, head_revision

POSTGRES_TOOL_DIRS = "/usr/lib/postgresql"
"""Where Debian's postgresql-client puts pg_dump and pg_restore, one folder per major version."""
SQLITE_BUSY_TIMEOUT_S = 30.0
TOOL_TIMEOUT_S = 3600.0
"""A dump or restore that takes longer than an hour has hung."""
BACKUP_MODE = 0o600
"""A copy holds password hashes and citizens' follow-up numbers: readable by its owner only."""
COUNTED_TABLES = ("centres", "tickets")
"""What a restore tells it would replace."""


class BackupError(RuntimeError):
    """A backup or restore that could not be done; the message says what failed and why."""


@dataclass(frozen=True, slots=True)
class Contents:
    """What a database (or a copy of one) holds, in the words of a refusal."""

    revision: str | None
    counts: dict[str, int]

    @property
    def empty(self) -> bool:
        """Nothing worth keeping: no centre and no ticket (a migrated but unused database is empty)."""
        return not any(self.counts.values())

    def describe(self) -> str:
        if self.empty:
            return "nothing"
        counted = " and ".join(f"{count} {table if count != 1 else table[:-1]}" for table, count in self.counts.items())
        return f"{counted} (schema {self.revision or 'unknown'})"


@dataclass(frozen=True, slots=True)
class Copy:
    """A backup written, or restored."""

    path: Path
    size: int
    revision: str


def backup(url: str, target: Path) -> Copy:
    """Write a consistent copy of the database at ``url`` to ``target``, safe while the server writes.

    The copy is written next to ``target`` and moved into place only when complete, so a
    failed backup never leaves a half-written file under the name asked for.
    """
    parsed = _parse(url)
    target = target.expanduser()
    if target.is_dir():
        raise BackupError(f"Cannot write the backup to {target}: it is a folder; name a file")
    if not target.parent.is_dir():
        raise BackupError(f"Cannot write the backup to {target}: the folder {target.parent} does not exist")
    with _scratch(target) as partial:
        if parsed.get_backend_name() == "sqlite":
            revision = _sqlite_backup(_sqlite_file(parsed), partial)
        else:
            revision = _postgres_backup(parsed, partial)
        partial.chmod(BACKUP_MODE)
        os.replace(partial, target)
    return Copy(target, target.stat().st_size, revision)


def contents(url: str) -> Contents:
    """What the database at ``url`` holds now (nothing for a missing SQLite file)."""
    parsed = _parse(url)
    if parsed.get_backend_name() == "sqlite":
        path = _sqlite_file(parsed)
        if not path.exists():
            return Contents(None, {})
        with _sqlite(path) as conn:
            return _sqlite_contents(conn, path)
    return _postgres_contents(parsed)


def in_use(url: str) -> str | None:
    """Why the database seems to be in use by a running server, or None when nothing else holds it."""
    parsed = _parse(url)
    if parsed.get_backend_name() == "sqlite":
        path = _sqlite_file(parsed)
        if not path.exists():
            return None
        try:
            with closing(sqlite3.connect(path, timeout=0, isolation_level=None)) as conn:
                conn.execute("PRAGMA locking_mode=EXCLUSIVE")  # refused while any other connection is open
                conn.execute("BEGIN EXCLUSIVE")
                conn.execute("ROLLBACK")
        except sqlite3.OperationalError as error:
            if "locked" in str(error) or "busy" in str(error):
                return f"another program has {path} open, the server perhaps ({error})"
        except sqlite3.DatabaseError:
            pass  # a damaged file is nobody's: restoring over it is what it needs
        return None
    query = (  # other clients only: an autovacuum worker passing by is no server
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        " AND backend_type = 'client backend'"
    )
    others = int(_psql(parsed, query) or 0)
    return f"{others} other connection(s) are open to it" if others else None


def restore(url: str, source: Path, *, replace: bool) -> Copy:
    """Put the copy ``source`` in place of the database at ``url``.

    Refused while another program holds the database, and, unless ``replace``, when the database
    holds anything. The copy is checked first; on PostgreSQL the restore is one transaction, on
    SQLite one atomic rename, so a failure leaves the database as it was.
    """
    parsed = _parse(url)
    source = source.expanduser()
    if not source.is_file():
        raise BackupError(f"Cannot restore {source}: there is no such file")
    where = _describe(parsed)
    busy = in_use(url)
    if busy is not None:
        raise BackupError(f"Cannot restore into {where}: {busy}. Stop `onewindow serve` first, then restore")
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_restore(_sqlite_file(parsed), source, where, replace=replace)
    return _postgres_restore(parsed, source, where, replace=replace)


# --- SQLite ---------------------------------------------------------------------------------------


def _sqlite_file(url: URL) -> Path:
    assert url.database is not None, "normalize_url refuses a SQLite URL without a file"
    return Path(url.database).expanduser()


@contextmanager
def _sqlite(path: Path) -> Iterator[sqlite3.Connection]:
    try:
        with closing(sqlite3.connect(path, timeout=SQLITE_BUSY_TIMEOUT_S, isolation_level=None)) as conn:
            yield conn
    except sqlite3.DatabaseError as error:
        raise BackupError(f"Cannot read the SQLite database {path}: {error}") from None


def _sqlite_contents(conn: sqlite3.Connection, path: Path) -> Contents:
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    revision = None
    if "alembic_version" in tables:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        revision = row[0] if row else None
    counts = {t: int(conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]) for t in COUNTED_TABLES if t in tables}
    return Contents(revision, counts)


def _sqlite_backup(path: Path, target: Path) -> str:
    if not path.is_file():
        raise BackupError(f"Cannot back up the SQLite database {path}: there is no such file")
    with _sqlite(path) as source, _sqlite(target) as copy:
        try:
            source.backup(copy)  # every page in one step: one read transaction, one commit's state
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        except sqlite3.DatabaseError as error:
            raise BackupError(f"Cannot back up the SQLite database {path}: {error}") from None
        return _checked_sqlite(copy, path)


def _checked_sqlite(conn: sqlite3.Connection, path: Path) -> str:
    """The revision of a sound OneWindow database; else why it is not one."""
    try:
        problems = [row[0] for row in conn.execute("PRAGMA integrity_check")]
        found = _sqlite_contents(conn, path)
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{path} is not a sound SQLite database: {error}") from None
    if problems != ["ok"]:
        raise BackupError(f"{path} is damaged: {'; '.join(problems[:3])}")
    return _known(found.revision, path)


def _sqlite_restore(path: Path, source: Path, where: str, *, replace: bool) -> Copy:
    path.parent.mkdir(parents=True, exist_ok=True)
    with _scratch(path) as partial:
        with _sqlite(source) as copy, _sqlite(partial) as fresh:
            revision = _checked_sqlite(copy, source)
            if not replace:
                _refuse_if_held(path, where)
            copy.backup(fresh)
            fresh.execute("PRAGMA journal_mode=WAL")  # as the server keeps it (store/database.py)
        if path.exists():
            try:  # fold the old WAL into its file, so no stale -wal outlives it
                with _sqlite(path) as old:
                    old.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except (BackupError, sqlite3.DatabaseError):
                pass  # a damaged old database: its leftovers are removed below
            shutil.copymode(path, partial)  # the database keeps its owner-only (or other) permissions
        os.replace(partial, path)
        for leftover in ("-wal", "-shm"):
            Path(f"{path}{leftover}").unlink(missing_ok=True)
    return Copy(source, source.stat().st_size, revision)


def _refuse_if_held(path: Path, where: str) -> None:
    if not path.exists():
        return
    try:
        with _sqlite(path) as conn:
            held = _sqlite_contents(conn, path)
    except (BackupError, sqlite3.DatabaseError) as error:
        raise _would_replace(where, f"a database that cannot be read ({error})") from None
    if not held.empty:
        raise _would_replace(where, held.describe())


# --- PostgreSQL -----------------------------------------------------------------------------------


def find_tool(name: str) -> Path:
    """A PostgreSQL client tool: on PATH, else the newest in /usr/lib/postgresql/*/bin."""
    found = shutil.which(name)
    if found:
        return Path(found)
    versions = sorted(
        Path(POSTGRES_TOOL_DIRS).glob(f"*/bin/{name}"),
        key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0,
        reverse=True,
    )
    if versions:
        return versions[0]
    raise BackupError(
        f"Cannot find {name}: install PostgreSQL's client tools of the server's major version"
        " (Debian: apt-get install postgresql-client)"
    )


def _connection_arguments(url: URL) -> tuple[list[str], dict[str, str]]:
    """libpq arguments and environment for a URL; the password travels in the environment, never argv."""
    arguments = ["--no-password"]
    if url.host:
        arguments += ["--host", url.host]
    if url.port:
        arguments += ["--port", str(url.port)]
    if url.username:
        arguments += ["--username", url.username]
    environment = dict(os.environ)
    if url.password:
        environment["PGPASSWORD"] = str(url.password)
    return arguments, environment


def _run(url: URL, tool: str, arguments: Sequence[str], what: str) -> str:
    connection, environment = _connection_arguments(url)
    command = [str(find_tool(tool)), *connection, *arguments]
    try:
        done = subprocess.run(
            command, env=environment, capture_output=True, text=True, timeout=TOOL_TIMEOUT_S, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise BackupError(f"Cannot {what}: {tool} did not run ({error})") from None
    if done.returncode != 0:
        said = done.stderr.strip().replace("\n", "; ") or f"exit status {done.returncode}"
        raise BackupError(f"Cannot {what}: {tool} says: {said}")
    return done.stdout


def _database(url: URL) -> str:
    if not url.database:
        raise BackupError(f"Cannot use {_describe(url)}: the URL names no database")
    return url.database


def _psql(url: URL, query: str) -> str:
    arguments = ["--dbname", _database(url), "--no-psqlrc", "--tuples-only", "--no-align", "--command", query]
    return _run(url, "psql", arguments, f"read {_describe(url)}").strip()


def _postgres_contents(url: URL) -> Contents:
    tables = _postgres_tables(url)
    revision = None
    if "alembic_version" in tables:
        revision = _psql(url, "SELECT version_num FROM alembic_version") or None
    counts = {t: int(_psql(url, f'SELECT count(*) FROM "{t}"')) for t in COUNTED_TABLES if t in tables}
    return Contents(revision, counts)


def _postgres_backup(url: URL, target: Path) -> str:
    where = _describe(url)
    arguments = ["--format=custom", "--dbname", _database(url), "--file", str(target)]
    _run(url, "pg_dump", arguments, f"back up {where}")
    return _archive_revision(url, target)


def _archive_revision(url: URL, archive: Path) -> str:
    """The schema revision inside a pg_dump archive; refused when it is not a readable OneWindow one."""
    script = _run(
        url,
        "pg_restore",
        ["--data-only", "--table", "alembic_version", "--file", "-", str(archive)],
        f"read the backup {archive}",
    )
    match = re.search(r"^COPY \S*alembic_version \(version_num\) FROM stdin;\n([^\n\\]+)\n", script, re.MULTILINE)
    return _known(match.group(1) if match else None, archive)


def _postgres_restore(url: URL, source: Path, where: str, *, replace: bool) -> Copy:
    """pg_restore's script, run by psql in one transaction after dropping the tables the copy lacks
    (a newer schema's), so the database is exactly the copy or, on any error, exactly as it was."""
    revision = _archive_revision(url, source)
    if not replace:
        held = _postgres_contents(url)
        if not held.empty:
            raise _would_replace(where, held.describe())
    extra = sorted(_postgres_tables(url) - _archive_tables(url, source))
    with tempfile.TemporaryDirectory(prefix="onewindow-restore-") as folder:
        script = Path(folder) / "restore.sql"
        arguments = ["--clean", "--if-exists", "--no-owner", "--no-privileges", "--file", str(script), str(source)]
        _run(url, "pg_restore", arguments, f"read the backup {source}")
        drops = "".join(f'DROP TABLE IF EXISTS "{table}" CASCADE;' for table in extra)
        psql = ["--dbname", _database(url), "--no-psqlrc", "--quiet", "--single-transaction"]
        psql += ["--set", "ON_ERROR_STOP=1", *(["--command", drops] if drops else []), "--file", str(script)]
        _run(url, "psql", psql, f"restore {source} into {where}")
    return Copy(source, source.stat().st_size, revision)


def _postgres_tables(url: URL) -> set[str]:
    present = _psql(url, "SELECT string_agg(tablename, ',') FROM pg_tables WHERE schemaname = current_schema()")
    return set(present.split(",")) if present else set()


def _archive_tables(url: URL, archive: Path) -> set[str]:
    listing = _run(url, "pg_restore", ["--list", str(archive)], f"read the backup {archive}")
    return set(re.findall(r"^\d+; \d+ \d+ TABLE \S+ (\S+) ", listing, re.MULTILINE))


# --- Both -----------------------------------------------------------------------------------------


def _parse(url: str) -> URL:
    try:
        return normalize_url(url)
    except DatabaseUrlError as error:
        raise BackupError(str(error)) from None


def _describe(url: URL) -> str:
    shown = url.render_as_string(hide_password=True)
    return shown.replace("+aiosqlite", "").replace("+asyncpg", "")


def _would_replace(where: str, what: str) -> BackupError:
    return BackupError(
        f"Not restoring: {where} holds {what}, which the copy would replace. Back it up first if it"
        " matters (onewindow backup FILE), then run restore again with --yes"
    )


def _known(revision: str | None, path: Path) -> str:
    """``revision`` when this version of OneWindow has it among its migrations; else why not."""
    if revision is None:
        raise BackupError(f"{path} is not a OneWindow backup: it has no schema revision (alembic_version)")
    try:
        found = ScriptDirectory.from_config(alembic_config()).get_revision(revision)
    except CommandError:
        found = None
    if found is None:
        raise BackupError(
            f"{path} is at schema {revision}, which this version of OneWindow does not know (its newest is"
            f" {head_revision()}): restore it with the version that made it"
        )
    return revision


@contextmanager
def _scratch(target: Path) -> Iterator[Path]:
    """A fresh path beside ``target`` (same file system, so a rename is atomic), removed unless used."""
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
    os.close(handle)
    partial = Path(name)
    partial.unlink()  # SQLite and pg_dump create it themselves
    try:
        yield partial
    finally:
        for leftover in (partial, Path(f"{partial}-wal"), Path(f"{partial}-shm"), Path(f"{partial}-journal")):
            leftover.unlink(missing_ok=True)
