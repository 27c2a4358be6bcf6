"""The wait range told at issue (slip, kiosk, desk), without a forward play in the action.

A range costs ``estimates.RANGE_PLAYS`` plays of the hall: no action computes one. The service
works the hall's ranges out now and then, outside its actions (``app.wait_ranges``), and leaves
each waiting ticket's point estimate beside its range (a :class:`RangeBasis`), and per matter the
range of a phantom newcomer played last in the queue in the same plays, with its point estimate
then (:class:`PlayedRange`). An ordinary issue is such a newcomer: it is told its matter's played
range, moved by what its own point estimate moved since (the time gone by, the tickets issued and
called meanwhile). A ticket that does not go last (green channel, a booking, one sent to a
window), or of a matter the plays had no phantom for, takes the few tickets of that computation
whose point estimates are nearest its own (``NEARBY``, of the same matter first, then the same
ticket group, then any), averages their ranges relative to their points and scales that to its
own point: the relative width the plays found for a wait of that length in this hall.

When the nearest were told 0 minutes (they have no ratio to lend), or before any computation (a
hall just loaded, the first ticket of the day), the range comes from the learned spread of the
matter's handling times: log-normal about the point estimate, between the same quantiles as the
plays' ranges. One handling time's spread is wider than a long queue's wait varies relatively
(many handling times ahead average out), so a cold start tells a range on the wide side, never a
narrow one the hall has not earned.

Either loses coverage (the hall moved since the working-out; the learned spreads may be off), so
the hall checks what it told against what happened (:class:`Calibration`): each called ticket's
real wait is set against the range it was told, and the recent ones widen, narrow or move a new
range for about ``CALIBRATION_TARGET`` of waits to fall inside. The ends are then rounded to the
nearest whole minute (the printed figures), not outwards: rounding out added a minute to every
range.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from statistics import NormalDist
from types import MappingProxyType

from queue_server.domain.estimates import PRIOR_SPREAD, RANGE_QUANTILES, WaitRange

NEARBY = 5
"""How many tickets of the last working-out lend their relative range to an issue: one ticket's 5th
and 95th percentiles of 40 plays are themselves noisy (the 5th is about the second shortest play);
a few neighbours' averaged are steadier."""
CALIBRATION_TARGET = 0.84
"""The share of recent real waits a told range is corrected to hold: above the 80 % promised, as
the recent tickets only estimate the share of the next ones (at 82 % some days held 79 %)."""
CALIBRATION_TICKETS = 200
"""How many recent called tickets the correction is read from (about an hour of a busy hall)."""
CALIBRATION_MIN = 40
"""Fewer scored tickets than this (a day's first hour, a hall just loaded): no correction."""
CALIBRATION_PENDING = 5000
"""At most this many told-but-not-yet-called tickets are remembered (the oldest forgotten first)."""


@dataclass(frozen=True, slots=True)
class RangePoint:
    """A waiting ticket's point estimate, with what an issue matches it by."""

    matter: str
    prefix: str
    """The ticket group (number prefix) it waits in."""
    point: dt.timedelta


@dataclass(frozen=True, slots=True)
class RangeSample:
    """One waiting ticket of a computation of ranges: its point estimate then, and its range."""

    matter: str
    prefix: str
    point: dt.timedelta
    range: WaitRange


@dataclass(frozen=True, slots=True)
class PlayedRange:
    """A phantom newcomer's range from the round's plays, and its point estimate then."""

    point: dt.timedelta
    range: WaitRange

    def moved(self, point: dt.timedelta) -> WaitRange:
        """The range for a newcomer whose point estimate is ``point`` now: shifted by what its point
        moved since the plays (the time gone by, the tickets issued or called since), not scaled:
        the spread of the wait to come is the plays', only where it starts has moved."""
        shift = point - self.point
        zero = dt.timedelta()
        return WaitRange(max(self.range.low + shift, zero), max(self.range.high + shift, zero))


