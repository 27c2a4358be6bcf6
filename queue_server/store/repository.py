"""Halls to rows and back: what one action changed, written inside its transaction.

``load_hall`` rebuilds a centre's live hall (open tickets, windows, today's counters, learned
handling times); ``save_change`` writes the state the action produced, appends its events to the
logs, and advances the counters. Counters are derived from the events themselves, so there is
nothing to keep in step by hand.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import operator
import secrets
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import bindparam, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import NoResultFound
from sqlalchemy.ext.asyncio import AsyncConnection

from queue_server.domain.calendar import WorkCalendar
from queue_server.domain.case_terms import Assistance, CaseTerms
from queue_server.domain.centre import Centre
from queue_server.domain.changes import Change
from queue_server.domain.clock import Clock
from queue_server.domain.errors import NotFound
from queue_server.domain.estimates import HandlingStats, Position, whole_minutes
from queue_server.domain.events import TicketCarried, TicketEvent, TicketFinished, TicketIssued, event_from_record
from queue_server.domain.hall import Hall
from queue_server.domain.ratings import RatingLevel, RatingStatus
from queue_server.domain.records import decode_value, encode_value
from queue_server.domain.refusal_codes import RefusalCode
from queue_server.domain.stored_hall import StoredHall
from queue_server.domain.tickets import CancelReason, Category, Channel, Outcome, Ticket, TicketStatus
from queue_server.domain.told_ranges import CALIBRATION_PENDING, CALIBRATION_TICKETS, Calibration
from queue_server.domain.windows import PauseReason, WindowEvent, WindowState, WindowStatus, window_event_from_record
from queue_server.store import schema
from queue_server.store.errors import NoSuchCentre
from queue_server.store.prepared import Prepared

OPEN_STATUSES = [s.value for s in TicketStatus if not s.ended]
STATUS_TOKEN_BYTES = 18


# Rows


def ticket_from_row(row: Any) -> Ticket:
    return Ticket(
        serial=row.serial,
        place=row.place,
        number=row.number,
        service_day=row.service_day,
        matter=row.matter,
        category=Category(row.category) if row.category else None,
        channel=Channel(row.channel),
        issued_at=row.issued_at,
        status=TicketStatus(row.status),
        window=row.window,
        target_window=row.target_window,
        staff=row.staff,
        called_at=row.called_at,
        serving_at=row.serving_at,
        ended_at=row.ended_at,
        calls=row.calls,
        recalls=row.recalls,
        no_shows=row.no_shows,
        transfers=row.transfers,
        passed_over=row.passed_over,
        outcome=Outcome(row.outcome) if row.outcome else None,
        due_date=row.due_date,
        reasons=tuple(row.reasons),
        missing_materials=tuple(row.missing_materials),
        cancel_reason=CancelReason(row.cancel_reason) if row.cancel_reason else None,
        rating_status=RatingStatus(row.rating_status),
        rating_expires_at=row.rating_expires_at,
        rating=RatingLevel(row.rating) if row.rating is not None else None,
        rating_items=tuple(row.rating_items or ()),
        rating_code=row.rating_code,
        rating_code_retired_at=row.rating_code_retired_at,
        rating_reopened_at=row.rating_reopened_at,
        note=row.note,
        terms=decode_value(CaseTerms | None, row.terms),
        assistance=decode_value(Assistance | None, row.assistance),
        booked_from=row.booked_from,
        person=row.person,
        version=row.version,
    )


_TICKET_FIELDS = tuple(f.name for f in dataclasses.fields(Ticket))
_ticket_fields = operator.attrgetter(*_TICKET_FIELDS)
_TICKET_ENUMS = ("category", "channel", "status", "outcome", "cancel_reason", "rating_status", "rating")
"""The fields named once (``dataclasses.fields`` per ticket cost more than writing its row)."""


def ticket_values(ticket: Ticket) -> dict[str, Any]:
    values = dict(zip(_TICKET_FIELDS, _ticket_fields(ticket), strict=True))
    for key in _TICKET_ENUMS:
        value = values[key]
        values[key] = value.value if value is not None else None
    values["reasons"] = list(ticket.reasons)
    values["missing_materials"] = list(ticket.missing_materials)
    values["terms"] = encode_value(ticket.terms)
    values["assistance"] = encode_value(ticket.assistance)
    values["rating_items"] = list(ticket.rating_items) or None
    return values


def window_from_row(row: Any) -> WindowState:
    return WindowState(
        number=row.number,
        status=WindowStatus(row.status),
        staff=row.staff,
        cover=row.cover,
        since=row.since,
        pause_reason=PauseReason(row.pause_reason) if row.pause_reason else None,
        pause_note=row.pause_note,
        pause_note_public=bool(row.pause_note_public),
        pause_minutes=row.pause_minutes,
        version=row.version,
    )


_WINDOW_FIELDS = tuple(f.name for f in dataclasses.fields(WindowState))
_window_fields = operator.attrgetter(*_WINDOW_FIELDS)


def window_values(state: WindowState) -> dict[str, Any]:
    values = dict(zip(_WINDOW_FIELDS, _window_fields(state), strict=True))
    values["status"] = state.status.value
    values["pause_reason"] = state.pause_reason.value if state.pause_reason else None
    return values


# Loading


async def lock_centre(conn: AsyncConnection, code: str) -> int:
    """Take the centre's write lock for this transaction and return its state version.

    Every action of a centre runs under this lock: routing reads the whole queue (green channel
    first, the starvation bound), so two windows must never decide on two views of it. SQLite's
    BEGIN IMMEDIATE already holds the database's write lock; PostgreSQL locks the centre's row.
    """
    found = await _LOCK_CENTRE[conn.dialect.name].fetch(conn, {"code": code})
    version = found[0][0] if found else None
    if version is None:
        raise NotFound(f"There is no centre {code!r}", RefusalCode.CENTRE_NOT_FOUND, centre=code)
    return int(version)


async def state_version(conn: AsyncConnection, code: str) -> int:
    version = (await conn.execute(_STATE_VERSION, {"code": code})).scalar_one_or_none()
    if version is None:
        raise NotFound(f"There is no centre {code!r}", RefusalCode.CENTRE_NOT_FOUND, centre=code)
    return int(version)


async def state_versions(conn: AsyncConnection, codes: Sequence[str]) -> dict[str, int]:
    """The state versions of several centres in one query; a centre that does not exist is left out."""
    found = await conn.execute(select(_c.code, _c.state_version).where(_c.code.in_(list(codes))))
    return {str(code): int(version) for code, version in found}


async def load_centre_config(conn: AsyncConnection, code: str) -> Centre:
    """The centre's stored configuration; :class:`NoSuchCentre` when there is no such centre."""
    found = await conn.execute(select(schema.centres.c.config).where(schema.centres.c.code == code))
    try:
        config = found.scalar_one()
    except NoResultFound:
        raise NoSuchCentre(f"There is no centre {code!r}") from None
    return Centre.model_validate(config)


