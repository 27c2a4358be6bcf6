"""The engine driven through the HTTP API by a hypothesis state machine: every action from several
windows and roles, in random order, and after each step the stored hall is consistent.

Each example starts a fresh SQLite hall (windows 1-3 signed on, four tickets waiting) served over
real HTTP in this process, its clock at a Monday morning. The rules are the counter's and the
citizen's actions: issue, call next, call out of order, recall, no-show, start, transfer, pause and
resume, finish with every outcome, sign on and off, requeue, cancel, rate through the ticket's status
page. Each is sent with a staff member's or the manager's token, at any window, so many are refused;
every answer must be a success or a problem, never a 5xx. The invariants read the database after
every step: at most one ticket at each window, each ticket in exactly one known state and placed
as that state says, numbers unique per day, and every ticket's and window's event log replaying to
the stored row (as load_hall trusts them to).

``ONEWINDOW_FUZZ_EXAMPLES`` raises the number of examples (default 30, of up to 25 steps each).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import requests
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from sqlalchemy import select

from queue_server.domain.events import replay
from queue_server.domain.tickets import CancelReason, Outcome, TicketStatus
from queue_server.domain.windows import PauseReason, replay_window
from queue_server.store import schema
from queue_server.store.repository import ticket_from_row, ticket_log, window_from_row, window_log
from tests.api_support import PROBLEM_JSON, rid
from tests.factories import make_centre
from tests.served_app import ServedApp

EXAMPLES = int(os.environ.get("ONEWINDOW_FUZZ_EXAMPLES", "30"))
CENTRE = make_centre()
WINDOWS = st.sampled_from([w.number for w in CENTRE.windows])
ACTORS = st.sampled_from(["s1", "s2", "s3", "manager"])
STAFF = st.sampled_from([s.code for s in CENTRE.staff])
MATTERS = st.sampled_from([m.code for m in CENTRE.matters])
PICK = st.integers(0, 1000)
API = "/api/v1/centres/test"
ANSWERS: Counter[int] = Counter()
"""Every answer's status over the run, printed at the end (``-s``) for a soak run's counts."""


class EngineThroughTheApi(RuleBasedStateMachine):
    """Every action over HTTP; the database checked after each."""

    served: ServedApp
    http: requests.Session

    @initialize()
    def open_hall(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="engine-machine-"))
        self.served = ServedApp(self.folder).__enter__()
        self.http = requests.Session()
        self.status_tokens: dict[int, str] = {}

    def teardown(self) -> None:
        if hasattr(self, "served"):
            self.http.close()
            self.served.__exit__()
            shutil.rmtree(self.folder, ignore_errors=True)

    # --- Sending --------------------------------------------------------------------------------

    def post(self, path: str, who: str | None, **body: Any) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self.served.tokens[who]}"} if who else {}
        url = self.served.base_url + (path if path.startswith("/api/") else API + path)
        response = self.http.post(url, json={"request_id": rid(), **body}, headers=headers, timeout=60)
        ANSWERS[response.status_code] += 1
        where = f"POST {path} as {who}: {response.status_code} {response.text[:300]}"
        assert response.status_code < 500, where
        answer: dict[str, Any] = response.json()
        if response.status_code >= 400:
            assert response.headers["Content-Type"].split(";")[0] == PROBLEM_JSON, where
        elif isinstance(answer.get("ticket"), dict) and "status_token" in answer["ticket"]:
            self.status_tokens[answer["ticket"]["serial"]] = answer["ticket"]["status_token"]
        return answer

    def get(self, path: str) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self.served.tokens['manager']}"}
        response = self.http.get(self.served.base_url + API + path, headers=headers, timeout=60)
        assert response.status_code == 200, (path, response.status_code, response.text[:300])
        answer: dict[str, Any] = response.json()
        return answer

    def serial(self, index: int) -> int:
        """A ticket that exists most of the time; now and then one that does not."""
        rows = self.rows(schema.tickets)
        serials = sorted(row.serial for row in rows)
        return serials[index % len(serials)] if serials and index % 10 else index % 50 + 1

    def rows(self, table: Any) -> list[Any]:
        async def read() -> list[Any]:
            assert self.served.db is not None
            async with self.served.db.read() as conn:
                return list((await conn.execute(select(table).where(table.c.centre == "test"))).all())

        return self.served.thread.run(read())

    # --- The actions ----------------------------------------------------------------------------

    @rule(matter=MATTERS, who=st.sampled_from(["kiosk", "kiosk", "guide"]))
    def issue(self, matter: str, who: str) -> None:
        self.post("/tickets", who, matter=matter)

    @rule(window=WINDOWS, who=ACTORS)
    def call_next(self, window: int, who: str) -> None:
        self.post(f"/windows/{window}/call-next", who)

    @rule(window=WINDOWS, who=ACTORS, index=PICK)
    def call_out_of_order(self, window: int, who: str, index: int) -> None:
        self.post(f"/windows/{window}/call", who, serial=self.serial(index), reason="预约")

    @rule(window=WINDOWS, who=ACTORS, segment=st.sampled_from(["recall", "no-show", "start", "resume", "close"]))
    def window_action(self, window: int, who: str, segment: str) -> None:
        self.post(f"/windows/{window}/{segment}", who)

    @rule(window=WINDOWS, who=ACTORS, matter=st.none() | MATTERS, to_window=st.none() | WINDOWS)
    def transfer(self, window: int, who: str, matter: str | None, to_window: int | None) -> None:
        self.post(f"/windows/{window}/transfer", who, to_matter=matter, to_window=to_window)

    @rule(window=WINDOWS, who=ACTORS, reason=st.sampled_from(PauseReason), minutes=st.none() | st.integers(1, 60))
    def pause(self, window: int, who: str, reason: PauseReason, minutes: int | None) -> None:
        self.post(f"/windows/{window}/pause", who, reason=reason.value, minutes=minutes)

    @rule(window=WINDOWS, who=ACTORS, outcome=st.sampled_from(Outcome), with_reason=st.booleans())
    def finish(self, window: int, who: str, outcome: Outcome, with_reason: bool) -> None:
        reasons = list(CENTRE.policy.rejection_reasons[:1]) if with_reason else []
        self.post(f"/windows/{window}/finish", who, outcome=outcome.value, reasons=reasons, promised_days=3)

    @rule(window=WINDOWS, who=ACTORS)
    def serve_and_finish(self, window: int, who: str) -> None:
        """The common case, so that sequences keep the queue moving."""
        self.post(f"/windows/{window}/call-next", who)
        self.post(f"/windows/{window}/start", who)
        self.post(f"/windows/{window}/finish", who, outcome=Outcome.ON_THE_SPOT.value)

    @rule(window=WINDOWS, who=ACTORS, staff=STAFF, on=st.booleans())
    def sign(self, window: int, who: str, staff: str, on: bool) -> None:
        self.post(f"/windows/{window}/sign-{'on' if on else 'off'}", who, staff=staff)

    @rule(index=PICK, who=ACTORS | st.just("guide"))
    def requeue(self, index: int, who: str) -> None:
        self.post(f"/tickets/{self.serial(index)}/requeue", who)

    @rule(index=PICK, who=ACTORS | st.just("guide"), reason=st.sampled_from(CancelReason))
    def cancel(self, index: int, who: str, reason: CancelReason) -> None:
        self.post(f"/tickets/{self.serial(index)}/cancel", who, reason=reason.value)

    @rule(index=PICK, level=st.integers(1, 5))
    def rate(self, index: int, level: int) -> None:
        """The citizen rates through the ticket's status page (a public route, no token)."""
        token = self.status_tokens.get(self.serial(index))
        if token is not None:
            self.post(f"/api/v1/status/{token}/rating", None, level=level)

    # --- The invariants ---------------------------------------------------------------------------

    @invariant()
    def at_most_one_ticket_per_window(self) -> None:
        at_windows = [row.window for row in self.rows(schema.tickets) if TicketStatus(row.status).at_window]
        assert len(at_windows) == len(set(at_windows)), f"a window holds two tickets: {at_windows}"

    @invariant()
    def each_ticket_in_exactly_one_state(self) -> None:
        for row in self.rows(schema.tickets):
            status = TicketStatus(row.status)  # one of the known states, or this raises
            if status.at_window:
                assert row.window is not None, f"ticket {row.serial} is {status} at no window"
        # What the API shows agrees: a ticket waits in the queue or is held by a window, never both.
        waiting = {t["serial"] for t in self.get("/queue")["waiting"]}
        held = [w["ticket"]["serial"] for w in self.get("/windows")["windows"] if w["ticket"]]
        stored = {row.serial: TicketStatus(row.status) for row in self.rows(schema.tickets)}
        assert len(held) == len(set(held)), f"a ticket held by two windows: {held}"
        assert not waiting & set(held), f"tickets both waiting and at a window: {waiting & set(held)}"
        assert waiting == {serial for serial, status in stored.items() if status is TicketStatus.WAITING}
        assert set(held) == {serial for serial, status in stored.items() if status.at_window}

    @invariant()
    def numbers_unique_per_day_and_prefix(self) -> None:
        numbers = [(row.service_day, row.number) for row in self.rows(schema.tickets)]
        assert len(numbers) == len(set(numbers)), "two tickets share a number on one day"

    @invariant()
    def logs_replay_to_the_stored_state(self) -> None:
        async def check() -> None:
            assert self.served.db is not None
            async with self.served.db.read() as conn:
                t, w = schema.tickets.c, schema.windows.c
                for row in (await conn.execute(select(schema.tickets).where(t.centre == "test"))).all():
                    assert replay(await ticket_log(conn, "test", row.serial)) == ticket_from_row(row), row.serial
                for row in (await conn.execute(select(schema.windows).where(w.centre == "test"))).all():
                    log = await window_log(conn, "test", row.number)
                    assert replay_window(row.number, log) == window_from_row(row), row.number

        self.served.thread.run(check())


EngineThroughTheApi.TestCase.settings = settings(
    max_examples=EXAMPLES,
    stateful_step_count=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


class TestEngineThroughTheApi(EngineThroughTheApi.TestCase):  # type: ignore[misc,valid-type]
    @classmethod
    def tearDownClass(cls) -> None:
        print(f"engine state machine, answers by status: {dict(sorted(ANSWERS.items()))}")
