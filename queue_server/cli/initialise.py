"""`onewindow init`: create or migrate the database, then load a centre file or show its difference.

The first load of a centre seeds the database. After that the database is the truth: loading the
file again prints what would change and changes it only with ``--apply``, so a manager never
overwrites today's edits by accident.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from queue_server.domain.audit import SYSTEM, Actor, AuditAct, AuditKind, configuration_acts
from queue_server.domain.centre import Centre
from queue_server.store import audit as audit_trail
from queue_server.store.database import Database, utcnow
from queue_server.store.migrate import upgrade
from queue_server.store.seed import CentreChangeRefused, apply_centre, create_centre, describe_difference, stored_centre

Say = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class InitResult:
    created: bool = False
    differences: tuple[str, ...] = ()
    applied: bool = False


async def migrate(db: Database, say: Say, *, rolling: bool = False) -> None:
    """Migrate and say what was done; ``rolling``: instances of the release before may be serving
    (a contract migration that would break them is refused)."""
    before, after = await upgrade(db, rolling=rolling)
    if before == after:
        say(f"Database {db.describe()} is at schema {after}.")
    elif before is None:
        say(f"Created the OneWindow tables in {db.describe()} (schema {after}).")
    else:
        say(f"Migrated {db.describe()} from schema {before} to {after}.")


async def load_centre_into(
    db: Database, centre: Centre, *, apply: bool, say: Say, source: str = "the file", by: Actor = SYSTEM
) -> InitResult:
    """Seed a new centre, or compare with the stored one (as ``source`` has it) and apply the
    difference if asked."""
    code = centre.code
    async with db.write() as conn:
        stored = await stored_centre(conn, code)
        if stored is None:
            await create_centre(conn, centre, utcnow())
            loaded = AuditAct.by(
                by, AuditKind.CONFIG_CHANGED, code, f"centre:{code}", detail={"source": source, "changes": ["loaded"]}
            )
            await audit_trail.append(conn, loaded, utcnow())
            say(
                f"Loaded centre {code} ({centre.name}): {len(centre.windows)} windows,"
                f" {len(centre.matters)} matters, {len(centre.staff)} staff."
            )
            return InitResult(created=True)
        differences = tuple(describe_difference(stored, centre))
        if not differences:
            say(f"Centre {code} in the database matches {source}.")
            return InitResult()
        say(f"Centre {code} in the database differs from {source}:")
        for line in differences:
            say(f"  {line}")
        if not apply:
            say("Nothing was changed. Run again with --apply to apply these changes.")
            return InitResult(differences=differences)
        try:
            await apply_centre(conn, centre, utcnow())
        except CentreChangeRefused as refused:
            say(str(refused))
            raise
        for act in configuration_acts(by, code, differences, source=source):
            await audit_trail.append(conn, act, utcnow())
        say(f"Applied {len(differences)} changes to centre {code}.")
        return InitResult(differences=differences, applied=True)
