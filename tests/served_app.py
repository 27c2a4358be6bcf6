"""The API app served over real HTTP from an event loop in a thread of its own, for hypothesis tests.

hypothesis runs each example as a plain function call, and schemathesis speaks plain HTTP
(requests); the server under test lives on its own loop for the whole test, and each example
hands it work with :meth:`LoopThread.run` or sends it requests at :attr:`ServedApp.base_url`.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

from aiohttp import web

from queue_server.app.commands import IssueTicket, SignOn
from queue_server.app.service import HallService
from queue_server.assembly import create_app
from queue_server.store.database import Database
from queue_server.store.migrate import upgrade
from tests.api_support import hall_service, rid, seed

T = TypeVar("T")

RUN_TIMEOUT_S = 60.0
"""How long one piece of work may take before the test fails saying so (not a timing assertion)."""


class LoopThread:
    """A running event loop in a daemon thread; stop it with :meth:`close`."""

    def __init__(self, name: str) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name=name, daemon=True)
        self.thread.start()

    def run(self, work: Coroutine[Any, Any, T], timeout: float = RUN_TIMEOUT_S) -> T:
        """Run ``work`` on the loop and wait for its result here."""
        future: Future[T] = asyncio.run_coroutine_threadsafe(work, self.loop)
        try:
            return future.result(timeout)
        except TimeoutError:
            future.cancel()
            raise AssertionError(f"work on the test's event loop took more than {timeout} s") from None

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


class ServedApp:
    """The API app over a seeded SQLite hall, served over HTTP from its own event loop in a thread.

    schemathesis speaks plain HTTP (requests), so the app listens on a port the system gives it when
    it binds (a port found free beforehand may be taken by another suite on the machine before the
    bind); its loop runs in a thread so the hypothesis tests can stay synchronous.
    """

    def __init__(self, folder: Path) -> None:
        self.url = f"sqlite:///{folder / 'fuzz.db'}"
        self.port = 0
        self.base_url = ""
        """``http://127.0.0.1:PORT`` once started."""
        self.tokens: dict[str, str] = {}
        self.db: Database | None = None
        self.service: HallService | None = None
        self.runner: web.AppRunner | None = None
        self.thread = LoopThread("fuzzed-app")

    def __enter__(self) -> ServedApp:
        try:
            self.thread.run(self._start())
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *_: object) -> None:
        self.thread.run(self._stop())
        self.thread.close()

    async def _start(self) -> None:
        self.db = Database(self.url)
        await self.db.__aenter__()
        await upgrade(self.db)
        self.tokens = await seed(self.db)
        self.service = service = hall_service(self.db)
        for window, staff in ((1, "s1"), (2, "s2"), (3, "s3")):
            command = SignOn(window=window, staff=staff)
            answer = await service.act("test", command, actor=f"staff:{staff}", request_id=rid())
            assert answer.ok, answer.body
        for matter in ("pension", "pension", "medical", "id_card"):
            answer = await service.act("test", IssueTicket(matter=matter), actor="kiosk:kiosk1", request_id=rid())
            assert answer.ok, answer.body
        self.runner = web.AppRunner(create_app(service))
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", 0).start()
        self.port = self.runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{self.port}"

    async def _stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
        if self.service is not None:  # its wait-range round may be reading the database: ended before it closes
            await self.service.aclose()
        if self.db is not None:
            await self.db.__aexit__(None, None, None)
