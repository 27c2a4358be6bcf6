"""Create or migrate the database to the newest schema, with Alembic, from inside the event loop, and
tell whether this version may serve the database it finds."""

from __future__ import annotations

import logging
import re
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from queue_server.store.compatibility import contracts_past, knows, serves_from_recorded
from queue_server.store.database import Database

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

log = logging.getLogger(__name__)


MIGRATIONS = resources.files("queue_server.store") / "migrations"


def alembic_config(connection: Connection | None = None, location: Path | str = str(MIGRATIONS)) -> Config:
    """Alembic's settings: this package's migrations (or those at ``location``), run on ``connection``."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(location))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


_REVISION_LINE = re.compile(r"^(revision|down_revision)\s*(?::[^=]*)?=\s*(?:[\"']([^\"']+)[\"']|None)\s*$", re.M)


def head_revision() -> str:
    """The newest migration this release ships, read from the migration files' own ``revision`` and
    ``down_revision`` lines: a server asks this once at start, and going through Alembic for it
    (which imports Mako and Pygments) would keep about 11 MB in every server process for good.
    ``tests/test_migrations.py`` holds it to Alembic's answer."""
    revisions: set[str] = set()
    downs: set[str] = set()
    for module in (MIGRATIONS / "versions").iterdir():
        if not module.name.endswith(".py") or module.name.startswith("__"):
            continue
        said = dict(_REVISION_LINE.findall(module.read_text(encoding="utf-8")))
        assert "revision" in said, f"migration {module.name} names its revision on a line of its own"
        revisions.add(said["revision"])
        if said.get("down_revision"):
            downs.add(said["down_revision"])
    heads = revisions - downs
    assert len(heads) == 1, f"the package ships one chain of migrations, not heads {sorted(heads)}"
    return heads.pop()


def _recorded_revision(connection: Connection) -> str | None:
    """The revision Alembic recorded in the database; None before the first migration."""
    if not inspect(connection).has_table("alembic_version"):
        return None
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one_or_none()


async def current_revision(db: Database) -> str | None:
    async with db.read() as connection:
        return await connection.run_sync(_recorded_revision)


def scripts(location: Path | str = str(MIGRATIONS)) -> ScriptDirectory:
    """The migrations this release ships (or those at ``location``)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config(location=location))


async def upgrade(
    db: Database, *, rolling: bool = False, location: Path | str = str(MIGRATIONS)
) -> tuple[str | None, str]:
    """Migrate to the newest schema; returns the revisions before and after.

    A database already past this release (a newer release migrated it) is left alone: this
    release cannot read the migrations that brought it there. With ``rolling`` (instances of the
    release before may be serving), a contract migration that takes away what they still use is
    refused: they must all stop first."""
    found = scripts(location)
    head = found.get_current_head()
    assert head is not None, "the package ships its migrations"
    before = await current_revision(db)
    if before is not None and not knows(found, before):
        raise SchemaOutdated(
            f"The database {db.describe()} is at schema {before}, newer than this version's {head}:"
            " a newer version of OneWindow migrated it; migrate it with that version"
        )
    if rolling and (breaking := contracts_past(found, before)) and await _keeps_record(db):
        names = ", ".join(f"{d.revision} (needs schema {d.serves_from} or newer)" for d in breaking)
        raise SchemaOutdated(
            f"Cannot migrate {db.describe()} from schema {before} to {head} while OneWindow at schema {before} may"
            f" be serving it: contract migration {names} takes away what that version uses. Stop every instance,"
            " then run `onewindow init --instances-stopped`; or upgrade through the release before it first"
        )
    from alembic import command

    async with db.write() as connection:
        await connection.run_sync(lambda c: command.upgrade(alembic_config(c, location), "head"))
    return before, head


async def _keeps_record(db: Database) -> bool:
    """Whether the database is of a release that takes part in rolling upgrades (it keeps the record);
    older releases refuse any schema but their own, so their instances are stopped to upgrade anyway."""
    async with db.read() as connection:
        return await connection.run_sync(serves_from_recorded) is not None


class SchemaOutdated(RuntimeError):
    """The database's schema does not fit this version: older than it, or newer and no longer
    compatible with it (see queue_server.store.compatibility)."""


async def require_current(db: Database) -> None:
    """Refuse to serve a database that `onewindow init` has not brought to this version, or that a
    newer version has changed past what this one can serve; serve, with a warning, one that a
    newer version has only expanded (a rolling upgrade: both versions serve it for a while)."""
    current, head = await current_revision(db), head_revision()
    if current == head:
        return
    if current is None:
        raise SchemaOutdated(f"The database {db.describe()} has no OneWindow tables: run `onewindow init` first")
    if knows(scripts(), current):
        raise SchemaOutdated(
            f"The database {db.describe()} is at schema {current}, not {head}: run `onewindow init` first"
        )
    async with db.read() as connection:
        oldest = await connection.run_sync(serves_from_recorded)
    if oldest is None or not knows(scripts(), oldest):
        which = "says nothing of which versions may serve it" if oldest is None else f"needs schema {oldest} or newer"
        raise SchemaOutdated(
            f"The database {db.describe()} is at schema {current}, newer than this version's {head}, and {which}:"
            " serve it with the newer version"
        )
    log.warning(
        "The database %s is at schema %s, newer than this version's %s; versions from schema %s on may serve it,"
        " so this one does: upgrade it with the rest of the instances",
        db.describe(),
        current,
        head,
        oldest,
    )
