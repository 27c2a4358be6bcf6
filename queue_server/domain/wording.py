"""What a citizen is told when no ticket can be issued, in Chinese and in English.

Kept apart from the rules so the kiosk, the printer and the API all say the same words.
"""

from __future__ import annotations

import datetime as dt

from queue_server.domain.centre import Centre, Matter
from queue_server.domain.errors import IssueRefused, RefusalReason

WEEKDAYS_ZH = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")


def day_zh(day: dt.date) -> str:
    return f"{day.month}月{day.day}日（{WEEKDAYS_ZH[day.weekday()]}）"


def day_en(day: dt.date) -> str:
    return day.strftime("%A %d %B").replace(" 0", " ")


def refusal(
    reason: RefusalReason,
    centre: Centre,
    matter: Matter,
    next_day: dt.date,
    later_today: dt.time | None,
) -> IssueRefused:
    """The refusal for ``reason``; ``later_today`` is when issuing starts again today, if it does."""
    come_back_zh = f"请于{day_zh(next_day)}再来"
    come_back_en = f"please come back on {day_en(next_day)}"
    name_en = matter.name_en or matter.name  # the name people read, never the internal code
    match reason:
        case RefusalReason.CLOSED_TODAY:
            zh, en = f"今天不办公，{come_back_zh}。", f"The centre is closed today; {come_back_en}."
        case RefusalReason.BEFORE_OPENING if later_today is not None:
            zh = f"还未到办公时间，{later_today:%H:%M}开始取号。"
            en = f"The centre is not open yet; tickets are issued from {later_today:%H:%M}."
        case RefusalReason.LUNCH_BREAK if later_today is not None:
            zh = f"午间休息，{later_today:%H:%M}恢复取号。"
            en = f"Lunch break; tickets are issued again from {later_today:%H:%M}."
        case RefusalReason.STOPPED_ISSUING:
            zh = f"今日已停止取号，{come_back_zh}。"
            en = f"No more tickets are issued today; {come_back_en}."
        case RefusalReason.QUOTA_USED_UP:
            zh = f"「{matter.name}」今日号源已取完（每日{matter.daily_quota}个），{come_back_zh}。"
            en = f"Today's {matter.daily_quota} tickets for {name_en} are all taken; {come_back_en}."
        case RefusalReason.NO_WINDOW_OPEN:
            zh = f"目前没有办理「{matter.name}」的窗口开放，请到咨询导办台咨询。"
            en = f"No window for {name_en} is open right now; please ask at the consultation desk."
        case _:
            zh = f"今日办公时间已结束，{come_back_zh}。"
            en = f"Today's opening hours are over; {come_back_en}."
            reason = RefusalReason.AFTER_CLOSING
    return IssueRefused(reason, zh, en)
