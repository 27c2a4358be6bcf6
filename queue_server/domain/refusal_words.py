"""Every refusal of the catalogue said in Chinese and in English, naming things as the staff know them.

A refusal's facts are what the hall knows (window 3, ticket A001, matter ``ss_card``); the words
name them as people do: 「3号窗口（综合受理）」, 「社保卡申领」, never a matter's code or a ticket's
serial where its printed number exists. Kept apart from the rules, like the citizen's words for
an issue refused (queue_server.domain.wording), so every screen and device says the same.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from queue_server.domain.centre import Centre
from queue_server.domain.refusal_codes import Fact, RefusalCode
from queue_server.domain.tickets import OUTCOME_NAMES_EN, OUTCOME_NAMES_ZH
from queue_server.domain.wording import day_en, day_zh

C = RefusalCode

WORDS: dict[RefusalCode, tuple[str, str]] = {
    C.CENTRE_NOT_FOUND: ("没有这个中心", "There is no such centre"),
    C.TICKET_NOT_FOUND: ("本中心没有这个号", "There is no such ticket at this centre"),
    C.TICKET_NUMBER_NOT_FOUND: ("{day}没有{ticket}号", "There is no ticket {ticket} on {day}"),
    C.MATTER_NOT_FOUND: ("本中心不办理这个事项", "This centre does not handle that matter"),
    C.WINDOW_NOT_FOUND: ("本中心没有{window}", "This centre has no {window}"),
    C.STAFF_NOT_FOUND: ("本中心没有{staff}这位工作人员", "There is no staff member {staff} at this centre"),
    C.PAD_NOT_FOUND: ("这台评价器不属于本中心的窗口", "This rating pad belongs to no window of this centre"),
    C.PROMISED_NOT_FOUND: ("这不是本中心的承诺件", "This is no promised case of this centre"),
    C.CASE_NOT_FOUND: ("没有第{case}号整改件", "There is no rectification case {case}"),
    C.PHOTO_NOT_FOUND: ("本中心没有这张工作人员照片", "This centre has no such staff photo"),
    C.EVIDENCE_NOT_FOUND: ("本中心没有这个申诉证据文件", "This centre has no such appeal file"),
    C.STAFF_WRONG_WINDOW: (
        "{staff}只能在{windows}签到，不能在{window}签到",
        "{staff} may sign on only at {windows}, not at {window}",
    ),
    C.NOT_SIGNED_ON: ("您未在{window}签到，不能在此操作", "You are not signed on at {window}"),
    C.RATING_WRONG_PAD: (
        "{ticket}号在{served_at}办理，只能在该窗口的评价器上评价",
        "Ticket {ticket} was served at {served_at}; rate it on that window's pad",
    ),
    C.SIGNED_ON_ELSEWHERE: (
        "{staff}已在{other}签到，请先在那里签退",
        "{staff} is signed on at {other}; sign off there first",
    ),
    C.SIGNED_ON_ALREADY: ("{staff}已在{window}签到", "{staff} is signed on at {window} already"),
    C.WINDOW_FULL: ("{window}已有A岗{staff}和B岗{cover}", "{window} is staffed by {staff} and {cover} already"),
    C.SIGN_OFF_NOT_SIGNED_ON: ("{staff}未在{window}签到，无需签退", "{staff} is not signed on at {window}"),
    C.WINDOW_PAUSED: ("{window}处于暂停服务，请先恢复服务", "{window} is paused; resume first"),
    C.WINDOW_CLOSED: ("{window}已关闭", "{window} is closed"),
    C.WINDOW_NOT_PAUSED: ("{window}未暂停服务，无需恢复", "{window} is not paused"),
    C.WINDOW_BUSY: (
        "{ticket}号还在{window}，请先办结、过号或转移",
        "Ticket {ticket} is still at {window}; finish it, mark it a no-show or transfer it first",
    ),
    C.WINDOW_EMPTY: ("{window}当前没有号", "No ticket is at {window}"),
    C.PAUSE_MINUTES: ("暂停时长请填1到1440分钟", "Give a pause of 1 to 1440 minutes"),
    C.CALL_REASON_MISSING: ("选号叫{ticket}号请填写原因", "Give a reason for calling ticket {ticket} out of order"),
    C.WINDOW_NOT_FOR_MATTER: (
        "{window}不办理{matter}，不能办理{ticket}号",
        "{window} does not handle {matter}, so not ticket {ticket}",
    ),
    C.TRANSFER_TARGET_MISSING: (
        "转移{ticket}号请选择事项或窗口",
        "Choose a matter or a window to transfer ticket {ticket} to",
    ),
    C.TRANSFER_SAME_WINDOW: (
        "{ticket}号已在{window}，请选择其他窗口",
        "Ticket {ticket} is at {window} already; choose another window",
    ),
    C.TRANSFER_WINDOW_CLOSED: (
        "{window}已关闭，{ticket}号不能转到该窗口",
        "{window} is closed; ticket {ticket} cannot be transferred there",
    ),
    C.TRANSFER_NO_WINDOW_OPEN: (
        "办理{matter}的窗口都未开放，{ticket}号不能转移",
        "No window for {matter} is open; ticket {ticket} cannot be transferred",
    ),
    C.TICKET_STATUS: ("{ticket}号{status}", "Ticket {ticket} {status}"),
    C.TICKET_AT_OTHER_WINDOW: (
        "{ticket}号在{held_by}，不在{window}",
        "Ticket {ticket} is at {held_by}, not at {window}",
    ),
    C.TICKET_SENT_ELSEWHERE: (
        "{ticket}号已转到{target}，不能在{window}呼叫",
        "Ticket {ticket} was sent to {target}; it cannot be called at {window}",
    ),
    C.TICKET_ISSUED_ALREADY: ("{ticket}号已取号", "Ticket {ticket} was issued already"),
    C.PROMISED_DAYS_MISSING: (
        "{matter}没有规定承诺时限，请填写承诺天数",
        "{matter} has no promised time limit; give the number of working days",
    ),
    C.OUTCOME_WITHOUT_NOTICE: (
        "{outcome}不需要填写告知理由或缺少的材料",
        "A case ended as {outcome} takes no reasons or missing materials",
    ),
    C.OUTCOME_REASON_UNKNOWN: ("「{reason}」不是本中心的退回理由", "“{reason}” is not one of the centre's reasons"),
    C.OUTCOME_MATERIAL_UNKNOWN: ("「{material}」不是{matter}的申请材料", "“{material}” is not a material of {matter}"),
    C.OUTCOME_MATERIALS_MISSING: ("补正件请选出缺少的全部材料", "For a supplement case, choose every missing material"),
    C.OUTCOME_REASON_MISSING: ("退回件请选择退回理由", "For a returned case, choose the reason"),
    C.OUTCOME_NOT_ALLOWED: ("{matter}不适用{outcome}", "{matter} cannot be accepted {outcome}"),
    C.TERMS_NOT_OF_OUTCOME: (
        "{outcome}不需要填写承诺内容、容缺材料、牵头部门或上报层级",
        "A case ended as {outcome} takes no commitment, materials to follow, lead department or level",
    ),
    C.COMMITMENT_MISSING: (
        "告知承诺请写明申请人承诺的内容",
        "For a case on commitment, write what the applicant commits to",
    ),
    C.TO_FOLLOW_MISSING: ("容缺受理请选出后补的材料", "For a case with materials to follow, choose them"),
    C.MATERIAL_NOT_DEFERRABLE: (
        "「{material}」不是{matter}可以容缺的材料",
        "“{material}” is not a material of {matter} that may follow later",
    ),
    C.TERMS_DATE_OUT_OF_POLICY: (
        "{outcome}的日期须在今天之后，且不晚于{day}",
        "The date of a case {outcome} must be after today and no later than {day}",
    ),
    C.LEAD_DEPARTMENT_MISSING: ("联办件请填写牵头部门", "For a joint case, name the lead department"),
    C.LEVEL_MISSING: ("上报件请选择上报层级", "For a reported case, choose the level it goes to"),
    C.TIME_LIMIT_MISSING: (
        "{outcome}请填写办理时限（工作日）",
        "For a case ended as {outcome}, give the time limit in working days",
    ),
    C.ASSISTANCE_NOT_HERE: ("{window}不是帮办代办窗口", "{window} is no assisted-service window"),
    C.ASSISTED_PERSON_MISSING: (
        "请填写被帮办人的姓名或简要描述",
        "Give the name or a short description of the person helped",
    ),
    C.ASSISTANCE_CONSENT_MISSING: (
        "记录被帮办人前请先征得本人同意",
        "Ask the person helped for their consent before recording them",
    ),
    C.ASSISTED_PERSON_IDENTIFIES: (
        "被帮办人只填姓名或简要描述，不填身份证号或电话号码",
        "Give only a name or a short description of the person helped, no identity or phone number",
    ),
    C.RATING_REASONS_NOT_BAD: ("只有“不满意”或“非常不满意”才选原因", "Reasons go only with dissatisfied ratings"),
    C.RATING_REASON_UNKNOWN: ("「{reason}」不是可选的原因", "“{reason}” is not one of the reasons"),
    C.RATED_ALREADY: ("{ticket}号已评价过", "Ticket {ticket} was rated already"),
    C.RATING_EXPIRED: ("{ticket}号的评价已过期", "The rating of ticket {ticket} has expired"),
    C.RATING_NOT_ASKED: (
        "{ticket}号还不能评价（尚未办结）",
        "Ticket {ticket} cannot be rated yet (it is not finished)",
    ),
    C.RATING_ITEM_UNKNOWN: (
        "{ticket}号的分项评价有误：只有服务效率、服务水平、服务态度，每项1到5",
        "Ticket {ticket}: the items are efficiency, skill and attitude, each rated 1 to 5",
    ),
    C.RATING_ASKED_ALREADY: ("{ticket}号已在等待评价", "Ticket {ticket} is waiting for its rating already"),
    C.RATING_CODE_RETIRED: (
        "评价码已过期：{window}已办结下一位群众的业务，此码只能评价{ticket}号的那一次服务",
        "This rating code has expired: {window} has finished the next citizen's service since, and the code"
        " rated only ticket {ticket}'s service",
    ),
    C.RATING_CODE_WRONG: ("此评价码不属于{ticket}号", "This rating code is not ticket {ticket}'s"),
    C.RATING_NOT_PROMISED: (
        "{ticket}号不是承诺件，送达时不再评价",
        "Ticket {ticket} is no promised case: there is no rating at a delivery",
    ),
    C.PROMISED_HERE_ALREADY: ("承诺件{ticket}号已在本中心", "Promised case {ticket} is at this centre already"),
    C.PROMISED_DELIVERED: ("承诺件{ticket}号已送达", "Promised case {ticket} was delivered already"),
    C.PROMISED_HANDED_OVER: ("承诺件{ticket}号已移交给{centre}", "Promised case {ticket} was handed over to {centre}"),
    C.CASE_NUMBER_UNKNOWN: ("没有编号为{case}的承诺件", "There is no promised case numbered {case}"),
    C.RESULT_STATE_WRONG: ("办件{case}{state}，不能标为{to}", "Case {case} is {state}: it cannot be marked {to}"),
    C.CASE_NOTE_MISSING: ("请在备注中写明所做的处理", "Say in the note what was done"),
    C.CASE_NOTE_TOO_LONG: ("备注最多{most}个字", "A note is at most {most} characters"),
    C.CASE_CLOSED: ("第{case}号整改件已办结", "Rectification case {case} is closed"),
    C.CASE_STEP: (
        "第{case}号整改件{status}，不能改为{to}",
        "Rectification case {case} is {status}; it cannot become {to}",
    ),
    C.CASE_ASSIGNEE: ("请填写负责人（1到80个字）", "Name the person (1 to 80 characters)"),
    C.CASE_FOLLOW_UP_MISSING: (
        "第{case}号整改件是实名差评，须先电话回访并记录结果",
        "Rectification case {case} is a named rating: record its follow-up call first",
    ),
    C.CASE_FOLLOWED_UP_ALREADY: (
        "第{case}号整改件的回访已有结果",
        "The follow-up of case {case} has its outcome already",
    ),
    C.APPEAL_NOT_RATING: ("第{case}号整改件是投诉，不是评价，不能申诉", "Case {case} is a complaint, not a rating"),
    C.APPEAL_FILED_ALREADY: ("第{case}号整改件的评价已申诉过", "The rating of case {case} was appealed already"),
    C.APPEAL_REASON_MISSING: ("请写明申诉理由", "Give the reason for the appeal"),
    C.APPEAL_TOO_MANY_FILES: ("申诉最多附{most}个证据文件", "An appeal carries at most {most} evidence files"),
    C.APPEAL_MISSING: ("第{case}号整改件没有申诉", "Nobody appealed the rating of case {case}"),
    C.APPEAL_DECIDED: ("第{case}号整改件的申诉已复核", "The appeal of case {case} was decided already"),
    C.APPEAL_OWN: ("申诉的窗口不能复核自己的申诉", "The window that appealed cannot decide its own appeal"),
    C.APPEAL_NOT_YOURS: ("工作人员只能申诉对本人的评价", "A staff member appeals only ratings of their own service"),
    C.APPEAL_DECISION_MISSING: ("请写明复核理由", "Give the reason for the decision"),
    C.BOOKING_NOT_FOUND: ("没有这个预约", "There is no such booking"),
    C.BOOKING_SLOT_NOT_FOUND: ("{matter}在这个时段不接受预约", "{matter} takes no bookings at that time"),
    C.BOOKING_SLOT_PAST: ("这个时段已开始，不能再预约", "That slot has begun: it can no longer be booked"),
    C.BOOKING_TOO_FAR: ("最多只能预约{days}天以内的时段", "Slots can be booked at most {days} days ahead"),
    C.BOOKING_SLOT_FULL: ("{matter}这个时段已约满，请选择其他时段", "{matter}: that slot is full; choose another"),
    C.BOOKING_LIMIT: (
        "每人最多同时有{most}个有效预约，请先办理或取消已有的预约",
        "At most {most} active bookings per person: use or cancel one first",
    ),
    C.BOOKING_NOT_ACTIVE: (
        "预约{booking}已签到、取消或失约，不能再操作",
        "Booking {booking} was checked in, cancelled or missed",
    ),
    C.BOOKING_CHANGE_TOO_LATE: (
        "预约{booking}只能在时段开始前{minutes}分钟以前取消或改约",
        "Booking {booking} can be cancelled or moved only until {minutes} minutes before its slot",
    ),
    C.BOOKING_OTHER_DAY: ("预约{booking}是{day}的，今天不能签到", "Booking {booking} is for {day}, not today"),
    C.BOOKING_TOO_EARLY: ("预约{booking}请于{time}以后签到", "Booking {booking} can be checked in from {time}"),
    C.BOOKING_PHONE: ("请填写11位手机号码", "Give a mobile number of 11 digits"),
    C.BOOKING_ID_NUMBER: ("身份证号码有误，请核对", "The ID number is not valid: check it"),
    C.REAL_NAME_ID_MISSING: (
        "{matter}实行实名取号，请提供身份证号码",
        "{matter} takes tickets by real name: give an ID number",
    ),
    C.REAL_NAME_LIMIT: (
        "实名取号每人每天最多{most}个，该身份证号码今天已取满",
        "One ID number gets at most {most} real-name tickets a day; today's are taken",
    ),
    C.GREEN_UNDER_AGE: (
        "按身份证出生日期未满{age}周岁，不能按老年人取绿色通道号",
        "By the ID number's birth date you are under {age}: the green channel's elderly ground does not apply",
    ),
    C.ISSUE_REFUSED: ("现在不能取号", "No ticket can be issued now"),
    C.INVALID: ("填写有误，请检查标出的项目", "Some fields are not valid; see the marked fields"),
    C.CHANGE_REFUSED: (
        "这项设置修改与大厅现状不符，未生效",
        "The change does not fit the hall now; nothing was changed",
    ),
    C.CHANGE_WINDOW_BUSY: (
        "{ticket}号还在{window}，不能删除该窗口；请先办结或转移",
        "{window} cannot be removed: ticket {ticket} is at it; finish or transfer it first",
    ),
    C.CHANGE_WINDOW_OPEN: (
        "{window}未关闭，不能删除；请先关闭该窗口",
        "{window} is not closed; close it before removing it",
    ),
    C.CHANGE_WINDOW_AWAITED: (
        "{ticket}号已转到{window}等候，不能删除该窗口；请先转移或取消该号",
        "Ticket {ticket} waits for {window}; transfer or cancel it before removing the window",
    ),
    C.CHANGE_MATTER_OPEN: (
        "{matter}还有未办结的{ticket}号，暂不能删除该事项",
        "{matter} still has ticket {ticket} open; it cannot be removed yet",
    ),
    C.CHANGE_GROUP_OPEN: (
        "{prefix}号段还有未办结的{ticket}号，暂不能删除该号段",
        "Ticket group {prefix} still has ticket {ticket} open; it cannot be removed yet",
    ),
    C.CHANGE_BELOW_BOOKED: (
        "{matter}{day}{time}的时段已有{booked}人预约，名额不能少于{booked}个（改为{places}个未保存）",
        "{matter}, {day} {time}: {booked} places are booked, so the slot cannot have fewer"
        " (the change to {places} was not saved)",
    ),
    C.REQUEST_ID_REUSED: (
        "这次操作的请求编号已被另一项操作使用，请重试",
        "The request id was used for another action; try again",
    ),
    C.REFUSED: ("操作未执行", "The action was refused"),
}
"""Chinese and English for each code; ``{name}`` is a fact named as people know it (:func:`names`)."""

TICKET_STATUS_WORDS: dict[str, tuple[str, str]] = {
    "waiting": ("还在排队，尚未呼叫", "is still waiting and was never called"),
    "called": ("已呼叫，尚未开始办理", "has been called and not yet served"),
    "serving": ("正在办理", "is being served"),
    "no_show": ("已过号", "was marked as a no-show"),
    "finished": ("已办结", "is already finished"),
    "cancelled": ("已取消", "was cancelled"),
}
OUTCOME_WORDS: dict[str, tuple[str, str]] = {
    outcome.value: (OUTCOME_NAMES_ZH[outcome], OUTCOME_NAMES_EN[outcome]) for outcome in OUTCOME_NAMES_ZH
}
CASE_STATUS_WORDS: dict[str, tuple[str, str]] = {
    "new": ("待核实", "new"),
    "verified": ("已核实", "verified"),
    "rectified": ("已整改", "rectified"),
    "followed_up": ("已回访", "followed up"),
    "closed": ("已办结", "closed"),
}
RESULT_STATE_WORDS: dict[str, tuple[str, str]] = {
    "accepted": ("已受理，尚未办结", "accepted and not decided yet"),
    "ready": ("已办结", "ready"),
    "delivered": ("已送达", "delivered"),
    "refused": ("不予许可", "refused"),
}
"""A promised case's result states (queue_server.domain.case_results), named in a refusal."""
WINDOW_FACTS = frozenset({"window", "other", "held_by", "target", "served_at"})
"""Facts that are window numbers, named 「3号窗口（综合受理）」."""


