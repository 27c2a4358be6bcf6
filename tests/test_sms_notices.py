"""SMS notices on both databases, sent to a local fake of the provider that checks every signature:
near and called once each, the result ready, consent and a textable number required, numbers
masked, a provider error tried again, the limit per number, and the numbers deleted in time."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from pytest_aiohttp import AiohttpClient
from sqlalchemy import select

from queue_server.app.commands import CallNext, Finish, IssueTicket, SignOn, StartServing
from queue_server.app.refusals import Refusal
from queue_server.app.service import HallService
from queue_server.app.sms_provider import AliyunSms
from queue_server.app.sms_sender import SmsSender
from queue_server.app.sms_settings import Credentials, NoticeKind, Provider, SmsSettings, SmsSettingsError
from queue_server.assembly import create_app
from queue_server.domain.clock import ManualClock
from queue_server.domain.tickets import Outcome
from queue_server.store import schema
from queue_server.store.database import Database
from queue_server.store.sms import notice_records, purge_sms
from tests.api_support import MONDAY_MORNING, Api, promised_day, seed
from tests.fake_sms import FakeSms
from tests.serverproc import free_port
from tests.sms_support import PHONE, SECRET, SIGN, TEMPLATES, fake_provider, give_phone, sms_settings, write_config


@pytest.fixture
async def fake() -> Any:
    async with fake_provider() as provider:
        yield provider


async def hall_with_sms(db: Database, settings: SmsSettings) -> tuple[HallService, ManualClock]:
    await seed(db)
    clock = ManualClock(MONDAY_MORNING)
    service = HallService(db, clock, public_base_url="http://hall.example", sms=settings)
    assert (await service.act("test", SignOn(window=1, staff="s1"), actor="staff:s1", request_id="on")).ok
    for n in range(5):
        assert (await service.act("test", IssueTicket(matter="pension"), actor="kiosk:k", request_id=f"i{n}")).ok
    return service, clock


async def call(service: HallService, n: int) -> None:
    for step, command in enumerate([CallNext(window=1), StartServing(window=1)]):
        answer = await service.act("test", command, actor="staff:s1", request_id=f"c{n}-{step}")
        assert answer.ok, answer.body
    finish = Finish(window=1, outcome=Outcome.ON_THE_SPOT)
    assert (await service.act("test", finish, actor="staff:s1", request_id=f"f{n}")).ok


async def test_near_and_called_are_sent_once_each(db: Database, fake: FakeSms) -> None:
    settings = sms_settings(fake)
    service, _ = await hall_with_sms(db, settings)
    sender = SmsSender(db, settings, service.clock)
    given = await give_phone(service, 5, "138 0013 8000")
    assert given.ok and given.body == {"phone": "138****8000"}
    for n in range(5):  # A005 has 4, 3, 2 (near), 1, 0 ahead, then is called
        await call(service, n)
        await sender.send_due()
    await sender.send_due()
    assert fake.texts() == [f"【{SIGN}】您的号码A005前面还有2人，请留意叫号。", f"【{SIGN}】请A005号到1号窗口办理。"]
    assert [s.phone for s in fake.sent] == [PHONE, PHONE]
    async with db.read() as conn:
        records = await notice_records(conn, "test")
    assert [(r.kind, r.status, r.phone_masked) for r in records] == [
        ("called", "sent", "138****8000"),
        ("near", "sent", "138****8000"),
    ]
    assert [r.biz_id for r in records] == [s.biz_id for s in reversed(fake.sent)], "the provider's id is kept"


async def test_a_number_needs_consent_a_mobile_number_and_a_centre_that_sends_sms(db: Database, fake: FakeSms) -> None:
    service, _ = await hall_with_sms(db, sms_settings(fake))
    for serial, phone, consent, centre, why in (
        (1, PHONE, False, "test", "has not agreed"),
        (1, "0755 1234 5678", True, "test", "mainland mobile number"),
        (99, PHONE, True, "test", "no ticket #99"),
        (1, PHONE, True, "other", "sends none"),
    ):
        answer = await give_phone(service, serial, phone, consent=consent, centre=centre)
        assert answer.refusal is not None and why in answer.refusal.detail, (why, answer)
    async with db.read() as conn:
        assert (await conn.execute(select(schema.sms_phones))).all() == [], "nothing kept"


async def test_a_provider_error_is_tried_again_later_and_a_final_one_is_not(db: Database, fake: FakeSms) -> None:
    settings = sms_settings(fake)
    service, clock = await hall_with_sms(db, settings)
    sender = SmsSender(db, settings, clock, backoff_base=10)
    fake.fail_next(1, 503, "ServiceUnavailable")
    fake.fail_next(1, 200, "isv.BUSINESS_LIMIT_CONTROL")
    async with db.write() as conn:
        assert await service.notifier.send_code(
            conn, "test", PHONE, code="482913", minutes=5, key="b1", now=clock.now()
        )
    assert await sender.send_due() == 0
    clock.advance(dt.timedelta(seconds=9))
    assert await sender.send_due() == 0, "not before its pause"
    clock.advance(dt.timedelta(seconds=2))
    assert await sender.send_due() == 0  # throttled now: the pause doubles
    clock.advance(dt.timedelta(seconds=19))
    assert await sender.send_due() == 0
    clock.advance(dt.timedelta(seconds=2))
    assert await sender.send_due() == 1
    assert fake.texts() == [f"【{SIGN}】您的验证码为482913，5分钟内有效，请勿告诉他人。"]
    assert fake.refused == ["ServiceUnavailable", "isv.BUSINESS_LIMIT_CONTROL"]
    fake.fail_next(1, 200, "isv.SMS_SIGNATURE_ILLEGAL")
    async with db.write() as conn:
        await service.notifier.send_code(conn, "test", PHONE, code="1", minutes=5, key="b2", now=clock.now())
    assert await sender.send_due() == 0
    clock.advance(dt.timedelta(hours=1))
    assert await sender.send_due() == 0, "a final error is not tried again"
    async with db.read() as conn:
        records = {r.key: r for r in await notice_records(conn, "test")}
    assert (records["code:b1"].status, records["code:b1"].attempts) == ("sent", 3)
    assert (records["code:b2"].status, records["code:b2"].attempts) == ("failed", 1)
    assert records["code:b2"].reason == "isv.SMS_SIGNATURE_ILLEGAL: told to fail"
    with pytest.raises(Refusal, match="mainland mobile number"):
        async with db.write() as conn:
            await service.notifier.send_code(conn, "test", "19999999", code="1", minutes=5, key="b3", now=clock.now())


async def test_a_number_gets_at_most_the_daily_limit(db: Database, fake: FakeSms) -> None:
    settings = sms_settings(fake, daily_limit=2)
    service, clock = await hall_with_sms(db, settings)
    sender = SmsSender(db, settings, clock)
    for n in range(3):
        async with db.write() as conn:
            await service.notifier.send_code(conn, "test", PHONE, code=f"{n}", minutes=5, key=f"k{n}", now=clock.now())
        await sender.send_due()
    assert len(fake.sent) == 2
    async with db.read() as conn:
        limited = (await notice_records(conn, "test"))[0]
    assert (limited.status, limited.reason) == ("failed", "daily limit: 2 notices to this number in 24 hours")
    clock.advance(dt.timedelta(hours=24, seconds=1))
    async with db.write() as conn:
        await service.notifier.send_code(conn, "test", PHONE, code="3", minutes=5, key="k3", now=clock.now())
    assert await sender.send_due() == 1, "a day later the number may be texted again"


async def test_the_ready_result_is_told_to_the_number_the_ticket_gave(
    db: Database, fake: FakeSms, aiohttp_client: AiohttpClient
) -> None:
    clock = ManualClock(MONDAY_MORNING)
    service, tokens = await promised_day(db, clock)
    settings = sms_settings(fake)
    service.notifier.settings = settings
    api = Api(await aiohttp_client(create_app(service)), tokens)
    body = {"phone": PHONE, "consent": True, "request_id": "p1"}
    assert (await api.post("/centres/test/tickets/1/sms", "guide", body)).body == {"phone": "138****8000"}
    for request_id in ("r-1", "r-1"):  # the repeat is answered from the first: no second notice
        answer = await api.post(
            "/centres/test/cases/TEST-2026-000001/result", "business", {"request_id": request_id, "state": "ready"}
        )
        assert answer.status == 200, answer.body
    sender = SmsSender(db, settings, clock)
    await sender.send_due()
    await sender.send_due()
    assert fake.texts() == [f"【{SIGN}】您在测试便民服务中心办理的养老保险待遇领取已办结，请到测试便民服务中心领取。"]
    listed = await api.get("/centres/test/sms-notices", "manager")
    assert listed.status == 200 and listed.body["configured"] is True
    assert [(n["kind"], n["phone"], n["status"]) for n in listed.body["notices"]] == [("ready", "138****8000", "sent")]
    assert PHONE not in str(listed.body)


async def test_numbers_are_deleted_after_their_days(db: Database, fake: FakeSms) -> None:
    settings = sms_settings(fake, keep_days=3)
    service, clock = await hall_with_sms(db, settings)
    assert (await give_phone(service, 2)).ok
    async with db.write() as conn:
        await service.notifier.send_code(conn, "test", PHONE, code="1", minutes=5, key="k", now=clock.now())
    await SmsSender(db, settings, clock).send_due()
    async with db.write() as conn:
        assert await purge_sms(conn, clock.now() + dt.timedelta(days=2)) == 0
        assert await purge_sms(conn, clock.now() + dt.timedelta(days=3)) == 2
    async with db.read() as conn:
        assert (await conn.execute(select(schema.sms_phones))).all() == []
        (notice,) = (await conn.execute(select(schema.sms_notices))).all()
    assert notice.phone is None and notice.phone_masked == "138****8000" and notice.status == "sent"


def test_the_configuration_file_is_read_with_its_secrets_apart(tmp_path: Path, fake: FakeSms) -> None:
    path = write_config(fake, tmp_path, ("east", "west"))
    settings = SmsSettings.load(path, environ={})
    assert sorted(settings.centres) == ["east", "west"] and settings.offers("east", "near")
    assert SECRET not in repr(settings.credentials("east")), "the secret is never shown"
    (tmp_path / "sms-secrets.toml").unlink()
    with pytest.raises(SmsSettingsError, match="Cannot read the SMS secrets file"):
        SmsSettings.load(path, environ={})
    bare = tmp_path / "bare.toml"
    bare.write_text('[centres.east]\nsign_name = "x"\ntemplates = {near = "SMS_1"}\n', encoding="utf-8")
    with pytest.raises(SmsSettingsError, match="ONEWINDOW_SMS_ACCESS_KEY_ID"):
        SmsSettings.load(bare, environ={})
    env = {"ONEWINDOW_SMS_ACCESS_KEY_ID": "id", "ONEWINDOW_SMS_ACCESS_KEY_SECRET": "s"}
    assert SmsSettings.load(bare, environ=env).credentials("east").access_key_id.get_secret_value() == "id"
    bare.write_text('[centres.east]\nsign_name = "x"\ntemplates = {nearly = "SMS_1"}\n', encoding="utf-8")
    with pytest.raises(SmsSettingsError, match=r"centres\.east\.templates\.nearly"):
        SmsSettings.load(bare, environ=env)


async def test_the_fake_provider_refuses_what_the_provider_would(fake: FakeSms) -> None:
    """The fake checks the signature and the message: a wrong secret, an unknown key, an unapproved sign
    name, a missing parameter are refused; an unreachable provider is tried again."""
    settings = sms_settings(fake)
    params = {"number": "A012", "ahead": "3"}
    good = AliyunSms(settings.provider, settings.credentials("test"))
    sent = await good.send(PHONE, SIGN, TEMPLATES[NoticeKind.NEAR], params, "1")
    assert sent.ok and sent.biz_id == fake.sent[0].biz_id
    assert fake.texts() == [f"【{SIGN}】您的号码A012前面还有3人，请留意叫号。"]
    for key_id, secret, code in (
        ("LTAI-test-key", "wrong", "SignatureDoesNotMatch"),
        ("other", SECRET, "InvalidAccessKeyId.NotFound"),
    ):
        wrong = AliyunSms(
            settings.provider, Credentials(access_key_id=SecretStr(key_id), access_key_secret=SecretStr(secret))
        )
        outcome = await wrong.send(PHONE, SIGN, TEMPLATES[NoticeKind.NEAR], params, "2")
        assert (outcome.ok, outcome.code, outcome.retry) == (False, code, False)
        assert secret not in outcome.reason
    unapproved = await good.send(PHONE, "别的签名", TEMPLATES[NoticeKind.NEAR], params, "3")
    assert (unapproved.code, unapproved.retry) == ("isv.SMS_SIGNATURE_ILLEGAL", False)
    missing = await good.send(PHONE, SIGN, TEMPLATES[NoticeKind.NEAR], {"number": "A012"}, "4")
    assert missing.code == "isv.TEMPLATE_MISSING_PARAMETERS"
    assert len(fake.sent) == 1
    gone = AliyunSms(
        Provider(endpoint=f"127.0.0.1:{free_port()}", protocol="http", timeout_seconds=2), settings.credentials("test")
    )
    unreachable = await gone.send(PHONE, SIGN, TEMPLATES[NoticeKind.NEAR], params, "5")
    assert (unreachable.ok, unreachable.code, unreachable.retry) == (False, "Network", True)


async def test_delivery_receipts_are_read_after_sending(db: Database, fake: FakeSms) -> None:
    settings = sms_settings(fake)
    service, clock = await hall_with_sms(db, settings)
    sender = SmsSender(db, settings, clock)
    async with db.write() as conn:
        for n in range(3):
            await service.notifier.send_code(conn, "test", PHONE, code=f"{n}", minutes=5, key=f"k{n}", now=clock.now())
    assert await sender.send_due() == 3
    fake.receipts[fake.sent[1].biz_id] = (2, "MK:0001")  # the network could not deliver it
    fake.receipts[fake.sent[2].biz_id] = (1, "")  # no word yet
    assert await sender.check_receipts() == 0, "not read at once"
    clock.advance(dt.timedelta(seconds=31))
    assert await sender.check_receipts() == 2
    async with db.read() as conn:
        records = {r.key: r for r in await notice_records(conn, "test")}
    assert [(records[f"code:k{n}"].status, records[f"code:k{n}"].reason) for n in range(3)] == [
        ("delivered", ""),
        ("failed", "MK:0001"),
        ("sent", ""),
    ]
    fake.receipts[fake.sent[2].biz_id] = (3, "DELIVERED")
    assert await sender.check_receipts() == 0, "asked again only after a while"
    clock.advance(dt.timedelta(minutes=2))
    assert await sender.check_receipts() == 1
    clock.advance(dt.timedelta(days=3))
    assert await sender.check_receipts() == 0


async def test_the_bookings_messages_are_sent_once_per_key(db: Database, fake: FakeSms) -> None:
    settings = sms_settings(fake)
    service, clock = await hall_with_sms(db, settings)
    details = {"date": "12月8日", "time": "09:30", "centre": "测试便民服务中心", "matter": "养老保险待遇领取"}
    notifier, now = service.notifier, clock.now()
    async with db.write() as conn:
        written = [
            await notifier.booking_confirmed(
                conn, "test", PHONE, details={**details, "booking": "Y0012"}, key="b-12", now=now
            )
            for _ in range(2)  # the bookings page asks twice: one message
        ]
        assert written == [True, False]
        assert await notifier.booking_reminder(conn, "test", PHONE, details=details, key="b-12", now=now)
        assert not await notifier.send_code(conn, "other", PHONE, code="1", minutes=5, key="x", now=now), (
            "no provider there"
        )
    assert await SmsSender(db, settings, clock).send_due() == 2
    assert fake.texts() == [
        f"【{SIGN}】您已预约12月8日 09:30在测试便民服务中心办理养老保险待遇领取，预约号Y0012。",
        f"【{SIGN}】提醒：您预约了12月8日 09:30在测试便民服务中心办理养老保险待遇领取，请按时到达。",
    ]


async def test_a_stopping_sender_records_the_message_it_is_sending(db: Database, fake: FakeSms) -> None:
    """Stopping waits for the provider's answer and records it: a restart sends nothing again."""
    settings = sms_settings(fake)
    service, clock = await hall_with_sms(db, settings)
    fake.delay = 0.5
    async with db.write() as conn:
        await service.notifier.send_code(conn, "test", PHONE, code="1", minutes=5, key="k", now=clock.now())
    sender = SmsSender(db, settings, clock)
    task = asyncio.create_task(sender.run(poll=0.05))
    async with asyncio.timeout(5):
        while not fake.nonces:  # the request reached the provider, its answer is on the way
            await asyncio.sleep(0.01)
    await sender.stop(task, grace=5)
    assert task.done() and len(fake.sent) == 1
    async with db.read() as conn:
        (record,) = await notice_records(conn, "test")
    assert record.status == "sent"
    assert await SmsSender(db, settings, clock).send_due() == 0
