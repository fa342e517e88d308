"""The dues keeper's pages: 基数核定 (list, one member's form, the farmers' amount), the
bases import (preview, refusal with row errors, confirm), 登记缴纳 (补缴, 代缴) with the
receipt, refund after a confirmation, the report's period picker and comparison."""

import datetime as dt
import io
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from dangjian.core.models import AuditEntry
from dangjian.dues import imports, rules, services
from dangjian.dues.models import Bill, BranchSetting, DuesBase, Payment
from dangjian.dues.tests.test_reports import dues_world  # noqa: F401 (a fixture)
from dangjian.orgs.models import Organisation

pytestmark = pytest.mark.django_db
THIS = timezone.localdate().replace(day=1)
LAST = rules.add_months(THIS, -1)


def _set(cast, key="B1m1", base_fen=300000, month=dt.date(2021, 1, 1)):
    return services.base_set(
        acting_user=cast.user["root"],
        member=cast.member[key],
        category="employed",
        effective_month=month,
        base_fen=base_fen,
    )


def _html(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


# --- 基数核定 ---------------------------------------------------------------------------


def test_the_bases_list_shows_each_member_and_the_amount(login, cast):
    _set(cast, "B1m1", 300001)
    client = login(cast.user["branch_admin"])
    html = _html(client.get(reverse("dues:bases", args=[cast.org["B1"].pk])))
    assert cast.member["B1m1"].name in html and cast.member["B1m2"].name in html
    assert "30.00" in html and "3,000.01" not in html and "3000.01" in html
    assert "未核定" in html  # B1m2 has no base yet
    assert reverse("dues:member_base", args=[cast.member["B1m1"].pk]) in html
    assert cast.member["B3m1"].name not in html


def test_a_leader_sees_the_list_without_the_forms(login, cast):
    client = login(cast.user["county_leader"])
    html = _html(client.get(reverse("dues:bases", args=[cast.org["B1"].pk])))
    assert "核定基数" not in html and 'name="farmer_fen"' not in html
    assert client.post(reverse("dues:bases", args=[cast.org["B1"].pk])).status_code == 403


def test_setting_a_base_from_the_page(login, cast):
    member = cast.member["B1m1"]
    client = login(cast.user["branch_admin"])
    url = reverse("dues:member_base", args=[member.pk])
    response = client.post(
        url, {"category": "retired", "base_fen": "5000.01", "effective_month": "2026-01"}
    )
    assert response.status_code == 302
    base = DuesBase.objects.get(member=member)
    assert (base.amount_fen, base.effective_month) == (5000, dt.date(2026, 1, 1))
    page = _html(client.get(response["Location"]))
    assert "已核定" in page and "50.00" in page


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"category": "employed", "base_fen": "", "effective_month": "2026-01"}, "base_fen",
         rules.MSG_BASE_REQUIRED),
        ({"category": "employed", "base_fen": "3000.001", "effective_month": "2026-01"},
         "base_fen", rules.MSG_YUAN_FORMAT),
        ({"category": "employed", "base_fen": "3000", "effective_month": "2026-13"},
         "effective_month", "请按“2026-01”的格式填写月份"),
        ({"category": "employed", "base_fen": "3000", "effective_month": "1999-01"},
         "effective_month", services.MSG_EFFECTIVE),
        ({"category": "nobody", "base_fen": "3000", "effective_month": "2026-01"}, "category",
         "选择一个有效的选项"),
        ({"category": "employed", "base_fen": "3000", "voluntary_fen": "-1",
          "effective_month": "2026-01"}, "voluntary_fen", "自愿交纳额应大于零"),
    ],
)  # fmt: skip
def test_a_refused_base_is_shown_beside_its_field(login, cast, data, field, message):
    client = login(cast.user["branch_admin"])
    response = client.post(reverse("dues:member_base", args=[cast.member["B1m1"].pk]), data)
    assert response.status_code == 422
    html = _html(response)
    assert re.search(rf'id="id_{field}_error">[^<]*{re.escape(message)}', html), html[-3000:]
    assert not DuesBase.objects.exists()


