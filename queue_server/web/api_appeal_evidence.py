"""The files of an appeal (申诉的证据): the window uploads each one, the appeal names them, and
whoever reads the case (the supervisor deciding it above all) opens them.

An upload is checked and stored as ``app.appeal_evidence`` makes it (a photo re-encoded without
metadata, a PDF as sent), named by its SHA-256, and answered with that hash; the appeal then
names the hashes it carries (POST .../rectifications/{case}/appeal, ``files``). A file is read by
those who may read the centre's cases, never without a login: evidence may show a citizen.
"""

from __future__ import annotations

import asyncio
import datetime as dt

from aiohttp import web
from pydantic import Base64Bytes, Field, RootModel
from typing_extensions import TypedDict

from queue_server.app import rectification as cases
from queue_server.app.answers import Answer
from queue_server.app.appeal_evidence import MAX_NAME, EvidenceRefused, evidence_file, evidence_path, file_name
from queue_server.app.service import HallService
from queue_server.app.view_fields import documented
from queue_server.domain.errors import NotFound
from queue_server.domain.hall import Hall
from queue_server.domain.refusal_codes import RefusalCode
from queue_server.store.appeal_evidence import keep_evidence
from queue_server.store.database import Connection
from queue_server.web.api import _centre, _service, read_body, request_id_of
from queue_server.web.api_rectification import APPEAL_RATINGS, READ_CASES
from queue_server.web.audited import reader_of, request_id_for_audit
from queue_server.web.auth import principal_of
from queue_server.web.bodies import ActionBody
from queue_server.web.problems import ProblemError, answer_response, problem, what_failed
from queue_server.web.routes import Route

UPLOAD_BODY_LIMIT = 900_000
"""Characters of base64 an upload may carry (about 650 kB), within the server's 1 MiB body."""
UPLOAD = "upload_appeal_evidence"
"""The action name an upload is recorded under with its request id."""


class EvidenceUpload(ActionBody):
    """One file for an appeal: a photo (JPEG, PNG, WebP) or a PDF, base64-encoded."""

    name: str = Field(default="", max_length=MAX_NAME, description="The file's name, to show beside it")
    data: Base64Bytes = Field(max_length=UPLOAD_BODY_LIMIT, description="The file, base64-encoded")


@documented
class StoredEvidenceView(TypedDict):
    """A file as the server stored it: name its hash in the appeal's ``files``"""

    sha256: str
    name: str
    media_type: str
    size: int
    path: str
    """Where those who read the centre's cases open it"""


class EvidenceBytes(RootModel[bytes]):
    """The file: a JPEG or a PDF"""


async def post_evidence(request: web.Request) -> web.StreamResponse:
    centre = _centre(request)
    upload = EvidenceUpload.model_validate(await read_body(request))  # not base64: 422 naming ``data``
    request_id = request_id_of(request, upload)
    try:
        stored = await asyncio.to_thread(evidence_file, upload.data)  # decoding is CPU: off the event loop
    except EvidenceRefused as refused:
        raise ProblemError(
            problem(
                422,
                "bad-evidence",
                "The file cannot be evidence",
                f"{what_failed(request)}: {refused}",
                message=refused.zh,
                message_en=str(refused),
            )
        ) from None
    actor = principal_of(request).actor
    name = file_name(upload.name) or stored.sha256[:12]

    async def store(conn: Connection, hall: Hall, now: dt.datetime) -> Answer:
        await keep_evidence(conn, hall.centre.code, stored.sha256, stored.media_type.value, stored.data, actor, now)
        view: StoredEvidenceView = {
            "sha256": stored.sha256,
            "name": name,
            "media_type": stored.media_type.value,
            "size": len(stored.data),
            "path": evidence_path(centre, stored.sha256),
        }
        return Answer(dict(view), created=True)

    answer = await _service(request).locked(centre, actor=actor, request_id=request_id, name=UPLOAD, work=store)
    return answer_response(request, answer)


async def get_evidence(request: web.Request) -> web.StreamResponse:
    centre, sha256 = _centre(request), request.match_info["evidence"]
    service: HallService = _service(request)
    found = await cases.open_evidence(service, centre, sha256, reader_of(request), request_id_for_audit(request))
    if found is None:
        raise NotFound(f"There is no appeal file {sha256[:12]}… at centre {centre}", RefusalCode.EVIDENCE_NOT_FOUND)
    media_type, data = found
    headers = {"Cache-Control": "private, max-age=86400", "X-Content-Type-Options": "nosniff",
               "Content-Security-Policy": "sandbox"}  # fmt: skip
    return web.Response(body=data, content_type=media_type, headers=headers)


ROUTES: list[Route] = [
    Route(
        method="POST",
        path="/centres/{centre}/appeal-evidence",
        operation_id="upload_appeal_evidence",
        summary="Upload a file for an appeal (申诉的证据)",
        handler=post_evidence,
        access=APPEAL_RATINGS,
        tag="rectification",
        response=StoredEvidenceView,
        status=201,
        body=EvidenceUpload,
        action=True,
        description=(
            "A photo (JPEG, PNG or WebP: stored as a JPEG of at most 1600 pixels a side, without metadata) or a"
            " PDF, at most 640 KiB as sent, named by its SHA-256; the same file twice is stored once. Name the"
            " hash in the appeal's files. Anything else, or a file too large: 422."
        ),
    ),
    Route(
        method="GET",
        path="/centres/{centre}/appeal-evidence/{evidence}",
        operation_id="get_appeal_evidence",
        summary="Open a file of an appeal",
        handler=get_evidence,
        access=READ_CASES,
        tag="rectification",
        response=EvidenceBytes,
        media_type="application/octet-stream",
        description=(
            "By its hash, as the case's appeal lists it (appeal.files): a JPEG or a PDF. Each opening is"
            " recorded in the audit trail (a photo may show the citizen)."
        ),
    ),
]
