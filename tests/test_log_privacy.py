"""Log lines as JSON, with the action's context, and never a secret or a personal number in them.

A day at a centre with bookings, SMS notices and real-name tickets is driven through the API with
every log line of the process captured at DEBUG in the JSON format ``onewindow serve --log-format
json`` writes; no phone number, ID number, token or SMS secret may appear in it unmasked. The
formatter's masking is tested on its own too, since the code logs none of them on purpose.
"""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pytest_aiohttp import AiohttpClient

from queue_server.app.booking_codes import PublicBookingLimits
from queue_server.app.log_context import acting
from queue_server.app.service import HallService
from queue_server.app.sms_sender import SmsSender
from queue_server.assembly import create_app
from queue_server.auth.accounts import Role, add_token
from queue_server.cli.logs import LogFormat, log_handler, logging_as, redact
from queue_server.domain.clock import ManualClock
from queue_server.http_common.keys import ID_KEY
from queue_server.store.database import Database
from queue_server.store.seed import create_centre
from queue_server.web.keys import BOOKING_LIMITS
from tests.api_support import Api, rid
from tests.factories import centre_data, make_centre, shanghai
from tests.id_numbers import ELDERLY, YOUNG, mistyped
from tests.sms_support import KEY_ID, PHONE, SECRET, fake_provider, sms_settings
from tests.test_bookings import BOOKINGS, ID

OTHER_PHONE = "13912345678"
UNMASKED_PHONE = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")
UNMASKED_ID = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])")


@contextmanager
def json_lines(level: int = logging.DEBUG) -> Iterator[io.StringIO]:
    """Every log line of the process while the block runs, as ``--log-format json`` writes it."""
    out = io.StringIO()
    handler = log_handler(LogFormat.JSON, out)
    root = logging.getLogger()
    was = root.level
    root.addHandler(handler)
    root.setLevel(level)
    try:
        yield out
    finally:
        root.removeHandler(handler)
        root.setLevel(was)


def test_phone_numbers_id_numbers_tokens_and_secrets_are_masked_in_a_line() -> None:
    said = (
        f"phone {PHONE}, +86 138 0013 8000, id {ID} and {YOUNG.lower()}, Authorization: Bearer ow_abcdefghijkl,"
        " postgresql://onewindow:hunter2@db/onewindow, access_key_secret=test-secret-never-logged"
    )
    masked = redact(said)
    assert masked == (
        f"phone 138****8000, +86 138****8000, id 110105********002X and {YOUNG[:6]}********{YOUNG[-4:].lower()},"
        " Authorization: Bearer ***, postgresql://onewindow:***@db/onewindow, access_key_secret=***"
    )
    assert redact("ticket A012 at window 3, serial 12345678901234567890, 2026-11-30T09:00:00.000+00:00") == (
        "ticket A012 at window 3, serial 12345678901234567890, 2026-11-30T09:00:00.000+00:00"
    ), "ticket numbers, long serials and times are left alone"


def test_a_json_line_has_its_fields_and_the_actions_context() -> None:
    logger = logging.getLogger("queue_server.test")
    with json_lines() as out:
        logger.info("outside any action")
        with acting(request_id="r-1", centre="test", window=3, actor="staff:s1"):
            logger.warning("called A012 for %s", PHONE)
        with acting(request_id=PHONE):
            logger.error('the provider said {"access_key_secret": "%s"}', SECRET)
        with acting(request_id="r-1", centre="test", window=3, actor="staff:s1"):
            try:
                raise ValueError(f"no such number {ID}")
            except ValueError:
                logger.exception("failed")
    plain, called, provider, failed = (json.loads(line) for line in out.getvalue().splitlines())
    assert provider["message"] == 'the provider said {"access_key_secret": "***"}'
    assert provider["request_id"] == "138****8000", "a request id is the client's to choose: masked too"
    assert set(plain) == {"time", "level", "logger", "message"}
    assert plain["level"] == "info" and plain["logger"] == "queue_server.test"
    assert plain["time"].endswith("+00:00")
    assert called["message"] == "called A012 for 138****8000"
    assert {k: called[k] for k in ("request_id", "centre", "window", "actor")} == {
        "request_id": "r-1",
        "centre": "test",
        "window": 3,
        "actor": "staff:s1",
    }
    assert "110105********002X" in failed["exception"] and ID not in failed["exception"]


def test_the_text_format_writes_the_message_alone_masked_and_puts_the_logging_back() -> None:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    stream = io.StringIO()
    with logging_as(LogFormat.TEXT, "warning", stream):
        assert len(root.handlers) == 1 and root.level == logging.WARNING
        logging.getLogger("queue_server.test").info("not written: below the level")
        logging.getLogger("queue_server.test").warning("texted %s", PHONE)
    assert stream.getvalue() == "texted 138****8000\n"
    assert (root.handlers, root.level) == (handlers, level), "as it was before"


