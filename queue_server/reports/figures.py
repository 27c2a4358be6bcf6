"""The figures of a report, per centre, window, staff member or matter, and the ranking of windows
and staff that picks the model windows (标杆窗口).

Waits run from issue to the first call, handling from the start of service to its end. The
satisfaction rate is the share of ratings that were 基本满意 or better among the ratings given:
a request nobody answered is unrated and never counts as satisfied, and a rating whose appeal was
upheld (申诉成立) counts nowhere (``appeals_upheld`` says how many were left out). The follow-up
rate (实名差评回访率) is the share of named bad ratings (the citizen left a number) whose follow-up
call has an outcome. A ticket is counted at the
window and with the staff member that had it last (who finished it, or called it last); a transfer
is counted where it was made (transfers) and where it went (transfers in), so the window that sent a
ticket on gets the credit of having seen it.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum

from queue_server.reports.records import HandledTicket, PauseSpan, TransferMove
from queue_server.vocabulary import Outcome

CONCLUDED = frozenset({Outcome.ON_THE_SPOT})
"""Outcomes that conclude the case at the window (办结)."""
ACCEPTED = frozenset({Outcome.PROMISED, Outcome.JOINT, Outcome.REPORTED})
"""Outcomes that accept the case to be concluded later (受理); returned and supplement cases are neither,
and cases accepted on commitment (告知承诺) or with materials to follow (容缺受理) are counted apart."""

ITEMS = ("efficiency", "skill", "attitude")
"""The items a rating may rate besides the level, in the order a ticket keeps them (服务效率, 服务水平, 服务态度)."""
SATISFIED_FROM = 3
"""基本满意 (3) and better count as satisfied; 不满意 (2) and 非常不满意 (1) do not."""
MIN_RATINGS_TO_RANK = 5
"""A window or staff member with fewer ratings in the period is listed but not ranked."""


class Dimension(StrEnum):
    CENTRE = "centre"
    WINDOW = "window"
    STAFF = "staff"
    MATTER = "matter"


@dataclass(frozen=True, slots=True)
class Figures:
    """What one window, staff member, matter (or the whole centre) did in the period."""

    key: str
    issued: int
    served: int
    cancelled: int
    no_shows: int
    transfers: int
    """Tickets this window, staff member or matter sent on to another (转出)."""
    wait_mean: float | None
    wait_p90: float | None
    wait_longest: float | None
    handling_mean: float | None
    """Minutes, one decimal; None when nothing was measured."""
    green: int
    green_share: float | None
    green_wait_mean: float | None
    paused_minutes: dict[str, float] = field(default_factory=dict)
    """Minutes paused, by the reason's code."""
    ratings: dict[int, int] = field(default_factory=dict)
    """Ratings given, by level (5 非常满意 … 1 非常不满意)."""
    unrated: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    assisted: int = 0
    """Tickets finished with a 帮办代办 record: someone was helped or acted for at an assisting window."""
    transfers_in: int = 0
    """Tickets sent here from another window or matter (转入); a transfer to any window of a matter
    counts for the matter only."""
    appeals_upheld: int = 0
    """Ratings left out of ``ratings`` because the window's appeal of them was upheld."""
    named_bad: int = 0
    """Bad ratings given with a number for the follow-up call (实名差评)."""
    followed_up: int = 0
    """Of those, the ones whose follow-up call has an outcome."""
    items: dict[str, dict[int, int]] = field(default_factory=dict)
    """The items rated besides the level (efficiency, skill, attitude): ratings by level, as ``ratings``."""
    booked: int = 0
    """Booked tickets (预约, checked in on time)."""
    booked_wait_mean: float | None = None
    """Their mean wait from the slot's start (or the check-in, if later) to the call."""
    walk_in_wait_mean: float | None = None
    """The other tickets' mean wait from issue to call."""
    estimate_error_mean: float | None = None
    """Mean minutes between the single estimate told at issue and the real wait (tickets called)."""
    estimate_inside_share: float | None = None
    """Of the tickets called that were told a range at issue, the share whose real wait fell inside it."""
    estimate_ranges: int = 0
    """Tickets called that were told a range at issue: what ``estimate_inside_share`` counts."""

    @property
    def rated(self) -> int:
        return sum(self.ratings.values())

    def outcome_count(self, outcomes: Iterable[Outcome]) -> int:
        """How many tickets ended with one of ``outcomes``."""
        return sum(self.outcomes.get(outcome.value, 0) for outcome in outcomes)

    @property
    def satisfaction_rate(self) -> float | None:
        if not self.rated:
            return None
        satisfied = sum(n for level, n in self.ratings.items() if level >= SATISFIED_FROM)
        return round(satisfied / self.rated, 4)

    def item_rate(self, item: str) -> float | None:
        """An item's satisfaction rate, as :attr:`satisfaction_rate` of the ratings that rated it."""
        given = self.items.get(item, {})
        rated = sum(given.values())
        return round(sum(n for level, n in given.items() if level >= SATISFIED_FROM) / rated, 4) if rated else None

    @property
    def follow_up_rate(self) -> float | None:
        """实名差评回访率: None when no named bad rating was given."""
        return round(self.followed_up / self.named_bad, 4) if self.named_bad else None


