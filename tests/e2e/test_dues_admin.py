"""The dues keeper's flows in a browser: setting a base and seeing the amount (phone),
recording a 补缴 cash payment and opening its receipt, importing a bases file refused for
one bad row (the row's error shown) and then a good one (desktop)."""

import datetime as dt

import pytest
from django.utils import timezone
from openpyxl import Workbook
from playwright.sync_api import expect

from dangjian.dues import imports, rules, services
from dangjian.dues.models import DuesBase
from dangjian.members.models import Member
from tests.e2e.auth import sign_in

pytestmark = pytest.mark.e2e
DESKTOP = {"viewport": {"width": 1440, "height": 900}, "locale": "zh-CN"}


def _no_overflow(page):
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0


def test_admin_sets_a_base_and_the_amount_shows(phone, live_server, e2e_cast):
    member = e2e_cast.member["B1m1"]
    sign_in(phone, live_server.url, "branch_admin", "/dues/manage/")
    row = phone.locator(f"#m{member.pk}")
    expect(row).to_contain_text("未核定")
    _no_overflow(phone)
    row.get_by_role("link", name="核定基数").click()
    phone.get_by_label("类别").select_option(label="在职")
    phone.get_by_label("交纳基数（元）").fill("5000.001")
    phone.get_by_label("起始月份").fill(f"{timezone.localdate():%Y-%m}")
    phone.get_by_role("button", name="核定").click()
    expect(phone.locator("#id_base_fen_error")).to_contain_text("最多两位小数")
    phone.get_by_label("交纳基数（元）").fill("5000.01")
    phone.get_by_role("button", name="核定").click()
    expect(phone.get_by_text("已核定")).to_be_visible()
    expect(phone.locator(f"#m{member.pk} .amount")).to_have_text("75.00")
    _no_overflow(phone)


def test_admin_records_a_makeup_cash_payment_and_opens_the_receipt(phone, live_server, e2e_cast):
    member = e2e_cast.member["B1m1"]
    last = rules.add_months(timezone.localdate().replace(day=1), -1)
    services.base_set(
        acting_user=e2e_cast.user["root"],
        member=member,
        category="employed",
        effective_month=dt.date(2021, 1, 1),
        base_fen=300000,
    )
    services.bills_issue(month=last, members=Member.objects.filter(pk=member.pk))
    sign_in(phone, live_server.url, "branch_admin", "/dues/arrears/")
    expect(phone.locator("#arrears-count")).to_have_text("共 1 笔未缴")
    phone.get_by_role("link", name="登记缴纳").click()
    expect(phone.get_by_label(f"{last:%Y年%m月} · 15.00 元（补缴）")).to_be_checked()
    expect(phone.get_by_label("现金")).to_be_checked()
    phone.get_by_role("button", name="登记缴纳").click()
    expect(phone.get_by_text("已登记")).to_be_visible()
    expect(phone.locator("#payment-amount")).to_have_text("15.00")
    expect(phone.get_by_text("现金（补缴）")).to_be_visible()
    _no_overflow(phone)
    receipt = phone.get_by_role("link", name="打印收据（PDF）")
    answer = phone.request.get(live_server.url + receipt.get_attribute("href"))
    assert answer.status == 200 and answer.headers["content-type"] == "application/pdf"
    assert answer.body().startswith(b"%PDF-")
    phone.goto(f"{live_server.url}/dues/arrears/")
    expect(phone.locator("#arrears-count")).to_have_text("共 0 笔未缴")


def _sheet(path, rows):
    book = Workbook()
    book.active.append([c.header for c in imports.COLUMNS])
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


def test_admin_imports_bases_refused_for_a_bad_row_then_a_good_file(
    browser, live_server, e2e_cast, tmp_path
):
    m1, m2 = e2e_cast.member["B1m1"], e2e_cast.member["B1m2"]
    month = f"{timezone.localdate():%Y-%m}"
    bad = _sheet(
        tmp_path / "bad.xlsx",
        [[m1.id_number, "在职", "3000", month, ""], [m2.id_number, "在职", "三千", month, ""]],
    )
    good = _sheet(
        tmp_path / "good.xlsx",
        [[m1.id_number, "在职", "3000", month, ""], [m2.id_number, "离退休", "6000", month, ""]],
    )
    page = browser.new_context(**DESKTOP).new_page()
    sign_in(page, live_server.url, "branch_admin", "/dues/bases/import/")
    page.get_by_label("党费基数表（.xlsx 或 .csv）").set_input_files(str(bad))
    page.get_by_role("button", name="上传并预览").click()
    expect(page.locator("#import-refused")).to_contain_text("未写入任何数据")
    expect(page.locator("#import-errors")).to_contain_text("第3行")
    expect(page.locator("#import-errors")).to_contain_text("金额应为元")
    assert not DuesBase.objects.exists()
    page.get_by_label("党费基数表（.xlsx 或 .csv）").set_input_files(str(good))
    page.get_by_role("button", name="上传并预览").click()
    expect(page.locator("#import-preview")).to_contain_text("60.00")
    assert not DuesBase.objects.exists()
    page.get_by_role("button", name="确认导入").click()
    expect(page.get_by_text("已导入 2 名党员的党费基数")).to_be_visible()
    expect(page.locator(f"#m{m1.pk} .amount")).to_have_text("15.00")
    expect(page.locator(f"#m{m2.pk} .amount")).to_have_text("60.00")
    _no_overflow(page)