@dataclass(frozen=True, slots=True)
class RangeBasis:
    """The last computation of a hall's ranges, for the issues since to tell theirs from."""

    at: dt.datetime
    samples: tuple[RangeSample, ...]
    newcomers: Mapping[str, WaitRange] = field(default_factory=dict)
    """Per ticket group, the range told to a newcomer then (the hall board shows it)."""
    played: Mapping[str, PlayedRange] = field(default_factory=dict)
    """Per matter, its phantom newcomer's range in the same plays (``estimates.Newcomers``)."""
    _index: dict[str, tuple[list[dt.timedelta], tuple[RangeSample, ...]]] = field(init=False, repr=False, compare=False)
    """Per matter, group and all: the samples in order of point, for an issue to find the nearest by bisection."""

    def __post_init__(self) -> None:
        kinds: dict[str, list[RangeSample]] = {}
        for found in self.samples:
            for key in (f"matter:{found.matter}", f"group:{found.prefix}", "any"):
                kinds.setdefault(key, []).append(found)
        index = {}
        for key, found_of in kinds.items():
            found_of.sort(key=lambda s: s.point)
            index[key] = ([s.point for s in found_of], tuple(found_of))
        object.__setattr__(self, "_index", index)

    def nearest(self, point: dt.timedelta, matter: str, prefix: str) -> RangeSample | None:
        """The sample whose point is nearest ``point``: of the same matter, else group, else any."""
        found = self.nearby(point, matter, prefix, 1)
        return found[0] if found else None

    def nearby(self, point: dt.timedelta, matter: str, prefix: str, count: int = NEARBY) -> list[RangeSample]:
        """Up to ``count`` samples whose points are nearest ``point``, nearest first: of the same
        matter, else of the same group, else of any."""
        for key in (f"matter:{matter}", f"group:{prefix}", "any"):
            kept = self._index.get(key)
            if kept:
                points, samples = kept
                below = bisect.bisect_left(points, point) - 1
                above = below + 1
                out: list[RangeSample] = []
                while len(out) < count and (below >= 0 or above < len(samples)):
                    if above >= len(samples) or (below >= 0 and point - points[below] <= points[above] - point):
                        out.append(samples[below])
                        below -= 1
                    else:
                        out.append(samples[above])
                        above += 1
                return out
        return []

    @classmethod
    def of(
        cls,
        at: dt.datetime,
        points: Mapping[int, RangePoint],
        ranges: Mapping[int, WaitRange],
        newcomers: Mapping[str, RangePoint] = MappingProxyType({}),
        spread: Callable[[str], float] = lambda _: PRIOR_SPREAD,
        calibration: Calibration | None = None,
        phantoms: Mapping[str, RangePoint] = MappingProxyType({}),
        played: Mapping[str, WaitRange] = MappingProxyType({}),
    ) -> RangeBasis:
        """The tickets that have both a point estimate and a range, from the same instant ``at``; per
        matter, its phantom newcomer's point (``phantoms``) and range (``played``); and each group's
        newcomer told a range from them as an issue would be (``spread`` per matter, corrected by
        the hall's ``calibration``)."""
        samples = tuple(
            RangeSample(p.matter, p.prefix, p.point, ranges[serial]) for serial, p in points.items() if serial in ranges
        )
        kept = {matter: PlayedRange(p.point, played[matter]) for matter, p in phantoms.items() if matter in played}
        basis = cls(at, samples, played=kept)
        calibration = calibration or Calibration()  # none: uncorrected
        told = {
            prefix: calibration.told(basis.raw_range(p.point, p.matter, prefix, spread(p.matter)))
            for prefix, p in newcomers.items()
        }
        return cls(at, samples, told, kept)

    def raw_range(
        self, point: dt.timedelta, matter: str, prefix: str, spread: float, *, played: bool = True
    ) -> WaitRange:
        """The range for a newcomer of ``matter`` with ``point`` estimate, before correction: its
        matter's phantom range moved to ``point`` (``played``, when the plays had one), else scaled
        from the nearest tickets (:func:`told_range`). A phantom called at once in every play (a
        window was free for it then) says nothing of how a wait varies, like a ticket told no
        wait: moved, it would tell a wait of one figure. One called later at the same instant in
        every play (at the end of the lunch break, nobody ahead) does: that wait is certain."""
        found = self.played.get(matter) if played else None
        if found is not None and found.range.high > dt.timedelta():
            return found.moved(point)
        return told_range(point, matter, prefix, self, spread)


