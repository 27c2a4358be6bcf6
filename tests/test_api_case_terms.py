"""The finish API with a case's terms (告知承诺, 容缺受理, 联办件, 上报件) and a 帮办代办 record, on
SQLite and PostgreSQL: stored with the ticket, read back, refused with a reason and nothing lost;
an older client's finish without them still works."""

from __future__ import annotations

from typing import Any

import pytest
from pytest_aiohttp import AiohttpClient

from queue_server.app.commands import CallNext, Finish, FinishAssisted, IssueTicket, SignOn
from queue_server.app.service import HallService
from queue_server.assembly import create_app
from queue_server.auth.accounts import Role, add_token
from queue_server.domain.case_terms import Assistance
from queue_server.domain.clock import ManualClock
from queue_server.domain.events import event_from_record, replay
from queue_server.domain.tickets import Outcome
from queue_server.store.database import Database
from queue_server.store.lookup import ticket_event_records
from queue_server.store.repository import load_ticket
from queue_server.store.seed import create_centre
from tests.api_support import MONDAY_MORNING, Api, counts, hall_service
from tests.terms_support import terms_centre

FINISH = "/centres/test/windows/{window}/finish"


@pytest.fixture
async def api(db: Database, aiohttp_client: AiohttpClient) -> Api:
    async with db.write() as conn:
        await create_centre(conn, terms_centre(), MONDAY_MORNING)
        tokens = {
            name: await add_token(conn, label=name, role=role, centres=["test"], subject=subject)
            for name, role, subject in (
                ("s1", Role.STAFF, "s1"),
                ("s2", Role.STAFF, "s2"),
                ("kiosk", Role.KIOSK, "k1"),
                ("manager", Role.MANAGER, "manager"),
            )
        }
    return Api(await aiohttp_client(create_app(hall_service(db))), tokens)


async def at_window(api: Api, staff: str = "s1", window: int = 1) -> dict[str, Any]:
    await api.sign_on((staff, window))
    ticket = await api.issue()
    await api.act(f"/centres/test/windows/{window}/call-next", staff)
    return ticket


async def test_a_case_with_materials_to_follow_is_stored_and_read_back(api: Api) -> None:
    ticket = await at_window(api)
    done = await api.act(
        FINISH.format(window=1), "s1", outcome="deferred", terms={"to_follow": ["户口簿"], "by": "2026-12-04"}
    )
    assert (done["ticket"]["outcome"], done["ticket"]["outcome_name"]) == ("deferred", "容缺受理")
    read = (await api.get(f"/centres/test/tickets/{ticket['serial']}", "manager")).body
    assert read["terms"] == {
        "commitment": "",
        "to_follow": ["户口簿"],
        "by": "2026-12-04",
        "lead_department": "",
        "level": None,
        "level_name": None,
        "days": None,
    }


async def test_a_case_on_commitment_takes_the_policys_date_when_none_is_given(api: Api) -> None:
    await at_window(api)
    done = await api.act(FINISH.format(window=1), "s1", outcome="commitment", terms={"commitment": "本人承诺属实"})
    assert done["ticket"]["terms"]["commitment"] == "本人承诺属实"
    assert done["ticket"]["terms"]["by"] == "2026-12-28", "the policy's twenty working days"


async def test_joint_and_reported_cases_keep_their_department_level_and_due_date(api: Api) -> None:
    await at_window(api)
    joint = await api.act(
        FINISH.format(window=1), "s1", outcome="joint", terms={"lead_department": "区民政局", "days": 3}
    )
    assert (joint["ticket"]["terms"]["lead_department"], joint["ticket"]["due_date"]) == ("区民政局", "2026-12-03")
    await api.issue()
    await api.act("/centres/test/windows/1/call-next", "s1")
    reported = await api.act(FINISH.format(window=1), "s1", outcome="reported", terms={"level": "city", "days": 10})
    assert (reported["ticket"]["terms"]["level_name"], reported["ticket"]["due_date"]) == ("市", "2026-12-14")


async def test_an_older_clients_joint_finish_without_terms_still_works(api: Api) -> None:
    await at_window(api)
    done = await api.act(FINISH.format(window=1), "s1", outcome="joint")
    assert (done["ticket"]["terms"], done["ticket"]["assistance"]) == (None, None)


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"outcome": "deferred", "terms": {"to_follow": ["居民身份证"]}}, "material_not_deferrable", None),
        (
            {"outcome": "deferred", "terms": {"to_follow": ["户口簿"], "by": "2027-03-01"}},
            "terms_date_out_of_policy",
            None,
        ),
        ({"outcome": "commitment"}, "commitment_missing", None),
        ({"outcome": "joint", "terms": {"days": 3}}, "lead_department_missing", None),
        ({"outcome": "reported", "terms": {"level": "county", "days": 3}}, None, "terms.level"),
        ({"outcome": "joint", "terms": {"lead_department": "区民政局", "days": 0}}, None, "terms.days"),
        ({"outcome": "commitment", "terms": {"commitment": "很" * 501}}, None, "terms.commitment"),
    ],
)
async def test_bad_terms_are_refused_and_the_ticket_stays_at_the_window(
    api: Api, db: Database, body: dict[str, Any], code: str | None, field: str | None
) -> None:
    ticket = await at_window(api)
    before = await counts(db)
    reply = await api.post(FINISH.format(window=1), "s1", {"request_id": "r-" + str(len(str(body))), **body})
    assert reply.status in (409, 422), reply.body
    if code is not None:
        assert reply.body["code"] == code, reply.body
        assert reply.body["message"] and reply.body["message_en"]
    if field is not None:
        assert any(error["field"].startswith(field) for error in reply.body["errors"]), reply.body
    after = await counts(db)
    assert {k: v for k, v in after.items() if k != "requests"} == {k: v for k, v in before.items() if k != "requests"}
    still = (await api.get(f"/centres/test/tickets/{ticket['serial']}", "manager")).body
    assert still["status"] == "called"


