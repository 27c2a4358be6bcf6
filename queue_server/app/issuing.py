"""Whether a ticket can be had now, read ahead for every matter: what the kiosk shows before a tap.

The answer comes from the rule the hall issues by (:mod:`queue_server.domain.issuing`), so a
button the kiosk enables is a ticket the hall gives, and a refused one is shown with its reason
before anyone taps it. ``recheck_at`` tells the page when time alone may change the answer
(opening, the lunch break, the stop-issuing time, midnight), so a kiosk left alone opens at 08:30.
"""

from __future__ import annotations

from typing import Annotated

from typing_extensions import TypedDict

from queue_server.app.view_fields import Day, Instant, documented, values_of
from queue_server.app.views import iso
from queue_server.domain.centre import clock_text
from queue_server.domain.errors import RefusalReason
from queue_server.domain.hall import Hall
from queue_server.domain.issuing import hall_closed, next_change, next_opening


@documented
class MatterIssuing(TypedDict):
    """Whether a ticket for one matter can be had now, and why not"""

    matter: str
    can_issue: bool
    reason: Annotated[str | None, values_of(RefusalReason, nullable=True)]
    """Set when no ticket can be had: the reason a ticket would be refused with"""
    message: str | None
    """The refusal's words for the citizen, in Chinese, as issuing would say them"""
    message_en: str | None


@documented
class HoursPeriod(TypedDict):
    """One stretch of opening time, local HH:MM (24:00 for midnight)"""

    start: str
    end: str


@documented
class IssuingView(TypedDict):
    """Whether tickets are issued now, for the hall and for each matter, and when to read this again"""

    centre: str
    at: Instant
    closed: Annotated[str | None, values_of(RefusalReason, nullable=True)]
    """Set when the hall issues no ticket for any matter now (closed today, before opening, lunch
    break, after closing, stopped issuing)"""
    next_opening: Instant | None
    """When tickets are issued again, while closed"""
    hours_day: Day
    """The day whose opening hours ``hours`` lists: today, or the next open day when today is closed"""
    hours: list[HoursPeriod]
    matters: list[MatterIssuing]
    recheck_at: Instant
    """The next instant the answer may change by time alone; a change in the hall is told on the live stream"""


def issuing_view(hall: Hall) -> IssuingView:
    """Every matter's answer at the hall's now, from the same rule :meth:`Hall.issue` refuses by."""
    now = hall.clock.now()
    calendar, policy = hall.calendar, hall.centre.policy
    closed = hall_closed(calendar, policy, now)
    today = calendar.local_date(now)
    hours_day = today if calendar.is_open_day(today) else calendar.next_open_day(today)
    matters: list[MatterIssuing] = []
    for matter in hall.centre.matters:
        bar = hall.cannot_issue(matter, now)
        if bar is None:
            matters.append(
                {"matter": matter.code, "can_issue": True, "reason": None, "message": None, "message_en": None}
            )
            continue
        refused = hall.refusal_for(matter, bar)
        matters.append(
            {
                "matter": matter.code,
                "can_issue": False,
                "reason": bar.reason.value,
                "message": refused.message,
                "message_en": refused.message_en,
            }
        )
    if closed is not None and any(m["can_issue"] for m in matters):
        closed = None  # an extended slot (延时服务) that takes walk-ins runs: its matters are issued
    return {
        "centre": hall.centre.code,
        "at": iso(now),
        "closed": closed.reason.value if closed is not None else None,
        "next_opening": iso(next_opening(calendar, closed)) if closed is not None else None,
        "hours_day": iso(hours_day),
        "hours": [{"start": clock_text(p.start), "end": clock_text(p.end)} for p in calendar.periods(hours_day)],
        "matters": matters,
        "recheck_at": iso(next_change(calendar, policy, now)),
    }