class Calibration:
    """How the hall's told ranges fared, and the correction it gives the next ones.

    Per recent called ticket, its score: how far its real wait fell from the middle of the range
    it was told before this correction, in half-widths of that range (-1 and 1 are its ends). The
    next ranges run from their middle plus the low to their middle plus the high end of the
    narrowest interval holding ``CALIBRATION_TARGET`` of those scores, in their own half-widths:
    the plays say how wide a wait of that length varies, the hall's own record says where the
    waits fell and how much wider (or narrower) they needed; ranges that held the waits as they
    should are left about as they were. A split-conformal correction run online: the scores are
    read against the uncorrected ranges, so the correction does not feed on itself. Read from the
    middle, not from the point estimate: a played range is not centred on the point (a wait runs
    longer more than shorter), and scores about the point lost that shape (measured: on the busy
    centre a day that held 78 % inside, read about the point, held 82 % read about the middle, with
    ranges a minute narrower; docs/simulator.md).

    Kept in memory beside the hall; each ticket keeps what it was told at issue (the middle and
    half-width of its uncorrected range), so a hall loaded afresh rebuilds it (:meth:`rebuilt`)
    and tells the same corrected ranges as the one that ran."""

    def __init__(self) -> None:
        self._told: dict[int, tuple[float, float]] = {}
        """Per waiting ticket told a range here: the middle and the half-width of its range before
        correction, in seconds (in order of issue)."""
        self._scores: deque[float] = deque()
        """The recent scores in order of call, at most ``CALIBRATION_TICKETS``."""
        self._ordered: list[float] = []
        """The same in order of size, kept so (a call's cost is an insertion, not a sort)."""
        self._ends: tuple[float, float] | None = None

    def told(self, raw: WaitRange, serial: int | None = None) -> WaitRange:
        """The range to print for the uncorrected range ``raw``, corrected and in whole minutes;
        remembered for ``serial`` to score when it is called."""
        half = (raw.high - raw.low).total_seconds() / 2
        if half <= 0:
            return printed(raw)
        at = raw.low.total_seconds() + half
        if serial is not None:
            self._told[serial] = (at, half)
            if len(self._told) > CALIBRATION_PENDING:
                del self._told[next(iter(self._told))]
        ends = self.ends()
        if ends is None:
            return printed(raw)
        low = max(at + half * ends[0], 0.0)
        return _printed_seconds(low, max(at + half * ends[1], low))

    def called(self, serial: int, wait: dt.timedelta) -> None:
        """The ticket ``serial`` was called after waiting ``wait``: score the range it was told."""
        found = self._told.pop(serial, None)
        if found is not None:
            self._score(*found, wait.total_seconds())

    def _score(self, at: float, half: float, wait: float) -> None:
        score = (wait - at) / half
        self._scores.append(score)
        bisect.insort(self._ordered, score)
        if len(self._scores) > CALIBRATION_TICKETS:
            self._ordered.pop(bisect.bisect_left(self._ordered, self._scores.popleft()))
        self._ends = None

    def remembered(self, serial: int) -> tuple[float, float] | None:
        """The middle and half-width (seconds) of the uncorrected range ``serial`` was told at issue, while
        it is not yet called: what the store keeps with the ticket to rebuild the correction."""
        return self._told.get(serial)

    @classmethod
    def rebuilt(
        cls, called: Iterable[tuple[float, float, float]], waiting: Iterable[tuple[int, float, float]]
    ) -> Calibration:
        """The correction of a hall loaded afresh, from what its tickets keep: the ``called`` ones'
        (middle, half-width, real wait), in seconds and in order of call (the last
        ``CALIBRATION_TICKETS`` count), and the ``waiting`` ones' (serial, middle, half-width), in
        order of issue, to score when they are called. It then tells what the hall that ran told."""
        calibration = cls()
        for at, half, wait in called:
            calibration._score(at, half, wait)
        for serial, at, half in waiting:
            calibration._told[serial] = (at, half)
        while len(calibration._told) > CALIBRATION_PENDING:
            del calibration._told[next(iter(calibration._told))]
        return calibration

    def forget(self, serial: int) -> None:
        """The ticket ended uncalled (cancelled, carried over): it has no real wait to score."""
        self._told.pop(serial, None)

    @property
    def scored(self) -> int:
        return len(self._scores)

    def ends(self) -> tuple[float, float] | None:
        """The narrowest interval of scores holding ``CALIBRATION_TARGET`` of the recent ones, or
        None while too few were scored."""
        if len(self._scores) < CALIBRATION_MIN:
            return None
        if self._ends is None:
            ordered = self._ordered
            inside = math.ceil(CALIBRATION_TARGET * len(ordered))
            widths = [high - low for low, high in zip(ordered, ordered[inside - 1 :], strict=False)]
            first = widths.index(min(widths))
            self._ends = (ordered[first], ordered[first + inside - 1])
        return self._ends


def printed(told: WaitRange) -> WaitRange:
    """``told`` in whole minutes as printed: each end to the nearest minute, at least a minute wide
    unless nothing is to be waited."""
    return _printed_seconds(told.low.total_seconds(), told.high.total_seconds())


def _printed_seconds(low: float, high: float) -> WaitRange:
    start, end = round(low / 60), round(high / 60)
    if high > 0 and end <= start:
        end = start + 1
    return WaitRange(dt.timedelta(minutes=start), dt.timedelta(minutes=end))


def told_range(point: dt.timedelta, matter: str, prefix: str, basis: RangeBasis | None, spread: float) -> WaitRange:
    """The range told with a new ticket's ``point`` estimate: from the ``NEARBY`` nearest samples of
    ``basis`` (same matter, else same group, else any), their ranges relative to their points
    averaged, else from the matter's handling-time ``spread``."""
    nearby = basis.nearby(point, matter, prefix) if basis is not None else []
    lending = [s for s in nearby if s.point]  # a ticket told no wait has no ratio to lend
    if not lending:
        return spread_range(point, spread)
    low = high = 0.0
    for found in lending:
        low += found.range.low / found.point
        high += found.range.high / found.point
    return WaitRange(point * (low / len(lending)), point * (high / len(lending)))


def spread_range(point: dt.timedelta, spread: float) -> WaitRange:
    """The range of a log-normal wait with mean ``point`` and relative ``spread`` (standard deviation
    / mean), between ``RANGE_QUANTILES``."""
    sigma = math.sqrt(math.log1p(spread * spread))
    mu = -sigma * sigma / 2  # the median below the mean, so the mean stays ``point``
    return WaitRange(point * math.exp(mu + _LOW_Z * sigma), point * math.exp(mu + _HIGH_Z * sigma))


_LOW_Z, _HIGH_Z = (NormalDist().inv_cdf(q) for q in RANGE_QUANTILES)
