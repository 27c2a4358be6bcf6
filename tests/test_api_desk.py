"""The desk's API: today's ticket by its printed number, and a reprint after a print failed or ended
unknown — over real HTTP on a running site, SQLite and PostgreSQL, with the desk's session."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select

from queue_server.store import schema
from queue_server.store.database import Database
from queue_server.store.printing import record_result
from queue_server.web.openapi import document
from queue_server.web.route_table import all_routes
from tests.pages_support import Site, api_headers, http_login, running_site
from tests.test_openapi import conforms

pytestmark = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture
async def site(db: Database) -> AsyncIterator[Site]:
    async with running_site(db, signed_on=((1, "s1"), (3, "s3"))) as running:
        yield running


class Desk:
    """One logged-in browser session (or a bearer token) talking to the site's API."""

    def __init__(self, site: Site, http: aiohttp.ClientSession, headers: dict[str, str]) -> None:
        self.site, self.http, self.headers = site, http, headers

    async def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any, bool]:
        url = f"{self.site.url}/api/v1/centres/test{path}"
        async with self.http.request(method, url, json=body, headers=self.headers) as answer:
            replayed = answer.headers.get("Idempotent-Replay") == "true"
            return answer.status, await answer.json(content_type=None), replayed


@pytest.fixture
async def guide(site: Site) -> AsyncIterator[Desk]:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        yield Desk(site, http, api_headers(await http_login(http, site, "guide")))


async def kiosk_ticket(site: Site, request_id: str, matter: str = "pension") -> dict[str, Any]:
    async with aiohttp.ClientSession() as http:
        kiosk = Desk(site, http, {"Authorization": f"Bearer {site.kiosk_token}"})
        status, body, _ = await kiosk.call("POST", "/tickets", {"matter": matter, "request_id": request_id})
    assert status == 201, body
    return body["ticket"]  # type: ignore[no-any-return]


async def ended(site: Site, job_id: str, status: str, reason: str = "") -> None:
    async with site.db.write() as conn:
        assert await record_result(conn, "test", "printer-1", job_id, status, reason, site.service.clock.now())


async def jobs_of(desk: Desk, serial: int) -> list[dict[str, Any]]:
    status, body, _ = await desk.call("GET", f"/tickets/{serial}/prints")
    assert status == 200, body
    return body["jobs"]  # type: ignore[no-any-return]


async def printer_messages(site: Site) -> int:
    o = schema.outbox.c
    async with site.db.read() as conn:
        return int(await conn.scalar(select(func.count()).where(o.subject.like("printer/%"))) or 0)


async def test_a_ticket_is_found_by_its_number_today_and_by_its_serial(site: Site, guide: Desk) -> None:
    first = await kiosk_ticket(site, "k-1")
    second = await kiosk_ticket(site, "k-2", "id_card")
    status, found, _ = await guide.call("GET", f"/tickets/by-number/{second['number']}")
    assert status == 200, found
    assert (found["serial"], found["number"], found["matter"]) == (second["serial"], "B001", "id_card")
    assert found["position"]["people_ahead"] == 0
    status, found, _ = await guide.call("GET", f"/tickets/by-number/{first['number'].lower()}")
    assert (status, found["serial"]) == (200, first["serial"])
    status, by_serial, _ = await guide.call("GET", f"/tickets/{first['serial']}")
    assert (status, by_serial["number"]) == (200, first["number"])

    for unknown in ("A999", "ZZZ"):
        status, problem, _ = await guide.call("GET", f"/tickets/by-number/{unknown}")
        assert status == 404, problem
        assert problem["type"] == "urn:onewindow:problem:not-found"
        assert unknown in problem["detail"]


async def test_a_print_that_ended_unknown_is_reprinted_once_per_request_id(site: Site, guide: Desk) -> None:
    ticket = await kiosk_ticket(site, "k-1")
    (job,) = await jobs_of(guide, ticket["serial"])
    await ended(site, job["job_id"], "unknown", "the printer client stopped while printing")
    before = await printer_messages(site)

    body = {"request_id": "reprint-1"}
    status, answer, replayed = await guide.call("POST", f"/tickets/{ticket['serial']}/reprint", body)
    assert (status, replayed) == (201, False), answer
    assert answer["replaces"] == job["job_id"] and answer["printer"] == "printer-1"
    assert answer["reprinted_by"] == "guide:guide" and answer["number"] == ticket["number"]
    again = await guide.call("POST", f"/tickets/{ticket['serial']}/reprint", body)
    assert again == (201, answer, True), "a repeat of the request id answers the same and prints nothing more"

    old, new = await jobs_of(guide, ticket["serial"])
    assert (old["status"], new["status"]) == ("unknown", "queued")
    assert (new["job_id"], new["printer"], new["kind"]) == (answer["job_id"], "printer-1", "ticket")
    assert (new["rerouted_from"], new["reprinted_by"]) == (job["job_id"], "guide:guide")
    assert await printer_messages(site) == before + 1, "one job message, through the outbox"
    async with site.db.read() as conn:
        p = schema.print_jobs.c
        payloads = (await conn.execute(select(p.job_id, p.payload).where(p.serial == ticket["serial"]))).all()
    sent = {row.job_id: row.payload for row in payloads}
    assert sent[new["job_id"]] == {**sent[job["job_id"]], "job_id": new["job_id"]}, "the same ticket as printed"


