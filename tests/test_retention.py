"""The retention policy applied by the daily jobs, a test per kind of personal data, on both databases:
kept the day before its period ends, gone (or blanked) the day after, and nothing else touched."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Table, func, insert, select, update

from queue_server.app.audit import record, verify_trail
from queue_server.app.case_results import AddressGiven, take_address
from queue_server.app.once import Once, Presenter
from queue_server.app.service import HallService
from queue_server.domain.audit import AUDIT_DAYS, AuditAct, AuditKind
from queue_server.domain.centre import SMS_RECORD_DAYS, STAFF_PHOTO_DAYS, Policy
from queue_server.domain.clock import ManualClock
from queue_server.domain.retention import PersonalData, Retention
from queue_server.http_common.id_key import load_id_key
from queue_server.store import schema
from queue_server.store.appeal_evidence import keep_evidence
from queue_server.store.database import Database
from queue_server.store.staff_photos import keep_photo
from tests.api_support import promised_day, seed
from tests.factories import make_centre, shanghai
from tests.privacy_support import NOW, seed_person

DAY = dt.timedelta(days=1)
TAKEN = NOW
"""When the seeded person's data was taken (the promised day, Monday 30 November 2026)."""
SERVICE_DAY_END = shanghai(2026, 12, 1, 0, 30)
"""Just after the service day of the seeded tickets, at the centre."""

PERIODS: dict[PersonalData, tuple[dt.datetime, int]] = {
    # kind: (from when its period counts, the rows of the seeded person and the other one it touches)
    PersonalData.FOLLOW_UP_NUMBERS: (TAKEN + 30 * DAY, 2),
    PersonalData.POSTAL_ADDRESSES: (TAKEN + 60 * DAY, 1),
    PersonalData.SMS_NUMBERS: (TAKEN + 7 * DAY, 3),
    PersonalData.BOOKINGS: (TAKEN + 30 * DAY, 2),
    PersonalData.BOOKING_CODES: (TAKEN + dt.timedelta(minutes=5) + DAY, 1),
    PersonalData.ID_HASHES: (SERVICE_DAY_END + 30 * DAY, 2),
    PersonalData.ASSISTED: (TAKEN + 90 * DAY, 1),
}
"""When each kind's period ends for the seeded rows, and how many rows it then deletes or blanks."""


def test_the_policy_reads_every_period_from_the_centre_file_with_named_defaults() -> None:
    centre = make_centre(policy={"follow_up_days": 10, "audit_days": 365}, bookings={"keep_days": 14})
    kept = Retention.of(centre)
    assert (kept.follow_up_days, kept.audit_days, kept.booking_days) == (10, 365, 14)
    assert (kept.assisted_days, kept.real_name_days) == (90, 30), "the named defaults"
    assert set(kept.periods()) == set(PersonalData) - {PersonalData.SMS_NUMBERS}, "the SMS settings' period"
    assert kept.sms_record_days == SMS_RECORD_DAYS == 90
    shorter = Retention.of(make_centre(policy={"sms_days": 3, "sms_record_days": 20}))
    assert (shorter.periods()[PersonalData.SMS_NUMBERS], shorter.periods()[PersonalData.SMS_RECORDS]) == (3, 20)
    assert Retention.of(make_centre()).audit_days == AUDIT_DAYS == 180
    with pytest.raises(ValueError, match="audit_days"):
        Policy.model_validate({"audit_days": 90})


async def service_at(db: Database, when: dt.datetime) -> HallService:
    return HallService(db, ManualClock(when), public_base_url="http://hall.example")


async def counts(db: Database) -> dict[str, int]:
    """Rows still holding someone: per table, or the tickets with a person or a helped name."""
    t = schema.tickets.c
    async with db.read() as conn:

        async def count(query: object) -> int:
            return int((await conn.execute(query)).scalar_one())  # type: ignore[call-overload]

        return {
            "follow_up": await count(select(func.count()).select_from(schema.follow_up_contacts)),
            "postal": await count(select(func.count()).select_from(schema.postal_addresses)),
            "sms": await count(select(func.count()).select_from(schema.sms_phones))
            + await count(select(func.count()).where(schema.sms_notices.c.phone.is_not(None))),
            "bookings": await count(select(func.count()).where(schema.bookings.c.person.is_not(None))),
            "codes": await count(select(func.count()).select_from(schema.booking_codes)),
            "persons": await count(select(func.count()).where(t.person.is_not(None))),
            "helped": sum(1 for (kept,) in (await conn.execute(select(t.assistance))).all() if kept and kept["helped"]),
        }


@pytest.mark.parametrize("kind", list(PERIODS), ids=str)
async def test_each_kind_is_kept_for_its_period_then_removed(db: Database, tmp_path: Path, kind: PersonalData) -> None:
    await seed_person(db, load_id_key(tmp_path / "id.key"))
    ends, touched = PERIODS[kind]
    before = await (await service_at(db, ends - DAY)).apply_retention(["test"])
    assert before[kind] == 0, f"{kind} removed before its period ended"
    kept = await counts(db)
    after = await (await service_at(db, ends + DAY)).apply_retention(["test"])
    assert after[kind] == touched
    again = await (await service_at(db, ends + DAY)).apply_retention(["test"])
    assert again[kind] == 0, "removed once"
    assert await counts(db) != kept
    assert (await verify_trail(db))[1] == []


