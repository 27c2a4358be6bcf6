"""At the counter in Debian's Chromium: a case accepted on commitment and one with materials to
follow, each with its paper (the console showing what the window's printer did, the A4 page from
the console's link), a joint case's lead department on the citizen's page and the acceptance
notice, and a 帮办代办 record made at an assisting window."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Locator, Page, ViewportSize, expect

from queue_server.app.commands import CallNext, Finish, FinishAssisted, FinishTerms, IssueTicket, SignOn
from queue_server.domain.case_terms import Level
from queue_server.domain.tickets import Outcome
from queue_server.store.database import Database
from queue_server.store.printing import record_result
from tests.accessibility import assert_accessible
from tests.browser import chromium, keep_screenshot
from tests.pages_support import DEVICES, WAIT_MS, Site, log_in, running_site, signed_in_reader
from tests.terms_support import terms_centre

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
"""The console's SQL is the API's; tests/test_api_case_terms.py covers PostgreSQL."""

VIEWPORT: ViewportSize = {"width": 1366, "height": 900}


@pytest.fixture
async def site(db: Database) -> AsyncIterator[Site]:
    centre = terms_centre(devices=DEVICES, centre={"phone": "0571-8888 1234", "address": "幸福路 1 号"})
    async with running_site(db, centre, signed_on=((9, "s9"),)) as running:  # a window open: tickets issue
        yield running


async def issue(site: Site, matter: str = "pension") -> dict[str, str]:
    answer = await site.act(IssueTicket(matter=matter), "kiosk:k-1", f"issue-{site.service.clock.now()}")
    ticket: dict[str, str] = answer.body["ticket"]
    return ticket


async def at_the_window(page: Page, site: Site, username: str = "staff1", window: int = 1) -> None:
    """Log in, sign on at ``window`` and call the next ticket, as a person would."""
    await log_in(page, site, username, then="/console")
    await page.locator(f".sign-on-window[data-window='{window}']").get_by_role("button").click()
    await expect(page.locator("#window-status")).to_have_text("服务中", timeout=WAIT_MS)
    await page.locator("#next-button").click()
    await expect(page.locator("#ticket-number")).to_have_text("A001", timeout=WAIT_MS)
    await page.locator("#finish-button").click()
    await expect(page.locator("#finish-dialog")).to_be_visible(timeout=WAIT_MS)


@contextlib.asynccontextmanager
async def finishing(
    site: Site, username: str = "staff1", window: int = 1
) -> AsyncIterator[tuple[Page, Locator, dict[str, str]]]:
    """A ticket issued, called at ``window`` from the console and its finish dialog open: the page,
    the dialog and the ticket as issued."""
    ticket = await issue(site)
    async with chromium() as browser:
        page = await browser.new_page(viewport=VIEWPORT)
        await at_the_window(page, site, username, window)
        yield page, page.locator("#finish-dialog"), ticket


async def keep_paper(paper: Page, what: str, name: str, tmp_path: Path) -> None:
    await assert_accessible(paper, what)
    keep_screenshot(await paper.screenshot(full_page=True), name, tmp_path)


async def open_paper(page: Page, title: str) -> Page:
    await expect(page.locator("#notice-link")).to_contain_text(title)
    async with page.context.expect_page() as opened:
        await page.locator("#notice-link").click()
    paper = await opened.value
    await expect(paper.locator("#paper-title")).to_have_text(title, timeout=WAIT_MS)
    await paper.set_viewport_size({"width": 1000, "height": 1100})
    return paper


async def test_a_case_on_commitment_prints_its_letter_and_opens_it_on_a4(site: Site, tmp_path: Path) -> None:
    async with finishing(site) as (page, dialog, ticket):
        serial = int(ticket["serial"])
        await expect(dialog.locator("#assisted-field")).to_be_hidden()  # window 1 assists nobody
        await dialog.get_by_label("告知承诺").check()
        await expect(dialog.locator("#terms-by-label")).to_have_text("核查截止日期")
        await expect(dialog.locator("#terms-by-help")).to_have_text("留空即按规定的最迟期限：20个工作日")
        commitment = dialog.get_by_label("申请人承诺的内容")
        await commitment.fill("本人已连续缴纳养老保险满十五年，所填信息真实有效")
        await assert_accessible(page, "the finish dialog of a case on commitment")
        keep_screenshot(await page.screenshot(), "console-finish-commitment.png", tmp_path)
        await commitment.fill(" ")
        await dialog.locator("button[type=submit]").click()
        await expect(dialog.locator(".field-error")).to_have_text("告知承诺须写明申请人承诺的内容")
        await commitment.fill("本人已连续缴纳养老保险满十五年，所填信息真实有效")
        await dialog.locator("button[type=submit]").click()
        await expect(dialog).to_be_hidden(timeout=WAIT_MS)
        await expect(page.locator("#message")).to_have_text("A001 已办结（告知承诺）", timeout=WAIT_MS)
        printing = page.locator("#notice-print")
        await expect(printing).to_have_text("正在打印告知承诺书……", timeout=WAIT_MS)
        async with site.db.write() as conn:
            await record_result(conn, "test", "printer-w1", f"{serial}-notice-1", "done", "", site.service.clock.now())
        await expect(printing).to_have_text("告知承诺书已由本窗口打印机打印。", timeout=WAIT_MS)

        paper = await open_paper(page, "告知承诺书")
        await expect(paper.locator("#paper-case")).to_have_text(f"TEST-2026-{serial:06d}")
        await expect(paper.locator("#paper-outcome")).to_have_text("告知承诺")
        await expect(paper.locator("#paper-commitment")).to_have_text(
            "本人已连续缴纳养老保险满十五年，所填信息真实有效"
        )
        await expect(paper.locator("#paper-deadline")).to_have_text("本中心将于2026年12月28日前对承诺内容进行核查。")
        await expect(paper.locator("#paper")).to_contain_text("经核查承诺不实的，依法撤销已作出的决定")
        await expect(paper.locator("#paper-sign")).to_contain_text("承诺人签名")
        await expect(paper.locator("#paper-staff")).to_have_text("王芳（工号 s1）")
        await expect(paper.locator(".paper-contact")).to_have_text("地址：幸福路 1 号　咨询电话：0571-8888 1234")
        await keep_paper(paper, "the letter of commitment", "paper-commitment.png", tmp_path)
        assert len(await paper.pdf(format="A4")) > 1000


async def test_a_case_with_materials_to_follow_says_which_by_when_and_what_the_printer_did(
    site: Site, tmp_path: Path
) -> None:
    async with finishing(site) as (page, dialog, ticket):
        serial = int(ticket["serial"])
        await dialog.get_by_label("容缺受理").check()
        await expect(dialog.locator("#terms-by-label")).to_have_text("材料补交截止日期")
        await dialog.locator("#to-follow-choices").get_by_label("户口簿").check()
        await dialog.locator("#terms-by").fill("2026-12-31")
        await dialog.locator("button[type=submit]").click()
        await expect(dialog.locator(".field-error")).to_contain_text("不晚于12月14日")  # ten working days
        await dialog.locator("#terms-by").fill("2026-12-04")
        await dialog.locator("button[type=submit]").click()
        await expect(dialog).to_be_hidden(timeout=WAIT_MS)
        await expect(page.locator("#message")).to_have_text("A001 已办结（容缺受理）", timeout=WAIT_MS)
        async with site.db.write() as conn:
            await record_result(
                conn, "test", "printer-w1", f"{serial}-notice-1", "failed", "paper jam", site.service.clock.now()
            )
        await expect(page.locator("#notice-print")).to_have_text(
            "容缺受理通知书没有打印出来（paper jam），请打开它用A4打印。", timeout=WAIT_MS
        )

        paper = await open_paper(page, "容缺受理通知书")
        await expect(paper.locator("#paper-to-follow")).to_have_text("户口簿")
        await expect(paper.locator("#paper-received")).to_have_text("居民身份证银行卡")
        await expect(paper.locator("#paper-deadline")).to_have_text(
            "请于2026年12月4日前将上述材料补交到本中心，凭本通知书续办，无需重新排队取号。"
        )
        await expect(paper.locator("#paper")).to_contain_text("逾期未补交的，本次受理终止")
        await keep_paper(paper, "the notice of acceptance with materials to follow", "paper-deferred.png", tmp_path)

        await page.goto(f"{site.url}/ticket/{ticket['status_token']}")  # the citizen's page
        await expect(page.locator("#finished-text")).to_contain_text("已容缺受理", timeout=WAIT_MS)
        await expect(page.locator("#terms-text")).to_have_text("请于2026年12月4日前补交：户口簿。")


async def test_a_joint_case_names_its_lead_department_on_the_citizens_page_and_the_notice(site: Site) -> None:
    async with finishing(site) as (page, dialog, ticket):
        await dialog.get_by_label("联办件").check()
        await dialog.locator("button[type=submit]").click()
        await expect(dialog.locator(".field-error").first).to_be_visible()
        await dialog.get_by_label("牵头部门").fill("区民政局")
        await dialog.get_by_label("办理时限（工作日）").fill("3")
        await dialog.locator("button[type=submit]").click()
        await expect(page.locator("#message")).to_have_text("A001 已办结（联办件）", timeout=WAIT_MS)
        paper = await open_paper(page, "受理通知书")
        await expect(paper.locator("#paper-lead-department")).to_have_text("区民政局")
        await expect(paper.locator("#paper-due")).to_contain_text("2026年12月3日前（3个工作日内）")

        citizen = page  # the citizen's phone, in the console's place
        await citizen.set_viewport_size({"width": 390, "height": 844})
        await citizen.goto(f"{site.url}/ticket/{ticket['status_token']}")
        await expect(citizen.locator("#terms-text")).to_have_text(
            "牵头部门：区民政局；办理时限：3个工作日。", timeout=WAIT_MS
        )
        await expect(citizen.locator("#outcome-text")).to_contain_text("2026年12月3日")
        await assert_accessible(citizen, "the citizen's page of a joint case")


async def test_the_assisted_window_records_whom_it_helped_with_consent(site: Site) -> None:
    async with finishing(site, "staff2", 4) as (page, dialog, ticket):
        serial = int(ticket["serial"])
        await expect(dialog.locator("#assisted-field")).to_be_visible()
        await expect(dialog.locator("#helped-matter")).to_have_value("pension")
        await dialog.get_by_label("被帮办人").fill("张大爷（行动不便）")
        await dialog.get_by_label("帮办的事项").select_option(label="医疗费用报销")
        await dialog.locator("button[type=submit]").click()
        await expect(dialog.locator(".field-error")).to_have_text("记录被帮办人前须征得本人同意")
        assert (await site.service.hall(site.code)).ticket(serial).status.at_window, "nothing saved"
        await dialog.get_by_label("被帮办人").fill("张大爷 13812345678")
        await dialog.get_by_label("已征得本人同意记录").check()
        await dialog.locator("button[type=submit]").click()
        await expect(dialog.locator(".field-error")).to_contain_text(
            "被帮办人只填姓名或简要描述，不填身份证号或电话号码"
        )
        await dialog.get_by_label("被帮办人").fill("张大爷（行动不便）")
        await assert_accessible(page, "the finish dialog at an assisting window")
        await dialog.locator("button[type=submit]").click()
        await expect(page.locator("#message")).to_have_text("A001 已办结（即办件）", timeout=WAIT_MS)
    done = (await site.service.hall(site.code)).ticket(serial)
    assert done.assistance is not None
    assert (done.assistance.helper, done.assistance.helped, done.assistance.matter) == (
        "s2",
        "张大爷（行动不便）",
        "medical",
    )


async def test_the_manager_says_which_matter_may_be_accepted_on_commitment_or_with_materials_to_follow(
    site: Site,
) -> None:
    async with chromium() as browser:
        page = await browser.new_page(viewport={"width": 1600, "height": 900})
        await log_in(page, site, "manager", then="/manager")
        await page.locator("#tabs [data-tab='matters']").click()
        row = page.locator("#edit-matters tr[data-row='1']")  # 医疗费用报销: neither yet
        await row.get_by_label("可告知承诺").check()
        await row.locator("[data-field='matters.1.deferrable']").get_by_label("发票原件").check()
        await page.locator("#check").click()
        await expect(page.locator("#difference")).to_contain_text("可告知承诺", timeout=WAIT_MS)
        await expect(page.locator("#difference")).to_contain_text("发票原件")
        await assert_accessible(page, "the manager's matters with commitment and materials to follow")
        await page.locator("#apply").click()
        await expect(page.locator("#difference")).to_contain_text("已应用", timeout=WAIT_MS)
    medical = (await site.service.hall(site.code)).centre.matters_by_code["medical"]
    assert (medical.commitment, medical.deferrable) == (True, ("发票原件",))


async def test_the_report_page_counts_commitments_materials_to_follow_and_assistance_apart(site: Site) -> None:
    steps = [
        (SignOn(window=1, staff="s1"), "staff:s1"),
        (SignOn(window=4, staff="s2"), "staff:s2"),
        (IssueTicket(matter="pension"), "kiosk:k-1"),
        (CallNext(window=1), "staff:s1"),
        (Finish(window=1, outcome=Outcome.COMMITMENT, terms=FinishTerms(commitment="承诺属实")), "staff:s1"),
        (IssueTicket(matter="pension"), "kiosk:k-1"),
        (CallNext(window=1), "staff:s1"),
        (Finish(window=1, outcome=Outcome.DEFERRED, terms=FinishTerms(to_follow=("户口簿",))), "staff:s1"),
        (IssueTicket(matter="pension"), "kiosk:k-1"),
        (CallNext(window=4), "staff:s2"),
        (
            Finish(
                window=4,
                outcome=Outcome.ON_THE_SPOT,
                assisted=FinishAssisted(helped="一位行动不便的老人", matter="pension", consent=True),
            ),
            "staff:s2",
        ),
    ]
    for n, (command, actor) in enumerate(steps):
        await site.act(command, actor, f"report-{n}")
    async with chromium() as browser:
        page = await browser.new_page(viewport={"width": 1600, "height": 900})
        await log_in(page, site, "manager", then="/reports")
        await page.goto(f"{site.url}/reports?period=day&date=2026-11-30&by=centre")
        row = page.locator("#figures tbody tr").first
        for field, value in (
            ("concluded", "1"),
            ("accepted", "0"),
            ("committed", "1"),
            ("deferred", "1"),
            ("assisted", "1"),
        ):
            await expect(row.locator(f"[data-field='{field}']")).to_have_text(value, timeout=WAIT_MS)
        await expect(page.locator("#outcome-help")).to_contain_text("告知承诺件和容缺受理件各自单列，都不计入办结")
        await expect(page.locator("#figures")).not_to_contain_text("老人")
        await assert_accessible(page, "the report with the new outcomes")


async def test_each_new_paper_in_both_languages_and_a_reported_cases_level(site: Site) -> None:
    finishes = {
        "commitment": Finish(window=9, outcome=Outcome.COMMITMENT, terms=FinishTerms(commitment="承诺属实")),
        "deferred": Finish(window=9, outcome=Outcome.DEFERRED, terms=FinishTerms(to_follow=("银行卡",))),
        "reported": Finish(window=9, outcome=Outcome.REPORTED, terms=FinishTerms(level=Level.CITY, days=10)),
    }
    serials = {}
    for name, command in finishes.items():
        issued = await site.act(IssueTicket(matter="pension"), "kiosk:k-1", f"issue-{name}")
        await site.act(CallNext(window=9), "staff:s9", f"call-{name}")
        await site.act(command, "staff:s9", f"finish-{name}")
        serials[name] = issued.body["ticket"]["serial"]
    async with signed_in_reader(site, "staff1") as page:
        status, text = await page(f"/console/paper/{serials['commitment']}/commitment?lang=en")
        assert (
            status == 200 and "告知承诺书" in text and "The centre verifies the commitment by 28 December 2026." in text
        )
        assert "Signed by the applicant" in text
        status, text = await page(f"/console/paper/{serials['deferred']}/deferred?lang=zh")
        assert status == 200 and "需后补的材料" in text and "请于2026年12月14日前将上述材料补交到本中心" in text
        status, text = await page(f"/console/paper/{serials['deferred']}/deferred?lang=en")
        assert "Materials to follow" in text and "Bring them by 14 December 2026" in text
        status, text = await page(f"/console/paper/{serials['reported']}/acceptance?lang=zh")
        assert status == 200 and "上报层级" in text and "2026年12月14日前（10个工作日内）" in text
        assert (await page(f"/console/notice/{serials['deferred']}"))[0] == 200, "the console's key opens it"
        for wrong in (
            f"/console/paper/{serials['deferred']}/commitment",
            f"/console/paper/{serials['commitment']}/acceptance",
        ):
            assert (await page(wrong))[0] == 404, wrong


async def test_the_guide_says_which_materials_may_follow_and_that_a_commitment_is_taken(site: Site) -> None:
    async with signed_in_reader(site, "staff1") as page:
        status, text = await page("/guide/test/pension?lang=zh")
        assert status == 200
        shown = "可告知承诺办理：书面承诺符合条件即可受理，事后核查；可容缺受理，以下材料可后补：户口簿、银行卡"
        assert f'<dd class="guide-acceptance">{shown}</dd>' in text
        status, text = await page("/guide/test/medical?lang=zh")
        assert status == 200 and "guide-acceptance" not in text
