"""Random sequences of every action: the event logs replay to the state, and invariants hold.

A hypothesis state machine drives a hall with all the actions staff, citizens and the closing
job take, including ones that must be refused. After every step it checks that each window
holds at most one ticket, that numbers are unique per day, and that every ticket's and
window's log (also through its JSON record) replays exactly to the current state.
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from queue_server.domain.clock import ManualClock
from queue_server.domain.errors import DomainError
from queue_server.domain.events import event_from_record, replay
from queue_server.domain.hall import Hall
from queue_server.domain.ratings import RatingLevel
from queue_server.domain.tickets import CancelReason, Category, Outcome, TicketStatus
from queue_server.domain.windows import PauseReason, replay_window, window_event_from_record
from tests.factories import make_centre, shanghai

CENTRE = make_centre(policy={"at_closing": "carry", "max_passed_over": 1})
WINDOWS = st.sampled_from([w.number for w in CENTRE.windows])
STAFF = st.sampled_from([s.code for s in CENTRE.staff])
MATTERS = st.sampled_from([m.code for m in CENTRE.matters])
PICK = st.integers(0, 10_000)


class HallMachine(RuleBasedStateMachine):
    """Every action, valid or not; refusals must leave the hall unchanged."""

    hall: Hall
    clock: ManualClock

    @initialize()
    def open_hall(self) -> None:
        self.clock = ManualClock(shanghai(2026, 11, 30, 8, 30))
        self.hall = Hall(CENTRE, self.clock)
        self.refused = 0
        for window, staff in ((1, "s1"), (2, "s2"), (3, "s3"), (9, "s9")):
            self.hall.sign_on(window, staff)

    def pick(self, index: int) -> int:
        """A ticket that exists, most of the time; now and then one that does not."""
        serials = sorted(t.serial for t in self.hall.tickets())
        return serials[index % len(serials)] if serials and index % 10 else index % 50 + 1

    def attempt(self, action: object) -> None:
        """Run an action; a refused one must change nothing."""
        before = (
            {t.serial: t for t in self.hall.tickets()},
            self.hall.windows(),
        )
        try:
            action()  # type: ignore[operator]
        except DomainError:
            self.refused += 1
            assert {t.serial: t for t in self.hall.tickets()} == before[0], "a refused action changed a ticket"
            assert self.hall.windows() == before[1], "a refused action changed a window"

    @rule(minutes=st.integers(0, 20))
    def time_passes(self, minutes: int) -> None:
        """Minutes pass; after closing the day is closed and the clock moves to the next opening."""
        self.clock.advance(minutes=minutes)
        calendar = self.hall.calendar
        if self.clock.now() >= (calendar.closing_time(calendar.local_date(self.clock.now())) or self.clock.now()):
            self.attempt(self.hall.close_day)
            self.clock.set(calendar.next_service_instant(self.clock.now()))

    @rule(matter=MATTERS, category=st.sampled_from([None, *Category]))
    def issue(self, matter: str, category: Category | None) -> None:
        self.attempt(lambda: self.hall.issue(matter, category=category))

    @rule(window=WINDOWS, staff=STAFF)
    def sign_on(self, window: int, staff: str) -> None:
        self.attempt(lambda: self.hall.sign_on(window, staff))

    @rule(window=WINDOWS, staff=STAFF)
    def sign_off(self, window: int, staff: str) -> None:
        self.attempt(lambda: self.hall.sign_off(window, staff))

    @rule(window=WINDOWS, reason=st.sampled_from(PauseReason), minutes=st.none() | st.integers(1, 60))
    def pause(self, window: int, reason: PauseReason, minutes: int | None) -> None:
        self.attempt(lambda: self.hall.pause(window, reason, minutes=minutes))

    @rule(window=WINDOWS)
    def resume(self, window: int) -> None:
        self.attempt(lambda: self.hall.resume(window))

    @rule(window=WINDOWS)
    def close_window(self, window: int) -> None:
        self.attempt(lambda: self.hall.close_window(window))

    @rule(window=WINDOWS)
    def call_next(self, window: int) -> None:
        self.attempt(lambda: self.hall.call_next(window))

    @rule(window=WINDOWS, outcome=st.sampled_from([Outcome.ON_THE_SPOT, Outcome.PROMISED]))
    def serve_and_finish(self, window: int, outcome: Outcome) -> None:
        """The common case, so that long sequences keep the queue moving."""
        self.attempt(lambda: self.hall.call_next(window))
        self.attempt(lambda: self.hall.finish(window, outcome, promised_days=3))

    @rule(matter=MATTERS, category=st.sampled_from([None, None, *Category]))
    def another_arrival(self, matter: str, category: Category | None) -> None:
        self.attempt(lambda: self.hall.issue(matter, category=category))

    @rule(window=WINDOWS, index=PICK)
    def call_out_of_order(self, window: int, index: int) -> None:
        self.attempt(lambda: self.hall.call_ticket(window, self.pick(index), reason="预约"))

    @rule(window=WINDOWS)
    def recall(self, window: int) -> None:
        self.attempt(lambda: self.hall.recall(window))

    @rule(window=WINDOWS)
    def start_serving(self, window: int) -> None:
        self.attempt(lambda: self.hall.start_serving(window))

    @rule(window=WINDOWS)
    def no_show(self, window: int) -> None:
        self.attempt(lambda: self.hall.no_show(window))

    @rule(index=PICK)
    def requeue(self, index: int) -> None:
        self.attempt(lambda: self.hall.requeue(self.pick(index)))

    @rule(window=WINDOWS, matter=st.none() | MATTERS, to_window=st.none() | WINDOWS)
    def transfer(self, window: int, matter: str | None, to_window: int | None) -> None:
        self.attempt(lambda: self.hall.transfer(window, to_matter=matter, to_window=to_window))

    @rule(index=PICK, reason=st.sampled_from(CancelReason))
    def cancel(self, index: int, reason: CancelReason) -> None:
        self.attempt(lambda: self.hall.cancel(self.pick(index), reason=reason))

    @rule(window=WINDOWS, outcome=st.sampled_from(Outcome), missing=st.booleans())
    def finish(self, window: int, outcome: Outcome, missing: bool) -> None:
        held = self.hall.holding(window)
        materials = self.hall.centre.matter(held.matter).materials[:1] if held and missing else ()
        reasons = self.hall.centre.policy.rejection_reasons[:1] if outcome.needs_notice else ()
        self.attempt(
            lambda: self.hall.finish(window, outcome, reasons=reasons, missing_materials=materials, promised_days=2)
        )

    @rule(index=PICK, level=st.sampled_from(RatingLevel), window=st.none() | WINDOWS)
    def rate(self, index: int, level: RatingLevel, window: int | None) -> None:
        self.attempt(lambda: self.hall.rate(self.pick(index), level, source="pad:p", window=window))

    @rule()
    def expire_ratings(self) -> None:
        self.attempt(self.hall.expire_ratings)

    @rule()
    def close_the_day(self) -> None:
        self.attempt(self.hall.close_day)

    @invariant()
    def one_ticket_per_window(self) -> None:
        at_windows = [t.window for t in self.hall.tickets() if t.status.at_window]
        assert len(at_windows) == len(set(at_windows)), "a window holds two tickets"
        for window in self.hall.windows():
            held = self.hall.holding(window.number)
            assert (held.window if held else None) in (None, window.number)

    @invariant()
    def numbers_unique_per_day(self) -> None:
        live = [(t.service_day, t.number) for t in self.hall.tickets()]
        carried_away = {
            (e.service_day, e.number)  # type: ignore[attr-defined]
            for t in self.hall.tickets()
            for e in self.hall.ticket_log(t.serial)
            if e.kind == "carried"
        }
        assert len(live) == len(set(live)), "two tickets share a number on one day"
        assert carried_away <= set(live) | carried_away

    @invariant()
    def logs_replay_to_the_state(self) -> None:
        for ticket in self.hall.tickets():
            log = self.hall.ticket_log(ticket.serial)
            assert replay(log) == ticket
            assert replay(event_from_record(e.to_record()) for e in log) == ticket
            assert ticket.status in TicketStatus
        for window in self.hall.windows():
            log = self.hall.window_log(window.number)
            assert replay_window(window.number, log) == window
            assert replay_window(window.number, (window_event_from_record(e.to_record()) for e in log)) == window


HallMachine.TestCase.settings = settings(
    max_examples=150,
    stateful_step_count=80,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestHallMachine = HallMachine.TestCase
