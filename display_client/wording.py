"""The words the display pages show, in Chinese (the default) and English.

Kept in one table so the page template and its script use the same words, and so a hall can see
at a glance what its screens may say.
"""

from __future__ import annotations

WORDS: dict[str, dict[str, str]] = {
    "zh": {
        "title": "叫号显示",
        "now_calling": "正在呼叫",
        "please_go": "请到",
        "to_window": "办理",
        "recall": "重呼",
        "recent_calls": "最近呼叫",
        "windows": "窗口",
        "window_no": "{n}号窗口",
        "waiting": "等候人数",
        "people": "人",
        "serving": "正在办理",
        "called": "已呼叫",
        "idle": "等待叫号",
        "paused": "暂停服务",
        "closed": "已关闭",
        "no_calls": "暂无呼叫",
        "wait_for_call": "请留意叫号",
        "green_channel": "绿色通道",
        "booked": "预约",
        "back_at": "预计 {time} 恢复",
        "connecting": "正在连接叫号系统…",
        "broker_lost": "与叫号系统的连接已中断，正在重新连接；以下为最后已知状态",
        "server_lost": "叫号服务器暂不可用；以下为最后已知状态",
        "outdated": "本显示屏需要升级：服务器使用协议版本 {seen}，本屏只支持到 {known}；以下为最后已知状态",
        "page_lost": "显示服务未响应，正在重新连接；以下为最后已知状态",
        "update_available": "维护提示：服务器协议 {seen}，本屏 {known}，可择时升级",
        "window_unknown": "尚未收到本窗口状态",
        "staff_on_duty": "当前办理人员",
        "staff_number": "工号 {number}",
        "staff_photo": "{name}的照片",
        "rate_scan": "请扫码评价 {number} 号的服务",
        "rate_qr": "{number}号服务的评价二维码",
    },
    "en": {
        "title": "Calling board",
        "now_calling": "Now calling",
        "please_go": "Please go to",
        "to_window": "",
        "recall": "Recall",
        "recent_calls": "Recent calls",
        "windows": "Windows",
        "window_no": "Window {n}",
        "waiting": "Waiting",
        "people": "",
        "serving": "Serving",
        "called": "Called",
        "idle": "Ready",
        "paused": "Paused",
        "closed": "Closed",
        "no_calls": "No calls yet",
        "wait_for_call": "Please wait for your number",
        "green_channel": "Green channel",
        "booked": "Booked",
        "back_at": "back at {time}",
        "reason_break": "Break",
        "reason_meeting": "Meeting",
        "reason_system_fault": "System fault",
        "reason_training": "Training",
        "reason_other": "Other",
        "connecting": "Connecting to the queue system…",
        "broker_lost": "Connection to the queue system lost, reconnecting; showing the last known state",
        "server_lost": "The queue server is unavailable; showing the last known state",
        "outdated": "This display needs an update: the server speaks protocol {seen}, this display knows up to"
        " {known}; showing the last known state",
        "page_lost": "The display service does not answer, reconnecting; showing the last known state",
        "update_available": "Maintenance: server protocol {seen}, this display {known}; update when convenient",
        "window_unknown": "No state received for this window yet",
        "staff_on_duty": "Served by",
        "staff_number": "No. {number}",
        "staff_photo": "Photo of {name}",
        "rate_scan": "Scan to rate the service of {number}",
        "rate_qr": "QR code to rate the service of {number}",
    },
}


def labels(*, english: bool) -> dict[str, str]:
    return dict(WORDS["en" if english else "zh"])
