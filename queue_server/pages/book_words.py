"""The words of the public booking page (the citizen's phone), Chinese and English."""

from __future__ import annotations

from queue_server.pages.wording import Language

BOOK_WORDS: dict[Language, dict[str, str]] = {
    "zh": {
        "book_title": "预约办事",
        "book_missing": "找不到这个服务中心",
        "book_missing_detail": "这个链接没有对应的服务中心。请检查链接，或到中心的咨询导办台咨询。",
        "book_none": "本中心暂不接受预约，请直接到大厅取号办理。",
        "book_at_desk": "网上预约需要用短信验证码确认手机号码，本中心尚未开通短信服务。"
        "请到大厅的咨询导办台预约，或致电中心由工作人员代为预约。",
        "book_phone": "咨询电话：{phone}",
        "book_address": "地址：{address}",
        "book_matters": "可预约的事项和时段",
        "book_extended": "延时服务：{days} {start}–{end}",
        "book_rules": "预约须知",
        "book_rule_ahead": "可预约今天起{days}天内的时段，每人最多同时有{most}个有效预约。",
        "book_rule_cancel": "如需取消或改约，请在时段开始{minutes}分钟前办理。",
        "book_rule_check_in": "请于时段开始前{early}分钟至开始后{late}分钟内，"
        "在取号机或咨询导办台凭预约码或身份证号码签到；签到后时段一到即优先叫号。",
        "book_rule_late": "迟到超过{late}分钟，预约失效，改为普通取号，按到达顺序排队。",
        "day_monday": "周一",
        "day_tuesday": "周二",
        "day_wednesday": "周三",
        "day_thursday": "周四",
        "day_friday": "周五",
        "day_saturday": "周六",
        "day_sunday": "周日",
    },
    "en": {
        "book_title": "Book a visit",
        "book_missing": "Centre not found",
        "book_missing_detail": "This link names no service centre. Check the link, or ask at the centre's"
        " consultation desk.",
        "book_none": "This centre takes no bookings: come to the hall and take a ticket.",
        "book_at_desk": "Booking online needs your mobile number confirmed by a text message, which this centre"
        " does not send yet. Book at the hall's consultation desk, or call the centre and staff book for you.",
        "book_phone": "Phone: {phone}",
        "book_address": "Address: {address}",
        "book_matters": "Matters and slots that can be booked",
        "book_extended": "Extended hours: {days} {start}–{end}",
        "book_rules": "Good to know",
        "book_rule_ahead": "Slots can be booked up to {days} days ahead; at most {most} active bookings per person.",
        "book_rule_cancel": "Cancel or move a booking at least {minutes} minutes before its slot.",
        "book_rule_check_in": "Check in at a kiosk or the consultation desk, with the booking's code or your ID number,"
        " from {early} minutes before the slot to {late} minutes after its start; once the slot begins you are"
        " called before walk-ins.",
        "book_rule_late": "More than {late} minutes late, the booking lapses and you get a walk-in ticket.",
        "day_monday": "Mon",
        "day_tuesday": "Tue",
        "day_wednesday": "Wed",
        "day_thursday": "Thu",
        "day_friday": "Fri",
        "day_saturday": "Sat",
        "day_sunday": "Sun",
    },
}
