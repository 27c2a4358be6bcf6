"""The wait range told at issue (slip, kiosk, desk), without a forward play in the action.

A range costs ``estimates.RANGE_PLAYS`` plays of the hall: no action computes one. The service
works the hall's ranges out now and then, outside its actions (``app.wait_ranges``), and leaves
each waiting ticket's point estimate beside its range (a :class:`RangeBasis`). An issue takes the
ticket of that computation whose point estimate is nearest its own (the same matter first, then
the same ticket group, then any) and scales that ticket's range by the ratio of the two points:
the relative width the plays found for a wait of that length in this hall.

When the nearest was told 0 minutes (it has no ratio to lend), or before any computation (a hall
just loaded, the first ticket of the day), the range comes from the
learned spread of the matter's handling times: log-normal about the point estimate, between the
same quantiles as the plays' ranges. One handling time's spread is wider than a long queue's wait
varies relatively (many handling times ahead average out), so a cold start tells a range on the
wide side, never a narrow one the hall has not earned.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from statistics import NormalDist
from types import MappingProxyType

from queue_server.domain.estimates import PRIOR_SPREAD, RANGE_QUANTILES, WaitRange


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
class RangeBasis:
    """The last computation of a hall's ranges, for the issues since to scale from."""

    at: dt.datetime
    samples: tuple[RangeSample, ...]
    newcomers: Mapping[str, WaitRange] = field(default_factory=dict)
    """Per ticket group, the range told to a newcomer then (the hall board shows it)."""
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
        for key in (f"matter:{matter}", f"group:{prefix}", "any"):
            kept = self._index.get(key)
            if kept:
                points, samples = kept
                at = bisect.bisect_left(points, point)
                around = [samples[i] for i in (at - 1, at) if 0 <= i < len(samples)]
                return min(around, key=lambda s: abs(s.point - point))
        return None

    @classmethod
    def of(
        cls,
        at: dt.datetime,
        points: Mapping[int, RangePoint],
        ranges: Mapping[int, WaitRange],
        newcomers: Mapping[str, RangePoint] = MappingProxyType({}),
        spread: Callable[[str], float] = lambda _: PRIOR_SPREAD,
    ) -> RangeBasis:
        """The tickets that have both a point estimate and a range, from the same instant ``at``, and
        each group's newcomer told a range from them as an issue would be (``spread`` per matter)."""
        samples = tuple(
            RangeSample(p.matter, p.prefix, p.point, ranges[serial]) for serial, p in points.items() if serial in ranges
        )
        basis = cls(at, samples)
        told = {
            prefix: told_range(p.point, p.matter, prefix, basis, spread(p.matter)) for prefix, p in newcomers.items()
        }
        return cls(at, samples, told)


def told_range(point: dt.timedelta, matter: str, prefix: str, basis: RangeBasis | None, spread: float) -> WaitRange:
    """The range told with a new ticket's ``point`` estimate: from the nearest sample of ``basis``
    (same matter, else same group, else any), else from the matter's handling-time ``spread``."""
    nearest = basis.nearest(point, matter, prefix) if basis is not None else None
    if nearest is None:
        return spread_range(point, spread)
    if nearest.point > dt.timedelta():
        scale = point / nearest.point
        return WaitRange(nearest.range.low * scale, nearest.range.high * scale)
    return spread_range(point, spread)  # a ticket told no wait has no ratio to lend


def spread_range(point: dt.timedelta, spread: float) -> WaitRange:
    """The range of a log-normal wait with mean ``point`` and relative ``spread`` (standard deviation
    / mean), between ``RANGE_QUANTILES``."""
    sigma = math.sqrt(math.log1p(spread * spread))
    mu = -sigma * sigma / 2  # the median below the mean, so the mean stays ``point``
    return WaitRange(point * math.exp(mu + _LOW_Z * sigma), point * math.exp(mu + _HIGH_Z * sigma))


_LOW_Z, _HIGH_Z = (NormalDist().inv_cdf(q) for q in RANGE_QUANTILES)
