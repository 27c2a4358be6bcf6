"""The wait ranges shown on tickets' pages: computed from the live hall at a bounded rate.

A range costs ``estimates.RANGE_PLAYS`` forward plays of the hall (``Hall.wait_ranges``), too much
for every action and every page read. So no action computes one: a read of a centre's ranges
plays its whole queue once when the hall changed since the last computation at least ``gap``
ago (or ``MAX_SECONDS`` passed: waits shrink as time goes), and every other read shares the last
result. A ticket issued since shows a range scaled from that result (``Hall.told``) until then.
The gap is ``MIN_SECONDS``, or ``COST_RATIO`` times what the last computation took when that is
longer: a long queue's ranges never take more than a twentieth of the process's time, whatever
the pace of the actions.

After issues the service also works them out once a gap later, whoever reads, and keeps
each waiting ticket's point estimate beside its range on the hall (``Hall.range_basis``), and per
matter the range of a phantom newcomer played last in the queue in the same plays
(``estimates.Newcomers``) beside its point estimate: an issue tells its matter's phantom range
moved to its own point estimate (or, for a ticket that does not go last, scales the nearest
tickets' ranges: queue_server.domain.told_ranges), in its own transaction and without a play,
and keeps it with the ticket (``tickets.estimate_low``/``estimate_high``): the range told at
issue, which the reports set against the real wait. The round writes a first range only for a
ticket that was told none (no window served it at issue). When the round moves a group's
newcomer range, the hall board's summary is sent again with it (``board_moved``,
``publish_board``): at most once a round, so at the rounds' bounded rate.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Mapping
from dataclasses import dataclass

from queue_server.app.halls import Halls
from queue_server.app.projections import hall_summary
from queue_server.domain.estimates import WaitRange
from queue_server.domain.hall import Hall
from queue_server.domain.told_ranges import RangeBasis
from queue_server.domain.wait_moves import Glance, WaitMove, moves
from queue_server.protocol.topics import HALL_SUMMARY
from queue_server.store.outbox import Message, write_outbox

MIN_SECONDS = 2
"""At most one computation of a centre's ranges in this many seconds."""
MAX_SECONDS = 60
"""Ranges are computed again after this long even when nothing changed."""
COST_RATIO = 20
"""The gap between two computations is at least this many times what the last one took."""


@dataclass(slots=True)
class _Computed:
    hall: int
    changes: int
    at: dt.datetime
    ranges: dict[int, WaitRange]
    glance: Glance