def test_the_farmers_amount_is_set_on_the_branch_page(login, cast):
    client = login(cast.user["branch_admin"])
    url = reverse("dues:bases", args=[cast.org["B1"].pk])
    refused = client.post(url, {"farmer_fen": "1.01"})
    assert refused.status_code == 422 and rules.MSG_FARMER_RANGE in _html(refused)
    assert not BranchSetting.objects.exists()
    assert client.post(url, {"farmer_fen": "0.50"}).status_code == 302
    assert BranchSetting.objects.get(branch=cast.org["B1"]).farmer_fen == 50
    entry = AuditEntry.objects.filter(action="dues.setting.set").latest("pk")
    assert entry.before == {"farmer_fen": 20} and entry.after == {"farmer_fen": 50}
    member = cast.member["B1m2"]
    base = services.base_set(
        acting_user=cast.user["branch_admin"],
        member=member,
        category="farmer",
        effective_month=THIS,
    )
    assert base.amount_fen == 50


def test_the_farmers_amount_belongs_to_a_branch(login, cast):
    client = login(cast.user["county_admin"])
    response = client.post(reverse("dues:bases", args=[cast.org["K1"].pk]), {"farmer_fen": "0.5"})
    assert response.status_code == 302
    assert services.MSG_NOT_BRANCH in _html(client.get(response["Location"]))
    assert not BranchSetting.objects.exists()


def test_manage_opens_on_the_top_of_the_scope(login, cast):
    client = login(cast.user["county_admin"])
    response = client.get(reverse("dues:manage"))
    assert response["Location"] == reverse("dues:bases", args=[cast.org["K1"].pk])
    response = client.get(reverse("dues:manage") + "?to=report")
    assert response["Location"] == reverse("dues:report", args=[cast.org["K1"].pk])
    assert login(cast.user["member"]).get(reverse("dues:manage")).status_code == 404


# --- 批量导入 ---------------------------------------------------------------------------


def _file(rows, name="bases.xlsx"):
    book = Workbook()
    book.active.append([c.header for c in imports.COLUMNS])
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    out.name = name
    return out


def test_a_file_with_a_bad_row_is_refused_with_its_errors(login, cast):
    m1 = cast.member["B1m1"]
    client = login(cast.user["branch_admin"])
    bad = _file([[m1.id_number, "在职", "3000", "2026-01", ""], ["11010519491231002X", "在职",
                 "3000", "2026-01", ""], [m1.id_number, "在职", "abc", "2026-02", ""]])  # fmt: skip
    response = client.post(reverse("dues:bases_import"), {"file": bad})
    assert response.status_code == 422
    html = _html(response)
    assert "校验未通过：2 处错误，未写入任何数据" in html
    assert "第3行" in html and imports.MSG_MEMBER in html
    assert "第4行" in html and rules.MSG_YUAN_FORMAT in html
    assert not DuesBase.objects.exists()
    assert client.post(reverse("dues:bases_import"), {"action": "confirm"}).status_code == 302
    assert not DuesBase.objects.exists()


def test_a_good_file_is_previewed_then_imported(login, cast):
    m1, m2 = cast.member["B1m1"], cast.member["B1m2"]
    client = login(cast.user["branch_admin"])
    good = _file([[m1.id_number, "在职", "3000.01", "2026-01", ""],
                  [m2.id_number, "离退休", "5000", "2026-01", "30"]])  # fmt: skip
    preview = client.post(reverse("dues:bases_import"), {"file": good})
    assert preview.status_code == 200
    html = _html(preview)
    assert "校验通过" in html and "30.00" in html and m2.name in html
    assert not DuesBase.objects.exists()  # a preview writes nothing
    done = client.post(reverse("dues:bases_import"), {"action": "confirm"})
    assert done.status_code == 302
    assert sorted(DuesBase.objects.values_list("amount_fen", flat=True)) == [3000, 3000]
    assert "已导入 2 名党员的党费基数" in _html(client.get(done["Location"]))


def test_an_unreadable_file_or_none_is_refused(login, cast):
    client = login(cast.user["branch_admin"])
    response = client.post(reverse("dues:bases_import"), {"file": _file([], name="x.txt")})
    assert response.status_code == 422 and "请选择 .xlsx 或 .csv 文件" in _html(response)
    junk = io.BytesIO(b"not a zip")
    junk.name = "bases.xlsx"
    response = client.post(reverse("dues:bases_import"), {"file": junk})
    assert response.status_code == 422 and 'id="import-refused"' in _html(response)
    assert client.post(reverse("dues:bases_import"), {}).status_code == 422


def test_import_needs_the_change_right(login, cast):
    assert login(cast.user["county_leader"]).get(reverse("dues:bases_import")).status_code == 403


