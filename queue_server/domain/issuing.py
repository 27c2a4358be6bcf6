"""Whether a ticket can be issued now, and why not: one rule for issuing and for reading it ahead.

``Hall.issue`` refuses from :func:`cannot_issue`, and the kiosk reads the same answer for every
matter before a citizen taps one, so a button is never enabled for a ticket the hall would refuse.
The hall-wide part (:func:`hall_closed`: the opening hours, the lunch break, the stop-issuing time)
comes first; then what only one matter lacks (its daily quota, an open window that takes it).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from queue_server.domain.calendar import OpeningState, WorkCalendar
from queue_server.domain.centre import Matter, Policy
from queue_server.domain.errors import RefusalReason


@dataclass(frozen=True, slots=True)
class CannotIssue:
    """Why no ticket is issued now: the reason, the centre's local day, and when issuing resumes today."""

    reason: RefusalReason
    day: dt.date
    later_today: dt.time | None = None


def stop_issuing(calendar: WorkCalendar, policy: Policy, day: dt.date) -> dt.datetime:
    """The instant after which no ticket is issued on an open day."""
    closing = calendar.closing_time(day)
    assert closing is not None, "only asked on an open day"
    stop = closing - dt.timedelta(minutes=policy.stop_issuing_before_close)
    if policy.stop_issuing_at is not None:
        stop = min(stop, calendar.instant(day, policy.stop_issuing_at))
    return stop


def hall_closed(calendar: WorkCalendar, policy: Policy, now: dt.datetime) -> CannotIssue | None:
    """What stops every matter at once at ``now``, or None while tickets are issued."""
    opening = calendar.opening(now)
    state = opening.state
    if state is OpeningState.LUNCH_BREAK and policy.issue_during_lunch:
        state = OpeningState.OPEN
    if state is not OpeningState.OPEN:
        return CannotIssue(RefusalReason(state.value), opening.day, opening.next_start)
    if now >= stop_issuing(calendar, policy, opening.day):
        return CannotIssue(RefusalReason.STOPPED_ISSUING, opening.day)
    return None


def cannot_issue(
    calendar: WorkCalendar,
    policy: Policy,
    now: dt.datetime,
    matter: Matter,
    *,
    issued_today: int,
    window_open: bool,
    booked: bool = False,
) -> CannotIssue | None:
    """Why ``matter`` gets no ticket at ``now``, or None when it does.

    ``issued_today`` counts its tickets of the centre's day so far; ``window_open`` says whether a
    staffed window takes it. A ``booked`` ticket (a booking checked in, within its own check-in
    window: queue_server.domain.bookings) is not bound by the opening hours, so a slot outside
    them (延时服务) is served by the windows staffed for it; it still needs one.
    """
    closed = None if booked else hall_closed(calendar, policy, now)
    if closed is not None:
        return closed
    day = calendar.local_date(now)
    if matter.daily_quota is not None and issued_today >= matter.daily_quota:
        return CannotIssue(RefusalReason.QUOTA_USED_UP, day)
    if not window_open:
        return CannotIssue(RefusalReason.NO_WINDOW_OPEN, day)
    return None


def next_opening(calendar: WorkCalendar, closed: CannotIssue) -> dt.datetime:
    """When tickets are issued again after a hall-wide ``closed``: later today, or the next open day."""
    if closed.later_today is not None:
        return calendar.instant(closed.day, closed.later_today)
    day = calendar.next_open_day(closed.day)
    return calendar.instant(day, calendar.periods(day)[0].start)


def next_change(calendar: WorkCalendar, policy: Policy, now: dt.datetime) -> dt.datetime:
    """The next instant after ``now`` at which :func:`hall_closed` may answer otherwise by time alone.

    A period's start or end, the stop-issuing time, or the next local midnight: a screen that reads
    the answer again then flips at 08:30 by itself.
    """
    day = calendar.local_date(now)
    midnight = calendar.instant(day + dt.timedelta(days=1), dt.time())
    periods = calendar.periods(day)
    candidates = [midnight]
    for period in periods:
        candidates += [calendar.instant(day, period.start), calendar.instant(day, period.end)]
    if periods:
        candidates.append(stop_issuing(calendar, policy, day))
    candidates += calendar.extended_bounds(day)
    return min(instant for instant in candidates if instant > now)
