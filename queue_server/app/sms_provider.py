"""Sending one SMS through a provider: the port, and its adapter for Alibaba Cloud's ``SendSms``.

The adapter calls Dysmsapi 2017-05-25 ``SendSms`` (and ``QuerySendDetails`` for the delivery
receipt) through Alibaba Cloud's own SDK
(``alibabacloud-dysmsapi20170525``), which signs each request (the V3 signature,
ACS3-HMAC-SHA256). It only sends and translates the answer: the sender holds the policy (when to
try again, the limit per number, the record). The SDK's own retries are off, so a failed attempt
is recorded and tried again later from the outbox, across restarts too.

Every answer becomes a :class:`SendOutcome`: ``OK`` with the provider's ``BizId``; an error that may
pass (throttling, the provider's 5xx, the network) with ``retry`` set; any other error (a wrong
number, an unapproved template or sign name, a bad key) is final. The access key never appears in
an outcome or a log.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from queue_server.app.sms_settings import Credentials, Provider

RETRYABLE_CODES = frozenset(
    {
        "Throttling",
        "Throttling.User",
        "Throttling.Api",
        "isv.BUSINESS_LIMIT_CONTROL",
        "ServiceUnavailable",
        "InternalError",
        "isp.SYSTEM_ERROR",
        "isp.RAM_PERMISSION_DENY_TEMPORARILY",
    }
)
"""Error codes of SendSms that say "not now" rather than "never" (flow control, a passing fault)."""


@dataclass(frozen=True, slots=True)
class SendOutcome:
    ok: bool
    biz_id: str | None = None
    code: str = "OK"
    message: str = ""
    retry: bool = False

    @property
    def reason(self) -> str:
        return f"{self.code}: {self.message}" if self.message else self.code


class Receipt(enum.StrEnum):
    """What the phone network reported of a sent message (QuerySendDetails' SendStatus 1, 3, 2)."""

    WAITING = "waiting"
    DELIVERED = "delivered"
    FAILED = "failed"
    UNKNOWN = "unknown"
    """The provider could not be asked, or does not know the message (yet)."""


@dataclass(frozen=True, slots=True)
class ReceiptOutcome:
    receipt: Receipt
    reason: str = ""


class SmsProvider(Protocol):
    """Sends one message from a template, and reads its delivery receipt; never raises for what the
    provider or the network says."""

    async def send(
        self, phone: str, sign_name: str, template: str, params: Mapping[str, str], out_id: str
    ) -> SendOutcome: ...

    async def receipt(self, phone: str, biz_id: str, sent_on: dt.date) -> ReceiptOutcome: ...


class AliyunSms:
    """Alibaba Cloud SendSms with one account (an access key) at one endpoint."""

    def __init__(self, provider: Provider, credentials: Credentials) -> None:
        from alibabacloud_dysmsapi20170525.client import Client
        from alibabacloud_tea_openapi.utils_models import Config

        timeout_ms = int(provider.timeout_seconds * 1000)
        config = Config(
            access_key_id=credentials.access_key_id.get_secret_value(),
            access_key_secret=credentials.access_key_secret.get_secret_value(),
            endpoint=provider.endpoint,
            protocol=provider.protocol,
            connect_timeout=timeout_ms,
            read_timeout=timeout_ms,
        )
        self._client: Any = Client(config)

    async def send(
        self, phone: str, sign_name: str, template: str, params: Mapping[str, str], out_id: str
    ) -> SendOutcome:
        from alibabacloud_dysmsapi20170525.models import SendSmsRequest
        from alibabacloud_tea_openapi.exceptions import AlibabaCloudException, ServerException, ThrottlingException

        PASSING = (ServerException, ThrottlingException)  # the provider's 5xx, its flow control
        request = SendSmsRequest(
            phone_numbers=phone,
            sign_name=sign_name,
            template_code=template,
            template_param=json.dumps(dict(params), ensure_ascii=False),
            out_id=out_id,
        )
        try:
            response = await self._client.send_sms_async(request)
        except AlibabaCloudException as error:
            code = str(getattr(error, "code", "") or type(error).__name__)
            message = str(getattr(error, "message", "") or "")
            return SendOutcome(
                False, code=code, message=message, retry=isinstance(error, PASSING) or code in RETRYABLE_CODES
            )
        except Exception as error:  # the network: refused, reset, timed out
            return SendOutcome(False, code="Network", message=f"{type(error).__name__}: {error}", retry=True)
        body = response.body
        code = str(body.code or "")
        if code == "OK":
            return SendOutcome(True, biz_id=str(body.biz_id or ""))
        return SendOutcome(False, code=code, message=str(body.message or ""), retry=code in RETRYABLE_CODES)

    async def receipt(self, phone: str, biz_id: str, sent_on: dt.date) -> ReceiptOutcome:
        """The message's delivery receipt (QuerySendDetails, by its BizId and the day it was sent)."""
        from alibabacloud_dysmsapi20170525.models import QuerySendDetailsRequest

        request = QuerySendDetailsRequest(
            phone_number=phone, biz_id=biz_id, send_date=sent_on.strftime("%Y%m%d"), page_size=10, current_page=1
        )
        try:
            response = await self._client.query_send_details_async(request)
        except Exception as error:  # the provider or the network: asked again later
            return ReceiptOutcome(Receipt.UNKNOWN, f"{type(error).__name__}: {error}")
        body = response.body
        if str(body.code or "") != "OK":
            return ReceiptOutcome(Receipt.UNKNOWN, f"{body.code}: {body.message}")
        found = body.sms_send_detail_dtos.sms_send_detail_dto if body.sms_send_detail_dtos else []
        if not found:
            return ReceiptOutcome(Receipt.UNKNOWN, "not found")
        status, code = int(found[0].send_status or 0), str(found[0].err_code or "")
        receipt = {1: Receipt.WAITING, 2: Receipt.FAILED, 3: Receipt.DELIVERED}.get(status, Receipt.UNKNOWN)
        return ReceiptOutcome(receipt, code)
