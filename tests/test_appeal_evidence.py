"""An appeal's evidence files: checked for what they are (a photo or a PDF, never by their name),
bounded in size and number, stored once by their hash, named by the appeal, and read only by those
who read the centre's cases."""

from __future__ import annotations

import base64
import hashlib
import io
from typing import Any

import pytest
from PIL import Image
from pytest_aiohttp import AiohttpClient

from queue_server.app.appeal_evidence import EVIDENCE_LIMIT, EvidenceRefused, evidence_file, file_name
from queue_server.app.commands import CallNext, Finish, IssueTicket, RateTicket, SignOn, StartServing
from queue_server.assembly import create_app
from queue_server.domain.appeals import EvidenceType
from queue_server.domain.ratings import RatingLevel
from queue_server.domain.tickets import Outcome
from queue_server.store.database import Database
from tests.api_support import Api, hall_service, rid, seed
from tests.test_pages_appeals import PDF
from tests.test_staff_photos import camera_jpeg


def test_a_photo_is_made_upright_small_and_bare_and_a_pdf_is_kept_as_sent() -> None:
    photo = evidence_file(camera_jpeg())
    shown = Image.open(io.BytesIO(photo.data))
    assert (photo.media_type, shown.format, shown.size) == (EvidenceType.JPEG, "JPEG", (600, 800))
    assert not shown.getexif() and photo.sha256 == hashlib.sha256(photo.data).hexdigest()
    big = io.BytesIO()
    Image.new("RGB", (4000, 3000), "#888").save(big, "PNG")
    assert Image.open(io.BytesIO(evidence_file(big.getvalue()).data)).size == (1600, 1200)
    kept = evidence_file(PDF)
    assert (kept.media_type, kept.data) == (EvidenceType.PDF, PDF)


@pytest.mark.parametrize(
    ("upload", "said"),
    [
        (b"", "文件是空的"),
        (b"x" * (EVIDENCE_LIMIT + 1), "最多655,360字节"),
        (b"%PDF-1.4\n1 0 obj", "PDF文件不完整"),
        (b"GIF89a not taken", "这不是照片（JPEG、PNG、WebP）或PDF文件"),
        (camera_jpeg()[:600], "照片读不出来"),
    ],
)
def test_anything_else_is_refused_saying_why(upload: bytes, said: str) -> None:
    with pytest.raises(EvidenceRefused) as refused:
        evidence_file(upload)
    assert said in refused.value.zh


def test_a_files_name_is_its_last_part_without_control_characters() -> None:
    assert file_name("C:\\Users\\li\\录像截图.jpg") == "录像截图.jpg"
    assert file_name("../../etc/passwd\x00\n") == "passwd"
    assert len(file_name("名" * 500)) == 120


async def appealable(db: Database, aiohttp_client: AiohttpClient) -> Api:
    """The app with one bad rating of s1's service at window 1: rectification case 1."""
    service = hall_service(db)
    api = Api(await aiohttp_client(create_app(service)), await seed(db))
    steps: list[tuple[Any, str]] = [
        (SignOn(window=1, staff="s1"), "staff:s1"),
        (IssueTicket(matter="pension"), "kiosk:k"),
        (CallNext(window=1), "staff:s1"),
        (StartServing(window=1), "staff:s1"),
        (Finish(window=1, outcome=Outcome.ON_THE_SPOT), "staff:s1"),
        (RateTicket(serial=1, level=RatingLevel.VERY_DISSATISFIED, window=1, reasons=("等候时间过长",)), "device:p"),
    ]
    for n, (command, actor) in enumerate(steps):
        assert (await service.act("test", command, actor=actor, request_id=f"s-{n}")).ok
    return api


async def test_the_appeal_names_its_uploaded_files_and_the_supervisor_reads_them(
    db: Database, aiohttp_client: AiohttpClient
) -> None:
    api = await appealable(db, aiohttp_client)
    body = {"request_id": rid(), "name": "情况说明.pdf", "data": base64.b64encode(PDF).decode()}
    uploaded = await api.post("/centres/test/appeal-evidence", "s1", body)
    assert uploaded.status == 201, uploaded.body
    sha = uploaded.body["sha256"]
    assert uploaded.body["path"] == f"/api/v1/centres/test/appeal-evidence/{sha}"
    again = await api.post("/centres/test/appeal-evidence", "manager", {**body, "request_id": rid()})
    assert again.body["sha256"] == sha, "the same file twice is stored once"
    bad = await api.post("/centres/test/appeal-evidence", "s1", {**body, "data": "not base64!"})
    assert bad.status == 422 and bad.body["errors"][0]["field"] == "data"

    unknown = "f" * 64
    missing = await api.post(
        "/centres/test/rectifications/1/appeal", "s1", {"request_id": rid(), "reason": "误点", "files": [
            {"sha256": sha, "name": "情况说明.pdf"}, {"sha256": unknown, "name": "x.jpg"}]},
    )  # fmt: skip
    assert missing.status == 422 and missing.body["errors"][0]["field"] == "files.1.sha256"
    too_many = [{"sha256": sha, "name": f"{n}.pdf"} for n in range(6)]
    refused = await api.post(
        "/centres/test/rectifications/1/appeal", "s1", {"request_id": rid(), "reason": "误点", "files": too_many}
    )
    assert refused.status == 422 and refused.body["errors"][0]["field"].startswith("files")
    appealed = await api.post(
        "/centres/test/rectifications/1/appeal", "s1",
        {"request_id": rid(), "reason": "误点", "files": [{"sha256": sha, "name": "C:\\扫描\\情况说明.pdf"}]},
    )  # fmt: skip
    assert appealed.status == 200, appealed.body
    files = appealed.body["appeal"]["files"]
    assert files == [{"sha256": sha, "name": "情况说明.pdf", "media_type": "application/pdf", "size": len(PDF)}]
    case = await api.get("/centres/test/rectifications/1", "supervisor")
    assert case.body["appeal"]["files"] == files
    async with api.client.get(
        f"/api/v1/centres/test/appeal-evidence/{sha}", headers={"Authorization": f"Bearer {api.tokens['supervisor']}"}
    ) as reply:
        assert (reply.status, reply.content_type, await reply.read()) == (200, "application/pdf", PDF)
        assert reply.headers["Content-Security-Policy"] == "sandbox"
    async with api.client.get(f"/api/v1/centres/test/appeal-evidence/{sha}") as anonymous:
        assert anonymous.status == 401
    other = await api.get(f"/centres/other/appeal-evidence/{sha}", "other-manager")
    assert other.status == 404, "a centre reads only its own files"