async def load_hall(conn: AsyncConnection, code: str, clock: Clock) -> Hall:
    """The centre's live hall as the database has it now."""
    c = schema.centres.c
    config = (await conn.execute(select(c.config).where(c.code == code))).scalar_one_or_none()
    if config is None:
        raise NotFound(f"There is no centre {code!r}", RefusalCode.CENTRE_NOT_FOUND, centre=code)
    centre = Centre.model_validate(config)
    t = schema.tickets.c
    live = or_(t.status.in_(OPEN_STATUSES), t.rating_status == RatingStatus.REQUESTED.value)
    tickets = (await conn.execute(select(schema.tickets).where(t.centre == code, live))).all()
    today = WorkCalendar(centre).local_date(clock.now())
    real_name = any(m.real_name for m in centre.matters)
    stored = await stored_hall(conn, code, today, [ticket_from_row(r) for r in tickets], real_name=real_name)
    hall = Hall.restore(centre, clock, stored, await handling_stats(conn, centre))
    hall.calibration = await calibration(conn, code)
    return hall


async def calibration(conn: AsyncConnection, code: str) -> Calibration:
    """The hall's correction of its told ranges as its tickets keep it: the last
    ``CALIBRATION_TICKETS`` called ones scored in order of call, the waiting ones remembered."""
    t = schema.tickets.c
    told = (t.centre == code, t.told_half.is_not(None), t.told_middle.is_not(None))
    called = (
        await conn.execute(
            select(t.told_middle, t.told_half, t.issued_at, t.called_at)
            .where(*told, t.called_at.is_not(None))
            .order_by(t.called_at.desc(), t.serial.desc())
            .limit(CALIBRATION_TICKETS)
        )
    ).all()
    waiting = (
        await conn.execute(
            select(t.serial, t.told_middle, t.told_half)
            .where(*told, t.status == TicketStatus.WAITING.value, t.called_at.is_(None))
            .order_by(t.serial.desc())
            .limit(CALIBRATION_PENDING)
        )
    ).all()
    return Calibration.rebuilt(
        [(r.told_middle, r.told_half, (r.called_at - r.issued_at).total_seconds()) for r in reversed(called)],
        [(r.serial, r.told_middle, r.told_half) for r in reversed(waiting)],
    )


