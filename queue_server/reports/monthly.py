"""The monthly ranking and notice (月度排名通报): windows and staff ranked each month, and those at
the bottom two months running flagged for the supervisor.

The formula is the model-window ranking's (:func:`queue_server.reports.figures.ranking`), on a
calendar month: those with at least ``MIN_RATINGS_TO_RANK`` ratings counted in the month are
ranked by

1. the satisfaction rate: ratings of 基本满意 or better among the ratings counted, higher first
   (a rating whose appeal was upheld is not counted; an unanswered request is no rating);
2. then the tickets served (the volume), more first;
3. then the mean wait, shorter first.

The rest are listed after them, unranked. The bottom (末位) of a month is its last ranked place;
a window or staff member at the bottom this month and the month before is flagged
(连续两个月末位). A month where only one is ranked has no bottom: nobody is last among one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from queue_server.reports.figures import Figures, Ranked, ranking


@dataclass(frozen=True, slots=True)
class MonthlyPlace:
    rank: int | None
    """None: too few ratings this month to rank."""
    figures: Figures
    previous_rank: int | None
    """The place the month before (None: not ranked then)."""
    bottom: bool
    """The last ranked place this month."""
    bottom_twice: bool
    """At the bottom this month and the month before: flagged for the supervisor."""


def _bottom(places: list[Ranked]) -> str | None:
    ranked = [place for place in places if place.rank is not None]
    return ranked[-1].figures.key if len(ranked) > 1 else None


def monthly_ranking(this_month: Iterable[Figures], previous_month: Iterable[Figures]) -> list[MonthlyPlace]:
    """This month's ranking, best first, each place with last month's and the bottom flags."""
    now, before = ranking(this_month), ranking(previous_month)
    bottom_now, bottom_before = _bottom(now), _bottom(before)
    previous = {place.figures.key: place.rank for place in before}
    return [
        MonthlyPlace(
            rank=place.rank,
            figures=place.figures,
            previous_rank=previous.get(place.figures.key),
            bottom=place.figures.key == bottom_now,
            bottom_twice=bottom_now is not None and place.figures.key == bottom_now == bottom_before,
        )
        for place in now
    ]
