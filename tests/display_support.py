"""The display client in a test, as `onewindow display` runs it, for the browser tests of its pages."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from display_client.command import DisplaySettings, run
from tests.brokers import Mosquitto


@contextlib.asynccontextmanager
async def display(broker: Mosquitto, *, window: int | None = None, server_url: str | None = None) -> AsyncIterator[str]:
    """The hall board (or ``window``'s display) on ``broker``; yields its page's address."""
    device = "board-1" if window is None else f"display-{window}"
    settings = DisplaySettings(
        centre="test", device_id=device, mqtt_url=broker.url, window=window, port=0, voice=False, server_url=server_url
    )
    stop = asyncio.Event()
    address: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(run(settings, stop, ready=address.set_result))
    try:
        await asyncio.wait_for(asyncio.shield(address), 20)
        yield address.result()
    finally:
        stop.set()
        await asyncio.wait_for(task, 20)