def _minutes(delta: dt.timedelta) -> float:
    return delta.total_seconds() / 60


def _mean(values: Sequence[float]) -> float | None:
    return round(sum(values) / len(values), 1) if values else None


def percentile(values: Sequence[float], share: float) -> float | None:
    """The nearest-rank percentile: the smallest value at or above ``share`` of the values."""
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[max(0, math.ceil(share * len(ordered)) - 1)], 1)


def _key(dimension: Dimension) -> Callable[[HandledTicket], str | None]:
    if dimension is Dimension.CENTRE:
        return lambda _: "all"
    if dimension is Dimension.WINDOW:
        return lambda t: str(t.window) if t.window is not None else None
    if dimension is Dimension.STAFF:
        return lambda t: t.staff
    return lambda t: t.matter


def _pause_key(dimension: Dimension, span: PauseSpan) -> str | None:
    if dimension is Dimension.CENTRE:
        return "all"
    if dimension is Dimension.WINDOW:
        return str(span.window)
    if dimension is Dimension.STAFF:
        return span.staff
    return None  # a pause belongs to no matter


def figures(
    tickets: Iterable[HandledTicket],
    pauses: Iterable[PauseSpan],
    by: Dimension,
    transfers: Iterable[TransferMove] = (),
) -> list[Figures]:
    """One row per window, staff member or matter (or one for the centre), ordered by key."""
    key_of = _key(by)
    groups: dict[str, list[HandledTicket]] = defaultdict(list)
    for ticket in tickets:
        key = key_of(ticket)
        if key is not None:
            groups[key].append(ticket)
    paused: dict[str, defaultdict[str, float]] = defaultdict(lambda: defaultdict(float))
    for span in pauses:
        key = _pause_key(by, span)
        if key is not None:
            paused[key][span.reason] += span.minutes
    sent: Counter[str] = Counter()
    received: Counter[str] = Counter()
    for move in transfers:
        source, target = _transfer_keys(by, move)
        if source is not None:
            sent[source] += 1
        if target is not None:
            received[target] += 1
    keys = sorted(set(groups) | set(paused) | set(sent) | set(received), key=_natural)
    return [
        replace(
            _figures(key, groups.get(key, []), paused.get(key, {})),
            transfers=sent[key],
            transfers_in=received[key],
        )
        for key in keys
    ]


def _transfer_keys(by: Dimension, move: TransferMove) -> tuple[str | None, str | None]:
    """Where a transfer counts as made, and where as received."""
    if by is Dimension.CENTRE:
        return "all", "all"
    if by is Dimension.WINDOW:
        return str(move.from_window), str(move.to_window) if move.to_window is not None else None
    if by is Dimension.STAFF:
        return move.from_staff, None
    return move.from_matter or None, move.to_matter


def _natural(key: str) -> tuple[int, str]:
    return (int(key), "") if key.isdigit() else (1 << 30, key)


