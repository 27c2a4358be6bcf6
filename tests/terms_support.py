"""A small centre whose matters allow 告知承诺 and 容缺受理 and whose window 4 is a 帮办代办 window."""

from __future__ import annotations

from typing import Any

from queue_server.domain.centre import Centre
from queue_server.domain.hall import Hall
from tests.factories import centre_data, make_centre, make_hall


def terms_centre_data(**overrides: Any) -> dict[str, Any]:
    data = centre_data(**overrides)
    pension = data["matters"][0]
    data["matters"][0] = {**pension, "deferrable": ["户口簿", "银行卡"], "commitment": True}
    data["window_kinds"] = [*data["window_kinds"], {"code": "assisted", "name": "帮办代办", "assists": True}]
    data["windows"] = [*data["windows"], {"number": 4, "name": "帮办代办", "kinds": ["assisted", "general"]}]
    return data


def terms_centre(**overrides: Any) -> Centre:
    return make_centre(**{**terms_centre_data(**overrides)})


def terms_hall() -> Hall:
    """The hall at 09:00 on Monday 30 November 2026, windows 1 and 4 signed on (s1, s2)."""
    hall, _ = make_hall(terms_centre(), staffed=False)
    hall.sign_on(1, "s1")
    hall.sign_on(4, "s2")
    return hall
