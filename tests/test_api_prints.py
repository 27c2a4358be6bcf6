"""GET .../tickets/{serial}/prints: a kiosk's ticket's print job, how it ended, and its printer's state."""

from __future__ import annotations

import aiohttp
import pytest

from queue_server.protocol.payloads import PrinterStatus
from queue_server.store.database import Database
from queue_server.store.printing import record_result
from tests.pages_support import running_site

pytestmark = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)


async def test_a_kiosk_reads_how_its_ticket_printed(db: Database) -> None:
    async with running_site(db, signed_on=((1, "s1"),)) as site, aiohttp.ClientSession() as http:
        headers = {"Authorization": f"Bearer {site.kiosk_token}"}
        body = {"matter": "pension", "request_id": "p-1"}
        async with http.post(f"{site.url}/api/v1/centres/test/tickets", json=body, headers=headers) as answer:
            serial = (await answer.json())["ticket"]["serial"]
        url = f"{site.url}/api/v1/centres/test/tickets/{serial}/prints"
        async with http.get(url, headers=headers) as answer:
            (job,) = (await answer.json())["jobs"]
        assert (job["printer"], job["kind"], job["status"], job["printer_state"]) == (
            "printer-1",
            "ticket",
            "queued",
            None,
        )

        site.service.printer_state("test", "printer-1", PrinterStatus.PAPER_OUT)
        async with site.db.write() as conn:
            await record_result(
                conn, "test", "printer-1", job["job_id"], "failed", "paper out", site.service.clock.now()
            )
        async with http.get(url, headers=headers) as answer:
            (job,) = (await answer.json())["jobs"]
        assert (job["status"], job["reason"], job["printer_state"]) == ("failed", "paper out", "paper_out")

        async with http.get(f"{site.url}/api/v1/centres/test/tickets/999/prints", headers=headers) as answer:
            assert answer.status == 404