def _figures(key: str, tickets: list[HandledTicket], paused: dict[str, float]) -> Figures:
    waits = [_minutes(t.wait) for t in tickets if t.wait is not None]
    green_waits = [_minutes(t.wait) for t in tickets if t.green and t.wait is not None]
    handling = [_minutes(t.handling) for t in tickets if t.handling is not None]
    green = sum(1 for t in tickets if t.green)
    counted = [t.rating for t in tickets if t.rating is not None and not t.appeal_upheld]
    items: dict[str, Counter[int]] = defaultdict(Counter)
    for ticket in tickets:
        if ticket.rating is not None and not ticket.appeal_upheld:
            for name, level in zip(ITEMS, ticket.rating_items, strict=False):
                if level:
                    items[name][level] += 1
    return Figures(
        key=key,
        issued=len(tickets),
        served=sum(1 for t in tickets if t.status == "finished"),
        cancelled=sum(1 for t in tickets if t.status == "cancelled"),
        no_shows=sum(t.no_shows for t in tickets),
        transfers=0,  # counted from the transfers themselves, where they were made
        wait_mean=_mean(waits),
        wait_p90=percentile(waits, 0.9),
        wait_longest=round(max(waits), 1) if waits else None,
        handling_mean=_mean(handling),
        green=green,
        green_share=round(green / len(tickets), 4) if tickets else None,
        green_wait_mean=_mean(green_waits),
        paused_minutes={reason: round(minutes, 1) for reason, minutes in sorted(paused.items())},
        ratings=dict(sorted(Counter(counted).items(), reverse=True)),
        unrated=sum(1 for t in tickets if t.rating_status == "expired"),
        outcomes=dict(sorted(Counter(t.outcome for t in tickets if t.outcome).items())),
        assisted=sum(1 for t in tickets if t.assisted),
        appeals_upheld=sum(1 for t in tickets if t.rating is not None and t.appeal_upheld),
        named_bad=sum(1 for t in tickets if t.named_bad),
        followed_up=sum(1 for t in tickets if t.named_bad and t.followed_up),
        items={name: dict(sorted(items[name].items(), reverse=True)) for name in ITEMS if name in items},
        booked=sum(1 for t in tickets if t.booked_from is not None),
        booked_wait_mean=_mean([_minutes(w) for t in tickets if (w := t.booked_wait) is not None]),
        walk_in_wait_mean=_mean([_minutes(t.wait) for t in tickets if t.booked_from is None and t.wait is not None]),
        estimate_error_mean=_mean(
            [
                abs(t.estimate_minutes - _minutes(w))
                for t in tickets
                if t.estimate_minutes is not None and (w := t.wait) is not None
            ]
        ),
        estimate_inside_share=round(sum(inside) / len(inside), 4) if (inside := _inside(tickets)) else None,
        estimate_ranges=len(inside),
    )


def _inside(tickets: list[HandledTicket]) -> list[bool]:
    """For each ticket called and told a range at issue: did its real wait fall inside the range?"""
    return [
        t.estimate_low <= _minutes(t.wait) <= t.estimate_high
        for t in tickets
        if t.wait is not None and t.estimate_low is not None and t.estimate_high is not None
    ]


def _merit(row: Figures) -> tuple[float, int, float]:
    return (-(row.satisfaction_rate or 0.0), -row.served, row.wait_mean if row.wait_mean is not None else math.inf)


@dataclass(frozen=True, slots=True)
class Ranked:
    rank: int | None
    """None: too few ratings in the period to rank."""
    figures: Figures


def ranking(rows: Iterable[Figures], min_ratings: int = MIN_RATINGS_TO_RANK) -> list[Ranked]:
    """Best first: satisfaction rate, then tickets served, then the shortest mean wait; those with
    fewer than ``min_ratings`` ratings follow, unranked (a rate of 1 rating out of 1 proves little)."""
    rows = list(rows)
    eligible = [r for r in rows if r.rated >= min_ratings]
    eligible.sort(
        key=lambda r: (-(r.satisfaction_rate or 0), -r.served, r.wait_mean if r.wait_mean is not None else 1e9)
    )
    rest = sorted((r for r in rows if r.rated < min_ratings), key=lambda r: (-r.served, _natural(r.key)))
    return [Ranked(place, row) for place, row in enumerate(eligible, 1)] + [Ranked(None, row) for row in rest]
