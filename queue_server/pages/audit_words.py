"""The audit trail page's words (审计日志), Chinese and English."""

from __future__ import annotations

from queue_server.pages.wording import Language

AUDIT_WORDS: dict[Language, dict[str, str]] = {
    "zh": {
        "audit_title": "审计日志",
        "centre": "中心",
        "kind": "类别",
        "all_kinds": "全部类别",
        "since": "起始日期",
        "until": "截止日期",
        "actor": "操作人",
        "show": "查询",
        "export_heading": "导出",
        "export_format": "格式",
        "export_reason": "导出事由",
        "export_note": "导出会连同导出人、时间和事由记入审计日志。",
        "export": "导出",
        "kept_note": (
            "本中心的审计日志保存 {days} 天（不少于180天），之后由每日任务删除；"
            "每条记录与前一条以哈希相连，数据库中的改动可由 onewindow audit verify 查出。"
        ),
        "col_at": "时间",
        "col_kind": "类别",
        "col_actor": "操作人",
        "col_subject": "对象",
        "col_reason": "事由",
        "col_detail": "详情",
        "no_entries": "没有符合条件的记录",
        "bad_query": "查询条件有误，已显示全部记录",
        "shown": "共 {n} 条（最新的在前，最多 {limit} 条）",
        "kind_config_changed": "中心配置变更",
        "kind_account_changed": "账号变更",
        "kind_token_changed": "令牌变更",
        "kind_device_changed": "设备变更",
        "kind_personal_viewed": "查看个人信息",
        "kind_personal_exported": "导出个人信息",
        "kind_personal_erased": "删除个人信息",
        "kind_audit_exported": "导出审计日志",
        "reason_missing": "请写明导出事由",
    },
    "en": {
        "audit_title": "Audit trail",
        "centre": "Centre",
        "kind": "Kind",
        "all_kinds": "All kinds",
        "since": "From",
        "until": "To",
        "actor": "By",
        "show": "Show",
        "export_heading": "Export",
        "export_format": "Format",
        "export_reason": "Why it is exported",
        "export_note": "An export is recorded in the audit trail with who, when and why.",
        "export": "Export",
        "kept_note": (
            "This centre keeps its audit trail for {days} days (at least 180), then the daily jobs delete it;"
            " each entry is hash-linked to the one before, so a change made in the database is found by"
            " onewindow audit verify."
        ),
        "col_at": "Time",
        "col_kind": "Kind",
        "col_actor": "By",
        "col_subject": "Object",
        "col_reason": "Reason",
        "col_detail": "Detail",
        "no_entries": "No entries match",
        "bad_query": "The filter was not understood; every entry is shown",
        "shown": "{n} entries (newest first, at most {limit})",
        "kind_config_changed": "Configuration changed",
        "kind_account_changed": "Account changed",
        "kind_token_changed": "Token changed",
        "kind_device_changed": "Device changed",
        "kind_personal_viewed": "Personal data viewed",
        "kind_personal_exported": "Personal data exported",
        "kind_personal_erased": "Personal data erased",
        "kind_audit_exported": "Audit trail exported",
        "reason_missing": "Say why the trail is exported",
    },
}
