"""A local fake of Alibaba Cloud's SMS API (Dysmsapi 2017-05-25 ``SendSms``), at the HTTP level.

It checks each request as the provider's gateway does, written from the provider's documentation
of the V3 signature (ACS3-HMAC-SHA256), not from the SDK's code: the action and version headers,
the date within 15 minutes, a nonce used once, the body's SHA-256, every ``x-acs-*`` header and
``host`` signed, and the signature over the canonical request with the account's secret. Then it
checks the message as the SMS service does: a known access key, an approved sign name, an
approved template whose every ``${parameter}`` is given, a mainland mobile number. A message it
takes gets a ``BizId`` and is kept with its rendered text.

``QuerySendDetails`` answers a sent message's delivery receipt: delivered unless a test set another
in :attr:`FakeSms.receipts`.

Tests tell it to fail: :meth:`FakeSms.fail_next` answers the next requests with an HTTP status and
an error code (503 ServiceUnavailable, 200 with isv.BUSINESS_LIMIT_CONTROL, ...).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import quote

from aiohttp import web

from tests.serverproc import free_port

ALGORITHM = "ACS3-HMAC-SHA256"
ACTIONS = ("SendSms", "QuerySendDetails")
MOBILE = re.compile(r"1[3-9][0-9]{9}")
PARAMETER = re.compile(r"\$\{(\w+)\}")


@dataclass(frozen=True, slots=True)
class Sent:
    phone: str
    sign_name: str
    template: str
    params: dict[str, str]
    text: str
    biz_id: str
    out_id: str


@dataclass
class FakeSms:
    """The provider: accounts (access key id -> secret), approved signs and templates, what was sent."""

    accounts: dict[str, str]
    signs: set[str]
    templates: dict[str, str]
    sent: list[Sent] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    """The error code of every request refused, failures told included."""
    failures: list[tuple[int, str, str]] = field(default_factory=list)
    receipts: dict[str, tuple[int, str]] = field(default_factory=dict)
    """BizId -> (SendStatus, ErrCode) the network reported; delivered (3, DELIVERED) unless told."""
    nonces: set[str] = field(default_factory=set)
    delay: float = 0.0
    """Seconds each answer takes: longer than a sender's poll, so two senders would overlap."""
    port: int = 0
    _runner: web.AppRunner | None = None

    def fail_next(
        self, times: int, status: int = 503, code: str = "ServiceUnavailable", message: str = "told to fail"
    ) -> None:
        """Answer the next ``times`` requests with this error (``message`` as the provider words it)."""
        self.failures.extend([(status, code, message)] * times)

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.port}"

    def texts(self) -> list[str]:
        return [s.text for s in self.sent]

    async def __aenter__(self) -> FakeSms:
        app = web.Application()
        app.router.add_route("*", "/", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        self.port = free_port()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        answer = self._answer(request, body)  # done now (a message sent), answered after the delay
        await asyncio.sleep(self.delay)
        return answer

    def _answer(self, request: web.Request, body: bytes) -> web.Response:
        refusal = self._check_signature(request, body)
        if refusal is not None:
            return self._error(*refusal)
        if self.failures:
            status, code, message = self.failures.pop(0)
            return self._error(status, code, message)
        query = request.rel_url.query
        if request.headers["x-acs-action"] == "QuerySendDetails":
            return self._details(query)
        phone, sign, template = query.get("PhoneNumbers", ""), query.get("SignName", ""), query.get("TemplateCode", "")
        try:
            params = json.loads(query.get("TemplateParam", "{}"))
        except ValueError:
            return self._error(200, "isv.INVALID_JSON_PARAM", "TemplateParam is no JSON")
        if not MOBILE.fullmatch(phone):
            return self._error(200, "isv.MOBILE_NUMBER_ILLEGAL", f"invalid number {phone}")
        if sign not in self.signs:
            return self._error(200, "isv.SMS_SIGNATURE_ILLEGAL", "sign name not approved")
        text = self.templates.get(template)
        if text is None:
            return self._error(200, "isv.SMS_TEMPLATE_ILLEGAL", "template not approved")
        missing = [name for name in PARAMETER.findall(text) if name not in params]
        if missing:
            return self._error(200, "isv.TEMPLATE_MISSING_PARAMETERS", f"missing {missing}")
        rendered = f"【{sign}】" + PARAMETER.sub(lambda m: str(params[m.group(1)]), text)
        biz_id = f"{secrets.randbelow(10**12):012d}^0"
        self.sent.append(Sent(phone, sign, template, params, rendered, biz_id, query.get("OutId", "")))
        return web.json_response({"RequestId": secrets.token_hex(8), "Code": "OK", "Message": "OK", "BizId": biz_id})

    def _details(self, query: Mapping[str, str]) -> web.Response:
        """QuerySendDetails: a message by its BizId and number, with its receipt. The day (SendDate) is
        checked for its form only: the tests' clocks are not the provider's."""
        if not re.fullmatch(r"20[0-9]{6}", query.get("SendDate", "")):
            return self._error(200, "isv.INVALID_PARAMETERS", "SendDate is yyyyMMdd")
        found = [s for s in self.sent if s.biz_id == query.get("BizId") and s.phone == query.get("PhoneNumber")]
        details = [
            {
                "PhoneNum": s.phone,
                "SendStatus": self.receipts.get(s.biz_id, (3, "DELIVERED"))[0],
                "ErrCode": self.receipts.get(s.biz_id, (3, "DELIVERED"))[1],
                "TemplateCode": s.template,
                "Content": s.text,
                "OutId": s.out_id,
            }
            for s in found
        ]
        body = {"RequestId": secrets.token_hex(8), "Code": "OK", "Message": "OK", "TotalCount": len(details)}
        return web.json_response({**body, "SmsSendDetailDTOs": {"SmsSendDetailDTO": details}})

    def _error(self, status: int, code: str, message: str) -> web.Response:
        self.refused.append(code)
        return web.json_response({"RequestId": secrets.token_hex(8), "Code": code, "Message": message}, status=status)

    def _check_signature(self, request: web.Request, body: bytes) -> tuple[int, str, str] | None:
        """None when the request is signed as the V3 signature requires, else the error to answer."""
        headers = {name.lower(): value for name, value in request.headers.items()}
        if headers.get("x-acs-action") not in ACTIONS or headers.get("x-acs-version") != "2017-05-25":
            return 400, "InvalidAction.NotFound", "x-acs-action or x-acs-version"
        try:
            date = dt.datetime.strptime(headers.get("x-acs-date", ""), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
        except ValueError:
            return 400, "InvalidTimeStamp.Format", "x-acs-date"
        if abs((dt.datetime.now(dt.UTC) - date).total_seconds()) > 15 * 60:
            return 400, "InvalidTimeStamp.Expired", "x-acs-date"
        nonce = headers.get("x-acs-signature-nonce", "")
        if not nonce or nonce in self.nonces:
            return 400, "SignatureNonceUsed", "x-acs-signature-nonce"
        payload_hash = hashlib.sha256(body).hexdigest()
        if headers.get("x-acs-content-sha256") != payload_hash:
            return 400, "InvalidParameter.ContentSHA256", "x-acs-content-sha256"
        found = re.fullmatch(
            rf"{ALGORITHM} Credential=([^,]+),SignedHeaders=([^,]+),Signature=([0-9a-f]{{64}})",
            headers.get("authorization", ""),
        )
        if found is None:
            return 400, "IncompleteSignature", "Authorization"
        key_id, signed, signature = found.groups()
        secret = self.accounts.get(key_id)
        if secret is None:
            return 404, "InvalidAccessKeyId.NotFound", "unknown access key"
        names = signed.split(";")
        must = {"host"} | {name for name in headers if name.startswith("x-acs-")}
        if names != sorted(names) or not must <= set(names) or not set(names) <= set(headers):
            return 400, "IncompleteSignature", "SignedHeaders"
        canonical_headers = "".join(f"{name}:{headers[name].strip()}\n" for name in names)
        pairs = sorted((_encode(k), _encode(v)) for k, v in request.rel_url.query.items())
        canonical_query = "&".join(f"{k}={v}" for k, v in pairs)
        canonical = "\n".join(
            [request.method, quote(request.path, safe="/~"), canonical_query, canonical_headers, signed, payload_hash]
        )
        to_sign = f"{ALGORITHM}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
        expected = hmac.new(secret.encode(), to_sign.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, signature):
            return 400, "SignatureDoesNotMatch", "the signature does not match"
        self.nonces.add(nonce)
        return None


def _encode(text: str) -> str:
    """RFC 3986 percent-encoding of UTF-8, as the signature's canonical query string takes it."""
    return quote(text, safe="~", encoding="utf-8")
