"""The rating tablet's words, Chinese and English."""

from __future__ import annotations

from queue_server.pages.wording import Language

WORDS: dict[Language, dict[str, str]] = {
    "zh": {
        "pad_title": "服务评价",
        "idle": "欢迎您对本窗口服务进行评价",
        "idle_hint": "办结后请在此评价",
        "ask": "请为 {number} 号的服务评价",
        "level_5": "非常满意",
        "level_4": "满意",
        "level_3": "基本满意",
        "level_2": "不满意",
        "level_1": "非常不满意",
        "why": "请选择不满意的原因（可多选）",
        "comment": "意见建议（选填）",
        "send": "提交评价",
        "thanks": "感谢您的评价！",
        "not_taken": "未能记录评价：{reason}",
        "expires": "请于 {time} 前评价",
        "served_by": "为您服务：{who}",
        "staff_number": "工号 {number}",
        "staff_photo": "{name}的照片",
    },
    "en": {
        "pad_title": "Rate our service",
        "idle": "Please rate this window's service",
        "idle_hint": "You can rate here when your matter is done",
        "ask": "Please rate the service for number {number}",
        "level_5": "Very satisfied",
        "level_4": "Satisfied",
        "level_3": "Fairly satisfied",
        "level_2": "Dissatisfied",
        "level_1": "Very dissatisfied",
        "why": "What went wrong? (choose any)",
        "comment": "Comment (optional)",
        "send": "Send",
        "thanks": "Thank you for your rating!",
        "not_taken": "The rating was not recorded: {reason}",
        "expires": "Please rate before {time}",
        "served_by": "Served by {who}",
        "staff_number": "No. {number}",
        "staff_photo": "Photo of {name}",
    },
}