async def test_a_days_bookings_sms_and_real_name_tickets_log_nothing_personal_or_secret(
    db: Database, aiohttp_client: AiohttpClient
) -> None:
    clock = ManualClock(shanghai(2026, 11, 30, 8, 0))
    data = centre_data(bookings=BOOKINGS)
    for matter in data["matters"]:
        matter["real_name"] = matter["code"] == "pension"
    async with db.write() as conn:
        await create_centre(conn, make_centre(**{k: v for k, v in data.items() if k != "centre"}), clock.now())
        tokens = {
            name: await add_token(conn, label=name, role=role, centres=["test"], subject=subject)
            for name, (role, subject) in {
                "kiosk": (Role.KIOSK, "kiosk1"),
                "guide": (Role.GUIDE, "desk1"),
                "s1": (Role.STAFF, "s1"),
                "manager": (Role.MANAGER, "manager"),
            }.items()
        }
    async with fake_provider() as fake:
        settings = sms_settings(fake)
        service = HallService(db, clock, public_base_url="http://hall.example", sms=settings)
        app = create_app(service, id_key=b"p" * 32)
        app[BOOKING_LIMITS] = PublicBookingLimits(lambda: clock.now().timestamp())
        api = Api(await aiohttp_client(app), tokens)
        sender = SmsSender(db, settings, clock)
        with json_lines() as out:
            await a_day(api, sender, fake, clock)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    text = out.getvalue()
    (provider,) = [line for line in lines if "isv.BUSINESS_LIMIT_CONTROL" in line["message"]]
    assert "too many messages to 139****5678 today" in provider["message"], provider
    assert (provider["centre"], provider["actor"]) == ("test", "system:sms")

    assert all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    actions = [line for line in lines if line["logger"] == "queue_server.app.group_commit"]
    assert len(actions) >= 10, "each action logs a line at INFO"
    assert all({"request_id", "centre", "actor"} <= set(line) for line in actions), actions
    calls = [line for line in actions if line["message"] == "call_next done"]
    assert calls and all(line["window"] == 1 and line["actor"] == "staff:s1" for line in calls)
    refused = [line for line in actions if line["message"].startswith("call_next refused")]
    assert refused and refused[0]["window"] == 2, "a call at a window s1 is not signed on to"

    secrets = [PHONE, OTHER_PHONE, ID, YOUNG, ELDERLY, YOUNG.lower(), mistyped(YOUNG), SECRET, KEY_ID]
    secrets += [*tokens.values(), app[ID_KEY].hex()]
    leaked = [secret for secret in secrets if secret in text]
    assert not leaked, f"in the log: {leaked}"
    assert not UNMASKED_PHONE.search(text), UNMASKED_PHONE.search(text)
    assert not UNMASKED_ID.search(text), UNMASKED_ID.search(text)


async def a_day(api: Api, sender: SmsSender, fake: Any, clock: ManualClock) -> None:
    """A booking by phone with its ID number, real-name tickets at the kiosk and the desk, a number
    given for SMS notices, calls that text it; and some refusals."""
    asked = await api.post(
        "/public/centres/test/booking-code",
        None,
        {"request_id": rid(), "phone": "138 0013 8000"},
        headers={"X-Forwarded-For": "10.0.0.1"},
    )
    assert asked.status == 201, asked.body
    await sender.send_due()
    found = re.search(r"验证码为(\d{6})", fake.texts()[-1])
    assert found is not None
    booking_body = {
        "request_id": rid(),
        "matter": "pension",
        "start": shanghai(2026, 12, 1, 9, 0).isoformat(),
        "phone": PHONE,
        "id_number": ID,
        "reminder": True,
    }
    wrong = await api.post("/public/centres/test/bookings", None, {**booking_body, "sms_code": "000000"})
    assert wrong.status in (409, 422), wrong.body
    booked = await api.post("/public/centres/test/bookings", None, {**booking_body, "sms_code": found.group(1)})
    assert booked.status == 201, booked.body
    await sender.send_due()

    clock.advance(minutes=60)  # 09:00
    await api.sign_on(("s1", 1))
    refused = await api.post(
        "/centres/test/tickets", "kiosk", {"matter": "pension", "request_id": rid(), "id_number": mistyped(YOUNG)}
    )
    assert refused.status in (409, 422), refused.body
    young = await api.issue("pension", id_number=YOUNG)
    elderly = await api.issue("pension", "guide", id_number=ELDERLY.lower())
    plain = await api.issue("medical")
    given = await api.post(
        f"/centres/test/tickets/{plain['serial']}/sms",
        "kiosk",
        {"request_id": rid(), "phone": OTHER_PHONE, "consent": True},
    )
    assert given.status in (200, 201), given.body
    # the provider's words name the number, as Aliyun's do: the server logs them, masked
    fake.fail_next(1, 200, "isv.BUSINESS_LIMIT_CONTROL", f"too many messages to {OTHER_PHONE} today")
    elsewhere = await api.post("/centres/test/windows/2/call-next", "s1", {"request_id": rid()})
    assert elsewhere.status == 403, elsewhere.body
    bad_token = await api.post("/centres/test/windows/1/call-next", "ow_not-a-real-token-at-all", {"request_id": rid()})
    assert bad_token.status == 401
    for _ in (young, elderly, plain):
        await api.act("/centres/test/windows/1/call-next", "s1")
        await api.act("/centres/test/windows/1/start", "s1")
        await sender.send_due()
        await api.act("/centres/test/windows/1/finish", "s1", outcome="on_the_spot")
    await sender.send_due()
    notices = await api.get("/centres/test/sms-notices", "manager")
    assert notices.status == 200 and notices.body["notices"], "texts were sent"