async def test_the_assisted_name_is_blanked_in_the_ticket_and_the_record_stays(db: Database, tmp_path: Path) -> None:
    await seed_person(db, load_id_key(tmp_path / "id.key"))
    ends, _ = PERIODS[PersonalData.ASSISTED]
    await (await service_at(db, ends + DAY)).apply_retention(["test"])
    t = schema.tickets.c
    async with db.read() as conn:
        assistance = (await conn.execute(select(t.assistance).where(t.serial == 2))).scalar_one()
    assert assistance == {"helper": "s1", "helped": "", "matter": "pension"}


async def test_audit_entries_go_after_the_centres_audit_days_and_the_chain_stays_whole(db: Database) -> None:
    # The database's own guard counts with its own clock, so the entries must really be old.
    long_ago = dt.datetime(2024, 1, 10, tzinfo=dt.UTC)
    async with db.write() as conn:
        from queue_server.store.seed import create_centre

        await create_centre(conn, make_centre(), long_ago)
    for n in range(3):
        act = AuditAct(AuditKind.PERSONAL_VIEWED, "test", "manager:m", "manager", f"rectification:{n}", "回访核实")
        await record(db, ManualClock(long_ago + n * DAY), act)
    # Kept a day past the period (CLOCK_MARGIN): the entries of days 0 and 1 go on day 183.
    day_before = await (await service_at(db, long_ago + 181 * DAY)).apply_retention(["test"])
    assert day_before[PersonalData.AUDIT_ENTRIES] == 0
    after = await (await service_at(db, long_ago + 183 * DAY)).apply_retention(["test"])
    assert after[PersonalData.AUDIT_ENTRIES] == 2
    assert await verify_trail(db) == (1, [])


async def sms_rows(db: Database) -> tuple[int, int, int]:
    """Numbers kept for notices, notices still holding a number, and notices recorded."""
    n = schema.sms_notices.c
    async with db.read() as conn:
        phones = (await conn.execute(select(func.count()).select_from(schema.sms_phones))).scalar_one()
        numbered = (await conn.execute(select(func.count()).where(n.phone.is_not(None)))).scalar_one()
        notices = (await conn.execute(select(func.count()).select_from(schema.sms_notices))).scalar_one()
    return int(phones), int(numbered), int(notices)


async def test_the_records_of_sms_notices_go_after_the_centres_record_days_unless_still_to_send(
    db: Database, tmp_path: Path
) -> None:
    await seed_person(db, load_id_key(tmp_path / "id.key"))
    n = schema.sms_notices.c
    async with db.write() as conn:  # the first notice sent, the other still waiting for the provider
        await conn.execute(update(schema.sms_notices).where(n.key == "called:1").values(status="sent"))
    ends = TAKEN + SMS_RECORD_DAYS * DAY
    before = await (await service_at(db, ends - DAY)).apply_retention(["test"])
    assert before[PersonalData.SMS_RECORDS] == 0
    assert (await sms_rows(db))[2] == 2
    after = await (await service_at(db, ends + DAY)).apply_retention(["test"])
    assert after[PersonalData.SMS_RECORDS] == 1
    async with db.read() as conn:
        assert (await conn.execute(select(n.key, n.status))).all() == [("called:2", "pending")]


async def test_a_centres_sms_days_shorter_than_the_sms_settings_deletes_the_numbers_sooner(
    db: Database, tmp_path: Path
) -> None:
    """The seeded numbers were kept for the SMS settings' 7 days; the centre's policy says 3."""
    await seed_person(db, load_id_key(tmp_path / "id.key"))
    c = schema.centres.c
    async with db.write() as conn:
        config = (await conn.execute(select(c.config).where(c.code == "test"))).scalar_one()
        config["policy"] = {**config.get("policy", {}), "sms_days": 3}
        await conn.execute(update(schema.centres).where(c.code == "test").values(config=config))
    before = await (await service_at(db, TAKEN + 3 * DAY - dt.timedelta(minutes=1))).apply_retention(["test"])
    assert before[PersonalData.SMS_NUMBERS] == 0 and await sms_rows(db) == (1, 2, 2)
    after = await (await service_at(db, TAKEN + 3 * DAY + dt.timedelta(minutes=1))).apply_retention(["test"])
    assert after[PersonalData.SMS_NUMBERS] == 3
    assert await sms_rows(db) == (0, 0, 2), "the records stay, without the number"


async def write_centre_file(db: Database, **overrides: Any) -> None:
    """The test centre's file as the next service built from the database reads it."""
    c = schema.centres.c
    config = make_centre(**overrides).model_dump(mode="json")
    async with db.write() as conn:
        await conn.execute(update(schema.centres).where(c.code == "test").values(config=config))


async def stored(db: Database, table: Table) -> set[str]:
    async with db.read() as conn:
        return set((await conn.execute(select(table.c.sha256))).scalars().all())