async def stored_hall(
    conn: AsyncConnection, code: str, today: dt.date, tickets: Sequence[Ticket], *, real_name: bool = False
) -> StoredHall:
    """``tickets`` with the centre's windows and its counters from ``today`` on, as stored now;
    with ``real_name`` (a centre with real-name matters) each person's real-name tickets too."""
    c, w, n, m = schema.centres.c, schema.windows.c, schema.number_series.c, schema.matter_counts.c
    last_serial = (await conn.execute(select(c.last_serial).where(c.code == code))).scalar_one()
    windows = (await conn.execute(select(schema.windows).where(w.centre == code))).all()
    numbers = (
        await conn.execute(select(n.service_day, n.prefix, n.last).where(n.centre == code, n.service_day >= today))
    ).all()
    issued = (
        await conn.execute(select(m.service_day, m.matter, m.issued).where(m.centre == code, m.service_day >= today))
    ).all()
    return StoredHall(
        tickets=tickets,
        windows=[window_from_row(r) for r in windows],
        last_serial=int(last_serial),
        numbers={(r.service_day, r.prefix): r.last for r in numbers},
        issued={(r.service_day, r.matter): r.issued for r in issued},
        people=await _people(conn, code, today) if real_name else {},
    )


async def _people(conn: AsyncConnection, code: str, today: dt.date) -> dict[tuple[dt.date, str], int]:
    """Real-name tickets per service day and person hash, from ``today`` on."""
    t = schema.tickets.c
    found = await conn.execute(
        select(t.service_day, t.person, func.count())
        .where(t.centre == code, t.service_day >= today, t.person.is_not(None))
        .group_by(t.service_day, t.person)
    )
    return {(day, person): int(count) for day, person, count in found}


async def handling_stats(conn: AsyncConnection, centre: Centre) -> HandlingStats:
    """The handling times the centre has learned (per matter with their spread, per window, per staff member)."""
    stats = HandlingStats(centre)
    h = schema.handling_stats.c
    for key, value in (await conn.execute(select(h.key, h.value).where(h.centre == centre.code))).all():
        kind, _, name = key.partition(":")
        if kind == "matter":
            stats.matter_minutes[name] = value
        elif kind == "window":
            stats.window_factor[int(name)] = value
        elif kind == "spread":
            stats.matter_spread[name] = value
        elif kind == "staff":
            stats.staff_factor[name] = value
    return stats


async def load_ticket(conn: AsyncConnection, code: str, serial: int) -> Ticket | None:
    t = schema.tickets.c
    row = (await conn.execute(select(schema.tickets).where(t.centre == code, t.serial == serial))).one_or_none()
    return ticket_from_row(row) if row is not None else None


async def adopt_tickets(conn: AsyncConnection, hall: Hall, serials: Iterable[int]) -> None:
    """Bring tickets an action names into the hall, if stored but not open (e.g. finished)."""
    for serial in serials:
        if not hall.has_ticket(serial):
            ticket = await load_ticket(conn, hall.centre.code, serial)
            if ticket is not None:
                hall.adopt(ticket)


# Saving


