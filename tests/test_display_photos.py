"""The window display's staff photos: fetched once from the server, refused when they do not hash
to their name, kept when the server is gone, and never asked for outside the photo path."""

from __future__ import annotations

import hashlib

from aiohttp import web
from pytest_aiohttp import AiohttpServer

from display_client.photos import StaffPhotos

IMAGE = b"\xff\xd8 a jpeg as the server keeps it \xff\xd9"
SHA = hashlib.sha256(IMAGE).hexdigest()
PATH = f"/api/v1/centres/test/staff-photos/{SHA}.jpg"


async def test_a_photo_is_fetched_once_checked_and_kept(aiohttp_server: AiohttpServer) -> None:
    asked: list[str] = []

    async def photo(request: web.Request) -> web.Response:
        asked.append(request.path)
        wrong = request.match_info["sha"] != SHA
        return web.Response(body=b"not it" if wrong else IMAGE, content_type="image/jpeg")

    app = web.Application()
    app.router.add_get("/api/v1/centres/test/staff-photos/{sha}.jpg", photo)
    server = await aiohttp_server(app)
    photos = StaffPhotos(str(server.make_url("/")))
    assert await photos.get(PATH) == IMAGE
    await server.close()
    assert await photos.get(PATH) == IMAGE, "kept: shown while the server is away"
    assert asked == [PATH]

    server = await aiohttp_server(app)
    photos = StaffPhotos(str(server.make_url("/")))
    other = PATH.replace(SHA, "0" * 64)
    assert await photos.get(other) is None, "bytes that do not hash to the name are not shown"
    assert await photos.get("/etc/passwd") is None and await photos.get(PATH + "?x=1") is None
    assert asked == [PATH, other], "nothing outside the photo path is asked of the server"


async def test_without_the_servers_address_there_are_no_photos() -> None:
    photos = StaffPhotos(None)
    assert not photos.enabled and await photos.get(PATH) is None


async def test_a_server_that_does_not_answer_is_no_photo_and_no_error() -> None:
    photos = StaffPhotos("http://127.0.0.1:9")  # the discard port: nothing listens
    assert await photos.get(PATH) is None