async def test_an_appeals_files_are_kept_while_its_case_is_open_and_its_days_after(db: Database) -> None:
    """A file the appeal names stays while the case is open and the centre's appeal_evidence_days
    after it closed; a file uploaded and never named by an appeal goes those days after the upload."""
    await seed(db)
    await write_centre_file(db, policy={"appeal_evidence_days": 10})
    filed, never_filed = "a" * 64, "b" * 64
    opened = TAKEN + DAY
    async with db.write() as conn:
        for sha in (filed, never_filed):
            await keep_evidence(conn, "test", sha, "application/pdf", b"%PDF-1.4 ...", "staff:s1", TAKEN)
        file = {"sha256": filed, "name": "情况说明.pdf", "media_type": "application/pdf", "size": 12}
        appeal = {"filed_at": opened.isoformat(), "filed_by": "staff:s1", "reason": "误点", "files": [file]}
        await conn.execute(
            insert(schema.rectification_cases).values(
                centre="test", id=1, source="rating", status="new", serial=1, opened_at=opened,
                due_on=opened.date(), appeal=appeal, appeal_status="pending",
            )
        )  # fmt: skip
    assert (await (await service_at(db, TAKEN + 9 * DAY)).apply_retention(["test"]))[PersonalData.APPEAL_EVIDENCE] == 0
    done = await (await service_at(db, TAKEN + 11 * DAY)).apply_retention(["test"])
    assert done[PersonalData.APPEAL_EVIDENCE] == 1 and await stored(db, schema.appeal_evidence) == {filed}
    assert (await (await service_at(db, TAKEN + 60 * DAY)).apply_retention(["test"]))[PersonalData.APPEAL_EVIDENCE] == 0
    closed = TAKEN + 70 * DAY
    r = schema.rectification_cases.c
    async with db.write() as conn:
        await conn.execute(
            update(schema.rectification_cases).where(r.id == 1).values(status="closed", closed_at=closed)
        )
    assert (await (await service_at(db, closed + 9 * DAY)).apply_retention(["test"]))[PersonalData.APPEAL_EVIDENCE] == 0
    done = await (await service_at(db, closed + 11 * DAY)).apply_retention(["test"])
    assert done[PersonalData.APPEAL_EVIDENCE] == 1 and await stored(db, schema.appeal_evidence) == set()


async def test_a_staff_photo_goes_its_days_after_no_staff_member_shows_it(db: Database) -> None:
    await seed(db)
    shown, replaced = "c" * 64, "d" * 64
    async with db.write() as conn:
        for sha in (shown, replaced):
            await keep_photo(conn, "test", sha, b"\xff\xd8 jpeg", "manager:m", TAKEN)
    staff = [{"code": "s1", "name": "王芳", "photo": shown}, {"code": "s2", "name": "李娜"}]
    await write_centre_file(db, staff=staff)

    async def photos_gone(at: dt.datetime) -> int:
        return (await (await service_at(db, at)).apply_retention(["test"]))[PersonalData.STAFF_PHOTOS]

    first_seen = TAKEN + DAY  # the first closing that finds the replaced photo unnamed
    assert await photos_gone(first_seen) == 0
    assert await photos_gone(first_seen + (STAFF_PHOTO_DAYS - 1) * DAY) == 0
    assert await photos_gone(first_seen + STAFF_PHOTO_DAYS * DAY) == 1
    assert await stored(db, schema.staff_photos) == {shown}

    removed = first_seen + 40 * DAY  # s1 leaves the centre file, and comes back before the days are up
    await write_centre_file(db, staff=staff[1:])
    assert await photos_gone(removed) == 0
    await write_centre_file(db, staff=staff)
    assert await photos_gone(removed + 10 * DAY) == 0
    await write_centre_file(db, staff=staff[1:], policy={"staff_photo_days": 5})
    assert await photos_gone(removed + 20 * DAY) == 0, "unnamed again from this closing"
    assert await photos_gone(removed + 24 * DAY) == 0
    assert await photos_gone(removed + 25 * DAY) == 1
    assert await stored(db, schema.staff_photos) == set()


async def test_a_postal_address_is_kept_the_centres_days_after_the_promised_date(db: Database) -> None:
    await promised_day(db, ManualClock(NOW))  # A001 promised on Monday 30 November, due Thursday 3 December
    await write_centre_file(db, policy={"postal_days_after_due": 10})
    service = await service_at(db, TAKEN + dt.timedelta(hours=1))
    once = Once("test", "staff:s1", "postal-2")
    given = AddressGiven("李四", "13900001111", "广东省深圳市南山区科技园路2号", consent=True)
    answer = await take_address(service, once, 1, given, Presenter(view=lambda seen: {}))
    assert answer.ok, answer.body
    a = schema.postal_addresses.c
    async with db.read() as conn:
        purge_after, consent = (await conn.execute(select(a.purge_after, a.consent).where(a.serial == 1))).one()
    assert purge_after == dt.datetime(2026, 12, 13, tzinfo=dt.UTC) and "10天" in consent
