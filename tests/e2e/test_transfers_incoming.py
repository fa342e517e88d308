"""Issue acceptance (组织关系转入): the branch types in a paper letter from another
province on a phone (a letter reported on past its validity is refused at its field),
the 县委 and the 街道党委 check it, the branch accepts, the member record appears in the
branch and the 回执 PDF downloads."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from dangjian.members.models import Member
from dangjian.transfers.models import IncomingTransfer
from tests.e2e.auth import sign_in
from tests.e2e.conftest import ARTIFACTS, PHONE
from tests.kit import new_id_number

pytestmark = pytest.mark.e2e

DESKTOP = {**PHONE, "viewport": {"width": 1440, "height": 900}, "is_mobile": False,
           "has_touch": False, "device_scale_factor": 1}  # fmt: skip


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"transfers-incoming-{name}.png", full_page=True)


def _fill_letter(page, *, valid_until: dt.date, id_number: str) -> None:
    today = timezone.localdate()
    page.get_by_label("转入来源").select_option(label="外省（区、市）")
    page.get_by_label("原所在党组织").fill("贵州省贵阳市某社区党支部")
    page.get_by_label("介绍信开具单位").fill("中共贵阳市云岩区委组织部")
    page.get_by_label("介绍信编号").fill("黔组转〔2026〕0123号")
    page.get_by_label("开具日期").fill((today - dt.timedelta(days=5)).isoformat())
    page.get_by_label("有效期至").fill(valid_until.isoformat())
    page.get_by_label("报到日期").fill(today.isoformat())
    page.get_by_label("姓名").fill("王晓红")
    page.get_by_label("公民身份号码").fill(id_number)
    page.get_by_label("民族").select_option("苗族")
    page.get_by_label("学历").select_option(label="大学本科")
    page.get_by_label("党员类别").select_option(label="正式党员")
    page.get_by_label("入党日期").fill("2010-07-01")
    page.get_by_label("转正日期").fill("2011-07-01")


def test_branch_registers_a_letter_the_chain_checks_it_the_member_arrives(
    browser, phone, live_server, e2e_cast
):
    base, today = live_server.url, timezone.localdate()
    id_number = new_id_number(dt.date(1985, 3, 14), male=False)
    branch = phone
    sign_in(branch, base, "branch_admin", reverse("transfers:incoming_new"))
    expect(branch.get_by_label("接收党支部")).to_have_value(e2e_cast.org["B1"].code)
    late = today - dt.timedelta(days=1)
    _fill_letter(branch, valid_until=late, id_number=id_number)
    branch.get_by_role("button", name="登记").click()
    expect(branch.locator("#id_reported_on_error")).to_contain_text("介绍信已过有效期")
    assert not IncomingTransfer.objects.exists()

    branch.get_by_label("有效期至").fill((today + dt.timedelta(days=25)).isoformat())
    _shot(branch, "new-390")
    branch.get_by_role("button", name="登记").click()
    expect(branch.get_by_text("转入介绍信已登记")).to_be_visible()
    incoming = IncomingTransfer.objects.get()
    detail = reverse("transfers:incoming_detail", args=[incoming.pk])
    expect(branch.locator("[data-step]")).to_have_count(3)  # K1 → T1 → B1
    expect(branch.get_by_role("button", name="同意")).to_have_count(0)  # the 县委's turn

    county = browser.new_context(**DESKTOP).new_page()
    sign_in(county, base, "county_admin", detail)
    county.get_by_role("button", name="同意").click()
    expect(county.get_by_text("已审核同意")).to_be_visible()

    committee = browser.new_context(**DESKTOP).new_page()
    sign_in(committee, base, "committee_admin", detail)
    committee.get_by_role("button", name="同意").click()
    expect(committee.get_by_text("已审核同意")).to_be_visible()
    _shot(committee, "detail-1440")

    branch.goto(f"{base}{detail}")
    branch.get_by_role("button", name="同意").click()
    expect(branch.locator("#status")).to_have_text("已接收")
    member = Member.objects.get(name="王晓红")
    assert member.branch_id == e2e_cast.org["B1"].pk and member.status == "full"
    expect(branch.get_by_role("link", name="王晓红")).to_be_visible()
    expect(branch.locator("#history li")).to_have_count(4)
    _shot(branch, "accepted-390")
    with branch.expect_download() as download:
        branch.get_by_role("link", name="下载回执（PDF）").click()
    with open(download.value.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"

    branch.goto(f"{base}{reverse('transfers:incoming_list')}")
    expect(branch.locator(f'[data-incoming="{incoming.pk}"]')).to_contain_text("已接收")
