"""The database steps that several commands take before their own work."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from queue_server.domain.audit import Actor
    from queue_server.store.database import Connection

T = TypeVar("T")


async def check_database(url: str) -> None:
    """Refuse a database that `onewindow init` has not brought to this version."""
    from queue_server.store.database import Database
    from queue_server.store.migrate import require_current

    async with Database(url) as db:
        await require_current(db)


async def in_write(url: str, action: Callable[[Connection], Awaitable[T]]) -> T:
    """Run ``action`` in one write transaction, on a database `onewindow init` brought up to date."""
    from queue_server.store.database import Database
    from queue_server.store.migrate import require_current

    async with Database(url) as db:
        await require_current(db)
        async with db.write() as conn:
            return await action(conn)


def command_line_actor() -> Actor:
    """Who a command acts as in the audit trail: the operator's login on this machine."""
    import getpass

    from queue_server.domain.audit import Actor

    try:
        login = getpass.getuser()
    except (KeyError, OSError):  # no name for the uid (a bare container)
        import os

        login = f"uid{os.getuid()}"
    return Actor(f"cli:{login}", "operator")
