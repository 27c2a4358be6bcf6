"""A village station is a centre of its own beside the others: the sample file loads into the
city's database, and a ticket taken at its button kiosk is numbered there."""

from __future__ import annotations

from pathlib import Path

from queue_server.app.commands import IssueTicket, SignOn
from queue_server.app.service import HallService
from queue_server.cli.initialise import load_centre_into
from queue_server.config.centre_file import load_centre, load_demo_centre
from queue_server.domain.clock import ManualClock
from queue_server.domain.devices import DeviceKind
from queue_server.store.database import Database
from queue_server.store.lookup import list_centres
from tests.factories import shanghai

VILLAGE = Path(__file__).resolve().parent.parent / "docs" / "examples" / "village-station.toml"


async def test_the_village_station_sample_is_a_small_centre_beside_the_demo(db: Database) -> None:
    village = load_centre(VILLAGE)
    assert len(village.windows) <= 2
    assert any(d.kind is DeviceKind.KIOSK for d in village.devices), "a village station takes tickets at a kiosk"
    assert any(m.promised_days for m in village.matters), "it accepts cases decided elsewhere"
    for centre in (load_demo_centre(), village):
        assert (await load_centre_into(db, centre, apply=False, say=lambda _: None)).created
    async with db.read() as conn:
        assert [row.code for row in await list_centres(conn)] == ["demo", "qiaotou"]

    service = HallService(db, ManualClock(shanghai(2026, 11, 30, 9, 0)))  # a Monday morning
    await service.act("qiaotou", SignOn(window=1, staff="qt1"), actor="staff:qt1", request_id="on")
    for centre, matter in (("qiaotou", "pension_certification"), ("qiaotou", "low_income_application")):
        answer = await service.act(centre, IssueTicket(matter=matter), actor="kiosk:kiosk-1", request_id=matter)
        assert answer.ok, answer.body
    assert [t.number for t in (await service.hall("qiaotou")).tickets()] == ["A001", "A002"]
    assert not list((await service.hall("demo")).tickets()), "the other centre's numbering is its own"