class Writes:
    """The rows actions of one centre write, kept until ``flush`` writes each table's rows at once.

    Group commit runs several actions in one transaction: their rows go out as one multi-row
    statement per table instead of a dozen statements per action. Rows keep their order within a
    table (event and outbox ids follow the actions' order); counters are summed or maxed per key
    first. A store function given no ``Writes`` makes its own and flushes it at once.
    """

    def __init__(self, code: str) -> None:
        self.code = code
        self.new_tickets: dict[int, dict[str, Any]] = {}
        self.ticket_updates: dict[int, dict[str, Any]] = {}
        self.ticket_events: list[dict[str, Any]] = []
        self.window_updates: dict[int, dict[str, Any]] = {}
        self.window_events: list[dict[str, Any]] = []
        self.numbers: dict[tuple[dt.date, str], int] = {}
        self.issued: dict[tuple[dt.date, str], int] = {}
        self.stats: dict[str, float] = {}
        self.versions = 0
        self.last_serial: int | None = None
        self.updated_at: dt.datetime | None = None
        self.outbox: list[dict[str, Any]] = []
        self.subjects: dict[str, int] = {}
        """Last sequence per outbox subject, as read (``known``) and as advanced here."""
        self.known: set[str] = set()
        self.dirty: set[str] = set()
        self.requests: list[dict[str, Any]] = []
        self.recorded: set[str] = set()
        """Request ids whose answers were kept here (flushed or not): a repeat must read them back."""
        self.later: list[Callable[[AsyncConnection], Awaitable[None]]] = []
        """Writes of other modules, run in order after this module's rows."""
        self.latest: dict[str, tuple[str, Callable[[], dict[str, Any]], dt.datetime]] = {}
        """Retained states built at the flush, once per subject (see :meth:`keep_latest`)."""
        self.written_outbox: list[dict[str, Any]] = []
        """Every outbox row flushed so far, in order: what the bus may publish once this commits."""

    def keep_latest(self, subject: str, event_type: str, build: Callable[[], dict[str, Any]], now: dt.datetime) -> None:
        """Write a retained state of ``subject`` at the flush, as ``build`` makes it then.

        For the hall feed, which shows every window: the actions of a batch that each change it
        write one message with the final picture instead of one per action (a retained state's
        receivers only keep the newest). Its row follows the batch's other outbox rows.
        """
        self.latest[subject] = (event_type, build, now)

    @property
    def empty(self) -> bool:
        return not (
            self.new_tickets
            or self.ticket_updates
            or self.ticket_events
            or self.window_updates
            or self.window_events
            or self.numbers
            or self.issued
            or self.stats
            or self.versions
            or self.outbox
            or self.dirty
            or self.requests
            or self.later
            or self.latest
        )

    async def flush(self, conn: AsyncConnection) -> None:
        """Write everything kept so far, in this transaction, and start empty again."""
        code = self.code
        if self.new_tickets:
            await _INSERT_TICKETS.run(conn, list(self.new_tickets.values()))
        if self.ticket_updates:
            rows = [{"b_centre": code, "b_serial": serial, **v} for serial, v in self.ticket_updates.items()]
            await _UPDATE_TICKET.run(conn, rows)
        if self.ticket_events:
            await _INSERT_TICKET_EVENTS.run(conn, self.ticket_events)
        if self.window_updates:
            rows = [{"b_centre": code, "b_number": number, **v} for number, v in self.window_updates.items()]
            await _UPDATE_WINDOW.run(conn, rows)
        if self.window_events:
            await _INSERT_WINDOW_EVENTS.run(conn, self.window_events)
        await self._flush_counters(conn)
        if self.versions:
            values: dict[str, Any] = {"b_code": code, "b_versions": self.versions, "b_updated_at": self.updated_at}
            if self.last_serial is None:
                await _ADVANCE_CENTRE.run(conn, [values])
            else:
                await _ADVANCE_CENTRE_SERIAL.run(conn, [{**values, "b_last_serial": self.last_serial}])
        if self.latest:
            latest, self.latest = self.latest, {}
            last = await self.next_seqs(conn, latest)
            for subject, (event_type, build, now) in latest.items():
                last[subject] = last.get(subject, 0) + 1
                self.dirty.add(subject)
                self.outbox.append(
                    {
                        "centre": code,
                        "subject": subject,
                        "seq": last[subject],
                        "event_type": event_type,
                        "payload": build(),
                        "created_at": now,
                    }
                )
        if self.outbox:
            await _INSERT_OUTBOX.run(conn, self.outbox)
            self.written_outbox.extend(self.outbox)
        if self.dirty:
            rows = [{"centre": code, "subject": subject, "last_seq": self.subjects[subject]} for subject in self.dirty]
            await _upsert(conn, "outbox_subjects").run(conn, rows)
            self.known |= self.dirty
        later, self.later = self.later, []
        for write in later:
            await write(conn)
        if self.requests:
            await _INSERT_REQUESTS.run(conn, self.requests)
        self._clear()

    async def _flush_counters(self, conn: AsyncConnection) -> None:
        code = self.code
        if self.numbers:
            rows = [
                {"centre": code, "service_day": day, "prefix": prefix, "last": last}
                for (day, prefix), last in self.numbers.items()
            ]
            await _upsert(conn, "number_series").run(conn, rows)
        if self.issued:
            rows = [
                {"centre": code, "service_day": day, "matter": matter, "issued": count}
                for (day, matter), count in self.issued.items()
            ]
            await _upsert(conn, "matter_counts").run(conn, rows)
        if self.stats:
            rows = [{"centre": code, "key": key, "value": value} for key, value in self.stats.items()]
            await _upsert(conn, "handling_stats").run(conn, rows)

    def _clear(self) -> None:
        self.new_tickets, self.ticket_updates, self.ticket_events = {}, {}, []
        self.window_updates, self.window_events = {}, []
        self.numbers, self.issued, self.stats = {}, {}, {}
        self.versions, self.last_serial, self.updated_at = 0, None, None
        self.outbox, self.dirty, self.requests = [], set(), []

    async def next_seqs(self, conn: AsyncConnection, subjects: Iterable[str]) -> dict[str, int]:
        """The last sequence of each subject: read once per ``Writes``, then counted here."""
        missing = sorted(set(subjects) - self.known - self.dirty)
        if missing:
            for subject, seq in await _LAST_SEQS.fetch(conn, {"centre": self.code, "subjects": missing}):
                self.subjects[subject] = int(seq)
            self.known.update(missing)
        return self.subjects