async def test_a_reprint_is_refused_while_the_last_job_is_queued_or_printed(site: Site, guide: Desk) -> None:
    ticket = await kiosk_ticket(site, "k-1")
    (job,) = await jobs_of(guide, ticket["serial"])
    path = f"/tickets/{ticket['serial']}/reprint"
    status, problem, _ = await guide.call("POST", path, {"request_id": "r-queued"})
    assert status == 409, problem
    assert problem["type"] == "urn:onewindow:problem:invalid-transition"
    assert "still being printed" in problem["detail"]

    await ended(site, job["job_id"], "done")
    status, problem, _ = await guide.call("POST", path, {"request_id": "r-done"})
    assert status == 409 and "it printed" in problem["detail"], problem
    assert len(await jobs_of(guide, ticket["serial"])) == 1

    status, desk_ticket, _ = await guide.call("POST", "/tickets", {"matter": "pension", "request_id": "desk-1"})
    assert status == 201, desk_ticket
    status, problem, _ = await guide.call(
        "POST", f"/tickets/{desk_ticket['ticket']['serial']}/reprint", {"request_id": "r-d"}
    )
    assert status == 409 and "no print job" in problem["detail"], problem
    status, problem, _ = await guide.call("POST", "/tickets/999/reprint", {"request_id": "r-none"})
    assert status == 404, problem


async def test_a_failed_print_is_reprinted_on_the_printer_named(site: Site, guide: Desk) -> None:
    ticket = await kiosk_ticket(site, "k-1")
    (job,) = await jobs_of(guide, ticket["serial"])
    await ended(site, job["job_id"], "failed", "paper jam")
    path = f"/tickets/{ticket['serial']}/reprint"
    status, problem, _ = await guide.call("POST", path, {"request_id": "r-bad", "printer": "board-1"})
    assert status == 422, problem
    assert problem["errors"][0]["field"] == "printer" and "printer-w1" in problem["errors"][0]["message"]
    assert len(await jobs_of(guide, ticket["serial"])) == 1, "nothing half-done"

    status, answer, _ = await guide.call("POST", path, {"request_id": "r-w1", "printer": "printer-w1"})
    assert status == 201, answer
    _, new = await jobs_of(guide, ticket["serial"])
    assert (new["printer"], new["rerouted_from"]) == ("printer-w1", job["job_id"])


async def test_only_the_desk_and_management_reprint(site: Site) -> None:
    ticket = await kiosk_ticket(site, "k-1")
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        staff = Desk(site, http, api_headers(await http_login(http, site, "staff1")))
        status, problem, _ = await staff.call("POST", f"/tickets/{ticket['serial']}/reprint", {"request_id": "s"})
        assert status == 403, problem
    async with aiohttp.ClientSession() as http:
        kiosk = Desk(site, http, {"Authorization": f"Bearer {site.kiosk_token}"})
        status, problem, _ = await kiosk.call("POST", f"/tickets/{ticket['serial']}/reprint", {"request_id": "k"})
        assert status == 403, problem
        status, problem, _ = await kiosk.call("GET", f"/tickets/by-number/{ticket['number']}")
        assert status == 403, problem
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        manager = Desk(site, http, api_headers(await http_login(http, site, "manager")))
        await ended(site, f"{ticket['serial']}-ticket-1", "unknown")
        status, answer, _ = await manager.call("POST", f"/tickets/{ticket['serial']}/reprint", {"request_id": "m"})
        assert status == 201 and answer["reprinted_by"] == "manager:manager", answer


async def test_the_answers_match_the_openapi_document(site: Site, guide: Desk) -> None:
    spec = document(list(all_routes()))
    ticket = await kiosk_ticket(site, "k-1")
    status, found, _ = await guide.call("GET", f"/tickets/by-number/{ticket['number']}")
    assert status == 200
    conforms(spec, "TicketView", found)
    await ended(site, f"{ticket['serial']}-ticket-1", "unknown")
    status, answer, _ = await guide.call("POST", f"/tickets/{ticket['serial']}/reprint", {"request_id": "r"})
    assert status == 201
    conforms(spec, "ReprintAnswer", answer)
    status, prints, _ = await guide.call("GET", f"/tickets/{ticket['serial']}/prints")
    conforms(spec, "TicketPrints", prints)
    status, problem, _ = await guide.call("GET", "/tickets/by-number/A777")
    conforms(spec, "Problem", problem)
    operation = spec["paths"]["/api/v1/centres/{centre}/tickets/by-number/{ticket_number}"]["get"]
    assert {"404", "403"} <= set(operation["responses"])
