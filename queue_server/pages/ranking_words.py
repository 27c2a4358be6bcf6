"""The monthly ranking page's words (月度排名通报), Chinese and English."""

from __future__ import annotations

from queue_server.pages.wording import Language

RANKING_WORDS: dict[Language, dict[str, str]] = {
    "zh": {
        "ranking_title": "月度排名通报",
        "centre": "中心",
        "month": "月份",
        "show": "查询",
        "print": "打印",
        "download_csv": "下载 CSV",
        "download_xlsx": "下载 Excel",
        "bad_query": "月份有误，已显示本月排名。",
        "month_shown": "{label}（{first} 至 {last}），与上月 {previous} 对比",
        "formula": (
            "排名方法：本月评价（不含申诉成立的评价）不少于 5 次的窗口和工作人员，先按满意率（基本满意及以上占评价数）"
            "从高到低，再按服务数从多到少，再按平均等候时间从短到长排列；评价少于 5 次的列在最后，不参与排名。"
            "排名最后一位为末位；本月和上月都在末位的，标为“连续两个月末位”，提请监督关注。"
        ),
        "windows": "窗口排名",
        "staff": "工作人员排名",
        "flagged": "连续两个月末位：{names}",
        "none_flagged": "本月没有连续两个月末位的窗口。",
        "col_rank": "名次",
        "col_previous": "上月名次",
        "col_name": "名称",
        "col_satisfaction": "满意率",
        "col_rated": "评价数",
        "col_appeals": "申诉成立",
        "col_served": "服务数",
        "col_wait": "平均等候(分钟)",
        "col_flag": "通报",
        "unranked": "未排名",
        "bottom": "末位",
        "bottom_twice": "连续两个月末位",
        "no_rows": "本月没有业务记录。",
    },
    "en": {
        "ranking_title": "Monthly ranking",
        "centre": "Centre",
        "month": "Month",
        "show": "Show",
        "print": "Print",
        "download_csv": "Download CSV",
        "download_xlsx": "Download Excel",
        "bad_query": "The month was not valid; this month's ranking is shown.",
        "month_shown": "{label} ({first} to {last}), against {previous}",
        "formula": (
            "How it is ranked: windows and staff with at least 5 ratings counted this month (upheld appeals left"
            " out) by satisfaction rate (basically satisfied or better among the ratings), highest first, then by"
            " tickets served, most first, then by mean wait, shortest first; those with fewer ratings follow,"
            " unranked. The last ranked place is the bottom; at the bottom this month and last month is flagged."
        ),
        "windows": "Windows",
        "staff": "Staff",
        "flagged": "At the bottom two months running: {names}",
        "none_flagged": "No window has been at the bottom two months running.",
        "col_rank": "Rank",
        "col_previous": "Last month",
        "col_name": "Name",
        "col_satisfaction": "Satisfaction",
        "col_rated": "Ratings",
        "col_appeals": "Appeals upheld",
        "col_served": "Served",
        "col_wait": "Mean wait (min)",
        "col_flag": "Notice",
        "unranked": "Unranked",
        "bottom": "Bottom",
        "bottom_twice": "Bottom two months running",
        "no_rows": "Nothing was served this month.",
    },
}