@dataclass(frozen=True, slots=True)
class Said:
    """A refusal in both languages."""

    zh: str
    en: str


def window_zh(number: int, centre: Centre | None) -> str:
    window = centre.windows_by_number.get(number) if centre is not None else None
    return f"{number}号窗口（{window.name}）" if window is not None else f"{number}号窗口"


def window_en(number: int, centre: Centre | None) -> str:
    window = centre.windows_by_number.get(number) if centre is not None else None
    return f"window {number} ({window.name_en})" if window is not None and window.name_en else f"window {number}"


def names(facts: Mapping[str, Fact], centre: Centre | None) -> tuple[dict[str, str], dict[str, str]]:
    """Each fact as people name it, in Chinese and in English."""
    zh: dict[str, str] = {}
    en: dict[str, str] = {}
    for key, value in facts.items():
        zh[key] = en[key] = str(value)
        if key in WINDOW_FACTS and isinstance(value, int):
            zh[key], en[key] = window_zh(value, centre), window_en(value, centre)
        elif key == "windows":
            numbers = [int(n) for n in str(value).split(",") if n]
            zh[key] = "、".join(f"{n}号" for n in numbers) + "窗口"
            en[key] = "windows " + ", ".join(str(n) for n in numbers)
        elif key == "matter":
            matter = centre.matters_by_code.get(str(value)) if centre is not None else None
            zh[key] = f"「{matter.name}」" if matter is not None else "该事项"
            en[key] = (matter.name_en or matter.name) if matter is not None else "this matter"
        elif key in {"staff", "cover"}:
            person = centre.staff_by_code.get(str(value)) if centre is not None else None
            zh[key] = f"{person.name}（工号{value}）" if person is not None else f"工号{value}"
            en[key] = f"{person.name} ({value})" if person is not None else str(value)
        elif key == "status" and str(value) in TICKET_STATUS_WORDS:
            zh[key], en[key] = TICKET_STATUS_WORDS[str(value)]
        elif key == "outcome":
            zh[key], en[key] = OUTCOME_WORDS.get(str(value), ("该结果", "this outcome"))
        elif key == "day":
            day = dt.date.fromisoformat(str(value))
            zh[key], en[key] = day_zh(day), day_en(day)
    return zh, en


def case_names(facts: Mapping[str, Fact], zh: dict[str, str], en: dict[str, str]) -> None:
    """A rectification case's statuses, which share the ``status`` fact with a ticket's."""
    for key in ("status", "to"):
        if str(facts.get(key)) in CASE_STATUS_WORDS:
            zh[key], en[key] = CASE_STATUS_WORDS[str(facts[key])]


def say(code: RefusalCode, facts: Mapping[str, Fact], centre: Centre | None = None) -> Said:
    """The refusal ``code`` about ``facts`` in both languages; ``centre`` names its windows and matters."""
    zh_template, en_template = WORDS[code]
    zh, en = names(facts, centre)
    if code is RefusalCode.CASE_STEP:
        case_names(facts, zh, en)
    if code is RefusalCode.RESULT_STATE_WRONG:
        for key in ("state", "to"):
            zh[key], en[key] = RESULT_STATE_WORDS.get(str(facts.get(key)), (zh.get(key, ""), en.get(key, "")))
    try:
        english = en_template.format(**en)
        return Said(zh_template.format(**zh), english[:1].upper() + english[1:])
    except KeyError:  # a fact missing (a record of an older release): the words without names
        return Said(*WORDS[RefusalCode.REFUSED])
