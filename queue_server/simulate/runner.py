"""Playing a day on virtual time against the real domain core.

The hall is a real ``Hall`` on a ``ManualClock``; every action is a command from
``queue_server.app.commands`` run against it, as ``HallService`` runs them inside a transaction, only
without the database. Routing, numbering, the calendar, the starvation bound and the wait
estimates printed on tickets are therefore those of the server itself. The runner only decides
*when* things happen (events) and records what the hall answered.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from queue_server.app.commands import (
    CallNext,
    CheckInTicket,
    CloseDay,
    Command,
    ExpireRatings,
    Finish,
    IssueTicket,
    Pause,
    RateTicket,
    Resume,
    SignOff,
    SignOn,
)
from queue_server.domain.centre import Centre
from queue_server.domain.changes import Change
from queue_server.domain.clock import ManualClock
from queue_server.domain.errors import IssueRefused
from queue_server.domain.estimates import WaitRange
from queue_server.domain.hall import Hall, staff_actor
from queue_server.domain.hall_ratings import SYSTEM
from queue_server.domain.staffing_advice import Suggestion, SuggestionKind, snapshot, staffing_advice
from queue_server.domain.tickets import Channel, Outcome, TicketStatus
from queue_server.domain.told_ranges import RangeBasis
from queue_server.domain.told_ranges import printed as in_minutes
from queue_server.domain.windows import PauseReason
from queue_server.simulate.booked import with_bookings
from queue_server.simulate.model import Arrival, DayPlan, Event, EventQueue, Kind, PlannedPause, plan_day
from queue_server.simulate.oracle import TrueHandling, oracle_range
from queue_server.simulate.profiles import SIMULATED_STAFF, Profile, spare_windows

KIOSK_ACTOR = "kiosk:simulator"
ADVICE_MINUTES = 10
"""How often a run that follows the staffing advice asks for it (a manager glancing at the page)."""
SAMPLE_MINUTES = 5
"""How often the queue length is sampled (and finished tickets' rating requests tidied away)."""

Interval = tuple[dt.datetime, dt.datetime]
Progress = Callable[[int, int], None]
"""Told (citizens arrived so far, citizens expected) now and then during a run."""


@dataclass
class TicketRecord:
    """What happened to one simulated ticket, as the hall reported it."""

    day: int
    serial: int
    number: str
    matter: str
    green: bool
    issued: dt.datetime
    estimate: float | None
    """Minutes to the call that the ticket promised when printed (None: no window could serve it)."""
    people_ahead: int
    low: float | None = None
    high: float | None = None
    """The wait range printed on the ticket, in minutes (None: no window could serve it)."""
    oracle_low: float | None = None
    oracle_high: float | None = None
    """The oracle's range at the issue (queue_server.simulate.oracle), when it was asked."""
    told_low: float | None = None
    told_high: float | None = None
    """The range told at the issue as the service tells it, without a play: scaled from the ranges
    worked out after the issue before (queue_server.domain.told_ranges)."""
    uncorrected_low: float | None = None
    uncorrected_high: float | None = None
    """The same range before the hall's correction by its record of the day (``Hall.raw_told``),
    printed: what it would tell without the correction (the day is the same either way)."""
    called: dt.datetime | None = None
    window: int | None = None
    finished: dt.datetime | None = None
    call_order: int | None = None
    """Position of its call among all calls of the run (calls at one instant happen in this order)."""
    cancelled: bool = False
    carried: bool = False
    passed_over: int = 0
    rating: int | None = None
    """The level the citizen gave on the window's pad (None: not rated)."""
    named: bool = False
    """A bad rating given with a number for the follow-up call (实名差评)."""
    citizen: int = -1
    """The citizen's place among the day's drawn arrivals (the same person in a run without bookings)."""
    slot: dt.datetime | None = None
    """A booking checked in on time: its slot's start (the ticket is booked); None for a walk-in."""
    late_booking: bool = False
    """A booked citizen who came too late for the booking: a walk-in ticket."""

    @property
    def wait(self) -> float | None:
        """Minutes from issue to call."""
        return None if self.called is None else (self.called - self.issued).total_seconds() / 60


@dataclass
class WindowRecord:
    number: int
    staffed: list[Interval] = field(default_factory=list)
    busy: list[Interval] = field(default_factory=list)
    paused: list[tuple[dt.datetime, dt.datetime, PauseReason]] = field(default_factory=list)
    served: int = 0


@dataclass
class Refusal:
    day: int
    at: dt.datetime
    matter: str
    reason: str


@dataclass
class SimulationRun:
    """Everything a run recorded; ``report.figures`` turns it into the figures."""

    centre: Centre
    profile: Profile
    seed: int
    days: list[DayPlan]
    tickets: list[TicketRecord]
    windows: dict[int, WindowRecord]
    refusals: list[Refusal]
    queue: list[tuple[int, dt.datetime, int]]
    """(day index, instant, tickets waiting), every SAMPLE_MINUTES of opening time."""
    max_queue: tuple[int, dt.datetime, int]
    skipped_pauses: int
    followed: list[Followed] = field(default_factory=list)
    """The staffing advice the run carried out (empty unless it followed the advice)."""


@dataclass(frozen=True, slots=True)
class Followed:
    """One suggestion of the staffing advice the simulated manager carried out, and what it promised."""

    day: int
    at: dt.datetime
    suggestion: Suggestion
    longest_before: float
    """The longest expected wait (minutes) of the tickets waiting then, without the change."""


@dataclass
class _Window:
    """The runner's view of a window: what the hall cannot tell it (what is planned next)."""

    number: int
    actor: str
    holding: TicketRecord | None = None
    idle_since: dt.datetime | None = None
    on_since: dt.datetime | None = None
    paused_since: tuple[dt.datetime, PauseReason] | None = None
    pause_token: int = 0
    pending_pause: PlannedPause | None = None
    pending_off: bool = False
    staff: str = ""
    """Who is signed on (the window's own simulated staff member unless someone moved in)."""
    pending_move: tuple[int, float] | None = None
    """Advised to move to this window once the ticket in hand is finished, walking these minutes."""


class Simulation:
    """One run: a centre (as ``profiles.simulated_centre`` made it), a profile, a seed."""

    def __init__(
        self,
        centre: Centre,
        profile: Profile,
        *,
        seed: int = 0,
        progress: Progress | None = None,
        follow_advice: bool = False,
        oracle_every: int = 0,
        ranges: bool = True,
    ) -> None:
        """``oracle_every``: the oracle's range is computed for every so many issued tickets (0: never);
        without ``ranges`` no wait range is taken (they cost 40 plays of the hall per ticket), for
        runs that measure something else."""
        self.centre = centre
        self.follow_advice = follow_advice
        self.followed: list[Followed] = []
        self._moving = 0
        """Staff members on their way to a window the advice sent them to: no new advice meanwhile."""
        self._closes: dt.datetime | None = None
        self.oracle_every = oracle_every
        self.ranges = ranges
        self.truth = TrueHandling(centre, profile)
        self.profile = profile
        self.seed = seed
        self.rng = random.Random(seed)
        self.progress = progress
        self.clock = ManualClock(dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
        self.hall = Hall(centre, self.clock)
        self.events = EventQueue()
        self.tickets: list[TicketRecord] = []
        self.by_serial: dict[int, TicketRecord] = {}
        self.refusals: list[Refusal] = []
        self.queue: list[tuple[int, dt.datetime, int]] = []
        self.max_queue: tuple[int, dt.datetime, int] = (0, self.clock.now(), 0)
        self.records = {w.number: WindowRecord(w.number) for w in centre.windows}
        self.windows = {
            w.number: _Window(w.number, staff_actor(SIMULATED_STAFF.format(w.number))) for w in centre.windows
        }
        self.waiting = 0
        self.open = False
        self.skipped_pauses = 0
        self._day = 0
        self._minutes: dict[int, float] = {}
        """Drawn handling minutes of each waiting ticket, by serial."""
        self._arrived = 0
        self._calls = 0
        self._expected = 0

    # Running

    def run(self, days: int = 1) -> SimulationRun:
        if days < 1:
            raise ValueError(f"Cannot simulate {days} days: give at least one")
        calendar = self.hall.calendar
        day = self.profile.profile.day
        if not calendar.is_open_day(day):
            day = calendar.next_open_day(day)
        plans = []
        for _ in range(days):
            plans.append(plan_day(self.rng, self.centre, calendar, self.profile, day, spare=self._spare()))
            day = calendar.next_open_day(day)
        self._expected = sum(len(p.arrivals) for p in plans)
        for index, plan in enumerate(plans):
            self._day = index
            self._schedule(plan)
            for event in self.events.drain():
                self.clock.set(event.at)
                self._handle(event)
        if self.progress is not None:
            self.progress(self._expected, self._expected)
        return SimulationRun(
            self.centre,
            self.profile,
            self.seed,
            plans,
            self.tickets,
            self.records,
            self.refusals,
            self.queue,
            self.max_queue,
            self.skipped_pauses,
            self.followed,
        )

    def _spare(self) -> frozenset[int]:
        """The profile's spare windows: the centre is ``simulated_centre``'s, its extra windows last."""
        extras = sum(extra.count for extra in self.profile.add_windows)
        return spare_windows(max(w.number for w in self.centre.windows) - extras, self.profile)

    def _schedule(self, plan: DayPlan) -> None:
        add = self.events.add
        for number, spans in plan.staffing.items():
            for start, end in spans:
                add(Event(start, Kind.SIGN_ON, number))
                add(Event(end, Kind.SIGN_OFF, number))
        for start, end in plan.periods:
            add(Event(start, Kind.OPEN))
            add(Event(end, Kind.BREAK))
        add(Event(plan.closes, Kind.CLOSE))
        self._closes = plan.closes
        for arrival in with_bookings(plan, self.profile.bookings, self.seed, self._day, self.centre):
            add(Event(arrival.at, Kind.ARRIVAL, arrival=arrival))
        for pause in plan.pauses:
            add(Event(pause.at, Kind.PAUSE, pause.window, pause=pause))
        at = plan.opens
        while at <= plan.closes:
            add(Event(at, Kind.SAMPLE))
            at += dt.timedelta(minutes=SAMPLE_MINUTES)

    def _handle(self, event: Event) -> None:
        match event.kind:
            case Kind.SIGN_ON:
                self._sign_on(self.windows[event.window], event.staff or None)
            case Kind.SIGN_OFF:
                self._sign_off(self.windows[event.window])
            case Kind.OPEN:
                self.open = True
                self._wake(sorted(self.windows.values(), key=_idle_order))
            case Kind.BREAK:
                self.open = False
            case Kind.CLOSE:
                self._close_day()
            case Kind.ARRIVAL:
                assert event.arrival is not None
                self._arrive(event.arrival)
            case Kind.FINISH:
                self._finish(self.windows[event.window])
            case Kind.PAUSE:
                assert event.pause is not None
                self._pause(self.windows[event.window], event.pause)
            case Kind.RESUME:
                self._resume(self.windows[event.window], event.token)
            case Kind.SAMPLE:
                self._sample()

    def _run(self, command: Command, actor: str) -> Change:
        """Run a command against the hall as the service does (less the transaction)."""
        return command.run(self.hall, actor)

    # Citizens

    def _arrive(self, arrival: Arrival) -> None:
        slot, late = arrival.slot, False
        if slot is not None and arrival.at > slot + dt.timedelta(minutes=self.profile.bookings.late_minutes):
            slot, late = None, True  # the booking lapsed: a walk-in ticket
        command: Command = IssueTicket(matter=arrival.matter, category=arrival.category, channel=Channel.KIOSK)
        if slot is not None:
            command = CheckInTicket(matter=arrival.matter, booked_from=slot, channel=Channel.KIOSK)
        try:
            change = self._run(command, KIOSK_ACTOR)
        except IssueRefused as refused:
            self.refusals.append(Refusal(self._day, self.clock.now(), arrival.matter, refused.reason.value))
            self._tick()
            return
        ticket = change.ticket
        assert ticket is not None and change.position is not None
        wait = change.position.estimated_wait
        record = TicketRecord(
            day=self._day,
            serial=ticket.serial,
            number=ticket.number,
            matter=ticket.matter,
            green=ticket.green,
            issued=ticket.issued_at,
            estimate=None if wait is None else wait.total_seconds() / 60,
            people_ahead=change.position.people_ahead,
            citizen=arrival.citizen,
            slot=slot,
            late_booking=late,
        )
        self._ranges(record, change.position.wait_range, self.hall.raw_told(ticket, change.position))
        self.tickets.append(record)
        self.by_serial[ticket.serial] = record
        self._minutes[ticket.serial] = arrival.minutes
        self.waiting += 1
        if self.waiting > self.max_queue[2]:
            self.max_queue = (self._day, self.clock.now(), self.waiting)
        if self.open:
            idle = [
                w
                for w in self.windows.values()
                if w.idle_since is not None and self.hall.router.can_serve(w.number, ticket)
            ]
            if idle:
                self._call(min(idle, key=_idle_order))
        self._tick()

    def _ranges(self, record: TicketRecord, told: WaitRange | None, uncorrected: WaitRange | None) -> None:
        """The range printed on the ticket (as the service computes it after the issue), the range
        ``told`` at the issue (and before its correction) and, for every ``oracle_every``-th
        ticket, the oracle's.

        The whole hall's ranges are worked out, as the service's round after an issue does, and
        the next issue scales its told range from them: in the service that round comes a gap
        (two seconds or more) after the issue, here at once, so the told ranges here are as fresh
        as the service's can be."""
        if not self.ranges:
            return
        if told is not None:
            low, high = told.whole_minutes()
            record.told_low, record.told_high = float(low), float(high)
        if uncorrected is not None:
            low, high = in_minutes(uncorrected).whole_minutes()
            record.uncorrected_low, record.uncorrected_high = float(low), float(high)
        points = self.hall.range_points()
        phantoms = self.hall.phantom_points()
        ranges: dict[int, WaitRange] = {}
        played: dict[str, WaitRange] = {}
        for _ in self.hall.wait_range_plays(ranges, newcomers=played):
            pass
        self.hall.range_basis = RangeBasis.of(
            self.clock.now(), points, ranges, spread=self.hall.stats.spread, calibration=self.hall.calibration,
            phantoms=phantoms, played=played,
        )  # fmt: skip
        printed = ranges.get(record.serial)
        if printed is not None:
            low, high = printed.whole_minutes()
            record.low, record.high = float(low), float(high)
        if self.oracle_every and len(self.tickets) % self.oracle_every == 0:
            seed = f"oracle:{self.seed}:{self._day}:{record.serial}"
            best = oracle_range(self.hall, self.truth, record.serial, seed)
            if best is not None:
                low, high = best.whole_minutes()  # as it would print it
                record.oracle_low, record.oracle_high = float(low), float(high)

    # Windows

    def _sign_on(self, window: _Window, staff: str | None = None) -> None:
        if staff is not None:
            self._moving -= 1  # an advised sign-on: the walk is over
        if window.on_since is not None:
            return  # the plan signed the window on meanwhile
        staff = staff or SIMULATED_STAFF.format(window.number)
        if any(other.staff == staff and other.on_since is not None for other in self.windows.values()):
            return  # the advice moved this staff member to another window
        window.staff = staff
        window.actor = staff_actor(staff)
        self._run(SignOn(window=window.number, staff=staff), window.actor)
        window.on_since = self.clock.now()
        window.pending_off = False
        window.idle_since = self.clock.now()
        if self.open:
            self._call(window)

    def _sign_off(self, window: _Window) -> None:
        if window.on_since is None:
            return
        if window.holding is not None:
            window.pending_off = True
            return
        now = self.clock.now()
        self._end_pause(window, now)
        self._run(SignOff(window=window.number, staff=window.staff or SIMULATED_STAFF.format(window.number)),
                  window.actor)  # fmt: skip
        self.records[window.number].staffed.append((window.on_since, now))
        window.on_since = None
        window.idle_since = None
        window.pending_off = False
        window.pending_pause = None

    def _pause(self, window: _Window, pause: PlannedPause) -> None:
        if window.on_since is None or window.paused_since is not None or window.pending_pause is not None:
            self.skipped_pauses += 1
            return
        if window.holding is not None:
            window.pending_pause = pause
            return
        now = self.clock.now()
        self._run(
            Pause(window=window.number, reason=pause.reason, note=pause.note, minutes=pause.minutes), window.actor
        )
        window.idle_since = None
        window.paused_since = (now, pause.reason)
        window.pause_token += 1
        self.events.add(
            Event(now + dt.timedelta(minutes=pause.minutes), Kind.RESUME, window.number, token=window.pause_token)
        )

    def _resume(self, window: _Window, token: int) -> None:
        if window.paused_since is None or token != window.pause_token:
            return
        self._run(Resume(window=window.number), window.actor)
        self._end_pause(window, self.clock.now())
        window.idle_since = self.clock.now()
        if self.open:
            self._call(window)

    def _end_pause(self, window: _Window, now: dt.datetime) -> None:
        if window.paused_since is not None:
            since, reason = window.paused_since
            self.records[window.number].paused.append((since, now, reason))
            window.paused_since = None

    def _wake(self, windows: list[_Window]) -> None:
        for window in windows:
            if window.idle_since is not None:
                self._call(window)

    def _call(self, window: _Window) -> None:
        """The window presses next; it stays idle when routing has nobody for it."""
        change = self._run(CallNext(window=window.number), window.actor)
        ticket = change.ticket
        if ticket is None:
            if window.idle_since is None:
                window.idle_since = self.clock.now()
            return
        now = self.clock.now()
        for other in change.tickets:
            self.by_serial[other.serial].passed_over = other.passed_over
        record = self.by_serial[ticket.serial]
        record.called, record.window = now, window.number
        self._calls += 1
        record.call_order = self._calls
        self.waiting -= 1
        window.holding = record
        window.idle_since = None
        minutes = self._minutes.pop(ticket.serial)
        self.events.add(Event(now + dt.timedelta(minutes=minutes), Kind.FINISH, window.number))

    def _finish(self, window: _Window) -> None:
        record = window.holding
        assert record is not None and record.called is not None
        self._run(Finish(window=window.number, outcome=Outcome.ON_THE_SPOT), window.actor)
        now = self.clock.now()
        record.finished = now
        self.records[window.number].busy.append((record.called, now))
        self.records[window.number].served += 1
        self._rate(window, record)
        window.holding = None
        window.idle_since = now
        if window.pending_move is not None:
            self._move(window)
        elif window.pending_off:
            self._sign_off(window)
        elif window.pending_pause is not None:
            pause, window.pending_pause = window.pending_pause, None
            self._pause(window, pause)
        elif self.open:
            self._call(window)

    def _rate(self, window: _Window, record: TicketRecord) -> None:
        """The citizen rates on the window's pad, or not, as the profile's rating model says. Drawn
        from the ticket's own random stream: the day's other draws stay what they were."""
        model = self.profile.ratings
        draw = random.Random(f"{self.seed}:{self._day}:{record.serial}")
        if draw.random() >= model.share:
            return
        level = model.level(draw.random(), model.bad_share(record.matter, record.wait or 0.0, window.number))
        pad = f"sim-pad-{window.number}"
        self._run(RateTicket(serial=record.serial, level=level, window=window.number, source=f"pad:{pad}"),
                  f"device:{pad}")  # fmt: skip
        record.rating = int(level)
        record.named = level.bad and draw.random() < model.named

    # The day

    def _close_day(self) -> None:
        change = self._run(CloseDay(), SYSTEM)
        for ticket in change.tickets:
            record = self.by_serial[ticket.serial]
            if ticket.status is TicketStatus.CANCELLED:
                record.cancelled = True
                self._minutes.pop(ticket.serial, None)
                self.waiting -= 1
            else:
                record.carried = True
        self._tidy()

    def _sample(self) -> None:
        self.queue.append((self._day, self.clock.now(), self.waiting))
        self._tidy()
        if (
            self.follow_advice
            and self.open
            and not self._moving
            and len(self.queue) % (ADVICE_MINUTES // SAMPLE_MINUTES) == 0
        ):
            self._advise()

    # The manager following the staffing advice

    def _advise(self) -> None:
        """Ask for the advice and carry out its best suggestion, as a manager would from the page."""
        advice = staffing_advice(snapshot(self.hall), limit=1)
        if not advice.suggestions:
            return
        best = advice.suggestions[0]
        now = self.clock.now()
        self.followed.append(Followed(self._day, now, best, advice.now.longest))
        match best.kind:
            case SuggestionKind.END_PAUSE:
                window = self.windows[best.window]
                window.pause_token += 1  # the planned resume no longer applies
                self._run(Resume(window=window.number), window.actor)  # the staff member, asked by the manager
                self._end_pause(window, now)
                window.idle_since = now
                self._call(window)
            case SuggestionKind.SIGN_ON:
                assert best.staff is not None
                self._arrive_at(best.window, best.staff, now + dt.timedelta(minutes=best.move_minutes))
            case SuggestionKind.MOVE:
                assert best.from_window is not None
                home = self.windows[best.from_window]
                home.pending_move = (best.window, self.centre.policy.advice_move_minutes)
                self._moving += 1
                if home.holding is None:
                    self._move(home)

    def _move(self, home: _Window) -> None:
        """The staff member leaves ``home`` (its ticket finished) and walks to the advised window."""
        assert home.pending_move is not None
        (target, minutes), home.pending_move = home.pending_move, None
        staff = home.staff
        self._moving -= 1
        self._sign_off(home)
        self._arrive_at(target, staff, self.clock.now() + dt.timedelta(minutes=minutes))

    def _arrive_at(self, number: int, staff: str, at: dt.datetime) -> None:
        self._moving += 1
        self.events.add(Event(at, Kind.SIGN_ON, number, staff=staff))
        if self._closes is not None and at < self._closes:
            self.events.add(Event(self._closes, Kind.SIGN_OFF, number))

    def _tidy(self) -> None:
        """Close unanswered rating requests and forget ended tickets, as the store-backed hall does."""
        self._run(ExpireRatings(), SYSTEM)
        self.hall.compact()

    def _tick(self) -> None:
        self._arrived += 1
        if self.progress is not None and self._arrived % 50 == 0:
            self.progress(self._arrived, self._expected)


def _idle_order(window: _Window) -> tuple[dt.datetime, int]:
    """Who presses next first: the window idle longest, then the lowest number."""
    return (window.idle_since or dt.datetime.max.replace(tzinfo=dt.UTC), window.number)