# Statements of every action, built once and compiled once (queue_server.store.prepared): building
# SQLAlchemy expressions per action cost about a tenth of its time, executing them through SQLAlchemy
# more than that.

_t, _w, _c = schema.tickets.c, schema.windows.c, schema.centres.c
_INSERT_TICKETS = Prepared(insert(schema.tickets))
_UPDATE_TICKET = Prepared(
    update(schema.tickets).where(_t.centre == bindparam("b_centre"), _t.serial == bindparam("b_serial"))
)
_INSERT_TICKET_EVENTS = Prepared(insert(schema.ticket_events))
_UPDATE_WINDOW = Prepared(
    update(schema.windows).where(_w.centre == bindparam("b_centre"), _w.number == bindparam("b_number"))
)
_INSERT_WINDOW_EVENTS = Prepared(insert(schema.window_events))
_INSERT_OUTBOX = Prepared(insert(schema.outbox))
_INSERT_REQUESTS = Prepared(insert(schema.requests))
_ADVANCE = {"state_version": _c.state_version + bindparam("b_versions"), "updated_at": bindparam("b_updated_at")}
_ADVANCE_CENTRE = Prepared(update(schema.centres).where(_c.code == bindparam("b_code")).values(**_ADVANCE))
_ADVANCE_CENTRE_SERIAL = Prepared(
    update(schema.centres)
    .where(_c.code == bindparam("b_code"))
    .values(**_ADVANCE, last_serial=bindparam("b_last_serial"))
)
_LAST_SEQS = Prepared(
    select(schema.outbox_subjects.c.subject, schema.outbox_subjects.c.last_seq).where(
        schema.outbox_subjects.c.centre == bindparam("centre"),
        schema.outbox_subjects.c.subject.in_(bindparam("subjects", expanding=True)),
    )
)
_STATE_VERSION = select(_c.state_version).where(_c.code == bindparam("code"))
_LOCK_CENTRE = {"postgresql": Prepared(_STATE_VERSION.with_for_update()), "sqlite": Prepared(_STATE_VERSION)}


