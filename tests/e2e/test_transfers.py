"""Issue acceptance (组织关系转接): a member applies on a phone, the approvers of the chain
approve in order, the letter PDF downloads, its verification page (no login) says it is
genuine, and the receiving side records the 回执, after which the member has moved."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from dangjian.members.models import Member
from dangjian.transfers import selectors
from dangjian.transfers.models import Transfer
from tests.e2e.auth import sign_in
from tests.e2e.conftest import ARTIFACTS, PHONE

pytestmark = pytest.mark.e2e

DESKTOP = {**PHONE, "viewport": {"width": 1440, "height": 900}, "is_mobile": False,
           "has_touch": False, "device_scale_factor": 1}  # fmt: skip


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"transfers-{name}.png", full_page=True)


def test_member_applies_approvers_approve_letter_verifies(browser, phone, live_server, e2e_cast):
    base = live_server.url
    member = phone
    sign_in(member, base, "member", "/transfers/apply/")
    member.get_by_label("查找接收党支部（名称或组织代码）").fill("第二党支部")
    member.get_by_role("button", name="查找").click()
    member.get_by_label(e2e_cast.org["B2"].name, exact=False).check()
    member.get_by_label("转接原因").fill("工作调动")
    _shot(member, "apply-390")
    member.get_by_role("button", name="提交申请").click()
    expect(member.get_by_text("转接申请已提交")).to_be_visible()
    transfer = Transfer.objects.get(member=e2e_cast.member["B1m1"])
    detail = f"{base}{reverse('transfers:detail', args=[transfer.pk])}"
    expect(member.locator("[data-step]")).to_have_count(3)  # B1 → T1 → B2, never the county

    secretary = browser.new_context(**DESKTOP).new_page()
    sign_in(secretary, base, "branch_admin", reverse("transfers:detail", args=[transfer.pk]))
    secretary.get_by_role("button", name="同意").click()
    expect(secretary.get_by_text("已审批同意")).to_be_visible()
    expect(secretary.get_by_role("button", name="同意")).to_have_count(0)  # not their turn now

    committee = browser.new_context(**DESKTOP).new_page()
    sign_in(committee, base, "committee_admin", reverse("transfers:detail", args=[transfer.pk]))
    for _ in range(2):  # T1's step, then B2's (T1's admin is the nearest above B2)
        committee.get_by_role("button", name="同意").click()
        expect(committee.get_by_text("已审批同意")).to_be_visible()
    expect(committee.locator("#status")).to_have_text("已开具介绍信，待接收")
    _shot(committee, "detail-1440")

    member.goto(detail)
    expect(member.locator("#history li")).to_have_count(4)  # the member follows every step
    _shot(member, "detail-390")
    with member.expect_download() as download:
        member.get_by_role("link", name="下载介绍信（PDF）").click()
    path = download.value.path()
    with open(path, "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"

    transfer.refresh_from_db()
    visitor = browser.new_context(**PHONE).new_page()  # no login: the QR code's reader
    visitor.goto(
        f"{base}{reverse('transfers:verify', args=[selectors.letter_token(transfer.letter_no)])}"
    )
    expect(visitor.locator("#verdict")).to_contain_text("真实有效")
    expect(visitor.locator("#verdict")).to_contain_text(e2e_cast.org["B2"].name)
    _shot(visitor, "verify-390")

    committee.goto(detail)
    committee.get_by_role("button", name="确认接收").click()
    expect(committee.get_by_text("组织关系转接完成")).to_be_visible()
    assert Member.objects.get(pk=e2e_cast.member["B1m1"].pk).branch_id == e2e_cast.org["B2"].pk
    member.goto(detail)
    member.get_by_role("button", name="大字模式").click()
    expect(member.locator("#status")).to_have_text("已转接")
    _shot(member, "detail-elder-390")
    overflow = member.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0


def test_a_move_off_the_platform_leaves_the_member_transferred_out(
    browser, phone, live_server, e2e_cast
):
    from dangjian.transfers import services

    base, moved = live_server.url, e2e_cast.member["B1m2"]
    root = e2e_cast.user["root"]
    transfer = services.transfer_apply(
        acting_user=root,
        member=moved,
        reason="随配偶迁居",
        external_org="贵州省贵阳市某社区党支部",
        external_scope="out_of_province",
    )
    while transfer.status == "pending":
        services.transfer_approve(acting_user=root, transfer=transfer)
    secretary = phone
    sign_in(secretary, base, "branch_admin", reverse("transfers:detail", args=[transfer.pk]))
    secretary.get_by_role("button", name="确认接收").click()
    expect(secretary.get_by_text("组织关系转接完成")).to_be_visible()

    # The record stays with the old branch as its history: 已转出, when and where to.
    secretary.goto(f"{base}{reverse('members:detail', args=[moved.pk])}")
    expect(secretary.locator("h1 .tag")).to_have_text("已转出")
    expect(secretary.locator(".fields").first).to_contain_text("贵州省贵阳市某社区党支部")
    expect(secretary.get_by_role("link", name="办理组织关系转接")).to_have_count(0)
    _shot(secretary, "transferred-out-390")
    # The same session on a desktop: a second sign-in within one TOTP step would be a
    # reused code, which the second factor rightly refuses.
    wide = browser.new_context(
        **DESKTOP, storage_state=secretary.context.storage_state()
    ).new_page()
    wide.goto(f"{base}{reverse('members:detail', args=[moved.pk])}")
    expect(wide.locator("h1 .tag")).to_have_text("已转出")
    _shot(wide, "transferred-out-1440")
    assert Member.objects.get(pk=moved.pk).status == "transferred_out"
