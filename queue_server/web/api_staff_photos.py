"""Staff photos (工作证): the manager uploads one, the window displays and pads load it by its hash.

An upload is stored as the server remakes it (``app.staff_photos``: a 300×400 JPEG without
metadata) and answered with its hash; the manager then names that hash as a staff member's
``photo`` in the centre's configuration, which is checked and applied like any other change.

A photo is read without a token, like the hall board that shows it: a window display has none,
and a photo is already on view at its window. It is found only by its SHA-256, which the server
gives only to those who see the window's state (its bus, its hall board): a staff code cannot be
guessed into a photo. The bytes never change for a hash, so screens cache them for good.
"""

from __future__ import annotations

import asyncio
import datetime as dt

from aiohttp import web
from pydantic import Base64Bytes, Field, RootModel
from typing_extensions import TypedDict

from queue_server.app.answers import Answer
from queue_server.app.service import HallService
from queue_server.app.staff_photos import PhotoRefused, photo_path, staff_photo
from queue_server.app.view_fields import documented
from queue_server.domain.errors import NotFound
from queue_server.domain.hall import Hall
from queue_server.domain.refusal_codes import RefusalCode
from queue_server.store.database import Connection
from queue_server.store.staff_photos import keep_photo, photo_image
from queue_server.web.api import _centre, _service, read_body, request_id_of
from queue_server.web.api_manager import EDIT_CONFIG
from queue_server.web.auth import principal_of
from queue_server.web.bodies import ActionBody
from queue_server.web.problems import ProblemError, answer_response, problem, what_failed
from queue_server.web.routes import Route

UPLOAD_BODY_LIMIT = 900_000
"""Characters of base64 an upload may carry (about 650 kB of image), within the server's 1 MiB body.
The manager's page shrinks a phone's photo before it sends it."""
UPLOAD = "upload_staff_photo"
"""The action name an upload is recorded under with its request id."""
FOREVER = "public, max-age=31536000, immutable"


class PhotoUpload(ActionBody):
    """A staff member's photo: a JPEG, PNG or WebP, base64-encoded."""

    image: Base64Bytes = Field(
        max_length=UPLOAD_BODY_LIMIT, description="The image file (JPEG, PNG or WebP), base64-encoded"
    )


@documented
class StoredPhoto(TypedDict):
    """A photo as the server stored it: name it as a staff member's ``photo`` in the configuration"""

    photo: str
    """Its SHA-256: the value of ``staff.N.photo``"""
    path: str
    """Where the server serves it (a 300×400 JPEG)"""
    bytes: int


class JpegImage(RootModel[bytes]):
    """A 300×400 JPEG"""


async def post_staff_photo(request: web.Request) -> web.StreamResponse:
    centre = _centre(request)
    upload = PhotoUpload.model_validate(await read_body(request))  # not base64: 422 naming ``image``
    request_id = request_id_of(request, upload)
    try:
        photo = await asyncio.to_thread(staff_photo, upload.image)  # decoding is CPU: off the event loop
    except PhotoRefused as refused:
        raise ProblemError(
            problem(422, "bad-photo", "The photo cannot be used", f"{what_failed(request)}: {refused}")
        ) from None
    actor = principal_of(request).actor

    async def store(conn: Connection, hall: Hall, now: dt.datetime) -> Answer:
        await keep_photo(conn, hall.centre.code, photo.sha256, photo.image, actor, now)
        stored: StoredPhoto = {
            "photo": photo.sha256,
            "path": photo_path(centre, photo.sha256),
            "bytes": len(photo.image),
        }
        return Answer(dict(stored), created=True)

    answer = await _service(request).locked(centre, actor=actor, request_id=request_id, name=UPLOAD, work=store)
    return answer_response(request, answer)


async def get_staff_photo(request: web.Request) -> web.StreamResponse:
    centre, sha256 = _centre(request), request.match_info["photo"]
    etag = f'"{sha256}"'
    if request.headers.get("If-None-Match") == etag:
        return web.Response(status=304, headers={"ETag": etag, "Cache-Control": FOREVER})
    service: HallService = _service(request)
    async with service.db.read() as conn:
        image = await photo_image(conn, centre, sha256)
    if image is None:
        raise NotFound(f"There is no staff photo {sha256[:12]}… at centre {centre}", RefusalCode.PHOTO_NOT_FOUND)
    return web.Response(body=image, content_type="image/jpeg", headers={"ETag": etag, "Cache-Control": FOREVER})


ROUTES: list[Route] = [
    Route(
        method="POST",
        path="/centres/{centre}/staff-photos",
        operation_id="upload_staff_photo",
        summary="Upload a staff member's photo",
        handler=post_staff_photo,
        access=EDIT_CONFIG,
        tag="centre configuration",
        response=StoredPhoto,
        status=201,
        body=PhotoUpload,
        action=True,
        description=(
            "The server decodes the image, turns it upright, crops it to a 3:4 portrait and stores a 300×400"
            " JPEG without metadata, named by its SHA-256; the same photo twice is stored once. Show it by"
            " naming that hash as the staff member's photo in the centre's configuration. Not an image, or one"
            " too large to decode safely: 422."
        ),
    ),
    Route(
        method="GET",
        path="/centres/{centre}/staff-photos/{photo}.jpg",
        operation_id="get_staff_photo",
        summary="Read a staff member's photo",
        handler=get_staff_photo,
        access=None,
        tag="centre configuration",
        response=JpegImage,
        media_type="image/jpeg",
        description=(
            "By its hash, as a window's state names it (shown_staff.photo). It never changes: screens may keep it."
        ),
    ),
]
