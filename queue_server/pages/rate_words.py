"""The words of the rating page a window display's QR code opens (one service's code), Chinese and English."""

from __future__ import annotations

from queue_server.pages.status_words import WORDS as STATUS_WORDS
from queue_server.pages.wording import Language

SHARED = ("rate_level", "items_legend", "item_unrated", "rate_comment", "level_5", "level_4", "level_3", "level_2",
          "level_1", "item_efficiency", "item_skill", "item_attitude")  # fmt: skip
"""The words this page says as the ticket's status page does: the levels, the items, the comment."""

_OWN: dict[Language, dict[str, str]] = {
    "zh": {
        "rate_page_title": "服务评价",
        "rate_heading": "请对{window}为{ticket}号办理的服务进行评价",
        "rate_once": "此二维码只能评价这一次服务，评价一次后即失效。",
        "rate_until": "请在 {time} 前评价",
        "rate_reasons": "不满意的原因（选择不满意或非常不满意时必填）",
        "rate_submit": "提交评价",
        "rate_pick_level": "请选择满意程度",
        "rate_pick_reason": "请至少选择一个不满意的原因",
        "rate_reasons_not_bad": "只有选择不满意或非常不满意时才填写原因",
        "rate_unknown": "此评价码无效",
        "rate_unknown_detail": "这个评价码不属于任何一次服务。请重新扫描窗口屏幕上的二维码，或扫描您取号单上的二维码。",
        "rate_retired": "评价码已过期",
        "rate_retired_help": "请扫描您自己取号单上的二维码，评价您本人的服务。",
        "rate_done": "此次服务已评价",
        "rate_done_detail": "{ticket}号的服务已收到评价，谢谢您。每次服务只能评价一次。",
        "rate_expired": "评价时间已过",
        "rate_expired_detail": "{ticket}号服务的评价时限已过，不能再评价。",
        "rate_refused": "评价未提交",
    },
    "en": {
        "rate_page_title": "Rate the service",
        "rate_heading": "Please rate the service {window} gave ticket {ticket}",
        "rate_once": "This QR code rates this one service only, once.",
        "rate_until": "Please rate before {time}",
        "rate_reasons": "What went wrong (required with Dissatisfied or Very dissatisfied)",
        "rate_submit": "Send the rating",
        "rate_pick_level": "Choose how satisfied you are",
        "rate_pick_reason": "Choose at least one thing that went wrong",
        "rate_reasons_not_bad": "Reasons go only with Dissatisfied or Very dissatisfied",
        "rate_unknown": "This rating code is not valid",
        "rate_unknown_detail": (
            "The code belongs to no service. Scan the QR code on the window's screen again, or the one on your ticket."
        ),
        "rate_retired": "This rating code has expired",
        "rate_retired_help": "Scan the QR code on your own ticket to rate your own service.",
        "rate_done": "This service has been rated",
        "rate_done_detail": "The service of ticket {ticket} has its rating, thank you. Each service is rated once.",
        "rate_expired": "The time to rate has passed",
        "rate_expired_detail": "The time to rate the service of ticket {ticket} has passed.",
        "rate_refused": "The rating was not sent",
    },
}
RATE_WORDS: dict[Language, dict[str, str]] = {
    language: {**{key: STATUS_WORDS[language][key] for key in SHARED}, **own} for language, own in _OWN.items()
}
