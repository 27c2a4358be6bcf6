"""The public booking page's phone check: a code texted to the number, asked for within limits and
typed back before a booking is made, cancelled or moved.

A code goes out only at a centre whose SMS settings have the ``code`` template
(:meth:`Notifier.offers`); elsewhere the page says bookings are made at the desk. The code's row
and its SMS notice (key ``code:<id>``) are written in one transaction, so however many instances
run, and across a restart, each code is texted once. A code is judged in a transaction of its own,
so a wrong try is counted even though nothing else happens (queue_server.domain.phone_codes).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Hashable

from typing_extensions import TypedDict

from queue_server.app.answers import Answer
from queue_server.app.notices import Notifier, mobile_number
from queue_server.app.once import Once, Presenter, run_once
from queue_server.app.ratelimit import RateLimiter
from queue_server.app.refusals import FieldProblem, Refusal, RefusalKind
from queue_server.app.service import HallService
from queue_server.app.sms_settings import NoticeKind
from queue_server.app.view_fields import Instant, documented
from queue_server.app.views import iso
from queue_server.domain.hall import Hall
from queue_server.domain.phone_codes import CODE_MINUTES, MOST_TRIES, Verdict, code_hash, judge, new_code, phone_key
from queue_server.domain.refusal_codes import RefusalCode
from queue_server.domain.refusal_words import Said
from queue_server.store import booking_codes as stored
from queue_server.store.database import Connection

SEND_CODE = "send_booking_code"
"""The name a request id of a code's sending is kept under."""
CODES_PER_ADDRESS_PER_MINUTE = 3
"""Codes one address may ask for in a burst, and then per minute."""
CODES_PER_NUMBER_PER_MINUTE = 1
"""Codes one mobile number may be sent in a burst, and then per minute."""

SAID: dict[Verdict, Said] = {
    Verdict.WRONG: Said("验证码不正确，还可再试{left}次。", "The code is wrong: {left} more tries."),
    Verdict.EXPIRED: Said(
        "验证码已过期（{minutes}分钟内有效），请重新获取。",
        "The code has expired (it lasts {minutes} minutes): ask for a new one.",
    ),
    Verdict.EXHAUSTED: Said(
        "验证码错误次数过多，已失效，请重新获取。", "Too many wrong tries: this code is dead; ask for a new one."
    ),
    Verdict.NONE: Said("请先获取验证码（或验证码已使用）。", "Ask for a code first (or this code was used already)."),
}

DESK_ONLY = Said("本中心暂不支持网上预约，请到咨询导办台预约。", "This centre takes bookings at its consultation desk.")


def codes_offered(notifier: Notifier, centre: str) -> bool:
    """Whether the public page may book at ``centre``: only where a code can be texted."""
    return notifier.offers(centre, NoticeKind.CODE)


class PublicBookingLimits:
    """How often an address and a mobile number may ask for a code: one token bucket per address
    and one per number (queue_server.app.ratelimit), so neither a script nor a number is a flood."""

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        *,
        per_address: int = CODES_PER_ADDRESS_PER_MINUTE,
        per_number: int = CODES_PER_NUMBER_PER_MINUTE,
    ) -> None:
        self._limiter = RateLimiter(clock)
        self.per_address = per_address
        self.per_number = per_number

    def take(self, address: str, phone: str) -> float | None:
        """One code for ``phone`` asked from ``address``: None when both allow it (each counts it),
        else the seconds to wait (nothing is counted)."""
        keys: list[tuple[Hashable, int]] = [
            (("address", address), self.per_address),
            (("phone", phone), self.per_number),
        ]
        waits = [wait for key, limit in keys if (wait := self._limiter.wait(key, limit)) is not None]
        if waits:
            return max(waits)
        for key, limit in keys:
            self._limiter.take(key, limit)
        return None


@documented
class CodeSent(TypedDict):
    """A code texted to the number"""

    phone: str
    """Masked"""
    expires_at: Instant
    minutes: int


def _sent(sent: CodeSent) -> dict[str, object]:
    return dict(sent)


async def send_code(service: HallService, once: Once, phone: str, key: bytes) -> Answer:
    """A new code for ``phone`` (a mainland mobile number), texted once per request id; refused at a
    centre that texts none. The code's row and its notice are written in one transaction."""
    number = mobile_number(phone)

    async def step(conn: Connection, hall: Hall, now: dt.datetime) -> CodeSent:
        if not codes_offered(service.notifier, hall.centre.code):
            raise Refusal(
                RefusalKind.CONFLICT,
                f"Cannot text a booking code at {hall.centre.centre.name}: bookings are made at the consultation desk",
                code=RefusalCode.INVALID,
                said=DESK_ONLY,
            )
        code, expires_at = new_code(), now + dt.timedelta(minutes=CODE_MINUTES)
        hashed = code_hash(key, number, code)
        code_id = await stored.add_code(conn, hall.centre.code, phone_key(key, number), hashed, now, expires_at)
        await service.notifier.send_code(
            conn, hall.centre.code, number, code=code, minutes=CODE_MINUTES, key=str(code_id), now=now
        )
        return {"phone": f"{number[:3]}****{number[7:]}", "expires_at": iso(expires_at) or "", "minutes": CODE_MINUTES}

    return await run_once(service, once, SEND_CODE, step, Presenter(_sent, created=True))


async def check_code(service: HallService, centre: str, phone: str, typed: str, key: bytes, request_id: str) -> int:
    """The id of the number's code when ``typed`` is it (or this request used it already); else a
    refusal saying why, a wrong try counted first."""
    number = mobile_number(phone)
    now = service.clock.now()
    async with service.db.write() as conn:
        found = await stored.latest_code(conn, centre, phone_key(key, number))
        if found is not None and found.used_by == request_id:
            return found.id  # the request again: its answer is given again
        verdict = judge(key, found if found is None or found.used_by is None else None, number, typed, now)
        left = 0
        if verdict is Verdict.WRONG and found is not None:
            left = MOST_TRIES - await stored.count_wrong(conn, found.id)
            if left <= 0:
                verdict = Verdict.EXHAUSTED
    if verdict is Verdict.RIGHT and found is not None:
        return found.id
    words = SAID[verdict]
    said = Said(words.zh.format(left=left, minutes=CODE_MINUTES), words.en.format(left=left, minutes=CODE_MINUTES))
    raise Refusal(
        RefusalKind.INVALID,
        said.en,
        [FieldProblem("sms_code", said.en)],
        {"reason": verdict.value},
        code=RefusalCode.INVALID,
        said=said,
    )


async def use_code(conn: Connection, code_id: int, request_id: str, now: dt.datetime) -> None:
    """Spend the code in the change's transaction: a code books, cancels or moves once."""
    if not await stored.use_code(conn, code_id, request_id, now):
        words = SAID[Verdict.NONE]
        raise Refusal(
            RefusalKind.INVALID, words.en, [FieldProblem("sms_code", words.en)], code=RefusalCode.INVALID, said=words
        )