def test_the_template_has_the_columns(login, cast):
    client = login(cast.user["branch_admin"])
    response = client.get(reverse("dues:bases_template"))
    book = load_workbook(io.BytesIO(response.content))
    assert [c.value for c in book.active[1]] == [c.header for c in imports.COLUMNS]
    assert book.sheetnames == ["党费基数", "填写说明"]


# --- 登记缴纳, receipt, refund -----------------------------------------------------------


def test_recording_a_makeup_payment_by_a_relative(login, cast):
    member = cast.member["B1m1"]
    _set(cast)
    services.bills_issue(month=LAST, members=type(member).objects.filter(pk=member.pk))
    client = login(cast.user["branch_admin"])
    url = reverse("dues:member_record", args=[member.pk])
    page = _html(client.get(url))
    assert f'value="{LAST.isoformat()}"' in page and "（补缴）" in page
    refused = client.post(
        url, {"months": [LAST.isoformat()], "channel": "cash", "payer_kind": "relative"}
    )
    assert refused.status_code == 422 and services.MSG_PAYER_NAME in _html(refused)
    response = client.post(
        url,
        {
            "months": [LAST.isoformat(), THIS.isoformat()],
            "channel": "cash",
            "payer_kind": "relative",
            "payer_name": "张父",
        },
    )
    assert response.status_code == 302
    payment = Payment.objects.get()
    assert (payment.amount_fen, payment.makeup, payment.payer_name) == (3000, True, "张父")
    detail = _html(client.get(response["Location"]))
    assert "30.00" in detail and reverse("dues:receipt", args=[payment.pk]) in detail
    assert "亲属代缴：张父" in detail and "（补缴）" in detail
    receipt = client.get(reverse("dues:receipt", args=[payment.pk]))
    assert receipt["Content-Type"] == "application/pdf"


def test_a_month_not_offered_is_refused(login, cast):
    member = cast.member["B1m1"]
    _set(cast)
    client = login(cast.user["branch_admin"])
    url = reverse("dues:member_record", args=[member.pk])
    for months in (["2000-01-01"], ["nonsense"], []):
        response = client.post(url, {"months": months, "channel": "cash"})
        assert response.status_code == 422
    assert not Payment.objects.exists()


def test_recording_without_a_base_says_so(login, cast):
    client = login(cast.user["branch_admin"])
    html = _html(client.get(reverse("dues:member_record", args=[cast.member["B1m1"].pk])))
    assert "尚未核定该党员的党费基数" in html


def test_a_refund_needs_the_confirmation(login, cast):
    member = cast.member["B1m1"]
    _set(cast)
    payment = services.payment_record(
        acting_user=cast.user["root"], member=member, months=[LAST], channel="cash"
    )
    client = login(cast.user["branch_admin"])
    url = reverse("dues:payment_refund", args=[payment.pk])
    assert "确认退款" in _html(client.get(url))
    refused = client.post(url, {"reason": "误缴"})
    assert refused.status_code == 422 and "请勾选确认后再退款" in _html(refused)
    assert Payment.objects.get().status == "paid"
    done = client.post(url, {"reason": "误缴", "confirm": "on"})
    assert done.status_code == 302
    assert Payment.objects.get().status == "refunded"
    assert Bill.objects.get(member=member, month=LAST).status == "unpaid"
    again = client.get(url)
    assert "不能退款" in _html(again)
    assert client.post(url, {"reason": "再退", "confirm": "on"}).status_code == 422


def test_a_member_sees_their_payment_without_refund(login, cast):
    _set(cast)
    payment = services.payment_record(
        acting_user=cast.user["root"], member=cast.member["B1m1"], months=[LAST], channel="cash"
    )
    client = login(cast.user["member"])
    html = _html(client.get(reverse("dues:payment", args=[payment.pk])))
    assert "打印收据" in html and "退款" not in html
    assert client.get(reverse("dues:payment_refund", args=[payment.pk])).status_code == 403


def test_a_member_finds_each_payment_and_what_each_month_cost(login, cast):
    _set(cast)
    payment = services.payment_record(
        acting_user=cast.user["root"], member=cast.member["B1m1"], months=[LAST], channel="cash"
    )
    html = _html(login(cast.user["member"]).get(reverse("dues:mine")))
    assert f"{LAST.year}年{LAST.month}月 <strong>15.00</strong> 元" in html
    record = html.split('id="payments"')[1]
    assert reverse("dues:payment", args=[payment.pk]) in record
    assert "<strong>15.00</strong> 元（1个月）" in record and "已支付" in record


