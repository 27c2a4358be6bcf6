"""The one door through which HTTP, the bus and the pages change a hall, and read one.

``HallService`` is a façade over the application's parts, one job each:

- ``app.group_commit``: the per-centre action runner, each action a transaction, queued actions
  sharing one (group commit);
- ``app.request_ids``: a request id answered once, its first answer given again to a repeat;
- ``app.halls``: each centre's lock and cached hall, and the reads of a hall;
- ``app.configure``, ``app.printing``, ``app.maintenance``: the use cases beside the actions.

The other floors reach the service through calls only: they :meth:`HallService.subscribe` to be
told of commits and of devices lost or back (and unsubscribe when they stop), tell it what devices
and printers said (:meth:`HallService.device_seen`, :meth:`HallService.printer_seen`,
:meth:`HallService.printer_state`) and read its
:attr:`HallService.ticket_limits`. It is an ``async with`` resource: on exit it cancels and awaits
the tasks it started, and it runs no action after that. Its answers are in no transport's terms
(``app.answers``): each adapter words them.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import enum
import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Self

from queue_server.app import configure as configuring
from queue_server.app import maintenance, printing, request_ids
from queue_server.app.answers import Answer
from queue_server.app.commands import CheckInTicket, Command, IssueTicket
from queue_server.app.devices_seen import DeviceSightings
from queue_server.app.group_commit import ActionRunner, AlsoWrite
from queue_server.app.halls import Halls
from queue_server.app.instruments import count_action
from queue_server.app.log_context import acting
from queue_server.app.notices import Notifier
from queue_server.app.printers import PrinterBoard, PrinterReadings
from queue_server.app.request_ids import Work
from queue_server.app.sms_settings import SmsSettings
from queue_server.app.ticket_limits import TicketLimits
from queue_server.app.wait_ranges import WaitRanges, board_moved, board_ranges, publish_board, waiting_count
from queue_server.domain.centre import Centre
from queue_server.domain.clock import Clock, SystemClock
from queue_server.domain.hall import Hall
from queue_server.domain.retention import PersonalData, Retention
from queue_server.protocol.payloads import PrinterStatus
from queue_server.store.database import Database
from queue_server.store.outbox import OutboxRow
from queue_server.store.repository import keep_issue_ranges

log = logging.getLogger(__name__)

RANGE_ROUND_PREFIX = "wait ranges of "
"""The name of a centre's wait-range round task, before the centre's code (a hang dump shows it)."""

Subscriber = Callable[[str], None]
"""Told the centre's code after a commit there (the bus relay wakes, the live pages read again)."""

OutboxSubscriber = Callable[[str, Sequence[OutboxRow] | None], None]
"""Told the centre's code and the outbox rows a commit wrote there, or None when they are not
known here (rows written outside the action runner: the bus reads them from the table)."""


class _State(enum.Enum):
    UNOPENED = "unopened"
    OPENED = "opened"
    CLOSED = "closed"


