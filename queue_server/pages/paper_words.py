"""The words around a case's papers (受理通知书, 补正材料通知书, 不予受理通知书, 告知承诺书, 容缺受理通知书,
送达回证); their deadlines are ``domain.papers``'."""

from __future__ import annotations

from queue_server.pages.wording import Language

PAPER_WORDS: dict[Language, dict[str, str]] = {
    "zh": {
        "paper_case": "受理编号",
        "paper_ticket": "排队号",
        "paper_matter": "申请事项",
        "paper_outcome": "办理类型",
        "paper_window": "办理窗口",
        "paper_staff": "经办人",
        "paper_date": "日期",
        "paper_applicant": "申请人：",
        "paper_acceptance_intro": "您申请办理的事项，申请材料齐全、符合法定形式，本中心决定予以受理。",
        "paper_received": "已收取的申请材料",
        "paper_delivery": "结果领取",
        "paper_supplement_intro": "您申请办理的事项，申请材料不齐全或者不符合法定形式，"
        "现一次性告知需要补正的全部内容：",
        "paper_missing": "需补正的材料",
        "paper_reasons": "理由",
        "paper_note": "经办人说明",
        "paper_lead_department": "牵头部门",
        "paper_level": "上报层级",
        "paper_commitment_intro": "您申请办理的事项实行告知承诺制。申请人已知晓本中心告知的办理条件和要求，"
        "以书面承诺代替下列证明，本中心据此予以受理：",
        "paper_commitment": "申请人承诺",
        "paper_commitment_sign": "承诺人签名：　　　　　　　　　　　日期：　　年　　月　　日",
        "paper_deferred_intro": "您申请办理的事项，主要申请材料齐全、符合法定形式，下列次要材料可以容缺后补，"
        "本中心决定予以容缺受理：",
        "paper_to_follow": "需后补的材料",
        "paper_refusal_intro": "您申请办理的事项，经审查，本中心决定不予受理，理由如下：",
        "paper_basis": "依据",
        "paper_delivery_intro": "下列文书（办理结果）已送达受送达人：",
        "paper_delivered_item": "送达文书",
        "paper_receiver": "受送达人签名：",
        "paper_deliverer": "送达人：",
        "paper_delivered_at": "送达时间：　　年　　月　　日　　时　　分",
        "paper_sign": "申请人签名：　　　　　　　　　　　日期：　　年　　月　　日",
        "paper_seal": "（受理专用章）",
        "paper_contact": "地址：{address}　咨询电话：{phone}",
        "paper_print": "打印",
        "paper_back": "返回工作台",
        "paper_none": "此号没有这份文书",
        "paper_none_detail": "即办件没有文书；承诺件、联办件和上报件有受理通知书和送达回证，补正件有补正材料通知书，"
        "退回件有不予受理通知书，告知承诺件有告知承诺书，容缺受理件有容缺受理通知书。",
        "paper_missing_ticket": "没有这个号",
    },
    "en": {
        "paper_case": "Case number",
        "paper_ticket": "Ticket",
        "paper_matter": "Matter",
        "paper_outcome": "Outcome",
        "paper_window": "Window",
        "paper_staff": "Handled by",
        "paper_date": "Date",
        "paper_applicant": "Applicant: ",
        "paper_acceptance_intro": "Your application is complete and in the required form: it is accepted.",
        "paper_received": "Materials received",
        "paper_delivery": "Collecting the result",
        "paper_supplement_intro": "Your application lacks materials or is not in the required form; everything to"
        " supplement is listed here, once and in full:",
        "paper_missing": "Materials to supplement",
        "paper_reasons": "Reasons",
        "paper_note": "The clerk's note",
        "paper_lead_department": "Lead department",
        "paper_level": "Reported to",
        "paper_commitment_intro": "This matter is accepted on commitment: the applicant knows the conditions the centre"
        " told them and commits in writing in place of the proof below; the application is accepted on it.",
        "paper_commitment": "The applicant commits",
        "paper_commitment_sign": "Signed by the applicant: ____________________   Date: ____ / __ / __",
        "paper_deferred_intro": "The main materials are complete and in the required form; the materials below may"
        " follow later, and the application is accepted now:",
        "paper_to_follow": "Materials to follow",
        "paper_refusal_intro": "Your application was examined and is not accepted, for these reasons:",
        "paper_basis": "Basis",
        "paper_delivery_intro": "The following (the result) was delivered to the recipient:",
        "paper_delivered_item": "Delivered",
        "paper_receiver": "Recipient's signature: ",
        "paper_deliverer": "Delivered by: ",
        "paper_delivered_at": "Delivered on: ____ / __ / __  __:__",
        "paper_sign": "Applicant's signature: ____________________   Date: ____ / __ / __",
        "paper_seal": "(seal)",
        "paper_contact": "Address: {address}   Phone: {phone}",
        "paper_print": "Print",
        "paper_back": "Back to the console",
        "paper_none": "This ticket has no such paper",
        "paper_none_detail": "A case done on the spot has none; promised, joint and reported cases have a notice of"
        " acceptance and a proof of delivery, a supplement case a notice to supplement, a returned case a notice"
        " of non-acceptance, a case on commitment a letter of commitment, a case with materials to follow its"
        " notice of acceptance with materials to follow.",
        "paper_missing_ticket": "No such ticket",
    },
}
