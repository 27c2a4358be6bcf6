"""The hall's index of open rating requests against the scan of every ticket it replaced.

``queue_server.domain.rating_index`` keeps, per window, the open requests a pad shows and those
whose code is in use, as tickets change. The reference here is the plain scan the pad's view and
``request_rating`` made of every ticket of the hall. On random days of issues, calls, finishes
(promised cases among them), ratings, deliveries asked again, expiries, compactions and a hall
restored from the stored tickets, both must name the same tickets after every action.
"""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from queue_server.app.views import pad_view, rating_open_at
from queue_server.domain.errors import DomainError
from queue_server.domain.hall import Hall
from queue_server.domain.hall_ratings import awaiting_rating
from queue_server.domain.ratings import RatingLevel, RatingStatus
from queue_server.domain.stored_hall import StoredHall
from queue_server.domain.tickets import Category, Outcome, Ticket
from tests.factories import make_hall

WINDOWS = (1, 2, 3, 9)


def scan_shown(hall: Hall, window: int) -> Ticket | None:
    """The pad's ticket as first written: the latest ended open request of the window, among all tickets."""
    open_requests = [
        t
        for t in hall.tickets()
        if t.window == window and t.rating_status is RatingStatus.REQUESTED and t.rating_reopened_at is None
    ]
    return max(open_requests, key=lambda t: (t.ended_at or t.issued_at, t.serial), default=None)


def scan_coded(hall: Hall, window: int) -> list[int]:
    """The window's codes in use as ``request_rating`` first looked for them."""
    return [
        t.serial
        for t in sorted(hall.tickets(), key=lambda t: t.serial)
        if t.window == window and awaiting_rating(t) and t.rating_code and t.rating_code_retired_at is None
    ]


def check(hall: Hall) -> None:
    assert hall.ratings.requested == {t.serial for t in hall.tickets() if awaiting_rating(t)}
    for window in WINDOWS:
        assert rating_open_at(hall, window) == scan_shown(hall, window)
        assert hall.ratings.coded(window) == scan_coded(hall, window)


def restored(hall: Hall) -> Hall:
    """The hall as another process builds it from the stored rows (every ticket it keeps)."""
    stored = StoredHall(
        tickets=list(hall.tickets()), windows=hall.windows(), last_serial=hall.last_serial, numbers={}, issued={}
    )
    return Hall.restore(hall.centre, hall.clock, stored, hall.stats)


KINDS = ("issue", "issue", "green", "serve", "serve", "serve", "call", "promised", "rate", "reopen", "expire")
KINDS += ("compact",)
ACTIONS = st.lists(st.tuples(st.sampled_from(KINDS), st.integers(0, 40), st.integers(0, 3)), min_size=10, max_size=80)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ACTIONS)
def test_the_index_names_what_the_scan_of_every_ticket_names(actions: list[tuple[str, int, int]]) -> None:
    hall, clock = make_hall()
    for action, pick, minutes in actions:
        clock.advance(dt.timedelta(minutes=minutes))
        window = WINDOWS[pick % len(WINDOWS)]
        serials = sorted(t.serial for t in hall.tickets())
        serial = serials[pick % len(serials)] if serials else 0
        try:
            match action:
                case "issue":
                    hall.issue(("pension", "medical", "id_card")[pick % 3])
                case "green":
                    hall.issue("pension", category=Category.ELDERLY)
                case "call":  # called, left at the window
                    hall.call_next(window)
                case "serve":
                    if hall.holding(window) is None:
                        hall.call_next(window)
                    hall.finish(window, Outcome.ON_THE_SPOT)
                case "promised":
                    if hall.holding(window) is None:
                        hall.call_next(window)
                    hall.finish(window, Outcome.PROMISED, promised_days=5)
                case "rate":
                    hall.rate(serial, RatingLevel(pick % 5 + 1), source="pad")
                case "reopen":
                    hall.reopen_rating(serial)
                case "expire":
                    hall.expire_ratings()
                case "compact":
                    hall.compact()
        except DomainError:
            pass
        check(hall)
        for number in WINDOWS:
            assert pad_view(hall, number)["state"] == ("idle" if scan_shown(hall, number) is None else "open")
    check(restored(hall))
