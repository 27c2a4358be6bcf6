"""The outbox relay: committed messages to the broker, in order per subject, never lost.

Rows are read in id order (within a centre that is the order of their sequence numbers per
subject) and published with QoS 1; a row is marked sent only once the broker acknowledged it. A
crash or an outage between the two only means the row is published again: delivery is at least
once, and a receiver drops a message whose sequence it has seen.

On every connection the relay first publishes the current retained state (window states, the
hall board's summary and latest calls, the old hall feed) with the newest sequence of each
subject, because a broker that restarted without persistence has forgotten it. A pending row for
a retained subject that is older than that snapshot is then marked sent without publishing it,
so it cannot overwrite the newer state the broker holds. Calls are never skipped.

Several server instances may share one PostgreSQL database: each runs a relay for every centre,
but only the one holding the centre's relay lease (queue_server.store.relay_lease) publishes.
The lease is taken inside the transaction that reads a batch of pending rows, held while they
are published and marked sent, and ends with that transaction or with a dead instance's
connection; the next instance then publishes the rows left unmarked, in order. The retained
snapshot on connection is published under the lease too, and marks the pending rows it makes
obsolete sent in the same transaction, so another instance cannot publish an older state after it.
On SQLite (one process) there is no lease: a batch is read and the connection let go, then it is
published and marked sent in a short write transaction of its own, so a publish holds no pooled
connection and never the database's write lock.

On SQLite the relay also publishes straight from the committed batch: the action runner hands it
the rows each commit wrote (:meth:`OutboxRelay.committed`), and while it knows of no other unsent
row it publishes those without reading them back, and marks what the broker acknowledged sent
later, in one short transaction when it is idle (at most every ``MARK_SECONDS`` under load), not
after every commit. The outbox stays the net: a row that a crash left unmarked is published again
at the next start (at least once, as before), and a commit it was not handed (another process's,
a reprint's) makes it read the table again, as does the poll. A row whose subject already had that
sequence acknowledged is never published twice by one process.

The poll is one for every centre (:func:`poll_outboxes`): rows another process wrote (or another
instance left unpublished when it died) are found by one query every ``POLL_SECONDS`` that names
the centres with unsent rows, and only their relays are poked (:meth:`OutboxRelay.poke`). A relay
with nothing to do waits for its event and costs nothing, however many centres a server holds.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Protocol

from queue_server.app.projections import hall_calls, hall_feed, hall_summary, recent_call_views, recent_calls
from queue_server.app.views import pad_view, window_state_view
from queue_server.bus.figures import OUTBOX_PUBLISHED, PUBLISH_FAILURES, Published
from queue_server.bus.sent_marks import SentMarks
from queue_server.domain.clock import Clock
from queue_server.domain.devices import DeviceKind
from queue_server.domain.hall import Hall
from queue_server.domain.told_ranges import RangeBasis
from queue_server.protocol.payloads import PROTOCOL, PROTOCOL_REVISION
from queue_server.protocol.topics import HALL_CALLS, HALL_FEED, HALL_SUMMARY, PAD_STATE, ROOT, WINDOW_STATE, match_topic
from queue_server.store import json_text
from queue_server.store.database import Connection, Database
from queue_server.store.errors import DatabaseError
from queue_server.store.outbox import (
    OutboxRow,
    Pending,
    RecentCalls,
    centres_with_pending,
    last_seqs,
    mark_sent,
    mark_superseded,
    pending,
)
from queue_server.store.relay_lease import try_relay_lease, wait_relay_lease
from queue_server.store.repository import load_hall

log = logging.getLogger(__name__)

BATCH = 200
IN_FLIGHT = 10
POLL_SECONDS = 1.0
"""How often the poll looks for rows no commit of this process woke a relay for (another process or
instance wrote them), and how long a relay must have gone unwoken before the poll sends it to the table."""
BUSY_SECONDS = 0.2
"""How soon a relay that found the lease held tries again: the holder (another instance, or this
process's old-feed round) may have read the table before the commit that woke this relay, and no
other wake-up need come (the poll leaves a relay woken within the last second alone)."""
IDLE_MARK_SECONDS = 0.05
"""How long a relay with acknowledged but unmarked rows waits for more work before marking them sent."""
MARK_SECONDS = 1.0
"""Under steady load, acknowledged rows are marked sent at least this often."""
RELAY_CONNECTIONS = 4
"""PostgreSQL: how many of a process's relays hold a database connection at once (:class:`RelayTurns`)."""


class PublishingClient(Protocol):
    """What the relay needs of an MQTT client (aiomqtt.Client has it)."""

    async def publish(self, topic: str, payload: str, qos: int = ..., retain: bool = ...) -> None: ...


@dataclass(frozen=True, slots=True)
class Outgoing:
    subject: str
    seq: int
    payload: Mapping[str, Any]


def topic_of(centre: str, subject: str) -> str:
    return f"{ROOT}/{centre}/{subject}"


def encode(payload: Mapping[str, Any], seq: int) -> str:
    """The JSON published: the payload with its sequence and the protocol version (and revision) the server speaks."""
    return json_text.dumps({**payload, "seq": seq, "protocol": PROTOCOL, "revision": PROTOCOL_REVISION})


def legacy_feed_seq(last: Mapping[str, int]) -> int:
    """The old hall feed's sequence: the sum of every subject's last sequence at the centre.

    The old feed is no outbox row (it is made from the database at a bounded rate), yet its ``seq``
    must only grow: each subject's last sequence only grows, so their sum does, and it grows with
    every committed message. It starts above the last sequence the feed had as an outbox row."""
    return sum(last.values())


@functools.lru_cache(maxsize=8192)
def is_retained(centre: str, subject: str) -> bool:
    """Whether ``subject``'s messages are retained (a state) rather than events; kept per subject,
    since matching a topic against every pattern cost more than publishing it."""
    found = match_topic(topic_of(centre, subject))
    if found is None:
        raise ValueError(f"Cannot relay subject {subject!r}: it is no OneWindow topic")
    return found[0].retained


class RelayTurns(asyncio.Semaphore):
    """The turns a process's relays take to hold a database connection (PostgreSQL).

    There a relay holds the lease's transaction, and so a pooled connection, while it publishes and
    waits for the broker's acknowledgements. The relays of a city's 80 busy centres took every
    connection of the pool, and the centres' actions waited for one until the pool gave up (answered
    503). At most :data:`RELAY_CONNECTIONS` relays hold one at a time; the others wait their turn
    and the rest of the pool stays for the actions.
    """

    def __init__(self, value: int = RELAY_CONNECTIONS) -> None:
        super().__init__(value)


class OutboxRelay:
    """Publishes one centre's outbox; ``wake`` is set after each commit to publish at once."""

    def __init__(
        self,
        db: Database,
        centre: str,
        clock: Clock,
        marks: SentMarks | None = None,
        turns: RelayTurns | None = None,
        read_hall: Callable[[str], Awaitable[Hall]] | None = None,
    ) -> None:
        self.db = db
        self.centre = centre
        self.clock = clock
        self.turns = turns
        """Shared with the process's other relays (PostgreSQL); None: this relay takes no turn."""
        self.marks = marks
        """Where acknowledged rows are marked sent with every other centre's (queue_server.bus.sent_marks);
        None: this relay marks its own in a transaction of its own."""
        self.read_hall = read_hall
        """The hall as committed, from the service's kept one (the old feed; else built from the rows)."""
        self.wake = asyncio.Event()
        self.published: dict[str, int] = {}
        """Newest sequence published per retained subject on the current connection."""
        self._legacy_basis = -1
        """The sum of :attr:`published` (the old feed's own aside) when the old feed was last made."""
        self.acknowledged: dict[str, int] = {}
        """Newest sequence per subject the broker acknowledged from this process: never published again."""
        self.unmarked: dict[str, int] = {}
        """Per subject, the newest acknowledged sequence not yet marked sent in the table."""
        self._marked_at = 0.0
        self.fresh: list[OutboxRow] = []
        """Rows committed and handed over (``committed``), not yet published, in commit order."""
        self.caught_up = False
        """No unsent row is in the table that is not in ``fresh`` (SQLite only; see the module's doc)."""
        self._woken_at = -POLL_SECONDS
        """When a commit of this process last woke the relay (the event loop's clock)."""

    async def republish_retained(self, client: PublishingClient) -> int:
        """Publish the current retained state under the relay lease; returns how many messages.

        Pending rows of retained subjects that the snapshot supersedes are marked sent in the same
        transaction (PostgreSQL): no instance publishes them after it. On SQLite (one process, whose
        relay of this centre drains only after this) the snapshot is read, the connection let go,
        and the marking is a short write of its own after the publish.
        """
        # the kept hall's last wait ranges, for the summary's newcomer ranges (a hall loaded from the
        # rows has none); read before a connection is held, as the kept hall takes one of its own
        ranges = (await self.read_hall(self.centre)).range_basis if self.read_hall is not None else None
        if self.db.sqlite:
            async with self.db.read() as read:
                snapshot = await self.retained_snapshot(read, ranges)
            await self._publish_snapshot(client, snapshot)
            await self._mark_superseded(None, snapshot)
        else:
            async with self._leased(wait=True) as conn:
                assert conn is not None
                snapshot = await self.retained_snapshot(conn, ranges)
                await self._publish_snapshot(client, snapshot)
                await self._mark_superseded(conn, snapshot)
        self.published = {m.subject: m.seq for m in snapshot}
        self._legacy_basis = self._retained_sum()
        return len(snapshot)

    async def _publish_snapshot(self, client: PublishingClient, snapshot: Sequence[Outgoing]) -> None:
        """Publish a retained snapshot, ``IN_FLIGHT`` messages awaiting their acknowledgement at a time."""
        for start in range(0, len(snapshot), IN_FLIGHT):
            chunk = snapshot[start : start + IN_FLIGHT]
            publishes = (
                client.publish(topic_of(self.centre, m.subject), encode(m.payload, m.seq), 1, True) for m in chunk
            )
            try:
                await asyncio.gather(*publishes)
            except Exception:  # published again on the next connection
                PUBLISH_FAILURES.labels(self.centre, Published.SNAPSHOT).inc()
                raise

    async def retained_snapshot(
        self, conn: Connection | None = None, ranges: RangeBasis | None = None
    ) -> list[Outgoing]:
        """Every window's state, the hall's messages and every pad's state as they are now, newest sequences;
        ``ranges``, the last wait ranges worked out, give the summary its newcomer ranges.

        The sequences are read before the state: a change committed in between makes the state
        newer than its sequence (its own row then publishes it again), never older.
        """
        if conn is None:
            async with self.db.read() as read:
                return await self.retained_snapshot(read, ranges)
        last = await last_seqs(conn, self.centre)
        hall = await load_hall(conn, self.centre, self.clock)
        hall.range_basis = ranges
        calls = await recent_calls(conn, hall)
        out = [
            Outgoing(
                WINDOW_STATE.subject(number=state.number),
                last.get(WINDOW_STATE.subject(number=state.number), 0),
                window_state_view(hall, state.number),
            )
            for state in hall.windows()
        ]
        for subject, payload in (
            (HALL_SUMMARY.subject(), hall_summary(hall)),
            (HALL_CALLS.subject(), hall_calls(hall, calls)),
        ):
            out.append(Outgoing(subject, last.get(subject, 0), payload))
        out.append(Outgoing(HALL_FEED.subject(), legacy_feed_seq(last), hall_feed(hall, calls)))
        for pad in hall.centre.devices:
            if pad.kind is DeviceKind.PAD and pad.window is not None:
                subject = PAD_STATE.subject(device=pad.id)
                out.append(Outgoing(subject, last.get(subject, 0), pad_view(hall, pad.window)))
        return out

    async def publish_legacy_feed(self, client: PublishingClient) -> bool:
        """Publish the old hall feed as the hall is now, if anything was committed since the last one.

        Under the relay lease, like every publish; False when nothing changed or another instance
        holds the lease. The caller bounds the rate (queue_server.bus.legacy_feed). A relay that
        published no retained state since its last feed asks the database nothing: an idle centre
        costs no query, and of several instances only the one that publishes makes the feed."""
        published = self._retained_sum()
        if published == self._legacy_basis:
            return False
        if self.db.sqlite:  # one process: no lease; the connection is let go before the hall is read
            async with self.db.read() as read:
                basis = await self._legacy_basis_read(read)
            feed = None if basis is None else await self._legacy_feed(None, *basis)
        else:
            async with self._leased(wait=False) as conn:
                if conn is None:
                    return False
                basis = await self._legacy_basis_read(conn)
                feed = None if basis is None else await self._legacy_feed(conn, *basis)
                if feed is not None:
                    await self._publish_legacy(client, feed, published)
                return feed is not None
        if feed is not None:
            await self._publish_legacy(client, feed, published)
        return feed is not None

    async def _legacy_basis_read(self, conn: Connection) -> tuple[int, RecentCalls] | None:
        """The old feed's next sequence and the latest calls; None if no newer feed is due."""
        seq = legacy_feed_seq(await last_seqs(conn, self.centre))
        if seq <= self.published.get(HALL_FEED.subject(), -1):
            return None
        return seq, await RecentCalls.load(conn, self.centre)

    async def _legacy_feed(
        self, conn: Connection | None, seq: int, recent: RecentCalls
    ) -> tuple[int, Mapping[str, Any]]:
        """The old feed's payload as the hall is now: the kept hall (``read_hall``, newer than the
        sequence read before), which takes a connection of its own, so none may be held then (a
        round holding one while it waited for another took SQLite's whole read pool in a city's
        rush); else the hall loaded in ``conn``, or in a read of its own when none is given."""
        if self.read_hall is not None:
            hall = await self.read_hall(self.centre)
        elif conn is not None:
            hall = await load_hall(conn, self.centre, self.clock)
        else:
            async with self.db.read() as read:
                hall = await load_hall(read, self.centre, self.clock)
        return seq, hall_feed(hall, recent_call_views(hall, recent.calls()))  # before the next await

    async def _publish_legacy(self, client: PublishingClient, feed: tuple[int, Mapping[str, Any]], basis: int) -> None:
        seq, payload = feed
        subject = HALL_FEED.subject()
        await client.publish(topic_of(self.centre, subject), encode(payload, seq), 1, True)
        self.published[subject] = seq
        self._legacy_basis = basis

    def _retained_sum(self) -> int:
        """The sum of the newest sequences published per retained subject, the old feed's aside: it
        grows with every retained state this relay publishes."""
        feed = HALL_FEED.subject()
        return sum(seq for subject, seq in self.published.items() if subject != feed)

    def committed(self, rows: Sequence[OutboxRow] | None) -> None:
        """A commit at this centre wrote ``rows`` (None: rows not known here); publish them soon."""
        if rows is None:
            self.caught_up = False
        elif self.db.sqlite:  # kept even while not caught up: the next drain may end before this commit
            self.fresh.extend(rows)
        self._woken_at = self.clock_seconds()
        self.wake.set()

    def poke(self) -> None:
        """The poll saw unsent rows of this centre: unless a commit woke the relay within the last
        ``POLL_SECONDS`` (it is at work, and a gap in what it is handed sends it to the table), it
        reads the table now, as rows no commit of this process handed it may be among them."""
        if self.clock_seconds() - self._woken_at >= POLL_SECONDS:
            self.caught_up = False
            self.wake.set()

    async def drain(self, client: PublishingClient) -> int | None:
        """Publish every pending row; returns how many were published, None if another instance holds the lease."""
        total = 0
        while True:
            batch = await (self._drain_read_first(client) if self.db.sqlite else self._drain_leased(client))
            if batch is None:
                return total or None
            published, more = batch
            total += published
            if not more:
                return total

    async def _drain_read_first(self, client: PublishingClient) -> tuple[int, bool]:
        """SQLite: read a batch and let the connection go, then publish it and mark it sent.

        One process writes the file, so there is no lease to hold; a pooled read connection held
        while the broker acknowledged (and then while the write turn was awaited) let the relays
        of a city's centres take the whole pool in a rush, and the centres' requests waited for one
        until the pool gave up."""
        async with self.db.read() as conn:
            last = await last_seqs(conn, self.centre)  # read before the rows, in the same snapshot
            rows = await pending(conn, self.centre, BATCH)
        if not rows:  # nothing unsent up to these: handed-over rows follow them
            for subject, seq in last.items():
                self.acknowledged[subject] = max(seq, self.acknowledged.get(subject, 0))
            return 0, False
        published = await self._publish(client, rows)
        await self._mark_sent(None, [row.id for row in rows])
        return published, True

    async def _drain_leased(self, client: PublishingClient) -> tuple[int, bool] | None:
        """PostgreSQL: read, publish and mark a batch in one transaction holding the relay lease;
        None when another instance holds it."""
        async with self._leased(wait=False) as conn:
            if conn is None:
                return None
            rows = await pending(conn, self.centre, BATCH)
            if not rows:
                return 0, False
            published = await self._publish(client, rows)
            await self._mark_sent(conn, [row.id for row in rows])
            return published, True

    async def run(self, client: PublishingClient) -> None:
        """Drain now, then whenever woken (by a commit or the poll), until cancelled."""
        self.caught_up = False  # a new connection: what the last one left unsent is in the table
        while True:
            self.wake.clear()
            try:
                busy = await self._relay(client)
                if not busy and self.unmarked and not await self._woken_within(IDLE_MARK_SECONDS):
                    await self._mark_acknowledged()  # idle: the write no longer delays a commit
            except (DatabaseError, OSError) as error:  # the database is away: the rows wait for it
                log.warning("could not relay the outbox of %s: %s; trying again", self.centre, error)
                self.caught_up = False
                busy = True
            if busy:  # the holder may have read the table before what woke us: look again soon
                await asyncio.sleep(BUSY_SECONDS)
                continue
            await self.wake.wait()

    async def _woken_within(self, seconds: float) -> bool:
        """Whether ``wake`` was set within ``seconds``."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self.wake.wait()
                return True
        return False

    async def _relay(self, client: PublishingClient) -> bool:
        """Publish what is pending: the handed-over rows while caught up, else the table's; True
        when another instance holds the lease."""
        if self.db.sqlite and self.caught_up:
            fresh, self.fresh = self.fresh, []
            if self._follows_on(fresh):
                if fresh:
                    try:
                        await self._publish(client, fresh, later=True)
                    except BaseException:  # what was not acknowledged is in the table
                        self.caught_up = False
                        raise
                if self.unmarked and self.clock_seconds() - self._marked_at >= MARK_SECONDS:
                    await self._mark_acknowledged()
                return False
            self.caught_up = False  # a row it was not handed comes first: read them all from the table
        self.fresh = []  # committed, so the table has them too; rows handed over during the drain stay
        if self.unmarked:
            await self._mark_acknowledged()
        busy = await self.drain(client) is None
        self.caught_up = self.db.sqlite and not busy
        return busy

    def _follows_on(self, rows: Sequence[OutboxRow]) -> bool:
        """Whether each row's sequence follows on from the last one acknowledged on its subject
        (sequences have no gaps): else a row committed elsewhere (a reprint, another process) is
        missing from the rows handed over."""
        last = dict(self.acknowledged)
        for row in rows:
            subject, seq = str(row["subject"]), int(row["seq"])
            known = last.get(subject, 0)
            if seq > known + 1:
                return False
            last[subject] = max(seq, known)
        return True

    def clock_seconds(self) -> float:
        return asyncio.get_running_loop().time()

    async def _mark_acknowledged(self) -> None:
        """Mark sent, in one short transaction, every row up to the newest acknowledged sequence of each
        subject; with :attr:`marks`, in the one that marks every centre's."""
        unmarked, self.unmarked = self.unmarked, {}
        self._marked_at = self.clock_seconds()
        if self.marks is not None:
            self.marks.add(self.centre, unmarked)
            return
        now = self.clock.now()
        try:
            async with self.db.write() as conn:
                await mark_superseded(conn, self.centre, sorted(unmarked.items()), now)
        except BaseException:
            for subject, seq in unmarked.items():  # still to be marked
                self.unmarked[subject] = max(seq, self.unmarked.get(subject, 0))
            raise

    @asynccontextmanager
    async def _leased(self, *, wait: bool) -> AsyncIterator[Connection | None]:
        """PostgreSQL: a transaction holding the relay lease, for the reading, the publishing and
        the marking; None when another instance holds it."""
        async with self.turns or contextlib.nullcontext(), self.db.write() as conn:
            if wait:
                await wait_relay_lease(conn, self.centre)
            elif not await try_relay_lease(conn, self.centre):
                yield None
                return
            yield conn

    async def _publish(
        self, client: PublishingClient, rows: Sequence[Pending | OutboxRow], *, later: bool = False
    ) -> int:
        """Publish in order on one connection (MQTT keeps the order); all must be acknowledged.

        A retained state (a window's, the hall feed, a pad's) is a whole picture: of several rows of
        one such subject in a batch only the newest is published. Calls are all published.

        Up to ``IN_FLIGHT`` publishes await their acknowledgement together: one round trip per
        chunk instead of one per message, within what aiomqtt keeps pending without warning.
        ``later``: the rows are marked sent by ``_mark_acknowledged`` (handed over, not read).
        """
        parts = [_parts(row) for row in rows]
        retained_rows = [(subject, seq, payload, is_retained(self.centre, subject)) for subject, seq, payload in parts]
        newest: dict[str, int] = {}  # per retained subject, the newest state among these rows: only it is worth sending
        for subject, seq, _, retained in retained_rows:
            if retained:
                newest[subject] = max(seq, newest.get(subject, 0))
        sends = []
        acknowledged = self.acknowledged
        for subject, seq, payload, retained in retained_rows:
            if seq <= acknowledged.get(subject, 0):
                continue  # this process had it acknowledged already (handed over, then read back)
            if retained and (seq <= self.published.get(subject, 0) or seq < newest[subject]):
                continue  # older than the state the broker already holds, or than a later row of this batch
            sends.append((subject, seq, topic_of(self.centre, subject), encode(payload, seq), retained))
        for start in range(0, len(sends), IN_FLIGHT):
            chunk = sends[start : start + IN_FLIGHT]
            publishes = (client.publish(topic, text, 1, retained) for _, _, topic, text, retained in chunk)
            try:
                await asyncio.gather(*publishes)
            except Exception:  # the rows stay unsent: published again on the next connection
                PUBLISH_FAILURES.labels(self.centre, Published.OUTBOX).inc()
                raise
            OUTBOX_PUBLISHED.labels(self.centre).inc(len(chunk))
            for subject, seq, _, _, retained in chunk:  # held by the broker now, not before
                if retained:
                    self.published[subject] = seq
        for subject, seq, _, _ in retained_rows:  # all acknowledged, or not worth sending
            if seq > acknowledged.get(subject, 0):
                acknowledged[subject] = seq
                if later:
                    self.unmarked[subject] = seq
        return len(sends)

    async def _mark_sent(self, conn: Connection | None, ids: list[int]) -> None:
        now = self.clock.now()
        await self._write(conn, lambda write: mark_sent(write, ids, now))

    async def _mark_superseded(self, conn: Connection | None, snapshot: Sequence[Outgoing]) -> None:
        """Mark sent the pending rows of the snapshot's subjects that are no newer than it."""
        if not snapshot:
            return
        newest = [(m.subject, m.seq) for m in snapshot]
        now = self.clock.now()
        await self._write(conn, lambda write: mark_superseded(write, self.centre, newest, now))

    async def _write(self, conn: Connection | None, statement: Callable[[Connection], Awaitable[None]]) -> None:
        """Run ``statement`` in the lease's transaction ``conn`` (PostgreSQL), or in a short write
        transaction of its own (SQLite: ``conn`` is None)."""
        if conn is None:
            async with self.db.write() as write:
                await statement(write)
            return
        await statement(conn)


async def poll_outboxes(db: Database, relays: Callable[[], Mapping[str, OutboxRelay]]) -> None:
    """Every ``POLL_SECONDS``, poke the relay of each centre that has unsent rows, until cancelled.

    ``relays`` gives the relays running now, by centre. One query for every centre, so an idle
    city costs one look a second, not one per centre; a database that is away is looked at again
    at the next round (the relays' rows wait in the table)."""
    while True:
        await asyncio.sleep(POLL_SECONDS)
        try:
            async with db.read() as conn:
                centres = await centres_with_pending(conn)
        except (DatabaseError, OSError) as error:
            log.warning("could not look for unsent rows in the outbox: %s; trying again", error)
            continue
        running = relays()
        for centre in centres:
            relay = running.get(centre)
            if relay is not None:
                relay.poke()


def _parts(row: Pending | OutboxRow) -> tuple[str, int, Any]:
    """A row's subject, sequence and payload, whether read from the table or handed over by a commit."""
    if isinstance(row, Pending):
        return row.subject, row.seq, row.payload
    return str(row["subject"]), int(row["seq"]), row["payload"]
