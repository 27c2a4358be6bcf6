"""The words the pages share (their own words live in their templates' tables), Chinese and English."""

from __future__ import annotations

from typing import Literal

Language = Literal["zh", "en"]
LANGUAGES: tuple[Language, ...] = ("zh", "en")

COMMON: dict[Language, dict[str, str]] = {
    "zh": {
        "app": "一窗通",
        "login": "登录",
        "logout": "退出",
        "username": "用户名",
        "password": "密码",
        "login_title": "工作人员登录",
        "login_failed": "用户名或密码不正确",
        "login_wait": "登录失败次数过多，请 {seconds} 秒后再试",
        "login_missing": "请填写此项",
        "session_ended": "登录已过期，请重新登录",
        "not_allowed": "无权访问",
        "not_allowed_detail": "当前账号（{role}）不能打开此页面。",
        "not_found": "页面不存在",
        "switch_language": "English",
        "nav_manager": "中心管理",
        "nav_reports": "统计报表",
        "nav_rectification": "整改跟踪",
        "nav_ranking": "月度排名",
        "nav_audit": "审计日志",
        "nav_console": "窗口工作台",
        "nav_my_ratings": "我的差评与申诉",
        "kiosk_enrol": "登记取号机或评价平板",
        "kiosk_token": "设备令牌",
        "kiosk_enrol_help": "由管理员在本机输入取号机或评价器的设备令牌（onewindow user token 生成），登记一次即可。",
        "kiosk_enrol_bad": "这不是有效的取号机或评价器令牌",
        "kiosk_enrolled": "已登记为取号机 {kiosk}",
        "submit": "确定",
        "offline": "与服务器的连接已中断，正在重新连接…",
        "csrf_failed": "页面已过期，请刷新后重试",
        "not_done": "操作未执行",
        "field_invalid": "请检查此项",
        "kind_keypad": "呼叫器",
        "kind_pad": "评价器",
        "kind_kiosk": "取号机",
        "kind_printer": "打印机",
        "kind_display": "显示屏",
        "devices_lost": "设备离线，请检查电源和网络：{list}",
        "lost_device": "{kind} {id}",
        "lost_device_at": "{kind} {id}（{window}号窗口）",
    },
    "en": {
        "app": "OneWindow",
        "login": "Log in",
        "logout": "Log out",
        "username": "Username",
        "password": "Password",
        "login_title": "Staff login",
        "login_failed": "The username or password is wrong",
        "login_wait": "Too many failed logins; try again in {seconds} s",
        "login_missing": "Please fill this in",
        "session_ended": "Your session has ended; log in again",
        "not_allowed": "Not allowed",
        "not_allowed_detail": "This account ({role}) may not open this page.",
        "not_found": "No such page",
        "switch_language": "中文",
        "nav_manager": "Manager",
        "nav_reports": "Reports",
        "nav_rectification": "Rectification",
        "nav_ranking": "Monthly ranking",
        "nav_audit": "Audit trail",
        "nav_console": "Counter console",
        "nav_my_ratings": "My bad ratings and appeals",
        "kiosk_enrol": "Enrol this kiosk or rating tablet",
        "kiosk_token": "Device token",
        "kiosk_enrol_help": (
            "A manager types the kiosk's or rating pad's device token (made by onewindow user token) here, once."
        ),
        "kiosk_enrol_bad": "This is not a working kiosk or rating pad token",
        "kiosk_enrolled": "Enrolled as kiosk {kiosk}",
        "submit": "OK",
        "offline": "The connection to the server is lost; reconnecting…",
        "csrf_failed": "The page has expired; reload it and try again",
        "not_done": "Not done",
        "field_invalid": "Please check this",
        "kind_keypad": "Keypad",
        "kind_pad": "Rating pad",
        "kind_kiosk": "Kiosk",
        "kind_printer": "Printer",
        "kind_display": "Display",
        "devices_lost": "Devices offline, check their power and network: {list}",
        "lost_device": "{kind} {id}",
        "lost_device_at": "{kind} {id} (window {window})",
    },
}


def words(language: Language, *tables: dict[Language, dict[str, str]]) -> dict[str, str]:
    """The common words and each page's own, in one language."""
    merged = dict(COMMON[language])
    for table in tables:
        merged.update(table[language])
    return merged
