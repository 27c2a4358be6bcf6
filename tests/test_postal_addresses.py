"""Postal addresses and the business system's decisions in the store, on both databases: an
address kept, replaced, masked, deleted with the delivery and purged at its time; a decision once."""

from __future__ import annotations

import datetime as dt

import pytest
from pytest_aiohttp import AiohttpClient
from sqlalchemy.exc import IntegrityError

from queue_server.assembly import create_app
from queue_server.domain.case_results import DeliveryMethod, ResultState
from queue_server.domain.centre import POSTAL_DAYS_AFTER_DUE
from queue_server.domain.clock import ManualClock
from queue_server.store.database import Database
from queue_server.store.postal_addresses import (
    PostalAddress,
    address_of,
    keep_address,
    mask_address,
    purge_addresses,
)
from queue_server.store.promised import Delivery, promised_case, record_decision, record_delivery
from tests.api_support import Api, promised_day
from tests.factories import shanghai

AT = shanghai(2026, 11, 30, 10, 0)


def address(street: str = "广东省深圳市南山区科技园路1号") -> PostalAddress:
    return PostalAddress("李四", "139 0000 1111", street, "本人同意……", AT, "staff:s1")


async def test_an_address_is_kept_replaced_and_purged_at_its_time(db: Database) -> None:
    await promised_day(db, ManualClock(AT))
    async with db.write() as conn:
        await keep_address(conn, "test", 1, address(), AT + dt.timedelta(days=30))
        await keep_address(conn, "test", 1, address("北京市朝阳区建国路88号"), AT + dt.timedelta(days=30))
    async with db.read() as conn:
        kept = await address_of(conn, "test", 1)
        case = await promised_case(conn, "test", 1)
    assert kept is not None and kept.address == "北京市朝阳区建国路88号", "the later address replaces the first"
    assert case is not None and case.postal == kept
    assert kept.masked() == "李* 139****1111 北京市朝阳区****"
    assert mask_address("短地址") == "****"

    async with db.write() as conn:
        assert await purge_addresses(conn, AT + dt.timedelta(days=29)) == 0
    async with db.write() as conn:
        assert await purge_addresses(conn, AT + dt.timedelta(days=30)) == 1
    async with db.read() as conn:
        assert await address_of(conn, "test", 1) is None


async def test_a_decision_is_kept_once_and_a_delivery_says_how(db: Database) -> None:
    await promised_day(db, ManualClock(AT))
    async with db.write() as conn:
        await record_decision(conn, "test", 1, ResultState.READY, "business:province", "", AT)
    with pytest.raises(IntegrityError):
        async with db.write() as conn:
            await record_decision(conn, "test", 1, ResultState.REFUSED, "business:province", "重复", AT)
    async with db.write() as conn:
        how = Delivery(DeliveryMethod.POST, "EMS", "EA1")
        await record_delivery(conn, "test", 1, "business:province", "", AT, how)
    async with db.read() as conn:
        case = await promised_case(conn, "test", 1)
    assert case is not None
    assert (case.result_state, case.decided, case.decided_by) == ("delivered", "ready", "business:province")
    assert (case.method, case.courier, case.tracking_number) == (DeliveryMethod.POST, "EMS", "EA1")


async def test_an_address_taken_at_the_counter_is_purged_after_the_promised_date(
    db: Database, aiohttp_client: AiohttpClient
) -> None:
    """Never delivered: the daily jobs' purge deletes it the centre's postal_days_after_due (60 by
    default) after the due date."""
    clock = ManualClock(AT)
    service, tokens = await promised_day(db, clock)
    api = Api(await aiohttp_client(create_app(service)), tokens)
    given = {"recipient": "李四", "phone": "13900001111", "address": "广东省深圳市南山区科技园路1号", "consent": True}
    await api.act("/centres/test/promised/1/postal-address", "s1", **given)
    due = dt.datetime(2026, 12, 3, tzinfo=dt.UTC)
    async with db.write() as conn:
        assert await purge_addresses(conn, due + dt.timedelta(days=POSTAL_DAYS_AFTER_DUE - 1)) == 0
    async with db.write() as conn:
        assert await purge_addresses(conn, due + dt.timedelta(days=POSTAL_DAYS_AFTER_DUE)) == 1
    assert (await api.get("/centres/test/promised?state=all", "manager")).body["cases"][0]["post_to"] is None


async def test_a_collection_at_the_window_deletes_the_address(db: Database, aiohttp_client: AiohttpClient) -> None:
    service, tokens = await promised_day(db, ManualClock(AT))
    api = Api(await aiohttp_client(create_app(service)), tokens)
    given = {"recipient": "李四", "phone": "13900001111", "address": "广东省深圳市南山区科技园路1号", "consent": True}
    await api.act("/centres/test/promised/1/postal-address", "s1", **given)
    delivered = await api.act("/centres/test/promised/1/deliver", "s1", note="本人领取")
    assert (delivered["method"], delivered["post_to"]) == ("window", None)
    async with db.read() as conn:
        assert await address_of(conn, "test", 1) is None
