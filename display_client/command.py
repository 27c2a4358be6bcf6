"""What ``onewindow display`` does, apart from parsing flags: the bus, the page, the voice, the LED.

One :class:`DisplayClient` keeps the board; each change is pushed to the open pages and drawn as an
LED frame (window mode with ``--led``); each new call is queued for the announcer. Nothing here
blocks the event loop: speech runs in a subprocess, frames are small.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from device_client import TwinError, stop_on_signals
from display_client.board import Board
from display_client.client import DisplayClient
from display_client.led import LedFrame, LedOutput, MatrixSize, NullOutput, PngDirOutput, render_window
from display_client.photos import StaffPhotos
from display_client.voice import (
    Announcer,
    AudioDirOutput,
    AudioOutput,
    EspeakEngine,
    Language,
    SoundCardOutput,
    VoiceError,
)
from display_client.web import Pages, PageSettings
from queue_server.protocol.broker import Broker, BrokerUrlError
from queue_server.protocol.payloads import Call
from queue_server.protocol.topics import TopicError

logger = logging.getLogger("display_client")

DEFAULT_NOTICE = "请留意叫号；过号请到咨询导办台。请保管好随身物品。"
DEFAULT_NOTICE_EN = "Please listen for your number; if you missed it, ask at the consultation desk."


@dataclass(frozen=True, slots=True)
class DisplaySettings:
    centre: str
    device_id: str
    mqtt_url: str
    window: int | None = None
    """None for the hall board; a number for that window's display."""
    host: str = "127.0.0.1"
    port: int = 8081
    """The page's port; 0 picks a free one."""
    english: bool = False
    notice: str = DEFAULT_NOTICE
    voice: bool = True
    voice_english: bool = False
    repeat: int = 2
    audio_dir: Path | None = None
    """Write announcements as WAV files here instead of playing them."""
    led: MatrixSize | None = None
    png_dir: Path | None = None
    server_url: str | None = None
    """The OneWindow server's address (http://host:port): the window display fetches staff photos there, and
    its rating QR codes (a new one after each finish, for that service alone) open the rating page there."""

    @property
    def what(self) -> str:
        return "hall board" if self.window is None else f"window {self.window}'s display"


class LedScreen:
    """Draws the window's LED frame after each change, and hands it on only when it differs."""

    def __init__(self, size: MatrixSize, output: LedOutput, *, english: bool) -> None:
        self.size = size
        self.output = output
        self.english = english
        self.frame: LedFrame | None = None

    def draw(self, board: Board) -> None:
        frame = render_window(board.window_view(), self.size, english=self.english, number=board.window)
        if self.frame is not None and frame.to_bytes() == self.frame.to_bytes():
            return
        self.frame = frame
        self.output.show(frame)

    def latest(self) -> LedFrame | None:
        return self.frame


@contextlib.asynccontextmanager
async def serve_pages(pages: Pages, host: str, port: int) -> AsyncIterator[str]:
    """Serve the page; yields its address (the real port when ``port`` is 0)."""
    runner = web.AppRunner(pages.app(), access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound = runner.addresses[0][1] if runner.addresses else port
        shown = "127.0.0.1" if host in ("0.0.0.0", "") else host
        yield f"http://{shown}:{bound}/"
    finally:
        await runner.cleanup()


def _announcer(settings: DisplaySettings) -> Announcer | None:
    if not settings.voice:
        return None
    output: AudioOutput = AudioDirOutput(settings.audio_dir) if settings.audio_dir else SoundCardOutput()
    log = settings.audio_dir / "announcements.jsonl" if settings.audio_dir else None
    language = Language.EN if settings.voice_english else Language.ZH
    return Announcer(EspeakEngine(), output, language=language, repeat=settings.repeat, log_path=log)


async def run(
    settings: DisplaySettings, stop: asyncio.Event | None = None, ready: Callable[[str], None] | None = None
) -> None:
    """Show and announce until ``stop`` is set (or SIGINT/SIGTERM when none is given)."""
    stop = stop or stop_on_signals()
    announcer = _announcer(settings)
    screen = None
    if settings.led is not None:
        output: LedOutput = PngDirOutput(settings.png_dir) if settings.png_dir else NullOutput()
        screen = LedScreen(settings.led, output, english=settings.english)
    elif settings.png_dir is not None:
        screen = LedScreen(MatrixSize(64, 32), PngDirOutput(settings.png_dir), english=settings.english)
    pages: Pages | None = None

    def changed(board: Board) -> None:
        if screen is not None and board.window is not None:
            screen.draw(board)
        if pages is not None:
            pages.publish()

    def called(call: Call) -> None:
        if announcer is not None:
            announcer.announce(call)

    client = DisplayClient(
        settings.centre,
        settings.device_id,
        Broker.from_url(settings.mqtt_url),
        window=settings.window,
        on_change=changed,
        on_call=called,
    )
    photos = StaffPhotos(settings.server_url) if settings.window is not None else None
    rating_url = settings.server_url if settings.window is not None else None
    pages = Pages(
        client.board,
        PageSettings(settings.english, settings.notice, screen.latest if screen else None, photos, rating_url),
    )
    changed(client.board)
    async with asyncio.TaskGroup() as tasks:
        voice = tasks.create_task(announcer.run()) if announcer is not None else None
        try:
            async with serve_pages(pages, settings.host, settings.port) as address, client:
                print(
                    f"The {settings.what} of centre {settings.centre} is at {address}"
                    f" (calls from {client.broker}; Ctrl-C stops it)",
                    flush=True,
                )
                if ready is not None:
                    ready(address)
                await stop.wait()
                if announcer is not None:
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(10):
                            await announcer.drain()
        finally:
            if voice is not None:
                voice.cancel()


def run_command(settings: DisplaySettings) -> int:
    """Run until stopped; 0 after a clean stop, 1 with one line saying why it could not run."""
    failed = False
    try:
        asyncio.run(run(settings))
    except* (BrokerUrlError, TwinError, TopicError, VoiceError, OSError) as group:
        failed = True
        for error in group.exceptions:
            print(f"Cannot run the {settings.what}: {error}", file=sys.stderr)
    if failed:
        return 1
    print(f"Stopped: the {settings.what} said offline.", file=sys.stderr)
    return 0
