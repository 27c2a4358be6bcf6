"""What a run's ratings come to: the bad ratings (each a rectification case), the named ones (each
a follow-up call), and the monthly ranking of the windows with the two-months-at-the-bottom flag.

The simulated tickets are turned into the supervision report's own records
(queue_server.reports.records), so the ranking is the one the server's ranking page and export
compute (queue_server.reports.monthly), on the simulated months.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from queue_server.reports.figures import Dimension, figures
from queue_server.reports.monthly import monthly_ranking
from queue_server.reports.records import HandledTicket
from queue_server.simulate.profiles import SIMULATED_STAFF
from queue_server.simulate.runner import SimulationRun, TicketRecord
from queue_server.vocabulary import Outcome

FLAG_TWICE = "  BOTTOM TWO MONTHS RUNNING 连续两个月末位"
BAD_FROM = 2
"""不满意 (2) and 非常不满意 (1) are bad: each opens a rectification case."""


def handled(record: TicketRecord) -> HandledTicket:
    """A simulated ticket as the report's record of it (served at one window, on the spot)."""
    finished = record.finished is not None
    return HandledTicket(
        serial=record.serial,
        number=record.number,
        matter=record.matter,
        status="finished" if finished else "cancelled" if record.cancelled else "waiting",
        category="green" if record.green else None,
        issued_at=record.issued,
        first_called_at=record.called,
        serving_at=record.called,
        ended_at=record.finished,
        window=record.window,
        staff=SIMULATED_STAFF.format(record.window) if record.window is not None else None,
        outcome=Outcome.ON_THE_SPOT.value if finished else None,
        no_shows=0,
        transfers=0,
        rating_status="rated" if record.rating is not None else "expired" if finished else "none",
        rating=record.rating,
        due_date=None,
        named_bad=record.named,
    )


def _month(day: dt.date) -> str:
    return f"{day.year}-{day.month:02d}"


def rating_figures(run: SimulationRun) -> dict[str, Any]:
    """The ratings of the run and, per calendar month, the bad ones, the named ones and the ranking."""
    months: dict[str, list[HandledTicket]] = defaultdict(list)
    for record in run.tickets:
        day = run.days[record.day].day
        months[_month(day)].append(handled(record))
    rated = [r for r in run.tickets if r.rating is not None]
    out: dict[str, Any] = {
        "rated": len(rated),
        "bad": sum(1 for r in rated if (r.rating or 0) <= BAD_FROM),
        "named_bad": sum(1 for r in rated if r.named),
        "months": [],
    }
    previous: list[HandledTicket] = []
    for month, tickets in sorted(months.items()):
        places = monthly_ranking(figures(tickets, (), Dimension.WINDOW), figures(previous, (), Dimension.WINDOW))
        out["months"].append(
            {
                "month": month,
                "bad": sum(1 for t in tickets if t.rating is not None and t.rating <= BAD_FROM),
                "named_bad": sum(1 for t in tickets if t.named_bad),
                "ranking": [
                    {
                        "rank": place.rank,
                        "previous_rank": place.previous_rank,
                        "window": int(place.figures.key),
                        "satisfaction_rate": place.figures.satisfaction_rate,
                        "rated": place.figures.rated,
                        "served": place.figures.served,
                        "bottom": place.bottom,
                        "bottom_twice": place.bottom_twice,
                    }
                    for place in places
                ],
            }
        )
        previous = tickets
    return out


def ranking_table(ratings: dict[str, Any], window_names: dict[int, str]) -> str:
    """Each simulated month's ranking of the windows, as text for a terminal."""
    lines = []
    for month in ratings["months"]:
        lines += [
            "",
            f"Monthly ranking {month['month']} (月度排名): {month['bad']} bad ratings (rectification cases),"
            f" {month['named_bad']} named (follow-up calls)",
            f"  {'rank':>4} {'last':>4}  {'satisfied':>9} {'rated':>6} {'served':>6}  window",
        ]
        for place in month["ranking"]:
            rate = "-" if place["satisfaction_rate"] is None else f"{place['satisfaction_rate']:.1%}"
            flag = FLAG_TWICE if place["bottom_twice"] else "  bottom 末位" if place["bottom"] else ""
            rank = "-" if place["rank"] is None else place["rank"]
            last = "-" if place["previous_rank"] is None else place["previous_rank"]
            lines.append(
                f"  {rank:>4} {last:>4}  {rate:>9} {place['rated']:>6} {place['served']:>6}"
                f"  {place['window']} {window_names.get(place['window'], '')}{flag}"
            )
    return "\n".join(lines)