class WaitRanges:
    """Per centre, the last ranges computed, from which hall, at which of its changes and when."""

    def __init__(self) -> None:
        self._computed: dict[str, _Computed] = {}
        self._moves: dict[str, dict[int, WaitMove]] = {}
        self._cost: dict[str, float] = {}
        self._running: dict[str, asyncio.Future[dict[int, WaitRange]]] = {}
        """Per centre, the computation under way, which readers meanwhile share."""
        self._size: dict[str, int] = {}
        """Per centre, how many waited when the ranges were last worked out."""
        self._done_at: dict[str, float] = {}
        """Per centre, when (``time.monotonic``) the ranges were last worked out."""
        """Per centre, the computation under way, which readers meanwhile share."""
        """Per centre, the seconds the last computation took."""
        """Per centre and waiting ticket, the last move of its told wait."""
        self.computations = 0
        """How many times ranges were computed (a test reads the bound on it)."""

    async def refresh(self, hall: Hall) -> dict[int, WaitRange]:
        """Work the ranges out now (the service's round after issues: at most one per ``MIN_SECONDS``).

        The plays take turns with the event loop, one play at a time: forty plays of a long queue
        held it for seconds, and every call, answer and display waited. The hall is taken as it
        stands at the first play; a change meanwhile makes the next read compute again. Readers
        that come while a computation runs share it."""
        code = hall.centre.code
        running = self._running.get(code)
        if running is not None:
            return await asyncio.shield(running)
        task = self._running[code] = asyncio.ensure_future(self._compute(hall))
        return await asyncio.shield(task)

    async def _compute(self, hall: Hall) -> dict[int, WaitRange]:
        try:
            return await self._plays(hall)
        finally:
            self._running.pop(hall.centre.code, None)

    async def _plays(self, hall: Hall) -> dict[int, WaitRange]:
        code = hall.centre.code
        changes, at = hall.changes, hall.clock.now()
        started = time.perf_counter()
        points = hall.range_points()  # at the plays' instant: what an issue scales their ranges by
        phantoms = hall.phantom_points()  # per matter, a newcomer's: what an issue moves its range by
        newcomers = hall.newcomer_points(phantoms)  # what the hall board tells each group's newcomer
        cost = time.perf_counter() - started
        ranges: dict[int, WaitRange] = {}
        played: dict[str, WaitRange] = {}
        plays = hall.wait_range_plays(ranges, newcomers=played)
        while True:
            started = time.perf_counter()
            step = next(plays, StopIteration)
            cost += time.perf_counter() - started
            if step is StopIteration:
                break
            await asyncio.sleep(0)
        started = time.perf_counter()
        seen = hall.glance()
        before = self._computed.get(code)
        moved = self._moves.setdefault(code, {})
        if before is not None and before.hall == id(hall):
            waiting = {t.serial: t for t in hall.waiting()}
            moved.update(moves(before.glance, seen, waiting, hall.router))
        for serial in set(moved) - set(ranges):  # no longer waiting
            del moved[serial]
        kept = self._computed[code] = _Computed(id(hall), changes, at, ranges, seen)
        hall.range_basis = RangeBasis.of(
            at, points, ranges, newcomers, hall.stats.spread, hall.calibration, phantoms=phantoms, played=played
        )
        self.computations += 1
        self._cost[code] = cost + time.perf_counter() - started
        self._size[code] = waiting_count(hall)
        self._done_at[code] = time.monotonic()
        return kept.ranges

    def gap(self, code: str, waiting: int | None = None) -> float:
        """Seconds a centre's ranges are kept after a change before they are worked out again.

        ``COST_RATIO`` times what the last computation took, grown with the queue since (a play's
        cost follows the number waiting): in a rush the queue grows between two computations, and
        the next one, gapped by the last one's smaller cost, took a fifth of the process's time."""
        cost = self._cost.get(code, 0.0)
        size = self._size.get(code, 0)
        if waiting is not None and size and waiting > size:
            cost *= waiting / size
        return max(float(MIN_SECONDS), COST_RATIO * cost)

    def due_in(self, hall: Hall) -> float:
        """Seconds until the gap after the last computation is over, for the queue as it is now."""
        code = hall.centre.code
        done = self._done_at.get(code)
        if done is None:
            return 0.0
        return self.gap(code, waiting_count(hall)) - (time.monotonic() - done)

    def moved(self, code: str, serial: int) -> WaitMove | None:
        """The last time the ticket's told wait moved and why, if it did while it waited."""
        return self._moves.get(code, {}).get(serial)

    async def of(self, hall: Hall) -> dict[int, WaitRange]:
        """Every waiting ticket's range, as computed at most ``MIN_SECONDS`` after the hall's last change."""
        now = hall.clock.now()
        kept = self._computed.get(hall.centre.code)
        if kept is None or self._stale(kept, hall, now):
            return await self.refresh(hall)
        return kept.ranges

    def _stale(self, kept: _Computed, hall: Hall, now: dt.datetime) -> bool:
        if kept.hall != id(hall) or now < kept.at:
            return True
        age = now - kept.at
        changed = kept.changes != hall.changes
        return age >= dt.timedelta(seconds=MAX_SECONDS) or (
            changed and age >= dt.timedelta(seconds=self.gap(hall.centre.code, waiting_count(hall)))
        )


def waiting_count(hall: Hall) -> int:
    """How many tickets wait in the hall, without going through the queue."""
    return sum(hall.waiting_by_prefix().values())


def board_ranges(basis: RangeBasis | None) -> dict[str, tuple[int, int]]:
    """Per ticket group, the newcomer range the hall board shows from ``basis``, in whole minutes."""
    return {} if basis is None else {prefix: told.whole_minutes() for prefix, told in basis.newcomers.items()}


def board_moved(before: Mapping[str, tuple[int, int]], basis: RangeBasis | None) -> bool:
    """Whether a round's ``basis`` shows the board another newcomer range than ``before``."""
    return board_ranges(basis) != dict(before)


async def publish_board(halls: Halls, centre: str, basis: RangeBasis) -> None:
    """Send the hall board's summary again, with the newcomer ranges of the round's ``basis``, in a
    transaction of its own under the centre's lock (its sequence number follows the actions')."""
    async with halls.locked(centre) as locked:
        hall = await locked.hall()
        if hall.range_basis is None:  # a hall built afresh meanwhile: it keeps the round's
            hall.range_basis = basis
        message = Message(HALL_SUMMARY.subject(), "summary", hall_summary(hall))
        await write_outbox(locked.conn, centre, [message], halls.clock.now())
