"""Small centres and halls for tests, built in code so each test says what matters to it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from queue_server.domain.centre import Centre
from queue_server.domain.clock import ManualClock
from queue_server.domain.hall import Hall

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
WEEKDAY_HOURS = [["08:30", "12:00"], ["14:00", "17:30"]]


def shanghai(year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> dt.datetime:
    """A UTC instant given as Shanghai wall-clock time (no DST there)."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=SHANGHAI).astimezone(dt.UTC)


def centre_data(**overrides: Any) -> dict[str, Any]:
    """A small valid centre: two general windows, a police window and a green-channel window."""
    data: dict[str, Any] = {
        "centre": {"code": "test", "name": "测试便民服务中心", "time_zone": "Asia/Shanghai"},
        "policy": {"max_passed_over": 2, "stop_issuing_before_close": 30},
        "hours": dict.fromkeys(("monday", "tuesday", "wednesday", "thursday", "friday"), WEEKDAY_HOURS),
        "calendar": {
            "holidays": [dt.date(2026, 10, d) for d in range(1, 8)],
            "working_days": [dt.date(2026, 9, 20), dt.date(2026, 10, 10)],
        },
        "domains": [{"code": "general", "name": "综合"}, {"code": "police", "name": "公安"}],
        "window_kinds": [{"code": "general", "name": "综合受理"}, {"code": "police", "name": "公安"}],
        "ticket_groups": [{"prefix": "A", "name": "综合"}, {"prefix": "B", "name": "公安"}],
        "matters": [
            {
                "code": "pension",
                "name": "养老保险待遇领取",
                "domain": "general",
                "window_kinds": ["general"],
                "expected_minutes": 10,
                "prefix": "A",
                "promised_days": 5,
                "materials": ["居民身份证", "户口簿", "银行卡"],
            },
            {
                "code": "medical",
                "name": "医疗费用报销",
                "domain": "general",
                "window_kinds": ["general"],
                "expected_minutes": 20,
                "prefix": "A",
                "daily_quota": 3,
                "materials": ["居民身份证", "发票原件"],
            },
            {
                "code": "id_card",
                "name": "居民身份证换领",
                "domain": "police",
                "window_kinds": ["police"],
                "expected_minutes": 15,
                "prefix": "B",
                "materials": ["居民身份证", "户口簿"],
            },
        ],
        "windows": [
            {"number": 1, "name": "综合受理", "kinds": ["general"]},
            {"number": 2, "name": "综合受理", "kinds": ["general"]},
            {"number": 3, "name": "公安", "kinds": ["police"]},
            {"number": 9, "name": "绿色通道", "kinds": ["general", "police"], "green_channel": True},
        ],
        "staff": [
            {"code": "s1", "name": "王芳"},
            {"code": "s2", "name": "李娜"},
            {"code": "s3", "name": "张伟", "windows": [3]},
            {"code": "s9", "name": "刘洋"},
            {"code": "s10", "name": "陈静"},
        ],
    }
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    return data


def make_centre(**overrides: Any) -> Centre:
    return Centre.model_validate(centre_data(**overrides))


def make_hall(
    centre: Centre | None = None, at: dt.datetime | None = None, *, staffed: bool = True
) -> tuple[Hall, ManualClock]:
    """A hall at 09:00 on Monday 30 November 2026, every window signed on unless told otherwise."""
    clock = ManualClock(at or shanghai(2026, 11, 30))
    hall = Hall(centre or make_centre(), clock)
    if staffed:
        for window, staff in ((1, "s1"), (2, "s2"), (3, "s3"), (9, "s9")):
            if window in hall.centre.windows_by_number:
                hall.sign_on(window, staff)
    return hall, clock
