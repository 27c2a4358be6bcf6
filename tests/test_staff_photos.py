"""Staff photos: what the server makes of an upload, the routes on both databases, and the window's
state naming the photo once the configuration does."""

from __future__ import annotations

import base64
import io
from typing import Any

import pytest
from PIL import Image, ImageDraw
from pytest_aiohttp import AiohttpClient

from queue_server.app.staff_photos import PHOTO_SIZE, PhotoRefused, photo_path, staff_photo
from queue_server.assembly import create_app
from queue_server.store.database import Database
from tests.api_support import API, Api, hall_service, rid, seed

PHOTOS = "/centres/test/staff-photos"
CONFIG = "/centres/test/config"


def picture(size: tuple[int, int] = (1200, 900), fmt: str = "PNG", colour: str = "teal", **save: Any) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, fmt, **save)
    return out.getvalue()


def camera_jpeg() -> bytes:
    """A phone's portrait of someone, stored on its side with "turn me upright" (orientation 6) and
    where it was taken, as phones do."""
    upright = Image.new("RGB", (600, 800), "#dfe8f1")
    draw = ImageDraw.Draw(upright)
    draw.ellipse((200, 170, 400, 410), fill="#e8c4a0")  # a face
    draw.pieslice((90, 450, 510, 1050), 180, 360, fill="#1f3b63")  # shoulders in a uniform
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° clockwise to show
    exif[0x010F] = "PhoneMaker"  # make
    exif[0x8825] = {2: (30.0, 15.0, 0.0)}  # GPS latitude
    out = io.BytesIO()
    upright.transpose(Image.Transpose.ROTATE_90).save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def test_an_upload_becomes_an_upright_portrait_jpeg_without_metadata() -> None:
    photo = staff_photo(camera_jpeg())
    shown = Image.open(io.BytesIO(photo.image))
    assert shown.format == "JPEG" and shown.size == PHOTO_SIZE
    face, uniform = shown.getpixel((150, 120)), shown.getpixel((150, 390))
    assert face[0] > 200 and uniform[2] > uniform[0], f"upright: the face on top ({face}), the shoulders below"
    assert not shown.getexif(), "no EXIF (position, camera) reaches a screen"
    assert photo.sha256 == staff_photo(camera_jpeg()).sha256, "the same upload is the same photo"


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP"])
def test_jpeg_png_and_webp_are_taken(fmt: str) -> None:
    assert Image.open(io.BytesIO(staff_photo(picture(fmt=fmt)).image)).size == PHOTO_SIZE


@pytest.mark.parametrize(
    ("upload", "why"),
    [
        (b"", "empty"),
        (b"not an image at all", "not a JPEG, PNG or WebP"),
        (picture(fmt="GIF"), "not a JPEG, PNG or WebP"),
        (picture(fmt="PNG")[:300], "cannot be read"),
        (picture((8000, 6000), "PNG"), "pixels"),
    ],
)
def test_what_is_not_a_usable_photo_is_refused_saying_why(upload: bytes, why: str) -> None:
    with pytest.raises(PhotoRefused, match=why):
        staff_photo(upload)


@pytest.fixture
async def api(db: Database, aiohttp_client: AiohttpClient) -> Api:
    return Api(await aiohttp_client(create_app(hall_service(db))), await seed(db))


async def upload(api: Api, image: bytes, token: str = "manager") -> Any:
    return await api.post(PHOTOS, token, {"image": base64.b64encode(image).decode(), "request_id": rid()})


async def test_the_manager_uploads_and_anyone_reads_it_by_its_hash(api: Api) -> None:
    stored = await upload(api, camera_jpeg())
    assert stored.status == 201, stored.body
    sha = stored.body["photo"]
    assert stored.body["path"] == photo_path("test", sha) == f"{API}{PHOTOS}/{sha}.jpg"
    async with api.client.get(stored.body["path"]) as response:  # no token: a window display has none
        assert response.status == 200 and response.content_type == "image/jpeg"
        assert "immutable" in response.headers["Cache-Control"]
        assert Image.open(io.BytesIO(await response.read())).size == PHOTO_SIZE
        etag = response.headers["ETag"]
    async with api.client.get(stored.body["path"], headers={"If-None-Match": etag}) as response:
        assert response.status == 304
    again = await upload(api, camera_jpeg())
    assert again.status == 201 and again.body["photo"] == sha, "the same photo is stored once"


async def test_a_photo_never_uploaded_is_404_and_a_wrong_upload_422(api: Api) -> None:
    missing = await api.get(f"{PHOTOS}/{'0' * 64}.jpg")
    assert missing.status == 404 and missing.body["code"] == "photo_not_found", missing.body
    not_image = await upload(api, b"hello")
    assert not_image.status == 422 and "not a JPEG, PNG or WebP" in not_image.body["detail"]
    not_base64 = await api.post(PHOTOS, "manager", {"image": "abcde", "request_id": rid()})
    assert not_base64.status == 422 and not_base64.body["errors"][0]["field"] == "image", not_base64.body


async def test_only_the_manager_and_admin_upload(api: Api) -> None:
    for token in ("s1", "guide", "supervisor", "kiosk", "other-manager"):
        assert (await upload(api, picture(), token)).status == 403, token


async def test_the_window_shows_the_photo_the_configuration_names(api: Api) -> None:
    sha = (await upload(api, picture())).body["photo"]
    config = (await api.get(CONFIG, "manager")).body["config"]
    person = next(i for i, s in enumerate(config["staff"]) if s["code"] == "s1")
    config["staff"][person]["photo"] = "f" * 64
    refused = await api.call("PUT", CONFIG, "manager", {"config": config, "request_id": rid()})
    assert refused.status == 409 and "never uploaded" in refused.body["detail"], refused.body
    config["staff"][person]["photo"] = sha
    applied = await api.call("PUT", CONFIG, "manager", {"config": config, "request_id": rid()})
    assert applied.status == 200 and applied.body["applied"], applied.body
    await api.sign_on(("s1", 1))
    shown = (await api.get("/centres/test/windows/1", "manager")).body["shown_staff"]
    assert shown["photo"] == photo_path("test", sha), shown
    config["policy"]["show_staff"] = "number"
    await api.call("PUT", CONFIG, "manager", {"config": config, "request_id": rid()})
    shown = (await api.get("/centres/test/windows/1", "manager")).body["shown_staff"]
    assert shown["photo"] is None and shown["name"] is None, "the number only: no face either"