def _upserts(dialect: str) -> dict[str, Prepared]:
    """The counters' and sequences' insert-or-update statements in ``dialect``'s words."""
    insert_into: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert
    greatest = func.greatest if dialect == "postgresql" else func.max
    subjects, numbers = insert_into(schema.outbox_subjects), insert_into(schema.number_series)
    counts, stats = insert_into(schema.matter_counts), insert_into(schema.handling_stats)
    statements = {
        "outbox_subjects": subjects.on_conflict_do_update(
            index_elements=["centre", "subject"], set_={"last_seq": subjects.excluded.last_seq}
        ),
        "number_series": numbers.on_conflict_do_update(
            index_elements=["centre", "service_day", "prefix"],
            set_={"last": greatest(schema.number_series.c.last, numbers.excluded.last)},
        ),
        "matter_counts": counts.on_conflict_do_update(
            index_elements=["centre", "service_day", "matter"],
            set_={"issued": schema.matter_counts.c.issued + counts.excluded.issued},
        ),
        "handling_stats": stats.on_conflict_do_update(
            index_elements=["centre", "key"], set_={"value": stats.excluded.value}
        ),
    }
    return {table: Prepared(statement) for table, statement in statements.items()}


_UPSERTS = {dialect: _upserts(dialect) for dialect in ("postgresql", "sqlite")}


def _upsert(conn: AsyncConnection, table: str) -> Prepared:
    return _UPSERTS[conn.dialect.name][table]


async def save_change(
    conn: AsyncConnection, hall: Hall, change: Change, writes: Writes | None = None, now: dt.datetime | None = None
) -> dict[int, str]:
    """Write what an action did at ``now`` (else the hall's clock's); returns the status tokens of
    the tickets it issued.

    With ``writes`` the rows are kept there for its ``flush``; without, they are written now.
    """
    code = hall.centre.code
    out = writes if writes is not None else Writes(code)
    tokens = _save_tickets(out, change, hall.calibration)
    _append_ticket_events(out, change)
    _save_windows(out, change.windows, change.window_events)
    _advance_counters(out, hall, change.ticket_events)
    out.versions += 1
    out.last_serial = hall.last_serial
    out.updated_at = hall.clock.now() if now is None else now
    if writes is None:
        await out.flush(conn)
    return tokens


def _save_tickets(writes: Writes, change: Change, calibration: Calibration) -> dict[int, str]:
    issued = {e.serial for e in change.ticket_events if isinstance(e, TicketIssued)}
    tokens: dict[int, str] = {}
    for ticket in change.tickets:
        values = ticket_values(ticket)
        if ticket.serial in issued:
            tokens[ticket.serial] = secrets.token_urlsafe(STATUS_TOKEN_BYTES)
            told = change.position if change.ticket is not None and change.ticket.serial == ticket.serial else None
            writes.new_tickets[ticket.serial] = {
                "centre": writes.code,
                "status_token": tokens[ticket.serial],
                "estimate_minutes": whole_minutes(told.estimated_wait) if told is not None else None,
                **_told_range(told),
                **_told_basis(calibration, ticket.serial),
                **values,
            }
        elif ticket.serial in writes.new_tickets:  # issued earlier in the same flush
            writes.new_tickets[ticket.serial].update(values)
        else:
            writes.ticket_updates[ticket.serial] = values
    return tokens


def _told_range(told: Position | None) -> dict[str, int | None]:
    """The range told at issue, in whole minutes as printed (``WaitRange.whole_minutes``)."""
    if told is None or told.wait_range is None:
        return {"estimate_low": None, "estimate_high": None}
    low, high = told.wait_range.whole_minutes()
    return {"estimate_low": low, "estimate_high": high}


def _told_basis(calibration: Calibration, serial: int) -> dict[str, float | None]:
    """What the hall's correction remembered of the range told at issue (seconds), to rebuild it."""
    found = calibration.remembered(serial)
    middle, half = found if found is not None else (None, None)
    return {"told_middle": middle, "told_half": half}