class HallService:
    """Runs commands and reads halls for every centre of one database.

    Use it as ``async with HallService(db, clock) as service:``. Built without ``async with`` (as
    many tests do) it works the same, and nobody ends its tasks: each ends when its queue is empty.
    """

    def __init__(
        self, db: Database, clock: Clock | None = None, *, public_base_url: str = "", sms: SmsSettings | None = None
    ) -> None:
        self.db = db
        self.public_base_url = public_base_url.rstrip("/")
        self.notifier = Notifier(sms)
        """Which SMS notices each action writes (none at a centre without a provider)."""
        self._halls = Halls(db, clock or SystemClock())
        self._printers: dict[str, PrinterBoard] = defaultdict(PrinterBoard)
        self._devices: dict[str, DeviceSightings] = defaultdict(DeviceSightings)
        """Per centre, the availability its devices last said on the bus; the live pages warn of lost ones."""
        """Per centre, what its printers last said on the bus; print jobs are routed by it."""
        self._runner = ActionRunner(
            self._halls, self._printers.__getitem__, self._tell, self.public_base_url, self.notifier
        )
        self._subscribers: list[Subscriber] = []
        self._outbox_subscribers: list[OutboxSubscriber] = []
        self._ticket_limits = TicketLimits(lambda: self.clock.now().timestamp())
        self.wait_ranges = WaitRanges()
        """The wait ranges the ticket pages show, computed outside the actions at a bounded rate."""
        self._range_rounds: dict[str, asyncio.Task[None]] = {}
        """Per centre, the pending round that works the ranges out after issues (at most one)."""
        self._issued_since: dict[str, set[int]] = {}
        """Per centre, the tickets issued since its last round and told no range: the round keeps their first."""
        self._state = _State.UNOPENED

    @property
    def clock(self) -> Clock:
        """The time of every action and read; a test may set another (its parts read it from here)."""
        return self._halls.clock

    @clock.setter
    def clock(self, clock: Clock) -> None:
        self._halls.clock = clock

    async def __aenter__(self) -> Self:
        if self._state is not _State.UNOPENED:
            raise RuntimeError(f"Cannot open a hall service that is {self._state.value}: make a new one")
        self._state = _State.OPENED
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Run no action from now on; cancel the centres' running actions and wait until they ended."""
        self._state = _State.CLOSED
        rounds = list(self._range_rounds.values())
        for pending in rounds:
            pending.cancel()
        await asyncio.gather(*rounds, return_exceptions=True)
        runners = [slot.runner for slot in self._halls.slots() if slot.runner is not None and not slot.runner.done()]
        for runner in runners:
            runner.cancel()
        await asyncio.gather(*runners, return_exceptions=True)

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Tell ``subscriber`` of each commit at a centre, until the returned function is called.

        It is told once per committed batch of actions and after the writes the bus relays
        (reprints, print results that reroute a job, resent jobs, an applied configuration), and
        when a device's availability changed (:meth:`device_seen`). It
        runs inside the service: it must be quick and must not await (set an event, wake a task);
        one that raises is logged and the others are told all the same.
        """
        self._subscribers.append(subscriber)

        def unsubscribe() -> None:
            with contextlib.suppress(ValueError):
                self._subscribers.remove(subscriber)

        return unsubscribe

    def subscribe_outbox(self, subscriber: OutboxSubscriber) -> Callable[[], None]:
        """Tell ``subscriber`` of every commit at a centre with the outbox rows it wrote, until the
        returned function is called; told before the :meth:`subscribe` subscribers, and under the
        same rules. The bus publishes the rows straight away instead of reading them back."""
        self._outbox_subscribers.append(subscriber)

        def unsubscribe() -> None:
            with contextlib.suppress(ValueError):
                self._outbox_subscribers.remove(subscriber)

        return unsubscribe

    def _tell(self, centre: str, rows: Sequence[OutboxRow] | None = None) -> None:
        for told in tuple(self._outbox_subscribers):
            try:
                told(centre, rows)
            except Exception:
                log.exception("an outbox subscriber failed when told of a commit at %s; the service goes on", centre)
        for subscriber in tuple(self._subscribers):  # one may unsubscribe while told
            try:
                subscriber(centre)
            except Exception:
                log.exception("a subscriber failed when told of a commit at %s; the service goes on", centre)

    def device_seen(self, centre: str, device: str, *, online: bool) -> None:
        """A device's availability as it said on the bus (``online``, or its last will ``offline``).

        A change is not a committed action, but the subscribers are told of it all the same, so the
        live pages show a lost device at once (and stop when it is back).
        """
        if self._devices[centre].saw(device, online=online):
            self._tell(centre)

    def devices(self, centre: str) -> DeviceSightings:
        """What the centre's devices last said of their availability, to read."""
        return self._devices[centre]

    def printer_seen(self, centre: str, printer: str, *, online: bool) -> None:
        """A printer's availability as it said on the bus (``online``, or its last will)."""
        self._printers[centre].saw_availability(printer, online)

    def printer_state(self, centre: str, printer: str, state: PrinterStatus) -> None:
        """What a printer said it can do; its kiosk's tickets go to a spare while it cannot print."""
        self._printers[centre].saw_state(printer, state)

    def printers(self, centre: str) -> PrinterReadings:
        """What the centre's printers last said on the bus, to read."""
        return self._printers[centre]

    @property
    def ticket_limits(self) -> TicketLimits:
        """The tickets each kiosk and address may take: one count for the HTTP API and the bus."""
        return self._ticket_limits

    async def act(
        self, centre: str, command: Command, *, actor: str, request_id: str, also: AlsoWrite | None = None
    ) -> Answer:
        """Run ``command`` once for ``request_id``; a repeat returns the first answer unchanged.

        ``also`` writes what belongs with a successful change but not in the hall (a citizen's
        follow-up phone number with their rating) in the same transaction.

        Group commit: actions of one centre that arrive while its transaction runs queue up, and
        the next transaction runs them all in order, at one instant, writes their rows together
        and commits once (one sync to disk); every caller is answered after that commit. An error
        in one action undoes only that action: its caller gets the error. A caller cancelled
        before its action started takes the action out of the queue; once started, the action
        completes (a retry with the same request id gets its answer).
        """
        if self._state is _State.CLOSED:
            raise RuntimeError(f"Cannot run {command.name} at centre {centre}: the hall service is closed")
        window = getattr(command, "window", None)
        window = window if isinstance(window, int) else None
        with acting(centre=centre, actor=actor, request_id=request_id, window=window):
            try:
                answer = await self._runner.act(centre, command, actor=actor, request_id=request_id, also=also)
            except Exception:
                count_action(centre, command.name, None)
                raise
        count_action(centre, command.name, answer)
        ticket = answer.body.get("ticket") if isinstance(command, (IssueTicket, CheckInTicket)) else None
        if answer.created and isinstance(ticket, dict):
            if not (ticket.get("position") or {}).get("wait_range_minutes"):  # told no range: none could be
                self._issued_since.setdefault(centre, set()).add(ticket["serial"])
            if centre not in self._range_rounds:
                round_ = asyncio.create_task(self._range_round(centre), name=RANGE_ROUND_PREFIX + centre)
                self._range_rounds[centre] = round_
        return answer

    async def ranges_kept(self, centre: str) -> None:
        """Wait until the pending round of ``centre``'s wait ranges (if any) kept them."""
        pending = self._range_rounds.get(centre)
        if pending is not None:
            await asyncio.shield(pending)

    async def _range_round(self, centre: str) -> None:
        """A gap (``WaitRanges.gap``) after an issue (the issues meanwhile share it), outside every action: the
        hall's ranges worked out once (the issues after it scale theirs from them: ``Hall.told``),
        and a first range kept for each ticket issued since that was told none at its issue (no
        staffed window served it then) and still waits (one called meanwhile was told none)."""
        try:
            await asyncio.sleep(self.wait_ranges.gap(centre, waiting_count(await self.hall(centre))))
            while (left := self.wait_ranges.due_in(await self.hall(centre))) > 0:  # the queue grew meanwhile
                await asyncio.sleep(left)
            hall = await self.hall(centre)
            shown = board_ranges(hall.range_basis)
            ranges = await self.wait_ranges.refresh(hall)
            basis = hall.range_basis
            if basis is not None and board_moved(shown, basis):  # the board learns it now, not at the next change
                await publish_board(self._halls, centre, basis)
                self._tell(centre)
            issued = self._issued_since.pop(centre, set())
            first = {serial: ranges[serial].whole_minutes() for serial in issued if serial in ranges}
            if first:
                async with self.db.write() as conn:
                    await keep_issue_ranges(conn, centre, first)
        except Exception:  # the tickets keep their single estimate; the next round tries again
            log.exception("Could not work out the wait ranges of centre %s", centre)
        finally:
            self._range_rounds.pop(centre, None)

    async def hall(self, centre: str, version: int | None = None) -> Hall:
        """A hall to read from, never to act on (``app.halls.Halls.read``): build views from it
        before the next ``await``. ``version``: the centre's state version just read, if known."""
        return await self._halls.read(centre, version)

    def hall_builds(self) -> dict[str, int]:
        """How many halls this process built from a centre's rows (a cache miss each), per centre."""
        return dict(self._halls.builds)

    def hall_catch_ups(self) -> dict[str, int]:
        """How many times this process caught its kept hall up with another's actions, per centre."""
        return dict(self._halls.catch_ups)

    async def centre(self, code: str) -> Centre:
        """The centre's configuration as committed, without building a hall."""
        return await self._halls.centre(code)

    async def configure(
        self, centre: str, config: Centre, *, actor: str, request_id: str | None, dry_run: bool
    ) -> Answer:
        """What ``config`` would change at ``centre``, applied in one transaction unless ``dry_run``
        (``app.configure``); the subscribers are told of an applied change."""
        with acting(centre=centre, actor=actor, request_id=request_id):
            answer = await configuring.configure(
                self._halls, centre, config, actor=actor, request_id=request_id, dry_run=dry_run
            )
        if not dry_run:
            count_action(centre, "configure", answer)
        if configuring.applied(answer) and not answer.replayed:
            self._tell(centre)
        return answer

    async def locked(self, centre: str, *, actor: str, request_id: str, name: str, work: Work) -> Answer:
        """Run ``work`` once for ``request_id`` under the centre's lock, in one transaction with
        its recorded answer: for changes beside the hall's own state (rectification cases)."""
        with acting(centre=centre, actor=actor, request_id=request_id):
            try:
                answer = await request_ids.answer_once(
                    self._halls, centre, actor=actor, request_id=request_id, name=name, work=work
                )
            except Exception:
                count_action(centre, name, None)
                raise
        count_action(centre, name, answer)
        return answer

    async def reprint(self, centre: str, serial: int, *, printer: str | None, actor: str, request_id: str) -> Answer:
        """Print a ticket again as a new job, once for ``request_id``: its last job failed or ended
        unknown and a person at the desk decided (``app.print_jobs.reprint_job``).

        Like an action it runs under the centre's lock with the job, its outbox row and the answer
        in one transaction, and a refusal is recorded too; the hall's state does not change, so its
        version stays and the live pages are not told.
        """
        work = printing.reprint_work(centre, serial, self._printers[centre], printer=printer, actor=actor)
        answer = await self.locked(centre, actor=actor, request_id=request_id, name=printing.REPRINT, work=work)
        if answer.ok and not answer.replayed:
            self._tell(centre)  # the relay sends the new job now
        return answer

    def cases_changed(self, centre: str) -> None:
        """Say that a rectification case of ``centre`` changed (its own action, beside the hall's):
        the live pages read the cases again now rather than at their next poll."""
        self._tell(centre)

    def outbox_written(self, centre: str) -> None:
        """Say that work beside the actions committed outbox rows at ``centre`` (a paper to print):
        the relay sends them now rather than at its next poll."""
        self._tell(centre)

    async def resend_print_jobs(self, centre: str) -> int:
        """Send again the print jobs no printer answered in time; returns how many."""
        sent = await printing.resend_print_jobs(self._halls, centre)
        if sent:
            self._tell(centre)
        return sent

    async def print_result(self, centre: str, printer: str, job_id: str, status: str, reason: str) -> bool:
        """Keep a printer's answer to a job; False when that printer had no such job. A ticket it
        could not print goes to another printer of its kiosk (``app.printing.print_result``)."""
        board = self._printers[centre]
        known, rerouted = await printing.print_result(self._halls, board, centre, printer, job_id, status, reason)
        if rerouted is not None:
            self._tell(centre)
        return known

    async def prune_outbox(self, older_than_days: int = 2) -> int:
        """Forget outbox rows the broker acknowledged long ago (unsent rows are never pruned)."""
        return await maintenance.prune_outbox(self.db, self.clock, older_than_days)

    async def prune_requests(self, older_than_days: int = 7) -> int:
        """Forget request ids after their retention period; a device's retry comes within seconds."""
        return await maintenance.prune_requests(self.db, self.clock, older_than_days)

    async def forget_assisted(self, centres: Sequence[str]) -> int:
        """Blank whom each 帮办代办 record of ``centres`` names once its centre's ``assisted_days`` passed."""
        days = {code: (await self.hall(code)).centre.policy.assisted_days for code in centres}
        return await maintenance.forget_assisted(self.db, self.clock, days)

    async def apply_retention(self, closed: Sequence[str]) -> dict[PersonalData, int]:
        """Apply the retention policy (``maintenance.apply_retention``): every centre's data past its
        ``purge_after``, and the day-counted kinds of the centres in ``closed``."""
        days: dict[str, maintenance.CentreDay] = {}
        for code in closed:
            hall = await self.hall(code)
            photos = frozenset(staff.photo for staff in hall.centre.staff if staff.photo)
            days[code] = maintenance.CentreDay(
                hall.calendar.local_date(self.clock.now()), Retention.of(hall.centre), photos
            )
        return await maintenance.apply_retention(self.db, self.clock, days)

    async def forget_real_names(self, centres: Sequence[str]) -> int:
        """Blank the ID number's hash of each real-name ticket of ``centres`` once its centre's
        ``real_name_days`` passed since the ticket's service day."""
        kept: dict[str, tuple[dt.date, int]] = {}
        for code in centres:
            hall = await self.hall(code)
            kept[code] = (hall.calendar.local_date(self.clock.now()), hall.centre.policy.real_name_days)
        return await maintenance.forget_real_names(self.db, kept)
