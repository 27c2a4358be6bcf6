"""The live staffing advice of each centre, recomputed at a bounded rate and shaped for the API.

The advice plays the hall forward once per possible change (``domain.staffing_advice``): more
work than a reading should do on every request of every open manager page. So each centre's
advice is kept for ``ADVICE_SECONDS`` of the service's clock and recomputed on the first request
after that, from the hall as read (never inside an action's transaction, and it changes nothing).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from typing_extensions import TypedDict

from queue_server.app.view_fields import documented
from queue_server.domain.centre import Centre
from queue_server.domain.hall import Hall
from queue_server.domain.staffing_advice import (
    SHOWN_MATTERS,
    Advice,
    Outlook,
    Suggestion,
    snapshot,
    staffing_advice,
)

ADVICE_SECONDS = 15
"""How long one centre's advice is shown before it is played again."""


@documented
class MatterWaitView(TypedDict):
    """A matter with tickets waiting, as the hall played forward expects them to be called"""

    matter: str
    name: str
    name_en: str
    waiting: int
    longest_minutes: float | None
    """From issue to the expected call of the ticket that waits longest; null: no staffed window serves it"""
    mean_minutes: float | None
    unserved: int
    """Tickets no staffed window can call"""
    waiting_in_an_hour: int
    """Of those waiting now, how many are expected still to wait an hour from now"""


@documented
class MatterEffectView(TypedDict):
    """One matter the suggestion helps: its longest and mean expected wait without and with it"""

    matter: str
    longest_before: float | None
    longest_after: float | None
    mean_before: float | None
    mean_after: float | None


@documented
class SuggestionView(TypedDict):
    """One change that would help, with the hall played forward with and without it"""

    kind: str
    """sign_on (a B-post at a closed window), move (a staff member to a closed window) or end_pause"""
    window: int
    window_name: str
    staff: str | None
    staff_name: str | None
    from_window: int | None
    move_minutes: float
    """Minutes until the window calls: the ticket in hand finished and the walk (policy.advice_move_minutes)"""
    matters: list[str]
    """The waiting matters the window would serve, the longest waiting first"""
    matter_effects: list[MatterEffectView]
    """Per matter the window would serve, the waits without and with the change"""
    longest_before: float
    longest_after: float
    mean_before: float
    mean_after: float
    green_mean_before: float | None
    green_mean_after: float | None
    unserved_before: int
    unserved_after: int


@documented
class AdviceView(TypedDict):
    """The live staffing advice: which matters will wait longest and what would help, best first"""

    centre: str
    computed_at: str
    """The hall's instant the advice was played from (it is kept a few seconds)"""
    longest_minutes: float
    mean_minutes: float
    green_mean_minutes: float | None
    unserved: int
    matters: list[MatterWaitView]
    suggestions: list[SuggestionView]


@dataclass(slots=True)
class _Kept:
    at: dt.datetime
    view: AdviceView


class AdviceBoard:
    """Each centre's advice, played again at most every ``ADVICE_SECONDS``."""

    def __init__(self, seconds: float = ADVICE_SECONDS) -> None:
        self._seconds = seconds
        self._kept: dict[str, _Kept] = {}

    def advice(self, hall: Hall) -> AdviceView:
        """The centre's advice: the kept one while fresh, else played now from ``hall`` (read only)."""
        code = hall.centre.code
        now = hall.clock.now()
        kept = self._kept.get(code)
        if kept is not None and dt.timedelta() <= now - kept.at < dt.timedelta(seconds=self._seconds):
            return kept.view
        view = advice_view(hall.centre, staffing_advice(snapshot(hall)))
        self._kept[code] = _Kept(now, view)
        return view


def advice_view(centre: Centre, advice: Advice) -> AdviceView:
    """The advice as the API and the manager's page read it (minutes to a tenth)."""
    before = advice.now
    return {
        "centre": centre.code,
        "computed_at": advice.at.isoformat(),
        "longest_minutes": _r(before.longest),
        "mean_minutes": _r(before.mean),
        "green_mean_minutes": _r_or_none(before.green_mean),
        "unserved": before.unserved,
        "matters": [_matter(centre, m.matter, before) for m in before.matters[:SHOWN_MATTERS]],
        "suggestions": [_suggestion(centre, s, before) for s in advice.suggestions],
    }


def _matter(centre: Centre, code: str, outlook: Outlook) -> MatterWaitView:
    found = outlook.matter(code)
    assert found is not None
    matter = centre.matter(code)
    return {
        "matter": code,
        "name": matter.name,
        "name_en": matter.name_en or matter.name,
        "waiting": found.waiting,
        "longest_minutes": _r_or_none(found.longest),
        "mean_minutes": _r_or_none(found.mean),
        "unserved": found.unserved,
        "waiting_in_an_hour": found.in_an_hour,
    }


def _suggestion(centre: Centre, suggestion: Suggestion, before: Outlook) -> SuggestionView:
    after = suggestion.after
    assert after is not None
    person = centre.staff_by_code.get(suggestion.staff) if suggestion.staff is not None else None
    return {
        "kind": suggestion.kind.value,
        "window": suggestion.window,
        "window_name": centre.window(suggestion.window).name,
        "staff": suggestion.staff,
        "staff_name": person.name if person is not None else None,
        "from_window": suggestion.from_window,
        "move_minutes": _r(suggestion.move_minutes),
        "matters": list(suggestion.matters),
        "matter_effects": [_matter_effect(code, before, after) for code in suggestion.matters],
        "longest_before": _r(before.longest),
        "longest_after": _r(after.longest),
        "mean_before": _r(before.mean),
        "mean_after": _r(after.mean),
        "green_mean_before": _r_or_none(before.green_mean),
        "green_mean_after": _r_or_none(after.green_mean),
        "unserved_before": before.unserved,
        "unserved_after": after.unserved,
    }


def _matter_effect(code: str, before: Outlook, after: Outlook) -> MatterEffectView:
    was, will = before.matter(code), after.matter(code)
    return {
        "matter": code,
        "longest_before": _r_or_none(was.longest if was else None),
        "longest_after": _r_or_none(will.longest if will else None),
        "mean_before": _r_or_none(was.mean if was else None),
        "mean_after": _r_or_none(will.mean if will else None),
    }


def _r(minutes: float) -> float:
    return round(minutes, 1)


def _r_or_none(minutes: float | None) -> float | None:
    return None if minutes is None else _r(minutes)
