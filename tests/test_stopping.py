"""Tasks that swallow a cancellation are still stopped, and nothing they raised is lost or logged."""

from __future__ import annotations

import asyncio
import contextlib

import aiomqtt
import pytest

from device_client.stopping import stop_tasks
from queue_server.protocol.broker import Client


async def test_a_task_that_swallows_its_cancellation_is_cancelled_again() -> None:
    """The shape of Python 3.11's ``wait_for`` race: the first cancel is lost, the loop goes on."""
    swallowed = 0

    async def stubborn() -> None:
        nonlocal swallowed
        while True:
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                if swallowed == 2:
                    raise
                swallowed += 1

    task = asyncio.create_task(stubborn())
    await asyncio.sleep(0)
    async with asyncio.timeout(10):
        await stop_tasks([task], nudge=0.01)
    assert task.cancelled() and swallowed == 2


async def test_ended_and_failed_tasks_are_left_as_they_ended() -> None:
    async def fails() -> None:
        raise ValueError("broken")

    async def returns() -> int:
        return 1

    failed, returned = asyncio.create_task(fails()), asyncio.create_task(returns())
    await asyncio.sleep(0)
    await stop_tasks(task for task in (failed, returned))
    assert isinstance(failed.exception(), ValueError) and returned.result() == 1


async def test_the_callers_own_cancellation_still_propagates() -> None:
    async def sleeper() -> None:
        await asyncio.sleep(3600)

    inner = asyncio.create_task(sleeper())
    outer = asyncio.create_task(stop_tasks([inner]))
    await asyncio.sleep(0)
    outer.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await outer
    assert outer.cancelled()
    await stop_tasks([inner])


async def test_a_client_wait_cancelled_as_its_future_completes_is_cancelled() -> None:
    """The instant Python 3.11's wait_for loses: the awaited future done and the task cancelled together."""
    client = Client("127.0.0.1", 1)  # never connected: only its wait is used
    done: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    waiting = asyncio.create_task(client._wait_for(done, None))
    await asyncio.sleep(0)
    done.set_result(1)
    waiting.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await waiting
    assert waiting.cancelled(), "the cancellation was kept"


async def test_a_client_wait_that_runs_out_is_an_mqtt_error() -> None:
    client = Client("127.0.0.1", 1)
    never: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    with pytest.raises(aiomqtt.MqttError, match="timed out"):
        await client._wait_for(never, 0.01)
