"""The notifier: which SMS notices an action causes, written in that action's transaction.

A notice is a row of the SMS outbox (queue_server.store.sms), written with the change that
causes it and sent after the commit by :class:`queue_server.app.sms_sender.SmsSender`. Nothing is
sent from here, so an action costs one more statement at most, and only at a centre that sends
SMS: the call's hook (:meth:`Notifier.after_change`) reads the centre's numbers only when the
change calls a ticket, and writes a notice once per key (``called:<serial>``, ``near:<serial>``,
``ready:<serial>``, or the caller's own key for bookings), whoever writes it and however often.

Numbers come only with the citizen's consent, given for these notices (:func:`give_phone`); the
bookings page gives its own (its confirmation code, the booking's confirmation and reminder) and
calls :meth:`Notifier.send_code`, :meth:`Notifier.booking_confirmed` and
:meth:`Notifier.booking_reminder` inside its own transaction.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping

from queue_server.app.refusals import FieldProblem, Refusal, RefusalKind
from queue_server.app.sms_settings import CONSENT_EN, CONSENT_ZH, CentreSms, NoticeKind, SmsSettings
from queue_server.domain.changes import Change
from queue_server.domain.events import TicketCalled
from queue_server.domain.hall import Hall
from queue_server.domain.refusal_codes import RefusalCode
from queue_server.domain.tickets import TicketStatus
from queue_server.store.database import Connection
from queue_server.store.sms import Notice, keep_phone, mark_called, phone_of, waiting_phones, write_notices

MOBILE = re.compile(r"1[3-9][0-9]{9}")
"""A mainland China mobile number, the only kind the provider texts."""


class PhoneSource:
    """Where a number was given: the kiosk, the guide's desk, the ticket's page."""

    KIOSK = "kiosk"
    DESK = "desk"
    TICKET_PAGE = "ticket_page"


def mobile_number(text: str) -> str:
    """The 11 digits of a mainland mobile number as people type it (spaces, dashes, +86), or a refusal."""
    digits = re.sub(r"[\s-]", "", text.strip())
    digits = digits.removeprefix("+86").removeprefix("0086")
    if not MOBILE.fullmatch(digits):
        raise Refusal(
            RefusalKind.INVALID,
            "Cannot send text messages to this number: give a mainland mobile number of 11 digits starting with 1",
            [FieldProblem("phone", "a mainland mobile number of 11 digits starting with 1, e.g. 138 0013 8000")],
            code=RefusalCode.INVALID,
        )
    return digits


class Notifier:
    """Writes the notices of the centres that send SMS; a centre without a provider writes none."""

    def __init__(self, settings: SmsSettings | None) -> None:
        self.settings = settings

    def centre(self, code: str) -> CentreSms | None:
        return self.settings.centre(code) if self.settings is not None else None

    def offers(self, code: str, kind: NoticeKind = NoticeKind.CALLED) -> bool:
        """Whether the centre sends this kind of notice: the pages offer SMS only then."""
        return self.settings is not None and self.settings.offers(code, kind)

    def require(self, code: str, name: str) -> CentreSms:
        """The centre's SMS settings, or a refusal saying it sends none."""
        sms = self.centre(code)
        if sms is None:
            raise Refusal(
                RefusalKind.CONFLICT,
                f"Cannot take a number for text messages at {name}: the centre sends none",
                code=RefusalCode.INVALID,
            )
        return sms

    def consent_words(self, code: str, english: bool = False) -> str:
        found = self.centre(code)
        days = found.keep_days if found is not None else 0
        return (CONSENT_EN if english else CONSENT_ZH).format(days=days)

    # Hooks of the actions

    async def after_change(self, conn: Connection, hall: Hall, change: Change, now: dt.datetime) -> None:
        """The near and called notices a change causes (called from the action's transaction)."""
        code = hall.centre.code
        sms = self.centre(code)
        if sms is None:
            return
        calls = {event.serial: event.window for event in change.ticket_events if isinstance(event, TicketCalled)}
        if not calls:
            return  # only a call moves a ticket forward or calls it
        phones = await waiting_phones(conn, code)
        if not phones:
            return
        notices: list[Notice] = []
        finished: list[int] = []
        positions = hall.positions_for(given.serial for given in phones if given.serial not in calls)  # one forecast
        for given in phones:
            if given.serial in calls:
                finished.append(given.serial)
                params = {"number": hall.ticket(given.serial).number, "window": f"{calls[given.serial]}号窗口"}
                notices += _notice(sms, NoticeKind.CALLED, f"called:{given.serial}", given.phone, params)
            elif not hall.has_ticket(given.serial) or hall.ticket(given.serial).status is not TicketStatus.WAITING:
                finished.append(given.serial)  # ended or called before the number was given: no more notices
            else:
                ahead = positions[given.serial].people_ahead
                if ahead <= sms.near_ahead:
                    params = {"number": hall.ticket(given.serial).number, "ahead": str(ahead)}
                    notices += _notice(sms, NoticeKind.NEAR, f"near:{given.serial}", given.phone, params)
        await write_notices(conn, code, notices, now, sms.keep_days)
        if finished:
            await mark_called(conn, code, finished)

    async def result_ready(
        self, conn: Connection, centre: str, serial: int, *, centre_name: str, matter: str, place: str, now: dt.datetime
    ) -> bool:
        """A promised case's result is ready: tell the number its ticket gave, if any. True when written."""
        sms = self.centre(centre)
        if sms is None:
            return False
        phone = await phone_of(conn, centre, serial)
        if phone is None:
            return False
        params = {"centre": centre_name, "matter": matter, "place": place}
        return bool(
            await write_notices(
                conn, centre, _notice(sms, NoticeKind.READY, f"ready:{serial}", phone, params), now, sms.keep_days
            )
        )

    # What the bookings page calls, in its own transaction

    async def send_code(
        self, conn: Connection, centre: str, phone: str, *, code: str, minutes: int, key: str, now: dt.datetime
    ) -> bool:
        """Text a phone-confirmation code (template ``code``: ${code}, ${minutes}). False: not sent here.

        ``key`` names this code once (e.g. ``code:<booking id>:<attempt>``); the same key again is
        not sent again. The number must be one the citizen gave for this booking.
        """
        return await self._send(conn, centre, NoticeKind.CODE, key, phone, {"code": code, "minutes": str(minutes)}, now)

    async def booking_confirmed(
        self, conn: Connection, centre: str, phone: str, *, details: Mapping[str, str], key: str, now: dt.datetime
    ) -> bool:
        """Text a booking's confirmation: ``details`` has date, time, centre, matter and booking."""
        return await self._send(conn, centre, NoticeKind.BOOKING_CONFIRMED, key, phone, details, now)

    async def booking_reminder(
        self, conn: Connection, centre: str, phone: str, *, details: Mapping[str, str], key: str, now: dt.datetime
    ) -> bool:
        """Text the reminder the day before: ``details`` has date, time, centre and matter."""
        return await self._send(conn, centre, NoticeKind.BOOKING_REMINDER, key, phone, details, now)

    async def _send(
        self,
        conn: Connection,
        centre: str,
        kind: NoticeKind,
        key: str,
        phone: str,
        params: Mapping[str, str],
        now: dt.datetime,
    ) -> bool:
        sms = self.centre(centre)
        if sms is None:
            return False
        notices = _notice(sms, kind, f"{kind.value}:{key}", mobile_number(phone), params)
        return bool(await write_notices(conn, centre, notices, now, sms.keep_days))


def _notice(sms: CentreSms, kind: NoticeKind, key: str, phone: str, params: Mapping[str, str]) -> list[Notice]:
    """The notice, or none when the centre has no template for its kind."""
    template = sms.template(kind)
    return [Notice(key, kind.value, phone, template, params)] if template is not None else []


async def give_phone(
    conn: Connection,
    notifier: Notifier,
    hall: Hall,
    serial: int,
    phone: str,
    *,
    consent: bool,
    source: str,
    now: dt.datetime,
) -> str:
    """Keep a ticket's number for its notices, with the citizen's consent; returns the number kept.

    Refused when the centre sends no SMS, without consent, or for a number that cannot be texted.
    """
    code = hall.centre.code
    sms = notifier.require(code, hall.centre.name)
    if not consent:
        raise Refusal(
            RefusalKind.INVALID,
            f"Cannot keep the number of ticket #{serial}: the citizen has not agreed to it being used for notices",
            [FieldProblem("consent", "the number is kept only when the citizen agrees to the notices")],
            code=RefusalCode.INVALID,
        )
    number = mobile_number(phone)
    await keep_phone(
        conn, code, serial, number, consent=notifier.consent_words(code), source=source, now=now, days=sms.keep_days
    )
    return number
