"""The page a screen's browser shows, served by the display client itself (aiohttp + Jinja2).

``/`` is the hall board or the window display; it draws itself from ``/state`` and then from
``/events``, a Server-Sent Events stream that carries the whole :meth:`Board.snapshot` after each
change (a few kilobytes: simpler and sturdier than patches, and a reconnecting page needs no
replay). The browser's EventSource reconnects by itself; while the stream is down the page keeps
what it showed and says the display service is unreachable. ``/led.png`` is the window display's
latest LED frame, when it has one.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources

import jinja2
import segno
from aiohttp import web

from display_client.board import Board, Mode
from display_client.led import LedFrame
from display_client.photos import StaffPhotos
from display_client.wording import labels
from queue_server.protocol.payloads import WindowState

HEARTBEAT_SECONDS = 15.0
"""An SSE comment this often keeps proxies and the browser from timing the stream out."""
SUBSCRIBER_BACKLOG = 4
"""Snapshots queued per page; a page that lags further only needs the newest one."""


@dataclass(frozen=True, slots=True)
class PageSettings:
    english: bool = False
    notice: str = ""
    """The scrolling line at the bottom of the hall board; empty for none."""
    led_frame: Callable[[], LedFrame | None] | None = None
    """The latest LED frame, in window mode with an LED sign."""
    photos: StaffPhotos | None = None
    """Staff photos from the server, in window mode when its address is known."""
    rating_url: str | None = None
    """The server's address the rating QR codes start with (window mode); None: no rating QR shown."""


class Pages:
    """The page, its state and its live stream, for one board."""

    def __init__(self, board: Board, settings: PageSettings) -> None:
        self.board = board
        self.settings = settings
        self._subscribers: set[asyncio.Queue[str]] = set()
        self._templates = jinja2.Environment(
            loader=jinja2.PackageLoader("display_client", "templates"),
            autoescape=jinja2.select_autoescape(("html",)),
            undefined=jinja2.StrictUndefined,
        )
        self._stopping = asyncio.Event()

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/", self.page)
        app.router.add_get("/state", self.state)
        app.router.add_get("/events", self.events)
        app.router.add_get("/led.png", self.led_png)
        app.router.add_get("/led.json", self.led_json)
        app.router.add_get("/rating.svg", self.rating_qr)
        app.router.add_get("/static/{name}", self.static)
        app.router.add_get("/api/v1/centres/{centre}/staff-photos/{name}", self.staff_photo)
        app.on_shutdown.append(self._shutdown)
        return app

    def publish(self) -> None:
        """Push the board's snapshot to every open page (called on each change)."""
        data = self._payload()
        for queue in self._subscribers:
            if queue.full():
                with contextlib.suppress(asyncio.QueueEmpty):
                    queue.get_nowait()
            queue.put_nowait(data)

    def _payload(self) -> str:
        return json.dumps(self.board.snapshot(), ensure_ascii=False, separators=(",", ":"))

    async def page(self, request: web.Request) -> web.Response:
        words = labels(english=self.settings.english)
        template = "hall.html" if self.board.mode is Mode.HALL else "window.html"
        html = self._templates.get_template(template).render(
            words=words,
            lang="en" if self.settings.english else "zh-CN",
            config_json=_in_script(
                json.dumps(
                    {
                        "words": words,
                        "english": self.settings.english,
                        "photos": self._photos is not None,
                        "rating_qr": self.settings.rating_url is not None,
                    },
                    ensure_ascii=False,
                )
            ),
            state_json=_in_script(self._payload()),
            notice=self.settings.notice,
            has_led=self.settings.led_frame is not None,
        )
        return web.Response(text=html, content_type="text/html", headers={"Cache-Control": "no-store"})

    @property
    def _photos(self) -> StaffPhotos | None:
        photos = self.settings.photos
        return photos if photos is not None and photos.enabled else None

    async def staff_photo(self, request: web.Request) -> web.Response:
        """The photo of who serves, as the server has it (fetched once, checked against its name)."""
        image = await self._photos.get(request.path) if self._photos is not None else None
        if image is None:
            raise web.HTTPNotFound(text="no such photo here")
        return web.Response(body=image, content_type="image/jpeg", headers={"Cache-Control": "max-age=86400"})

    async def state(self, request: web.Request) -> web.Response:
        return web.Response(text=self._payload(), content_type="application/json")

    async def events(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store", "X-Accel-Buffering": "no"}
        )
        await response.prepare(request)
        queue: asyncio.Queue[str] = asyncio.Queue(maxsize=SUBSCRIBER_BACKLOG)
        self._subscribers.add(queue)
        try:
            await response.write(b"retry: 2000\n" + _event(self._payload()))
            while not self._stopping.is_set():
                try:
                    async with asyncio.timeout(HEARTBEAT_SECONDS):
                        data = await queue.get()
                except TimeoutError:
                    await response.write(b": still here\n\n")
                    continue
                await response.write(_event(data))
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        finally:
            self._subscribers.discard(queue)
        return response

    async def rating_qr(self, request: web.Request) -> web.Response:
        """The QR code of the rating code the window shows now (``?code=`` names it, so the page's
        image changes with it); 404 when the window shows none, or another one."""
        view = self.board.window_view()
        rating = view.rating if isinstance(view, WindowState) else None
        base = self.settings.rating_url
        if base is None or rating is None or request.query.get("code") != rating.code:
            raise web.HTTPNotFound(text="This window shows no such rating code now")
        out = io.BytesIO()
        url = base.rstrip("/") + rating.path
        segno.make(url, error="m").save(out, kind="svg", scale=1, border=4, omitsize=True, xmldecl=False)
        return web.Response(body=out.getvalue(), content_type="image/svg+xml", headers={"Cache-Control": "no-store"})

    async def led_png(self, request: web.Request) -> web.Response:
        """The LED sign as people see it (each LED a dot), for the page and the manager."""
        frame = self._led_frame()
        return web.Response(body=frame.to_png(scale=8), content_type="image/png", headers={"Cache-Control": "no-store"})

    async def led_json(self, request: web.Request) -> web.Response:
        """What the LED sign shows, as text: for checking a sign from afar."""
        frame = self._led_frame()
        shown = {"width": frame.size.width, "height": frame.size.height, "text": list(frame.text)}
        return web.json_response(shown, dumps=lambda data: json.dumps(data, ensure_ascii=False))

    def _led_frame(self) -> LedFrame:
        frame = self.settings.led_frame() if self.settings.led_frame is not None else None
        if frame is None:
            raise web.HTTPNotFound(text="This display draws no LED frame (start it in window mode with --led WxH)")
        return frame

    async def static(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        kinds = {".js": "text/javascript", ".css": "text/css"}
        suffix = name[name.rfind(".") :] if "." in name else ""
        folder = resources.files("display_client") / "static"
        if suffix not in kinds or "/" in name or not (folder / name).is_file():
            raise web.HTTPNotFound()
        return web.Response(text=(folder / name).read_text("utf-8"), content_type=kinds[suffix])

    async def _shutdown(self, app: web.Application) -> None:
        """Let open streams end so the server can stop without waiting for their heartbeat."""
        self._stopping.set()
        for queue in self._subscribers:
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait(self._payload())


def _event(data: str) -> bytes:
    return b"event: state\ndata: " + data.encode() + b"\n\n"


def _in_script(data: str) -> str:
    """JSON made safe inside a ``<script>`` element: ``</`` cannot end it early."""
    return data.replace("</", "<\\/")
