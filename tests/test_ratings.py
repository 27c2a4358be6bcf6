"""Ratings (好差评): asked for at finish, answered once from the right pad, or recorded unrated."""

from __future__ import annotations

import pytest

from queue_server.domain.errors import InvalidTransition, NotAllowed
from queue_server.domain.events import replay
from queue_server.domain.hall import Hall
from queue_server.domain.ratings import RatingLevel, RatingStatus
from queue_server.domain.tickets import Outcome, Ticket
from tests.factories import make_centre, make_hall


def served(hall: Hall, window: int = 1) -> Ticket:
    ticket = hall.issue("pension").ticket
    assert ticket is not None
    hall.call_next(window)
    hall.finish(window, Outcome.ON_THE_SPOT)
    return hall.ticket(ticket.serial)


def test_finishing_asks_for_a_rating_that_expires() -> None:
    hall, clock = make_hall(make_centre(policy={"rating_minutes": 3}))
    ticket = served(hall)
    assert ticket.rating_status is RatingStatus.REQUESTED
    assert ticket.rating_expires_at == clock.now().replace(microsecond=0) + (ticket.rating_expires_at - clock.now())
    clock.advance(minutes=2)
    assert hall.expire_ratings().empty, "not yet"
    clock.advance(minutes=1)
    assert [e.kind for e in hall.expire_ratings().ticket_events] == ["rating_expired"]
    assert hall.ticket(ticket.serial).rating_status is RatingStatus.EXPIRED
    assert hall.ticket(ticket.serial).rating is None, "unrated, never counted as satisfied"
    with pytest.raises(InvalidTransition, match="its rating request expired"):
        hall.rate(ticket.serial, RatingLevel.SATISFIED, source="pad:pad-1", window=1)


def test_a_rating_is_given_once_and_bound_to_the_ticket() -> None:
    hall, _ = make_hall()
    ticket = served(hall)
    hall.rate(ticket.serial, RatingLevel.VERY_SATISFIED, source="pad:pad-1", window=1, actor="device:pad-1")
    rated = hall.ticket(ticket.serial)
    assert (rated.rating_status, rated.rating, rated.window, rated.staff) == (
        RatingStatus.RATED,
        RatingLevel.VERY_SATISFIED,
        1,
        "s1",
    )
    with pytest.raises(InvalidTransition, match="it was rated already"):
        hall.rate(ticket.serial, RatingLevel.DISSATISFIED, source="citizen")
    assert replay(hall.ticket_log(ticket.serial)) == rated


def test_a_pad_rates_only_its_own_windows_tickets() -> None:
    hall, _ = make_hall()
    ticket = served(hall, window=2)
    with pytest.raises(NotAllowed, match="from the pad of window 1: it was served at window 2"):
        hall.rate(ticket.serial, RatingLevel.SATISFIED, source="pad:pad-1", window=1)
    assert hall.ticket(ticket.serial).rating_status is RatingStatus.REQUESTED


def test_no_rating_before_the_service_ends() -> None:
    hall, _ = make_hall()
    ticket = hall.issue("pension").ticket
    assert ticket is not None
    hall.call_next(1)
    with pytest.raises(InvalidTransition, match="no rating was asked for"):
        hall.rate(ticket.serial, RatingLevel.SATISFIED, source="citizen")


def test_bad_ratings_may_carry_reasons_from_the_list() -> None:
    hall, _ = make_hall()
    ticket = served(hall)
    with pytest.raises(InvalidTransition, match="reasons go with 不满意 or 非常不满意"):
        hall.rate(ticket.serial, RatingLevel.SATISFIED, source="citizen", reasons=["等候时间过长"])
    with pytest.raises(InvalidTransition, match="'太热了' is not one of the reasons"):
        hall.rate(ticket.serial, RatingLevel.DISSATISFIED, source="citizen", reasons=["太热了"])
    hall.rate(ticket.serial, RatingLevel.DISSATISFIED, source="citizen", reasons=["等候时间过长"], comment="排了一小时")
    log = hall.ticket_log(ticket.serial)
    assert log[-1].reasons == ("等候时间过长",)  # type: ignore[attr-defined]
    assert log[-1].comment == "排了一小时"  # type: ignore[attr-defined]
    assert RatingLevel.DISSATISFIED.bad and not RatingLevel.BASICALLY_SATISFIED.bad


def test_a_ticket_awaiting_its_rating_stays_in_a_compacted_hall() -> None:
    hall, clock = make_hall()
    ticket = served(hall)
    hall.compact()
    assert hall.ticket(ticket.serial).rating_status is RatingStatus.REQUESTED
    clock.advance(minutes=10)
    hall.expire_ratings()
    hall.compact()
    assert ticket.serial not in {t.serial for t in hall.tickets()}
