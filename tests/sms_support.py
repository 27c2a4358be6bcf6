"""What the SMS tests share: the fake provider's account and approved templates, and settings naming them."""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr

from queue_server.app.answers import Answer
from queue_server.app.once import Once
from queue_server.app.service import HallService
from queue_server.app.sms_phones import take_phone
from queue_server.app.sms_settings import TEMPLATE_TEXTS, CentreSms, Credentials, NoticeKind, Provider, SmsSettings
from tests.fake_sms import FakeSms

KEY_ID = "LTAI-test-key"
SECRET = "test-secret-never-logged"
SIGN = "测试中心"
TEMPLATES = {kind: f"SMS_{100 + n}" for n, kind in enumerate(NoticeKind)}
PHONE = "13800138000"


async def give_phone(
    service: HallService, serial: int, phone: str = PHONE, *, consent: bool = True, centre: str = "test"
) -> Answer:
    """The number given for ticket ``serial``'s notices, as the desk gives it."""
    once = Once(centre, "guide:desk1", f"sms-{serial}-{phone}-{consent}")
    return await take_phone(service, once, serial, phone, consent=consent, source="desk")


def fake_provider() -> FakeSms:
    """The provider as the tests' centres' account sees it: the sign and every template approved."""
    return FakeSms({KEY_ID: SECRET}, {SIGN}, {TEMPLATES[kind]: TEMPLATE_TEXTS[kind] for kind in NoticeKind})


def centre_sms(**overrides: object) -> CentreSms:
    fields: dict[str, object] = {"sign_name": SIGN, "templates": TEMPLATES, "near_ahead": 2, **overrides}
    return CentreSms.model_validate(fields)


def sms_settings(fake: FakeSms, centres: tuple[str, ...] = ("test",), **overrides: object) -> SmsSettings:
    credentials = Credentials(access_key_id=SecretStr(KEY_ID), access_key_secret=SecretStr(SECRET))
    provider = Provider(endpoint=fake.endpoint, protocol="http", timeout_seconds=5)
    return SmsSettings(
        provider, {code: centre_sms(**overrides) for code in centres}, dict.fromkeys(centres, credentials)
    )


def write_config(fake: FakeSms, folder: Path, centres: tuple[str, ...]) -> Path:
    """A configuration file as a centre writes it, with its secrets in a file of their own."""
    secrets = folder / "sms-secrets.toml"
    secrets.write_text(f'access_key_id = "{KEY_ID}"\naccess_key_secret = "{SECRET}"\n', encoding="utf-8")
    lines = ["[provider]", f'endpoint = "{fake.endpoint}"', 'protocol = "http"', f'secrets = "{secrets}"', ""]
    for code in centres:
        lines += [f"[centres.{code}]", f'sign_name = "{SIGN}"', "near_ahead = 2", "", f"[centres.{code}.templates]"]
        lines += [f'{kind.value} = "{TEMPLATES[kind]}"' for kind in NoticeKind] + [""]
    path = folder / "sms.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path