def sequenced(events: Sequence[Any], key: str, versions: dict[Any, int]) -> list[tuple[int, Any]]:
    """Each event with its place in its log: the entity's version after the change counts back."""
    remaining: dict[Any, int] = {}
    for event in events:
        remaining[getattr(event, key)] = remaining.get(getattr(event, key), 0) + 1
    out = []
    for event in events:
        ident = getattr(event, key)
        out.append((versions[ident] - remaining[ident] + 1, event))
        remaining[ident] -= 1
    return out


def _append_ticket_events(writes: Writes, change: Change) -> None:
    versions = {t.serial: t.version for t in change.tickets}
    writes.ticket_events.extend(
        {
            "centre": writes.code,
            "serial": e.serial,
            "seq": seq,
            "kind": e.kind,
            "at": e.at,
            "actor": e.actor,
            "data": e.to_record(),
        }
        for seq, e in sequenced(change.ticket_events, "serial", versions)
    )


def _save_windows(writes: Writes, states: Sequence[WindowState], events: Sequence[WindowEvent]) -> None:
    for state in states:
        writes.window_updates[state.number] = window_values(state)
    versions = {s.number: s.version for s in states}
    writes.window_events.extend(
        {
            "centre": writes.code,
            "window": e.window,
            "seq": seq,
            "kind": e.kind,
            "at": e.at,
            "actor": e.actor,
            "data": e.to_record(),
        }
        for seq, e in sequenced(events, "window", versions)
    )


def _advance_counters(writes: Writes, hall: Hall, events: Sequence[TicketEvent]) -> None:
    for event in events:
        if isinstance(event, (TicketIssued, TicketCarried)):
            prefix = event.number.rstrip("0123456789")
            sequence = int(event.number[len(prefix) :])
            key = (event.service_day, prefix)
            writes.numbers[key] = max(writes.numbers.get(key, sequence), sequence)
        if isinstance(event, TicketIssued):
            counted = (event.service_day, event.matter)
            writes.issued[counted] = writes.issued.get(counted, 0) + 1
        if isinstance(event, TicketFinished):
            ticket = hall.ticket(event.serial)
            matter, staff = ticket.matter, ticket.staff
            for key_name, value in (
                (f"matter:{matter}", hall.stats.matter_minutes.get(matter)),
                (f"window:{event.window}", hall.stats.window_factor.get(event.window)),
                (f"spread:{matter}", hall.stats.matter_spread.get(matter)),
                (f"staff:{staff}", hall.stats.staff_factor.get(staff) if staff is not None else None),
            ):
                if value is not None:
                    writes.stats[key_name] = value


async def keep_issue_ranges(conn: AsyncConnection, code: str, ranges: Mapping[int, tuple[int, int]]) -> None:
    """Write the wait ranges (whole minutes) first told for these tickets; a ticket that has one keeps it."""
    if not ranges:
        return
    t = schema.tickets.c
    statement = (
        update(schema.tickets)
        .where(t.centre == code, t.serial == bindparam("b_serial"), t.estimate_low.is_(None))
        .values(estimate_low=bindparam("b_low"), estimate_high=bindparam("b_high"))
    )
    await conn.execute(statement, [{"b_serial": s, "b_low": low, "b_high": high} for s, (low, high) in ranges.items()])


# Reading logs


async def ticket_log(conn: AsyncConnection, code: str, serial: int) -> list[TicketEvent]:
    e = schema.ticket_events.c
    rows = (await conn.execute(select(e.data).where(e.centre == code, e.serial == serial).order_by(e.seq))).scalars()
    return [event_from_record(data) for data in rows]


async def window_log(
    conn: AsyncConnection, code: str, window: int, since: dt.datetime | None = None
) -> list[WindowEvent]:
    e = schema.window_events.c
    query = select(e.data).where(e.centre == code, e.window == window)
    if since is not None:
        query = query.where(e.at >= since)
    rows = (await conn.execute(query.order_by(e.seq))).scalars()
    return [window_event_from_record(data) for data in rows]
