"""The hall: one centre's tickets and windows, and every action staff, citizens and devices take.

Each action checks what it may do, turns it into events, and applies them through
``events.apply`` and ``windows.apply_window``; it returns a ``Change`` with those events and
the states they produced. The store persists a change in one transaction (state, event log and
outbox together); this module never does I/O. An action happens at the ``now`` it is given (the
service gives every action of one transaction the same instant); without one it asks the clock
the hall was given, as do the reads (positions, today's counts).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import replace

from queue_server.domain.bookings import walk_ins_extended
from queue_server.domain.calendar import WorkCalendar
from queue_server.domain.case_terms import CaseTerms
from queue_server.domain.centre import Centre, Matter
from queue_server.domain.changes import Change, PendingChange
from queue_server.domain.clock import Clock
from queue_server.domain.errors import InvalidTransition, IssueRefused, NotAllowed, NotFound
from queue_server.domain.estimates import (
    FORECAST_REUSE,
    ForecastCall,
    HandlingModel,
    HandlingStats,
    Newcomers,
    PlayEnd,
    Position,
    WaitRange,
    forecast,
    forecast_end,
    position_of,
    positions_of,
    sampled_plays,
    wait_range_plays,
)
from queue_server.domain.events import (
    MarkedNoShow,
    ServingStarted,
    TicketCalled,
    TicketCancelled,
    TicketCarried,
    TicketEvent,
    TicketFinished,
    TicketIssued,
    TicketPassedOver,
    TicketRecalled,
    TicketRequeued,
    TicketTransferred,
    apply,
)
from queue_server.domain.hall_ratings import SYSTEM, RatingActions, awaiting_rating, new_rating_code
from queue_server.domain.issuing import CannotIssue, cannot_issue, hall_closed
from queue_server.domain.numbering import NumberSeries
from queue_server.domain.outcomes import Assisted, check_assistance, check_outcome, settle_terms
from queue_server.domain.rating_index import RatingIndex
from queue_server.domain.ratings import RatingStatus
from queue_server.domain.real_name import Holder, admit, counted
from queue_server.domain.refusal_codes import Fact, RefusalCode
from queue_server.domain.routing import Router
from queue_server.domain.stored_hall import StoredHall
from queue_server.domain.tickets import (
    CancelReason,
    Category,
    Channel,
    Outcome,
    Ticket,
    TicketStatus,
)
from queue_server.domain.told_ranges import Calibration, RangeBasis, RangePoint, told_range
from queue_server.domain.wait_moves import Glance, glance
from queue_server.domain.waiting_queue import WaitingQueue
from queue_server.domain.windows import (
    Paused,
    PauseReason,
    Resumed,
    SignedOff,
    SignedOn,
    WindowClosed,
    WindowEvent,
    WindowState,
    WindowStatus,
    apply_window,
)
from queue_server.domain.wording import refusal

REQUESTED = RatingStatus.REQUESTED


def staff_actor(code: str) -> str:
    return f"staff:{code}"


class Hall(RatingActions):
    """One centre's live state, changed only by its actions."""

    def __init__(
        self,
        centre: Centre,
        clock: Clock,
        stats: HandlingStats | None = None,
        codes: Callable[[], str] = new_rating_code,
    ) -> None:
        self.centre = centre
        self.clock = clock
        self.new_code = codes
        """Where each service's rating code comes from (random; a test may give its own)."""
        self.calendar = WorkCalendar(centre)
        self.router = Router(centre)
        self.stats = stats or HandlingStats(centre)
        self._tickets: dict[int, Ticket] = {}
        self._ticket_logs: dict[int, list[TicketEvent]] = {}
        self._windows = {w.number: WindowState(w.number) for w in centre.windows}
        self._window_logs: dict[int, list[WindowEvent]] = {}
        """Per window with any, the window events since the last ``compact`` (a hall of 1,000 windows
        does not renew an empty list for each at every batch)."""
        self._holding: dict[int, int] = {}
        self._last_serial = 0
        self._numbers = NumberSeries(centre.policy.number_width)
        self._issued: dict[tuple[dt.date, str], int] = {}
        self._people: dict[tuple[dt.date, str], int] = {}
        """Real-name tickets per service day and person hash (queue_server.domain.real_name)."""
        self._play_end: PlayEnd | None = None
        """The last whole forecast's end, while the queue and windows are as it left them."""
        self.range_basis: RangeBasis | None = None
        """The last ranges worked out for this hall outside its actions (``app.wait_ranges`` sets
        it), for an issue to tell a range from (queue_server.domain.told_ranges). Not the hall's
        state: never saved, and a hall loaded afresh has none until the next computation."""
        self.calibration = Calibration()
        """How the ranges told at issue fared against the real waits, and the correction it gives
        them (queue_server.domain.told_ranges). Kept in memory like ``range_basis``."""
        self.changes = 0
        """How many changes the hall took in (actions, stored state): what a reader keeping something
        worked out from it (the wait ranges) compares to know it is stale. Read it, never change it."""
        self._touched: set[int] = set()
        """Tickets changed or taken in since the last ``compact``: only they can have ended."""
        self._waiting = WaitingQueue()
        """The queue in order of place and its counts, kept between changes."""
        self.ratings = RatingIndex()
        """The open rating requests per window, kept between changes: read it, never change it."""

    @classmethod
    def restore(cls, centre: Centre, clock: Clock, stored: StoredHall, stats: HandlingStats) -> Hall:
        """A hall rebuilt from stored state. Event logs are not loaded (the store keeps them):
        ``ticket_log`` shows only the events of actions taken since."""
        hall = cls(centre, clock, stats)
        hall.catch_up(stored)
        return hall

    def catch_up(self, stored: StoredHall, stats: HandlingStats | None = None) -> None:
        """Take in stored state: every window, the tickets given (all open ones, or those another
        process's actions changed since this hall was kept) and the counters."""
        for window in stored.windows:
            if window.number in self._windows:
                self._windows[window.number] = window
        for ticket in stored.tickets:
            self.adopt(ticket)
        self._last_serial = stored.last_serial
        self._numbers.last.update(stored.numbers)
        self._issued.update(stored.issued)
        self._people.update(stored.people)
        self.stats = stats or self.stats
        self._play_end = None
        self.changes += 1

    def adopt(self, ticket: Ticket) -> None:
        """Take in a stored ticket, e.g. an ended one an action refers to."""
        self._play_end = None
        self.changes += 1
        before = self._tickets.get(ticket.serial)
        self._waiting.moved(before, ticket)
        self.ratings.moved(before, ticket)
        self._touched.add(ticket.serial)
        self._tickets[ticket.serial] = ticket
        self._ticket_logs.setdefault(ticket.serial, [])
        if ticket.called_at is not None:  # called by another instance: how its told range fared
            self.calibration.called(ticket.serial, ticket.called_at - ticket.issued_at)
        elif ticket.status.ended:  # ended uncalled: no real wait to score
            self.calibration.forget(ticket.serial)
        if before is not None and before.window is not None and self._holding.get(before.window) == ticket.serial:
            del self._holding[before.window]
        if ticket.status.at_window and ticket.window is not None:
            self._holding[ticket.window] = ticket.serial

    def compact(self, *, now: dt.datetime | None = None) -> None:
        """Forget ended tickets and all logs: a store-backed hall keeps them in the database."""
        for serial in self._touched:
            ticket = self._tickets.get(serial)
            if ticket is not None and ticket.status.ended and not awaiting_rating(ticket):
                del self._tickets[serial]
        self._touched = set()
        self._ticket_logs = {}
        self._window_logs = {}
        today = self.calendar.local_date(self._at(now))
        self._issued = {key: n for key, n in self._issued.items() if key[0] >= today}
        self._people = {key: n for key, n in self._people.items() if key[0] >= today}
        self._numbers.last = {key: n for key, n in self._numbers.last.items() if key[0] >= today}

    @property
    def last_serial(self) -> int:
        return self._last_serial

    # Reading

    def ticket(self, serial: int) -> Ticket:
        try:
            return self._tickets[serial]
        except KeyError:
            raise self._no_ticket(serial) from None

    def _no_ticket(self, serial: int) -> NotFound:
        return NotFound(
            f"There is no ticket #{serial} at {self.centre.name}", RefusalCode.TICKET_NOT_FOUND, serial=serial
        )

    def has_ticket(self, serial: int) -> bool:
        """Whether the ticket is in the live hall (an ended one may be only in the store)."""
        return serial in self._tickets

    def ticket_by_number(self, number: str, day: dt.date | None = None) -> Ticket:
        day = day or self.calendar.local_date(self.clock.now())
        for ticket in self._tickets.values():
            if ticket.number == number and ticket.service_day == day:
                return ticket
        raise NotFound(
            f"There is no ticket {number} on {day.isoformat()} at {self.centre.name}",
            RefusalCode.TICKET_NUMBER_NOT_FOUND,
            ticket=number,
            day=day.isoformat(),
        )

    def tickets(self) -> Iterable[Ticket]:
        return self._tickets.values()

    def ticket_log(self, serial: int) -> tuple[TicketEvent, ...]:
        self.ticket(serial)
        return tuple(self._ticket_logs.get(serial, ()))

    def window(self, number: int) -> WindowState:
        self.centre.window(number)
        return self._windows[number]

    def windows(self) -> tuple[WindowState, ...]:
        return tuple(self._windows.values())

    def window_log(self, number: int) -> tuple[WindowEvent, ...]:
        self.centre.window(number)
        return tuple(self._window_logs.get(number, ()))

    def holding(self, window: int) -> Ticket | None:
        """The ticket called or being served at a window."""
        serial = self._holding.get(window)
        return self._tickets[serial] if serial is not None else None

    def waiting(self) -> list[Ticket]:
        """Tickets in the queue, in order of place."""
        return list(self._queue())

    def _queue(self) -> list[Ticket]:
        """The kept queue itself (``waiting_queue``): read it, never change it (``waiting`` copies it)."""
        return self._waiting.ordered(self._tickets.values())

    def waiting_by_prefix(self) -> dict[str, int]:
        """How many tickets wait per number prefix (ticket group), without going through the queue."""
        return self._waiting.by_prefix()

    def issued_today(self, matter: str) -> int:
        return self._issued.get((self.calendar.local_date(self.clock.now()), matter), 0)

    def positions(self) -> dict[int, Position]:
        """People ahead and estimated wait of every waiting ticket, from one forecast."""
        now = self.clock.now()
        waiting = self.waiting()
        return positions_of(waiting, self._forecast(now, waiting), self.router, now)

    def position(self, serial: int) -> Position:
        ticket = self.ticket(serial)
        if ticket.status is not TicketStatus.WAITING:
            return Position(0, None, None)
        now = self.clock.now()
        calls = self._forecast(now, self._queue(), until=serial)
        return position_of(ticket, calls, self.router, now, self._tickets)

    def positions_for(self, serials: Iterable[int]) -> dict[int, Position]:
        """Positions of those waiting tickets, from one forecast played only until the last of them
        is called (the SMS notices' check at each call): not a forecast per ticket. Without
        ``green_ahead``, as :meth:`positions` gives it."""
        asked = sorted(s for s in serials if s in self._tickets and self._tickets[s].status is TicketStatus.WAITING)
        if not asked:
            return {}
        now = self.clock.now()
        calls = self._forecast(now, self._queue(), until=asked)
        return positions_of([self._tickets[s] for s in asked], calls, self.router, now)

    def wait_ranges(self, serials: Iterable[int] | None = None) -> dict[int, WaitRange]:
        """The wait range of every waiting ticket (or of those ``serials``): sampled plays of the
        hall as it stands, seeded by the instant, so the same hall tells the same ranges. Costs
        ``RANGE_PLAYS`` forecasts: the service computes them outside its actions."""
        ranges: dict[int, WaitRange] = {}
        for _ in self.wait_range_plays(ranges, serials):
            pass
        return ranges

    def wait_range_plays(
        self,
        ranges: dict[int, WaitRange],
        serials: Iterable[int] | None = None,
        newcomers: dict[str, WaitRange] | None = None,
    ) -> Iterator[None]:
        """``wait_ranges`` one play at a time, into ``ranges`` after the last: the hall as it stands
        at the first step, whatever changes between two (the service lets its loop run there).
        With ``newcomers`` (and every ticket asked), also each matter's phantom newcomer's range
        from the same plays (:meth:`phantom_points` has its point), into it after the last."""
        now = self.clock.now()
        asked = None if serials is None else self._asked(serials)
        if asked is not None and not asked:
            return
        holding = {number: self._tickets[serial] for number, serial in self._holding.items()}
        found: dict[int, WaitRange] = {}
        phantoms = self._phantoms(now) if newcomers is not None and asked is None else None
        yield from wait_range_plays(
            self.router, self.stats, self.calendar, now, list(self._windows.values()), holding, self._queue(),
            seed=f"{self.centre.code}:{now.isoformat()}", until=asked, ranges=found, newcomers=phantoms,
        )  # fmt: skip
        ranges.update(found if asked is None else {s: r for s, r in found.items() if s in asked})
        if newcomers is not None and phantoms is not None:
            newcomers.update(phantoms.ranges())

    def _phantoms(self, now: dt.datetime) -> Newcomers:
        """One phantom newcomer per matter (an ordinary kiosk ticket), with the staffed windows
        that may call it."""
        day = self.calendar.local_date(now)
        serial = self._last_serial + 1
        staffed = [w.number for w in self._windows.values() if w.staffed]
        windows = {}
        for matter in self.centre.matters:
            phantom = Ticket(serial, serial, matter.prefix, day, matter.code, None, Channel.KIOSK, now)
            windows[matter.code] = [n for n in staffed if self.router.can_serve(n, phantom)]
        return Newcomers(now, windows)

    def glance(self) -> Glance:
        """What the told waits depend on now, with each waiting ticket's expected call: to say
        later why a told wait moved (queue_server.domain.wait_moves). Costs one forecast."""
        holding = {number: self._tickets[serial] for number, serial in self._holding.items()}
        calls = {serial: p.expected_call for serial, p in self.positions().items() if p.expected_call is not None}
        return glance(self.clock.now(), self.windows(), holding, self._queue(), calls, self.stats)

    def sampled_waits(
        self, model: HandlingModel, serials: Iterable[int], *, plays: int, seed: str
    ) -> dict[int, list[dt.timedelta]]:
        """The waits of those waiting tickets in ``plays`` plays of the hall as it stands, with
        handling times drawn from ``model`` (the simulator's oracle gives the true ones)."""
        asked = self._asked(serials)
        if not asked:
            return {}
        holding = {number: self._tickets[serial] for number, serial in self._holding.items()}
        waits: dict[int, list[dt.timedelta]] = {}
        for _ in sampled_plays(
            self.router, model, self.stats, self.calendar, self.clock.now(), self._windows.values(), holding,
            self._queue(), plays=plays, seed=seed, until=asked, waits=waits,
        ):  # fmt: skip
            pass
        return {s: w for s, w in waits.items() if s in asked}

    def _asked(self, serials: Iterable[int]) -> list[int]:
        return sorted(s for s in serials if s in self._tickets and self._tickets[s].status is TicketStatus.WAITING)

    def _forecast(
        self, now: dt.datetime, waiting: list[Ticket], until: int | Iterable[int] | None = None
    ) -> dict[int, ForecastCall]:
        holding = {number: self._tickets[serial] for number, serial in self._holding.items()}
        windows = self._windows.values()
        wanted = until if until is None or isinstance(until, int) else list(until)
        return forecast(self.router, self.stats, self.calendar, now, windows, holding, waiting, until=wanted)

    # Issuing

    def issue(
        self,
        matter: str,
        *,
        category: Category | None = None,
        channel: Channel = Channel.KIOSK,
        actor: str = SYSTEM,
        now: dt.datetime | None = None,
        booked_from: dt.datetime | None = None,
        holder: Holder | None = None,
    ) -> Change:
        """Issue a ticket, or raise IssueRefused with a reason the citizen understands;
        ``booked_from`` is the slot start of the booking it checks in; ``holder`` whom the ID number
        given names (a real-name matter needs one: queue_server.domain.real_name)."""
        now = self._at(now)
        found = self.centre.matter(matter)
        self._check_can_issue(found, now, booked=booked_from is not None)
        day = self.calendar.local_date(now)
        person = None
        if holder is not None or found.real_name:
            admitted = admit(self.centre.policy, found, holder, category, day, self._people)
            person, category = admitted.person, admitted.category
        self._last_serial += 1
        serial = self._last_serial
        event = TicketIssued(
            serial=serial,
            at=now,
            actor=actor,
            place=serial,
            number=self._numbers.next(day, found.prefix),
            service_day=day,
            matter=found.code,
            category=category,
            channel=channel,
            booked_from=booked_from,
            person=person,
        )
        self._issued[(day, found.code)] = self._issued.get((day, found.code), 0) + 1
        counted(self._people, day, person)
        play_end = self._play_end
        pending = PendingChange()
        ticket = self._apply(pending, event)
        return pending.change(self.told(ticket, self._issued_position(ticket, now, play_end), at_issue=True))

    def told(self, ticket: Ticket, position: Position, *, at_issue: bool = False) -> Position:
        """``position`` with the range told beside its single estimate (no play: see
        :meth:`raw_told`, then corrected by how the told ranges fared): at issue, and on the
        ticket's page until the next working-out includes it. Only the range told ``at_issue`` is
        checked against the real wait later."""
        raw = self.raw_told(ticket, position)
        if raw is None or position.estimated_wait is None:
            return position
        told = self.calibration.told(raw, ticket.serial if at_issue else None)
        return replace(position, wait_range=told)

    def raw_told(self, ticket: Ticket, position: Position, *, played: bool = True) -> WaitRange | None:
        """The range for a ticket the last working-out did not play, before correction: an
        ordinary ticket (last in the queue, as the phantom newcomers were) is told its matter's
        phantom range moved to its point estimate (``played``); any other, or before any
        working-out, the range scaled from the nearest tickets (queue_server.domain.told_ranges)."""
        point = position.estimated_wait
        if point is None:
            return None
        spread = self.stats.spread(ticket.matter)
        basis = self.range_basis
        if basis is None:
            return told_range(point, ticket.matter, ticket.prefix, None, spread)
        last = not (ticket.green or ticket.booked or ticket.target_window is not None)
        return basis.raw_range(point, ticket.matter, ticket.prefix, spread, played=played and last)

    def phantom_points(self) -> dict[str, RangePoint]:
        """Per matter, the point estimate of a phantom newcomer now: an ordinary ticket of it put
        last in the queue (what :meth:`wait_range_plays` plays beside the real tickets). Costs
        one forecast."""
        now = self.clock.now()
        holding = {number: self._tickets[serial] for number, serial in self._holding.items()}
        end = forecast_end(self.router, self.stats, self.calendar, now, self._windows.values(), holding, self.waiting())
        prefixes = {m.code: m.prefix for m in self.centre.matters}
        return {
            matter: RangePoint(matter, prefixes[matter], max(at - now, dt.timedelta()))
            for matter, at in self._phantoms(now).calls(end).items()
        }

    def newcomer_points(self, phantoms: Mapping[str, RangePoint] | None = None) -> dict[str, RangePoint]:
        """Per ticket group, the point estimate of a newcomer now: an ordinary ticket of the group's
        matter issued most today (else its first) put last in the queue; from ``phantoms``
        (:meth:`phantom_points`) when given, else at the cost of one forecast."""
        phantoms = self.phantom_points() if phantoms is None else phantoms
        day = self.calendar.local_date(self.clock.now())
        out = {}
        for group in self.centre.ticket_groups:
            matters = [m for m in self.centre.matters if m.prefix == group.prefix]
            if not matters:
                continue
            matter = max(matters, key=lambda m: self._issued.get((day, m.code), 0))  # the first among equals
            found = phantoms.get(matter.code)
            if found is not None:
                out[group.prefix] = found
        return out

    def range_points(self) -> dict[int, RangePoint]:
        """Each waiting ticket's point estimate now, by serial: what a :class:`RangeBasis` sets
        beside the ranges worked out at the same instant. Costs one forecast."""
        out = {}
        for serial, position in self.positions().items():
            ticket = self._tickets[serial]
            if position.estimated_wait is not None:
                out[serial] = RangePoint(ticket.matter, ticket.prefix, position.estimated_wait)
        return out

    def _issued_position(self, ticket: Ticket, now: dt.datetime, play_end: PlayEnd | None) -> Position:
        """The new ticket's position: from the last forecast when only ordinary tickets were issued
        since, at most ``FORECAST_REUSE`` ago (a batch of actions shares one instant; batches of
        issues follow each other closely), else from a whole forecast."""
        if ticket.green or ticket.booked:  # it may go ahead of others: the whole forecast
            self._play_end = None
            calls = self._forecast(now, self.waiting(), until=ticket.serial)
            return position_of(ticket, calls, self.router, now, self._tickets)
        if play_end is None or not play_end.now <= now <= play_end.now + FORECAST_REUSE:
            before = [t for t in self.waiting() if t.serial != ticket.serial]
            holding = {number: self._tickets[serial] for number, serial in self._holding.items()}
            windows = self._windows.values()
            play_end = forecast_end(self.router, self.stats, self.calendar, now, windows, holding, before)
        self._play_end = play_end
        return play_end.extend(ticket, self.router, self.stats, self.calendar, now)

    def cannot_issue(
        self, matter: Matter, now: dt.datetime | None = None, *, booked: bool = False
    ) -> CannotIssue | None:
        """Why ``matter`` gets no ticket now (the rule :meth:`issue` refuses by), or None when it does."""
        now = self._at(now)
        issued = self._issued.get((self.calendar.local_date(now), matter.code), 0)
        policy = self.centre.policy
        windows: Iterable[int] = self.router.windows_serving(matter.code)
        extended = None
        if not booked and hall_closed(self.calendar, policy, now) is not None:
            extended = walk_ins_extended(self.centre, self.calendar, matter.code, now)
            if extended is not None:  # walk-ins while the slot runs: served at its windows only
                windows = set(extended.windows) & set(windows)
        window_open = any(self._windows[n].staffed for n in windows if n in self._windows)
        return cannot_issue(
            self.calendar,
            policy,
            now,
            matter,
            issued_today=issued,
            window_open=window_open,
            booked=booked or extended is not None,
        )

    def _check_can_issue(self, matter: Matter, now: dt.datetime, *, booked: bool = False) -> None:
        bar = self.cannot_issue(matter, now, booked=booked)
        if bar is not None:
            raise self.refusal_for(matter, bar)

    def refusal_for(self, matter: Matter, bar: CannotIssue) -> IssueRefused:
        """What a citizen is told for ``bar``: the same words whether refused on a tap or read ahead."""
        return refusal(bar.reason, self.centre, matter, self.calendar.next_open_day(bar.day), bar.later_today)

    # Windows

    def sign_on(self, window: int, staff: str, *, actor: str | None = None, now: dt.datetime | None = None) -> Change:
        person = self.centre.staff_by_code.get(staff)
        if person is None:
            raise NotFound(
                f"There is no staff member {staff!r} at {self.centre.name}", RefusalCode.STAFF_NOT_FOUND, staff=staff
            )
        if person.windows and window not in person.windows:
            raise NotAllowed(
                f"Cannot sign {staff} on to window {window}: {staff} may work only at {_numbers(person.windows)}",
                RefusalCode.STAFF_WRONG_WINDOW,
                staff=staff,
                window=window,
                windows=",".join(str(n) for n in person.windows),
            )
        for other in self._windows.values():
            if other.number != window and other.signed_on(staff):
                raise InvalidTransition(
                    f"Cannot sign {staff} on to window {window}: {staff} is signed on at window {other.number}",
                    RefusalCode.SIGNED_ON_ELSEWHERE,
                    staff=staff,
                    window=window,
                    other=other.number,
                )
        return self._window_action(
            SignedOn(window=window, at=self._at(now), actor=actor or staff_actor(staff), staff=staff)
        )

    def sign_off(self, window: int, staff: str, *, actor: str | None = None, now: dt.datetime | None = None) -> Change:
        state = self.window(window)
        if state.signed_on(staff) and state.cover is None:
            self._require_free(state, f"sign {staff} off from")
        return self._window_action(
            SignedOff(window=window, at=self._at(now), actor=actor or staff_actor(staff), staff=staff)
        )

    def pause(
        self,
        window: int,
        reason: PauseReason,
        *,
        note: str = "",
        minutes: int | None = None,
        public: bool = False,
        actor: str = SYSTEM,
        now: dt.datetime | None = None,
    ) -> Change:
        """Stop calling at ``window``; the note stays among staff unless ``public``."""
        state = self._acting_window(window, "pause", actor)
        self._require_free(state, "pause")
        if minutes is not None and not 1 <= minutes <= 24 * 60:
            raise InvalidTransition(
                f"Cannot pause window {window} for {minutes} minutes: give 1 to 1440",
                RefusalCode.PAUSE_MINUTES,
                window=window,
                minutes=minutes,
            )
        return self._window_action(
            Paused(
                window=window, at=self._at(now), actor=actor, reason=reason, note=note, minutes=minutes, public=public
            )
        )

    def resume(self, window: int, *, actor: str = SYSTEM, now: dt.datetime | None = None) -> Change:
        self._acting_window(window, "resume", actor)
        return self._window_action(Resumed(window=window, at=self._at(now), actor=actor))

    def close_window(self, window: int, *, actor: str = SYSTEM, now: dt.datetime | None = None) -> Change:
        state = self._acting_window(window, "close", actor)
        self._require_free(state, "close")
        return self._window_action(WindowClosed(window=window, at=self._at(now), actor=actor))

    # Calling

    def call_next(self, window: int, *, actor: str = SYSTEM, now: dt.datetime | None = None) -> Change:
        """Call the ticket routing gives this window; an empty change when nobody waits for it."""
        state = self._calling_window(window, "call next at", actor)
        now = self._at(now)
        # Only a ticket this window may call that goes first can pass its oldest one: without one,
        # the queue is read up to that oldest ticket, not to its end (Router.choose).
        first = any(t.goes_first(now) and self.router.can_serve(window, t) for t in self._waiting.firsts)
        choice = self.router.choose(window, self._queue(), now=now, green=first)
        if choice is None:
            return Change()
        return self._call(state, choice.ticket, choice.passed_over, actor, now=now)

    def call_ticket(
        self, window: int, serial: int, *, reason: str, actor: str = SYSTEM, now: dt.datetime | None = None
    ) -> Change:
        """Call a chosen ticket out of order; the reason is logged."""
        state = self._calling_window(window, f"call ticket #{serial} at", actor)
        ticket = self.ticket(serial)
        if not reason.strip():
            raise InvalidTransition(
                f"Cannot call ticket {ticket.number} out of order at window {window}: give a reason",
                RefusalCode.CALL_REASON_MISSING,
                ticket=ticket.number,
                window=window,
            )
        if ticket.status not in (TicketStatus.WAITING, TicketStatus.NO_SHOW):
            apply(
                ticket,
                TicketCalled(serial=serial, at=self._at(now), actor=actor, window=window, staff=None),
            )
        if not self.router.can_serve(window, ticket):
            raise InvalidTransition(
                f"Cannot call ticket {ticket.number} at window {window}:"
                f" the window does not take matter {ticket.matter!r}"
                + (f" (it was sent to window {ticket.target_window})" if ticket.target_window else ""),
                RefusalCode.WINDOW_NOT_FOR_MATTER,
                ticket=ticket.number,
                window=window,
                matter=ticket.matter,
            )
        passed = self.router.passed_over_by(window, ticket, self.waiting())
        return self._call(state, ticket, passed, actor, reason=reason.strip(), now=now)

    def _call(
        self,
        state: WindowState,
        ticket: Ticket,
        passed: Iterable[Ticket],
        actor: str,
        reason: str = "",
        *,
        now: dt.datetime | None,
    ) -> Change:
        now = self._at(now)
        pending = PendingChange()
        for other in passed:
            self._apply(
                pending,
                TicketPassedOver(
                    serial=other.serial, at=now, actor=actor, by_serial=ticket.serial, window=state.number
                ),
            )
        called = TicketCalled(
            serial=ticket.serial,
            at=now,
            actor=actor,
            window=state.number,
            staff=state.acting_staff,
            out_of_order=bool(reason),
            reason=reason,
        )
        self._apply(pending, called)
        self.calibration.called(ticket.serial, now - ticket.issued_at)
        return pending.change(focus=ticket.serial)

    def recall(self, window: int, *, actor: str = SYSTEM, now: dt.datetime | None = None) -> Change:
        ticket = self._held(window, "recall at", actor)
        return self._ticket_action(TicketRecalled(serial=ticket.serial, at=self._at(now), actor=actor, window=window))

    def start_serving(self, window: int, *, actor: str = SYSTEM, now: dt.datetime | None = None) -> Change:
        ticket = self._held(window, "start serving at", actor)
        return self._ticket_action(ServingStarted(serial=ticket.serial, at=self._at(now), actor=actor, window=window))

    def no_show(self, window: int, *, actor: str = SYSTEM, now: dt.datetime | None = None) -> Change:
        ticket = self._held(window, "mark a no-show at", actor)
        return self._ticket_action(MarkedNoShow(serial=ticket.serial, at=self._at(now), actor=actor, window=window))

    def requeue(self, serial: int, *, actor: str = SYSTEM, now: dt.datetime | None = None) -> Change:
        """Put a no-show back in the queue: at its old place, or at the end (policy)."""
        ticket = self.ticket(serial)
        place = ticket.place
        if self.centre.policy.no_show_requeue == "end" and ticket.status is TicketStatus.NO_SHOW:
            self._last_serial += 1
            place = self._last_serial
        return self._ticket_action(TicketRequeued(serial=serial, at=self._at(now), actor=actor, place=place))

    def transfer(
        self,
        window: int,
        *,
        to_matter: str | None = None,
        to_window: int | None = None,
        note: str = "",
        actor: str = SYSTEM,
        now: dt.datetime | None = None,
    ) -> Change:
        """Send the window's ticket to another matter or window; it keeps its place in the queue."""
        ticket = self._held(window, "transfer from", actor)

        def refused(where: str, why: str, code: RefusalCode, **facts: Fact) -> InvalidTransition:
            return InvalidTransition(f"Cannot transfer ticket {ticket.number}{where}: {why}", code, **facts)

        named = {"ticket": ticket.number}
        if to_matter is None and to_window is None:
            raise refused("", "name a matter or a window", RefusalCode.TRANSFER_TARGET_MISSING, **named)
        matter = self.centre.matter(to_matter or ticket.matter)
        if to_window is not None:
            target, to = self.centre.window(to_window), f" to window {to_window}"
            if to_window == window:
                raise refused(to, "it is there already", RefusalCode.TRANSFER_SAME_WINDOW, window=window, **named)
            if not self.centre.serves(target, matter):
                why, code = f"it does not take matter {matter.code!r}", RefusalCode.WINDOW_NOT_FOR_MATTER
                raise refused(to, why, code, window=to_window, matter=matter.code, **named)
            if not self._windows[to_window].staffed:
                why, code = "the window is closed", RefusalCode.TRANSFER_WINDOW_CLOSED
                raise refused(to, why, code, window=to_window, **named)
        elif not any(self._windows[n].staffed for n in self.router.windows_serving(matter.code)):
            why, code = "no window for it is open", RefusalCode.TRANSFER_NO_WINDOW_OPEN
            raise refused(f" to matter {matter.code!r}", why, code, matter=matter.code, **named)
        event = TicketTransferred(
            serial=ticket.serial,
            at=self._at(now),
            actor=actor,
            from_window=window,
            to_matter=matter.code,
            to_window=to_window,
            note=note,
        )
        return self._ticket_action(event)

    def cancel(
        self,
        serial: int,
        *,
        reason: CancelReason = CancelReason.CITIZEN,
        note: str = "",
        actor: str = SYSTEM,
        now: dt.datetime | None = None,
    ) -> Change:
        return self._ticket_action(
            TicketCancelled(serial=serial, at=self._at(now), actor=actor, reason=reason, note=note)
        )

    def finish(
        self,
        window: int,
        outcome: Outcome,
        *,
        reasons: Iterable[str] = (),
        missing_materials: Iterable[str] = (),
        promised_days: int | None = None,
        note: str = "",
        terms: CaseTerms | None = None,
        assisted: Assisted | None = None,
        actor: str = SYSTEM,
        now: dt.datetime | None = None,
    ) -> Change:
        """Finish the window's ticket with how the case ends, the terms it was accepted on and, at a
        帮办代办 window, whom the staff helped."""
        ticket = self._held(window, "finish at", actor)
        matter = self.centre.matter(ticket.matter)
        reasons, missing = tuple(reasons), tuple(missing_materials)
        check_outcome(ticket, matter, outcome, reasons, missing, self.centre.policy.rejection_reasons)
        now = self._at(now)
        today = self.calendar.local_date(now)
        settled = settle_terms(ticket, matter, outcome, terms, self.centre.policy, self.calendar, today)
        assistance = check_assistance(self.centre, window, ticket, assisted) if assisted is not None else None
        due: dt.date | None = None
        if settled is not None and settled.days is not None:
            due = self.calendar.add_working_days(today, settled.days)
        if outcome is Outcome.PROMISED:
            days = promised_days or matter.promised_days
            if days is None:
                raise InvalidTransition(
                    f"Cannot finish ticket {ticket.number} as a promised case: matter {matter.code!r} has no"
                    " promised time limit, give the number of working days",
                    RefusalCode.PROMISED_DAYS_MISSING,
                    ticket=ticket.number,
                    matter=matter.code,
                )
            due = self.calendar.add_working_days(self.calendar.local_date(now), days)
        event = TicketFinished(
            serial=ticket.serial,
            at=now,
            actor=actor,
            window=window,
            outcome=outcome,
            due_date=due,
            reasons=reasons,
            missing_materials=missing,
            note=note,
            terms=settled,
            assistance=assistance,
        )
        pending = PendingChange()
        self._apply(pending, event)
        self.request_rating(pending, ticket, window, actor=actor, now=now)
        if ticket.called_at is not None:
            self.stats.record(ticket.matter, window, (now - ticket.called_at).total_seconds() / 60, ticket.staff)
        return pending.change(focus=ticket.serial)  # the earlier service whose code it retired changed too

    # Closing

    def close_day(self, *, actor: str = SYSTEM, now: dt.datetime | None = None) -> Change:
        """At closing: waiting tickets are cancelled or carried to the next open day (policy).

        Tickets at a window are left for their staff to finish; no-shows are cancelled.
        A carried ticket gets a number of the new day and keeps its place.
        """
        now = self._at(now)
        today = self.calendar.local_date(now)
        pending = PendingChange()
        carry = self.centre.policy.at_closing == "carry"
        next_day = self.calendar.next_open_day(today) if carry else None
        ending = sorted(
            (
                t
                for t in self._tickets.values()
                if t.service_day <= today and t.status in (TicketStatus.WAITING, TicketStatus.NO_SHOW)
            ),
            key=lambda t: t.place,
        )
        for ticket in ending:
            if next_day is not None and ticket.status is TicketStatus.WAITING:
                number = self._numbers.next(next_day, ticket.prefix)
                event: TicketEvent = TicketCarried(
                    serial=ticket.serial, at=now, actor=actor, number=number, service_day=next_day
                )
            else:
                event = TicketCancelled(serial=ticket.serial, at=now, actor=actor, reason=CancelReason.CLOSING)
            self._apply(pending, event)
        return pending.change()

    # Internals

    def _at(self, now: dt.datetime | None) -> dt.datetime:
        """The instant of an action: the one it was given (a batch of actions shares one), else the clock's."""
        return self.clock.now() if now is None else now

    def _window_action(self, event: WindowEvent) -> Change:
        self._play_end = None
        self.changes += 1
        pending = PendingChange()
        state = apply_window(self._windows[event.window], event)
        self._windows[event.window] = state
        self._window_logs.setdefault(event.window, []).append(event)
        pending.window_events.append(event)
        pending.windows[event.window] = state
        return pending.change()

    def _ticket_action(self, event: TicketEvent) -> Change:
        pending = PendingChange()
        self._apply(pending, event)
        return pending.change()

    def _apply(self, pending: PendingChange, event: TicketEvent) -> Ticket:
        before = self._tickets.get(event.serial)
        if before is None and not isinstance(event, TicketIssued):
            raise self._no_ticket(event.serial)
        after = apply(before, event)
        self._play_end = None
        self.changes += 1
        self._touched.add(after.serial)
        if (before is not None and before.status is TicketStatus.WAITING) or after.status is TicketStatus.WAITING:
            self._waiting.moved(before, after)
        if (before is not None and before.rating_status is REQUESTED) or after.rating_status is REQUESTED:
            self.ratings.moved(before, after)
        if before is not None and before.status.at_window and before.window is not None:
            self._holding.pop(before.window, None)
        if after.status.at_window and after.window is not None:
            self._holding[after.window] = after.serial
        self._tickets[after.serial] = after
        self._ticket_logs.setdefault(after.serial, []).append(event)
        pending.ticket_events.append(event)
        pending.tickets[after.serial] = after
        return after

    def _acting_window(self, window: int, action: str, actor: str) -> WindowState:
        """The window, if the actor may act there: a staff actor must be signed on to it."""
        state = self.window(window)
        if actor.startswith("staff:"):
            code = actor.removeprefix("staff:")
            if not state.signed_on(code):
                raise NotAllowed(
                    f"Cannot {action} window {window}: {code} is not signed on there",
                    RefusalCode.NOT_SIGNED_ON,
                    window=window,
                    staff=code,
                )
        return state

    def _calling_window(self, window: int, action: str, actor: str) -> WindowState:
        state = self._acting_window(window, action, actor)
        if state.status is not WindowStatus.OPEN:
            paused = state.status is WindowStatus.PAUSED
            code = RefusalCode.WINDOW_PAUSED if paused else RefusalCode.WINDOW_CLOSED
            raise InvalidTransition(
                f"Cannot {action} window {window}: the window is {state.status.value}", code, window=window
            )
        self._require_free(state, action)
        return state

    def _require_free(self, state: WindowState, action: str) -> None:
        held = self.holding(state.number)
        if held is not None:
            raise InvalidTransition(
                f"Cannot {action} window {state.number}: ticket {held.number} is still at the window;"
                " finish it, mark it a no-show or transfer it first",
                RefusalCode.WINDOW_BUSY,
                window=state.number,
                ticket=held.number,
            )

    def _held(self, window: int, action: str, actor: str) -> Ticket:
        self._acting_window(window, action, actor)
        held = self.holding(window)
        if held is None:
            raise InvalidTransition(
                f"Cannot {action} window {window}: no ticket is at the window", RefusalCode.WINDOW_EMPTY, window=window
            )
        return held


def _numbers(windows: Iterable[int]) -> str:
    return ", ".join(f"window {n}" for n in windows)