async def test_the_assisted_window_records_whom_it_helped_and_the_status_page_leaves_it_out(api: Api) -> None:
    ticket = await at_window(api, "s2", 4)
    done = await api.act(
        FINISH.format(window=4),
        "s2",
        outcome="on_the_spot",
        assisted={"helped": "张大爷（行动不便）", "matter": "medical", "consent": True},
    )
    assert done["ticket"]["assistance"] == {
        "helper": "s2",
        "helped": "张大爷（行动不便）",
        "matter": "medical",
        "matter_name": "医疗费用报销",
    }
    public = await api.get(f"/status/{ticket['status_token']}")
    assert public.status == 200 and public.body["ticket"]["outcome"] == "on_the_spot"
    assert "assistance" not in public.body["ticket"] and "张大爷" not in str(public.body)


async def test_an_assistance_record_without_consent_or_with_an_id_number_is_refused(api: Api) -> None:
    await at_window(api, "s2", 4)
    for helped, consent, code in (
        ("张大爷", False, "assistance_consent_missing"),
        ("张 13812345678", True, "assisted_person_identifies"),
    ):
        reply = await api.post(
            FINISH.format(window=4),
            "s2",
            {
                "request_id": f"a-{code}",
                "outcome": "on_the_spot",
                "assisted": {"helped": helped, "matter": "pension", "consent": consent},
            },
        )
        assert (reply.status, reply.body["code"]) == (409, code), reply.body


async def test_the_report_counts_commitments_materials_to_follow_and_assistance_apart(api: Api) -> None:
    await at_window(api)
    await api.act(FINISH.format(window=1), "s1", outcome="commitment", terms={"commitment": "本人承诺属实"})
    await api.issue()
    await api.act("/centres/test/windows/1/call-next", "s1")
    await api.act(FINISH.format(window=1), "s1", outcome="deferred", terms={"to_follow": ["户口簿"]})
    await at_window(api, "s2", 4)
    await api.act(
        FINISH.format(window=4),
        "s2",
        outcome="on_the_spot",
        assisted={"helped": "一位行动不便的老人", "matter": "pension", "consent": True},
    )
    reply = await api.get("/centres/test/reports?by=centre&date=2026-11-30", "manager")
    assert reply.status == 200, reply.body
    (whole,) = reply.body["rows"]
    assert (whole["served"], whole["concluded"], whole["accepted"]) == (3, 1, 0)
    assert (whole["committed"], whole["deferred"], whole["assisted"]) == (1, 1, 1)
    windows = await api.get("/centres/test/reports?by=window&date=2026-11-30", "manager")
    assert {row["key"]: row["assisted"] for row in windows.body["rows"]} == {"1": 0, "4": 1}
    async with api.client.get(
        "/api/v1/centres/test/reports?by=centre&date=2026-11-30&format=csv",
        headers={"Authorization": f"Bearer {api.tokens['manager']}"},
    ) as answer:
        text = (await answer.read()).decode("utf-8-sig")
    header, row = text.splitlines()[:2]
    columns = dict(zip(header.split(","), row.split(","), strict=False))
    assert (columns["告知承诺数"], columns["容缺受理数"], columns["帮办代办数"], columns["办结数"]) == (
        "1",
        "1",
        "1",
        "1",
    )
    assert "老人" not in text, "whom the window helped stays out of the report"


async def test_whom_the_window_helped_is_forgotten_after_the_centres_days_and_the_record_stays(
    db: Database,
) -> None:
    clock = ManualClock(MONDAY_MORNING)
    async with db.write() as conn:
        await create_centre(conn, terms_centre(policy={"assisted_days": 30}), MONDAY_MORNING)
    service = HallService(db, clock, public_base_url="http://hall.example")
    for n, command in enumerate(
        [
            SignOn(window=4, staff="s2"),
            IssueTicket(matter="pension"),
            CallNext(window=4),
            Finish(
                window=4,
                outcome=Outcome.ON_THE_SPOT,
                assisted=FinishAssisted(helped="张大爷", matter="pension", consent=True),
            ),
        ]
    ):
        assert (await service.act("test", command, actor="staff:s2", request_id=f"f-{n}")).ok
    clock.advance(minutes=60 * 24 * 29)
    assert await service.forget_assisted(["test"]) == 0, "29 days on, the record is whole"
    clock.advance(minutes=60 * 24 * 2)
    assert await service.forget_assisted(["test"]) == 1
    assert await service.forget_assisted(["test"]) == 0, "forgotten once"
    async with db.read() as conn:
        stored = await load_ticket(conn, "test", 1)
        records = await ticket_event_records(conn, "test", 1)
    assert stored is not None and stored.assistance == Assistance(helper="s2", helped="", matter="pension")
    assert replay(event_from_record({k: v for k, v in r.items() if k != "seq"}) for r in records) == stored
    assert "张大爷" not in str(records)
