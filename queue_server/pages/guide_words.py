"""The words of a matter's service guide (办事指南), wherever it is shown: the printable page, the
ticket's page and the kiosk."""

from __future__ import annotations

from queue_server.domain.guides import MATERIAL_FORM_NAMES_EN, MATERIAL_FORM_NAMES_ZH
from queue_server.pages.wording import Language

GUIDE_WORDS: dict[Language, dict[str, str]] = {
    "zh": {
        "guide_title": "办事指南",
        "guide_page_title": "{matter} 办事指南",
        "guide_open": "办事指南和所需材料",
        "guide_missing": "本事项的办事指南尚未录入，请到咨询导办台咨询所需材料。",
        "guide_materials": "申请材料",
        "guide_material_line": "{name}（{form}，{copies}份）",
        "guide_material_line_shown": "{name}（{form}）",
        "guide_windows": "办理窗口",
        "guide_promised": "承诺办结时限",
        "guide_promised_days": "{n} 个工作日",
        "guide_on_the_spot": "即办件，材料齐全当场办结",
        "guide_acceptance": "告知承诺与容缺受理",
        "guide_commitment": "可告知承诺办理：书面承诺符合条件即可受理，事后核查",
        "guide_deferrable": "可容缺受理，以下材料可后补：{materials}",
        "guide_time_limit": "法定办结时限",
        "guide_procedure": "办理流程",
        "guide_fees": "收费标准",
        "guide_result": "办理结果",
        "guide_collection": "结果领取",
        "guide_basis": "设定依据",
        "guide_source": "来源：{source}",
        "guide_centre": "{centre}　地址：{address}　电话：{phone}",
        "guide_print": "打印",
        "guide_not_found": "找不到这个事项",
        "guide_not_found_detail": "本中心没有这个事项。请回到取号机或咨询导办台。",
    },
    "en": {
        "guide_title": "Service guide",
        "guide_page_title": "Service guide: {matter}",
        "guide_open": "Service guide and materials to bring",
        "guide_missing": "This matter's guide has not been entered yet: ask at the consultation desk what to bring.",
        "guide_materials": "Materials to bring",
        "guide_material_line": "{name} ({form} ×{copies})",
        "guide_material_line_shown": "{name} ({form})",
        "guide_windows": "Windows",
        "guide_promised": "Done within",
        "guide_promised_days": "{n} working days",
        "guide_on_the_spot": "Done on the spot when every material is there",
        "guide_acceptance": "On commitment, materials to follow",
        "guide_commitment": "May be accepted on your written commitment that you qualify, verified afterwards",
        "guide_deferrable": "May be accepted with these materials to follow: {materials}",
        "guide_time_limit": "Statutory time limit",
        "guide_procedure": "Procedure",
        "guide_fees": "Fees",
        "guide_result": "Result",
        "guide_collection": "Collecting the result",
        "guide_basis": "Legal basis",
        "guide_source": "Source: {source}",
        "guide_centre": "{centre}　Address: {address}　Phone: {phone}",
        "guide_print": "Print",
        "guide_not_found": "No such matter",
        "guide_not_found_detail": "This centre has no such matter. Go back to the kiosk or ask at the desk.",
    },
}

FORM_WORDS: dict[Language, dict[str, str]] = {
    "zh": {f"form_{form}": name for form, name in MATERIAL_FORM_NAMES_ZH.items()},
    "en": {f"form_{form}": name for form, name in MATERIAL_FORM_NAMES_EN.items()},
}
"""A material's form (原件, 复印件 ...) as the scripts word it: ``form_<form>``."""
