"""Real-name tickets in the hall: an ID number per ticket where the matter wants one, at most N per
person per day, and the green channel's age question answered from the number's birth date."""

from __future__ import annotations

import datetime as dt

import pytest

from queue_server.domain.centre import GREEN_CHANNEL_AGE, REAL_NAME_TICKETS_PER_DAY, Centre
from queue_server.domain.errors import DomainError
from queue_server.domain.events import TicketIssued, apply
from queue_server.domain.hall import Hall
from queue_server.domain.real_name import holder_of
from queue_server.domain.refusal_codes import RefusalCode
from queue_server.domain.stored_hall import StoredHall
from queue_server.domain.tickets import Category
from tests.factories import centre_data, make_centre, make_hall, shanghai
from tests.id_numbers import ELDERLY, OTHER, YOUNG, mistyped

KEY = b"k" * 32


def real_name_centre(**policy: object) -> Centre:
    """The test centre with ``pension`` and ``id_card`` issued by real name, ``medical`` not."""
    data = centre_data(policy=policy)
    for matter in data["matters"]:
        if matter["code"] in ("pension", "id_card"):
            matter["real_name"] = True
    return make_centre(**{key: value for key, value in data.items() if key != "centre"})


def refused(code: RefusalCode, action: object) -> DomainError:
    assert callable(action)
    with pytest.raises(DomainError) as caught:
        action()
    assert caught.value.code is code, caught.value
    return caught.value


def test_the_policy_names_its_defaults_and_checks_them_at_load() -> None:
    policy = make_centre().policy
    assert (policy.real_name_tickets_per_day, policy.green_channel_age) == (REAL_NAME_TICKETS_PER_DAY, 60)
    assert GREEN_CHANNEL_AGE == 60
    assert make_centre().matter("pension").real_name is False, "a matter is not real-name unless the file says so"
    for bad in ({"real_name_tickets_per_day": 0}, {"green_channel_age": 20}):
        with pytest.raises(ValueError, match=next(iter(bad))):
            real_name_centre(**bad)


def test_a_real_name_matter_needs_an_id_number_and_an_ordinary_one_does_not() -> None:
    hall, _ = make_hall(real_name_centre())
    refused(RefusalCode.REAL_NAME_ID_MISSING, lambda: hall.issue("pension"))
    assert hall.issue("medical").ticket is not None, "a matter without real name asks nothing"
    ticket = hall.issue("pension", holder=holder_of(KEY, YOUNG)).ticket
    assert ticket is not None and ticket.person == holder_of(KEY, YOUNG).person
    assert YOUNG not in str(hall.ticket_log(ticket.serial)), "the event holds the hash, never the number"


def test_one_person_gets_at_most_n_real_name_tickets_a_day_across_the_matters() -> None:
    hall, clock = make_hall(real_name_centre(real_name_tickets_per_day=2))
    young = holder_of(KEY, YOUNG)
    hall.issue("pension", holder=young)
    hall.issue("id_card", holder=young)
    error = refused(RefusalCode.REAL_NAME_LIMIT, lambda: hall.issue("pension", holder=young))
    assert error.facts == {"most": 2}
    assert hall.issue("pension", holder=holder_of(KEY, OTHER)).ticket is not None, "another person is not counted"
    assert hall.issue("medical", holder=young).ticket is not None, "a matter without real name is not counted"
    clock.set(shanghai(2026, 12, 1, 9, 0))
    assert hall.issue("pension", holder=young).ticket is not None, "a new day, new tickets"


def test_the_count_survives_a_hall_rebuilt_from_the_store() -> None:
    hall, _ = make_hall(real_name_centre(real_name_tickets_per_day=1))
    young = holder_of(KEY, YOUNG)
    ticket = hall.issue("pension", holder=young).ticket
    assert ticket is not None
    day = dt.date(2026, 11, 30)
    stored = StoredHall(list(hall.tickets()), hall.windows(), hall.last_serial, {}, {}, {(day, young.person): 1})
    rebuilt = Hall.restore(hall.centre, hall.clock, stored, hall.stats)
    refused(RefusalCode.REAL_NAME_LIMIT, lambda: rebuilt.issue("id_card", holder=young))


def test_the_birth_date_answers_the_green_channels_age_question() -> None:
    hall, _ = make_hall(real_name_centre())
    elderly, young = holder_of(KEY, ELDERLY), holder_of(KEY, YOUNG)
    ticket = hall.issue("pension", holder=elderly).ticket
    assert ticket is not None and ticket.category is Category.ELDERLY, "76: the green channel without asking"
    ticket = hall.issue("pension", holder=young).ticket
    assert ticket is not None and ticket.category is None, "36: an ordinary ticket"
    refused(RefusalCode.GREEN_UNDER_AGE, lambda: hall.issue("id_card", category=Category.ELDERLY, holder=young))
    other = hall.issue("id_card", category=Category.DISABLED, holder=young).ticket
    assert other is not None and other.category is Category.DISABLED, "the other grounds are the citizen's to say"


def test_the_age_is_the_policys_and_counts_whole_years_on_the_day() -> None:
    hall, _ = make_hall(real_name_centre(green_channel_age=77))
    refused(
        RefusalCode.GREEN_UNDER_AGE,
        lambda: hall.issue("pension", category=Category.ELDERLY, holder=holder_of(KEY, ELDERLY)),
    )
    hall, _ = make_hall(real_name_centre(green_channel_age=77), at=shanghai(2026, 12, 31, 9, 0))
    ticket = hall.issue("pension", holder=holder_of(KEY, ELDERLY)).ticket
    assert ticket is not None and ticket.category is Category.ELDERLY, "77 on the birthday itself"


def test_a_mistyped_number_is_refused_at_the_edge() -> None:
    refused(RefusalCode.BOOKING_ID_NUMBER, lambda: holder_of(KEY, mistyped(YOUNG)))
    refused(RefusalCode.BOOKING_ID_NUMBER, lambda: holder_of(KEY, YOUNG[:15]))
    assert holder_of(KEY, YOUNG.lower()) == holder_of(KEY, f" {YOUNG} ")
    assert holder_of(b"x" * 32, YOUNG).person != holder_of(KEY, YOUNG).person, "keyed: another key, another hash"


def test_the_issued_event_replays_to_the_ticket_with_its_person() -> None:
    hall, _ = make_hall(real_name_centre())
    ticket = hall.issue("pension", holder=holder_of(KEY, YOUNG)).ticket
    assert ticket is not None
    (event,) = hall.ticket_log(ticket.serial)
    assert isinstance(event, TicketIssued)
    assert apply(None, event) == ticket
