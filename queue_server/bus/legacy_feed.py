"""The old hall feed (``hall/feed``), kept for boards of the previous release, at a bounded rate.

Boards of protocol 2 build themselves from the windows' retained states, ``hall/summary`` and
``hall/calls``, none of which grows with the hall. The old feed holds every window, so it is no
longer written with each commit: this loop publishes it, as the database has the hall then, at
most every :data:`LEGACY_FEED_SECONDS` and only when something was committed since the last one
(the relay asks the database only after it published a newer state: an idle centre costs nothing).
An old board still gets every call and window state live on their own topics; only its waiting
counts and its list of calls may lag by that much. Its cost is bounded per second, not per call.
"""

from __future__ import annotations

import asyncio
import logging

from queue_server.bus.relay import OutboxRelay, PublishingClient
from queue_server.store.errors import DatabaseError

log = logging.getLogger(__name__)

LEGACY_FEED_SECONDS = 5.0
"""The least time between two publishes of the old feed."""


async def run_legacy_feed(relay: OutboxRelay, client: PublishingClient, every: float = LEGACY_FEED_SECONDS) -> None:
    """Publish the old feed when the hall changed, at most every ``every`` seconds, until cancelled."""
    while True:
        await asyncio.sleep(every)
        try:
            await relay.publish_legacy_feed(client)
        except (DatabaseError, OSError) as error:  # the database is away: the next round tries again
            log.warning("could not publish the old hall feed of %s: %s", relay.centre, error)