# --- 统计 -------------------------------------------------------------------------------


def test_the_report_page_picks_a_period_and_drills_down(login, cast):
    client = login(cast.user["county_admin"])
    k1 = cast.org["K1"]
    html = _html(client.get(reverse("dues:report", args=[k1.pk]) + "?period=2025Q3"))
    assert 'value="2025Q3" selected' in html and "<optgroup" in html
    assert "季度比较" in html and 'id="problems"' in html
    child = Organisation.objects.get_children(k1).first()
    assert reverse("dues:report", args=[child.pk]) + "?period=2025Q3" in html
    assert "format=xlsx" in html
    for bad in ("2025Q9", "nonsense", "9999"):
        response = client.get(reverse("dues:report", args=[k1.pk]) + f"?period={bad}")
        assert response.status_code in (200, 302)
    month = _html(client.get(reverse("dues:report", args=[k1.pk]) + "?period=2025-08"))
    assert "季度比较" not in month


def test_period_choices_run_back_three_years():
    groups = dict(
        (name, keys)
        for name, keys in __import__("dangjian.dues.reports", fromlist=["x"]).period_choices(
            dt.date(2026, 5, 10)
        )
    )
    assert [k for k, _ in groups["年度"]] == ["2026", "2025", "2024"]
    assert groups["季度"][0][0] == "2026Q2" and groups["季度"][-1][0] == "2024Q1"
    assert groups["月份"][0][0] == "2026-05" and len(groups["月份"]) == 5 + 24


def test_the_comparison_names_the_branch_that_fell_behind(login, dues_world):  # noqa: F811
    cast = dues_world
    client = login(cast.user["county_admin"])
    html = _html(client.get(reverse("dues:report", args=[cast.org["T1"].pk]) + "?period=2025Q3"))
    problems = html.split('id="problems"')[1].split("</section>")[0]
    progress = html.split('id="progress"')[1].split("</section>")[0]
    assert cast.org["B1"].name in problems and "33.33%（上季度 100.00%）" in problems
    assert cast.org["B2"].name in progress and cast.org["B2"].name not in problems
    assert "83.33%" not in html  # T1's own: B1 1/3, B2 all → (255 + 765) / 1530
    assert "66.67%" in html


def test_the_arrears_list_narrows_to_a_subtree(login, cast):
    for key in ("B1m1", "B2m1"):
        _set(cast, key)
    services.bills_issue(month=THIS)
    client = login(cast.user["county_admin"])
    url = reverse("dues:arrears")
    everything = _html(client.get(url))
    assert cast.member["B1m1"].name in everything and cast.member["B2m1"].name in everything
    assert reverse("dues:member_record", args=[cast.member["B2m1"].pk]) in everything
    narrowed = _html(client.get(f"{url}?org={cast.org['B2'].pk}"))
    record = lambda key: reverse("dues:member_record", args=[cast.member[key].pk])  # noqa: E731
    assert record("B2m1") in narrowed and record("B1m1") not in narrowed
    assert cast.org["B1"].name not in narrowed.split("<table")[1]
    assert client.get(f"{url}?org={cast.org['B4'].pk}").status_code == 404
    assert client.get(f"{url}?org=abc").status_code == 200
    leader = _html(login(cast.user["county_leader"]).get(url))
    assert cast.member["B1m1"].name in leader and "登记缴纳" not in leader.split("<table")[1]


def test_a_preview_never_confirmed_is_swept_after_a_day(login, cast, settings):
    import os
    import time

    folder = settings.VAR_DIR / "dues-imports"
    folder.mkdir(parents=True, exist_ok=True)
    old, fresh = folder / f"{'a' * 32}.xlsx", folder / f"{'b' * 32}.xlsx"
    for path in (old, fresh):
        path.write_bytes(b"x")
    os.utime(old, (time.time() - 2 * 86400,) * 2)
    client = login(cast.user["branch_admin"])
    good = _file([[cast.member["B1m1"].id_number, "在职", "3000", "2026-01", ""]])
    assert client.post(reverse("dues:bases_import"), {"file": good}).status_code == 200
    assert not old.exists() and fresh.exists()


def test_the_import_link_is_for_those_who_may_import(login, cast):
    url = reverse("dues:bases", args=[cast.org["K1"].pk])
    assert reverse("dues:bases_import") in _html(login(cast.user["county_admin"]).get(url))
    assert reverse("dues:bases_import") not in _html(login(cast.user["county_leader"]).get(url))
