"""Every centre's acknowledged outbox rows, marked sent together in one short transaction.

On SQLite a relay publishes the rows each commit hands it and marks them sent later (the broker
acknowledged them; a crash before the mark only means they are published again at the next
start). Each relay marking its own rows made one write transaction, with its ``fsync``, per
centre at least every second under load: in a city of 80 busy centres as many writes again as
the centres' own commits, each taking the database's one write turn from an action. A relay
given a :class:`SentMarks` hands its marks over instead, and they are written for every centre at
once, at most every :data:`GATHER_SECONDS`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping

from queue_server.domain.clock import Clock
from queue_server.store.database import Database
from queue_server.store.errors import DatabaseError
from queue_server.store.outbox import mark_superseded

log = logging.getLogger(__name__)

GATHER_SECONDS = 0.25
"""How long the first marks handed over wait for others to share their transaction."""
RETRY_SECONDS = 1.0
"""How soon marks a failed transaction left are written again (the database may be away)."""


class SentMarks:
    """Per centre and subject, the newest acknowledged sequence not yet marked sent; :meth:`run` writes them."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self._unmarked: dict[str, dict[str, int]] = {}
        self._due = asyncio.Event()

    def add(self, centre: str, acknowledged: Mapping[str, int]) -> None:
        """The broker acknowledged ``centre``'s rows up to these sequences per subject: mark them sent soon."""
        marks = self._unmarked.setdefault(centre, {})
        for subject, seq in acknowledged.items():
            marks[subject] = max(seq, marks.get(subject, 0))
        self._due.set()

    async def run(self) -> None:
        """Write the marks handed over, every centre's in one transaction, until cancelled."""
        while True:
            await self._due.wait()
            await asyncio.sleep(GATHER_SECONDS)
            self._due.clear()
            try:
                await self.flush()
            except (DatabaseError, OSError) as error:  # the rows stay unsent in the table meanwhile
                log.warning("could not mark the relayed rows sent: %s; trying again", error)
                await asyncio.sleep(RETRY_SECONDS)
                self._due.set()

    async def flush(self) -> None:
        """Write every mark handed over so far in one transaction; on failure they are kept for the next."""
        unmarked, self._unmarked = self._unmarked, {}
        if not unmarked:
            return
        now = self.clock.now()
        try:
            async with self.db.write() as conn:
                for centre, marks in sorted(unmarked.items()):
                    await mark_superseded(conn, centre, sorted(marks.items()), now)
        except BaseException:
            for centre, marks in unmarked.items():  # still to be marked, with any handed over meanwhile
                self.add(centre, marks)
            raise
