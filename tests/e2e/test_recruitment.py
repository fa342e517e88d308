"""Issue 14 acceptance: a secretary takes an applicant through a step on a phone and is
refused (with the rule and the date) when the time rule fails; the applicant's
timeline (全程纪实); a member opens their 政治生日 e-card."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from playwright.sync_api import expect

from dangjian.core.periods import cn_day
from dangjian.recruitment import rules, services
from dangjian.recruitment.models import Applicant
from tests.e2e.auth import sign_in
from tests.e2e.conftest import ARTIFACTS
from tests.kit import new_id_number

pytestmark = pytest.mark.e2e


def _no_overflow(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0


def test_secretary_records_the_talk_refused_then_done_and_sees_the_timeline(
    phone, live_server, e2e_cast
):
    applied = timezone.localdate() - dt.timedelta(days=40)
    applicant = services.applicant_create(
        acting_user=e2e_cast.user["root"],
        branch=e2e_cast.org["B1"],
        name="林申请",
        id_number=new_id_number(dt.date(2000, 6, 1)),
        ethnicity="汉族",
        education="bachelor",
        applied_on=applied,
        document=SimpleUploadedFile("入党申请书.pdf", b"%PDF-1.4\n%%EOF\n"),
    )
    sign_in(phone, live_server.url, "branch_admin", f"/recruitment/{applicant.pk}/")
    expect(phone.get_by_role("heading", name="林申请")).to_be_visible()
    expect(phone.get_by_text("入党谈话：应于")).to_contain_text("已逾期")

    # Today is more than a month after the application: refused, with the article and date.
    phone.get_by_role("button", name="办理“党组织派人谈话”").click()
    due = cn_day(rules.talk_due(applied))
    expect(
        phone.get_by_text(f"细则第八条：应在收到入党申请书后一个月内谈话，最迟{due}")
    ).to_be_visible()
    assert Applicant.objects.get(pk=applicant.pk).status == "apply"

    # The talk did take place in time: record its real date.
    phone.get_by_label("办理日期").fill((applied + dt.timedelta(days=10)).isoformat())
    phone.get_by_label("情况说明").fill("支部书记与申请人谈话，了解入党动机")
    phone.get_by_role("button", name="办理“党组织派人谈话”").click()
    expect(phone.get_by_text("已办理：第2步“党组织派人谈话”")).to_be_visible()
    assert Applicant.objects.get(pk=applicant.pk).status == "talk"

    timeline = phone.locator("#timeline")
    expect(timeline.locator('li.done[data-step="2"]')).to_contain_text("支部书记与申请人谈话")
    expect(timeline.locator('li.current[data-step="3"]')).to_contain_text("确定入党积极分子")
    expect(timeline.locator("li.done")).to_have_count(2)
    _no_overflow(phone)
    ARTIFACTS.mkdir(exist_ok=True)
    phone.screenshot(path=ARTIFACTS / "recruitment-timeline-phone.png", full_page=True)


def test_member_opens_their_political_birthday_ecard(phone, live_server, e2e_cast):
    member = e2e_cast.member["B1m1"]
    sign_in(phone, live_server.url, "member", "/members/birthday/")
    card = phone.locator(".ecard")
    expect(card).to_contain_text("政治生日")
    expect(card).to_contain_text(f"{member.name} 同志")
    expect(card).to_contain_text(cn_day(member.joined_on))
    box = card.bounding_box()
    assert box["width"] <= 390 and box["height"] < 844
    _no_overflow(phone)
    image = phone.request.get(f"{live_server.url}/members/birthday/card.png")
    assert image.status == 200 and image.headers["content-type"] == "image/png"
    ARTIFACTS.mkdir(exist_ok=True)
    phone.screenshot(path=ARTIFACTS / "political-birthday-phone.png")
