"""Which centres send SMS notices, through which provider account, with which approved templates.

Read once at start from a TOML file (``onewindow serve --sms-config``); docs/deployment.md shows
one. The file names the provider and, per centre, the approved sign name (签名), the template code
of each kind of notice, how many places ahead the "near" notice goes, the limit per number per
day and the days a number is kept. The access key is never in this file's centre sections nor in
the database: it comes from a secrets file (TOML with ``access_key_id`` and ``access_key_secret``,
named by ``secrets``) or from ``ONEWINDOW_SMS_ACCESS_KEY_ID`` and ``ONEWINDOW_SMS_ACCESS_KEY_SECRET``,
and is held as a ``SecretStr`` so no log or error shows it.

A centre absent from the file sends nothing, and its pages do not offer SMS notices.
"""

from __future__ import annotations

import enum
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

ENV_KEY_ID = "ONEWINDOW_SMS_ACCESS_KEY_ID"
ENV_KEY_SECRET = "ONEWINDOW_SMS_ACCESS_KEY_SECRET"
DEFAULT_ENDPOINT = "dysmsapi.aliyuncs.com"


class NoticeKind(enum.StrEnum):
    """Every kind of notice, each with a template of its own (TEMPLATE_TEXTS)."""

    NEAR = "near"
    CALLED = "called"
    READY = "ready"
    BOOKING_CONFIRMED = "booking_confirmed"
    BOOKING_REMINDER = "booking_reminder"
    CODE = "code"


TEMPLATE_TEXTS: dict[NoticeKind, str] = {
    NoticeKind.NEAR: "您的号码${number}前面还有${ahead}人，请留意叫号。",
    NoticeKind.CALLED: "请${number}号到${window}办理。",
    NoticeKind.READY: "您在${centre}办理的${matter}已办结，请到${place}领取。",
    NoticeKind.BOOKING_CONFIRMED: "您已预约${date} ${time}在${centre}办理${matter}，预约号${booking}。",
    NoticeKind.BOOKING_REMINDER: "提醒：您预约了${date} ${time}在${centre}办理${matter}，请按时到达。",
    NoticeKind.CODE: "您的验证码为${code}，${minutes}分钟内有效，请勿告诉他人。",
}
"""The template texts to submit for approval, with the parameters OneWindow fills (docs/deployment.md)."""

CONSENT_ZH = "本人同意用此号码接收本次办事的短信提醒（临近叫号、叫号、办结）；号码仅用于此，{days}天后删除。"
CONSENT_EN = (
    "I agree to receive text messages about this visit (turn near, called, result ready) at this number; "
    "it is used only for that and deleted after {days} days."
)


class SmsSettingsError(ValueError):
    """The SMS configuration cannot be used; the message names the file and what is wrong."""


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class Credentials(_Strict):
    access_key_id: SecretStr = Field(min_length=1)
    access_key_secret: SecretStr = Field(min_length=1)


class Provider(_Strict):
    kind: str = Field(default="aliyun", pattern="^aliyun$", description="Alibaba Cloud SendSms (Dysmsapi 2017-05-25)")
    endpoint: str = Field(default=DEFAULT_ENDPOINT, min_length=1, max_length=200)
    protocol: str = Field(default="https", pattern="^https?$")
    secrets: Path | None = None
    timeout_seconds: float = Field(default=10.0, gt=0, le=120)


class CentreSms(_Strict):
    sign_name: str = Field(min_length=1, max_length=40, description="The approved sign name (短信签名)")
    templates: dict[NoticeKind, str] = Field(description="Template code (SMS_...) of each kind of notice sent")
    near_ahead: int = Field(default=3, ge=1, le=50, description="Send 'near' when this many or fewer are ahead")
    daily_limit: int = Field(default=10, ge=1, le=1000, description="Notices one number gets a day at most")
    keep_days: int = Field(default=7, ge=1, le=365, description="Days a number is kept, then deleted")
    secrets: Path | None = None
    """This centre's own account; else the provider's."""

    def template(self, kind: NoticeKind) -> str | None:
        return self.templates.get(kind)


class _File(_Strict):
    provider: Provider = Provider()
    centres: dict[str, CentreSms] = Field(default_factory=dict)


class SmsSettings:
    """The parsed file with each centre's credentials resolved."""

    def __init__(self, provider: Provider, centres: Mapping[str, CentreSms], credentials: Mapping[str, Credentials]):
        self.provider = provider
        self.centres = dict(centres)
        self._credentials = dict(credentials)

    def centre(self, code: str) -> CentreSms | None:
        return self.centres.get(code)

    def offers(self, code: str, kind: NoticeKind) -> bool:
        """Whether the centre sends this kind of notice (it has a provider and the template)."""
        found = self.centres.get(code)
        return found is not None and found.template(kind) is not None

    def credentials(self, code: str) -> Credentials:
        return self._credentials[code]

    @classmethod
    def load(cls, path: Path, environ: Mapping[str, str] | None = None) -> SmsSettings:
        environ = os.environ if environ is None else environ
        try:
            parsed = _File.model_validate(tomllib.loads(path.read_text(encoding="utf-8")))
        except (OSError, tomllib.TOMLDecodeError) as error:
            raise SmsSettingsError(f"Cannot read the SMS configuration {path}: {error}") from None
        except ValidationError as error:
            raise SmsSettingsError(f"Cannot use the SMS configuration {path}: {_first(error)}") from None
        credentials = {
            code: _credentials(centre.secrets or parsed.provider.secrets, environ, code)
            for code, centre in parsed.centres.items()
        }
        return cls(parsed.provider, parsed.centres, credentials)


def _first(error: ValidationError) -> str:
    issue = error.errors()[0]
    return f"{'.'.join(str(part) for part in issue['loc'])}: {issue['msg']}"


def _credentials(secrets: Path | None, environ: Mapping[str, str], centre: str) -> Credentials:
    """The access key from the secrets file, else the environment; an error says where it was looked for."""
    if secrets is not None:
        try:
            return Credentials.model_validate(tomllib.loads(secrets.read_text(encoding="utf-8")))
        except (OSError, tomllib.TOMLDecodeError) as error:
            raise SmsSettingsError(f"Cannot read the SMS secrets file {secrets} of centre {centre}: {error}") from None
        except ValidationError as error:
            raise SmsSettingsError(f"Cannot use the SMS secrets file {secrets}: {_first(error)}") from None
    key_id, secret = environ.get(ENV_KEY_ID, ""), environ.get(ENV_KEY_SECRET, "")
    if not key_id or not secret:
        raise SmsSettingsError(
            f"Cannot send SMS for centre {centre}: no access key; name a secrets file (secrets = ...) "
            f"or set {ENV_KEY_ID} and {ENV_KEY_SECRET}"
        )
    return Credentials(access_key_id=SecretStr(key_id), access_key_secret=SecretStr(secret))
