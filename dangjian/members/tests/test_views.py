import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dangjian.core import idcard
from dangjian.core.models import AuditEntry
from dangjian.core.phone import MSG_PHONE
from dangjian.members import rules, services
from dangjian.members.models import Member
from dangjian.members.rules import add_years
from tests.kit import new_id_number

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def listed(client, **params) -> set[int]:
    response = client.get(reverse("members:list"), params)
    assert response.status_code == 200
    return {int(x) for x in re.findall(r'data-member="(\d+)"', response.content.decode())}


def pks(cast, *keys) -> set[int]:
    return {cast.member[k].pk for k in keys}


def add_member(cast, *, birth, male=True, branch="B1", **fields):
    data = {
        "name": "测试党员",
        "ethnicity": "汉族",
        "education": "college",
        "joined_on": add_years(birth, 19),
        "status": "probationary",
    }
    data.update(fields)
    return services.member_create(
        acting_user=cast.user["root"],
        branch=cast.org[branch],
        id_number=new_id_number(birth, male=male),
        **data,
    )


# --- the list and its filters


def test_list_shows_masked_values_only(login, cast):
    m = cast.member["B1m1"]
    html = login(cast.user["county_admin"]).get(reverse("members:list")).content.decode()
    assert m.id_number_masked in html and m.phone_masked in html
    assert m.id_number not in html and m.phone not in html
    assert "共 4 名党员" in html


@pytest.mark.parametrize(
    ("params", "keys"),
    [
        ({"q": "党员2"}, ("B1m2", "B2m2")),
        ({"q": "  华山 "}, ("B1m1", "B1m2", "B2m1", "B2m2")),
        ({"gender": "F"}, ("B1m2", "B2m2")),
        ({"ethnicity": "彝族"}, ("B1m2", "B2m2")),
        ({"education": "bachelor"}, ("B1m1", "B2m1")),
        ({"status": "full"}, ("B1m1", "B1m2", "B2m1", "B2m2")),
        ({"status": "probationary"}, ()),
        ({"gender": "M", "education": "bachelor", "q": "华山"}, ("B1m1", "B2m1")),
    ],
)
def test_each_filter_narrows(login, cast, params, keys):
    assert listed(login(cast.user["county_admin"]), **params) == pks(cast, *keys)


def test_org_filter_takes_the_whole_subtree(login, cast):
    client = login(cast.user["city_admin"])
    assert listed(client, org=cast.org["K1"].pk) == pks(cast, "B1m1", "B1m2", "B2m1", "B2m2")
    assert listed(client, org=cast.org["B3"].pk) == pks(cast, "B3m1", "B3m2")
    html = client.get(reverse("members:list"), {"org": cast.org["K1"].pk}).content.decode()
    assert "范围：" in html and "五华区委" in html


def test_status_filter_finds_a_probationary_member(login, cast):
    new = add_member(cast, birth=dt.date(1995, 1, 1))
    assert listed(login(cast.user["county_admin"]), status="probationary") == {new.pk}


def test_age_band_boundaries(login, cast):
    today = timezone.localdate()
    aged_35 = add_member(cast, birth=add_years(today, -36) + dt.timedelta(days=1))
    aged_36 = add_member(cast, birth=add_years(today, -36))
    aged_45 = add_member(cast, birth=add_years(today, -46) + dt.timedelta(days=1))
    aged_46 = add_member(cast, birth=add_years(today, -46))
    aged_60 = add_member(cast, birth=add_years(today, -61) + dt.timedelta(days=1))
    aged_61 = add_member(cast, birth=add_years(today, -61))
    assert [m.age(today) for m in (aged_35, aged_36, aged_45, aged_46, aged_60, aged_61)] == [
        35, 36, 45, 46, 60, 61,
    ]  # fmt: skip
    client = login(cast.user["branch_admin"])
    bands = {band: listed(client, age_band=band) for band in ("-35", "36-45", "46-60", "61-")}
    assert aged_35.pk in bands["-35"] and aged_35.pk not in bands["36-45"]
    assert {aged_36.pk, aged_45.pk} <= bands["36-45"]
    assert aged_46.pk not in bands["36-45"] and {aged_46.pk, aged_60.pk} <= bands["46-60"]
    assert aged_61.pk in bands["61-"] and aged_61.pk not in bands["46-60"]
    everyone = listed(client)
    assert set().union(*bands.values()) == everyone  # the bands cover every age once
    assert sum(len(b) for b in bands.values()) == len(everyone)


@pytest.mark.parametrize(
    "params",
    [
        {"status": "nonsense"},
        {"education": "<script>"},
        {"age_band": "10-20"},
        {"org": "abc"},
        {"org": "99999999"},
        {"gender": "X", "page": "-3"},
    ],
)
def test_bad_filter_values_give_an_empty_result_not_an_error(login, cast, params):
    client = login(cast.user["county_admin"])
    response = client.get(reverse("members:list"), params)
    assert response.status_code == 200
    assert listed(client, **params) == set()


def test_out_of_range_page_falls_back(login, cast):
    assert listed(login(cast.user["county_admin"]), page="999") == pks(
        cast, "B1m1", "B1m2", "B2m1", "B2m2"
    )


def test_htmx_gets_only_the_results(login, cast):
    response = login(cast.user["county_admin"]).get(reverse("members:list"), {"q": "党员1"}, **HTMX)
    html = response.content.decode()
    assert "<html" not in html and 'id="member-results"' not in html
    assert {int(x) for x in re.findall(r'data-member="(\d+)"', html)} == pks(cast, "B1m1", "B2m1")
    assert "HX-Request" in response["Vary"]


def test_list_is_paginated_and_query_count_does_not_grow(login, cast):
    client = login(cast.user["branch_admin"])
    client.get(reverse("members:list"))  # warm up (session, content types)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("members:list"))
    for i in range(25):
        add_member(cast, birth=dt.date(1980, 1, 1) + dt.timedelta(days=i), male=i % 2 == 0)
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("members:list"))
    assert len(many) == len(few)
    html = response.content.decode()
    assert len(re.findall(r'data-member="\d+"', html)) == 20
    assert "共 27 名党员" in html and "第 1 / 2 页" in html and "page=2" in html
    page2 = client.get(reverse("members:list"), {"page": 2}).content.decode()
    assert len(re.findall(r'data-member="\d+"', page2)) == 7


def test_list_page_stays_small(login, cast):
    for i in range(25):
        add_member(cast, birth=dt.date(1980, 1, 1) + dt.timedelta(days=i))
    response = login(cast.user["branch_admin"]).get(reverse("members:list"))
    assert len(response.content) < 150 * 1024


# --- detail and reveal


def test_detail_shows_every_field_masked(login, cast):
    m = cast.member["B1m1"]
    html = login(cast.user["county_leader"]).get(reverse("members:detail", args=[m.pk]))
    html = html.content.decode()
    for text in ("华山党员1", "男", "汉族", "1980年6月1日", "大学本科", "2010年7月1日",
                 "2011年7月1日", "正式党员", "华山社区第一党支部", "第一党小组"):  # fmt: skip
        assert text in html, text
    assert m.id_number_masked in html and m.phone_masked in html
    assert m.id_number not in html and m.phone not in html
    assert reverse("members:reveal", args=[m.pk]) not in html  # a leader may not reveal
    assert reverse("members:edit", args=[m.pk]) not in html


def test_detail_of_a_member_transferred_out(login, cast):
    m = cast.member["B1m2"]
    services.member_transfer_out(
        acting_user=cast.user["branch_admin"],
        member=m,
        on=dt.date(2026, 1, 5),
        destination="贵州省某党支部",
        reason="",
    )
    html = login(cast.user["branch_admin"]).get(reverse("members:detail", args=[m.pk]))
    html = html.content.decode()
    for text in ("已转出", "转出日期", "2026年1月5日", "转往党组织", "贵州省某党支部"):
        assert text in html, text
    assert reverse("transfers:apply_for", args=[m.pk]) not in html
    assert reverse("members:edit", args=[m.pk]) in html


def test_admin_reveals_with_htmx_and_it_is_audited(login, cast):
    m = cast.member["B1m1"]
    client = login(cast.user["county_admin"])
    html = client.get(reverse("members:detail", args=[m.pk])).content.decode()
    assert reverse("members:reveal", args=[m.pk]) in html
    assert reverse("members:edit", args=[m.pk]) in html
    before = AuditEntry.objects.count()
    response = client.post(reverse("members:reveal", args=[m.pk]), **HTMX)
    html = response.content.decode()
    assert "<html" not in html and m.id_number in html and m.phone in html
    assert "no-store" in response["Cache-Control"]
    assert AuditEntry.objects.count() == before + 1
    entry = AuditEntry.objects.latest("id")
    assert (entry.action, entry.actor, entry.object_id) == (
        "member.reveal",
        cast.user["county_admin"],
        str(m.pk),
    )


def test_reveal_without_js_shows_the_detail_page(login, cast):
    m = cast.member["B1m1"]
    html = login(cast.user["member"]).post(reverse("members:reveal", args=[m.pk])).content
    assert "<html" in html.decode() and m.id_number in html.decode()


def test_reveal_is_refused_to_others_and_not_audited(login, cast):
    m = cast.member["B1m1"]
    before = AuditEntry.objects.count()
    assert (
        login(cast.user["county_leader"]).post(reverse("members:reveal", args=[m.pk])).status_code
        == 403
    )
    assert (
        login(cast.user["member"])
        .post(reverse("members:reveal", args=[cast.member["B1m2"].pk]))
        .status_code
        == 403
    )
    assert (
        login(cast.user["sibling_county_admin"])
        .post(reverse("members:reveal", args=[m.pk]))
        .status_code
        == 404
    )
    assert (
        login(cast.user["county_admin"]).get(reverse("members:reveal", args=[m.pk])).status_code
        == 405
    )
    assert AuditEntry.objects.count() == before


# --- create and edit


def _member_form(**overrides):
    data = {
        "name": "李四",
        "id_number": new_id_number(dt.date(1995, 8, 8), male=False),
        "gender": "",
        "birth_date": "",
        "ethnicity": "白族",
        "phone": "139 8765 4321",
        "education": "bachelor",
        "occupation": "教师",
        "joined_on": "2020-07-01",
        "full_member_on": "2021-07-01",
        "status": "full",
        "group": "",
    }
    data.update(overrides)
    return data


def test_create_form_has_chinese_labels_and_date_inputs(login, cast):
    html = login(cast.user["branch_admin"]).get(reverse("members:create", args=[cast.org["B1"].pk]))
    html = html.content.decode()
    for label in (
        "姓名",
        "公民身份号码",
        "民族",
        "手机号",
        "学历",
        "入党日期",
        "党籍状态",
        "所在党小组",
    ):
        assert f">{label}<" in html, label
    assert 'type="date" name="joined_on"' in html
    assert f'<option value="{cast.org["G1"].pk}">第一党小组</option>' in html


def test_create_through_the_page(login, cast):
    client = login(cast.user["branch_admin"])
    data = _member_form(group=cast.org["G1"].pk)
    response = client.post(reverse("members:create", args=[cast.org["B1"].pk]), data, follow=True)
    member = Member.objects.get(name="李四")
    assert response.redirect_chain[-1][0] == reverse("members:detail", args=[member.pk])
    assert "已保存" in response.content.decode()
    assert (member.gender, member.birth_date, member.phone) == (
        "F",
        dt.date(1995, 8, 8),
        "13987654321",
    )
    assert member.group == cast.org["G1"]
    entry = AuditEntry.objects.latest("id")
    assert (entry.action, entry.ip) == ("member.create", "127.0.0.1")


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"id_number": "530102950808002"}, "id_number", idcard.MSG_LEGACY),
        ({"id_number": "530102199508080020"}, "id_number", idcard.MSG_CHECK),
        ({"phone": "12345"}, "phone", MSG_PHONE),
        ({"gender": "M"}, "gender", rules.MSG_GENDER_MISMATCH),
        (
            {"joined_on": "2010-07-01", "full_member_on": "2011-07-01"},
            "joined_on",
            rules.MSG_JOIN_AGE,
        ),
        ({"full_member_on": ""}, "full_member_on", rules.MSG_FULL_NEEDS_DATE),
        ({"joined_on": "", "id_number": "530102950808002"}, "id_number", idcard.MSG_LEGACY),
    ],
)
def test_create_errors_are_shown_next_to_the_field(login, cast, overrides, field, message):
    client = login(cast.user["branch_admin"])
    counts = (Member.objects.count(), AuditEntry.objects.count())
    response = client.post(
        reverse("members:create", args=[cast.org["B1"].pk]), _member_form(**overrides)
    )
    assert response.status_code == 200
    assert f'<p class="error" id="id_{field}_error">{message}</p>' in response.content.decode()
    assert (Member.objects.count(), AuditEntry.objects.count()) == counts


def test_create_with_a_taken_id_number(login, cast):
    client = login(cast.user["branch_admin"])
    taken = cast.member["B2m1"].id_number
    response = client.post(
        reverse("members:create", args=[cast.org["B1"].pk]),
        _member_form(id_number=taken, gender="", full_member_on="", status="probationary"),
    )
    assert services.MSG_ID_TAKEN in response.content.decode()


def test_create_only_in_a_branch(login, cast):
    client = login(cast.user["county_admin"])
    assert client.get(reverse("members:create", args=[cast.org["T1"].pk])).status_code == 404
    assert client.get(reverse("members:create", args=[cast.org["G1"].pk])).status_code == 404


def test_edit_leaves_id_and_phone_alone_when_blank(login, cast):
    m = cast.member["B1m2"]
    old_id, old_phone = m.id_number, m.phone
    client = login(cast.user["branch_admin"])
    html = client.get(reverse("members:edit", args=[m.pk])).content.decode()
    assert old_id not in html and old_phone not in html
    assert m.id_number_masked in html and "留空表示不修改" in html
    data = {
        "name": "华山党员贰",
        "id_number": "",
        "gender": m.gender,
        "birth_date": m.birth_date.isoformat(),
        "ethnicity": m.ethnicity,
        "phone": "",
        "education": "postgraduate",
        "occupation": "",
        "joined_on": m.joined_on.isoformat(),
        "full_member_on": m.full_member_on.isoformat(),
        "status": m.status,
        "group": "",
    }
    response = client.post(reverse("members:edit", args=[m.pk]), data)
    assert response.status_code == 302
    m.refresh_from_db()
    assert (m.name, m.education, m.id_number, m.phone) == (
        "华山党员贰",
        "postgraduate",
        old_id,
        old_phone,
    )
    entry = AuditEntry.objects.latest("id")
    assert entry.action == "member.update"
    assert entry.before["name"] == "华山党员2" and entry.after["name"] == "华山党员贰"


def test_edit_changes_the_phone_and_shows_errors(login, cast):
    m = cast.member["B1m2"]
    client = login(cast.user["branch_admin"])
    data = {
        "name": m.name,
        "gender": m.gender,
        "birth_date": m.birth_date.isoformat(),
        "ethnicity": m.ethnicity,
        "education": m.education,
        "joined_on": m.joined_on.isoformat(),
        "full_member_on": m.full_member_on.isoformat(),
        "status": m.status,
    }
    assert (
        client.post(
            reverse("members:edit", args=[m.pk]), {**data, "phone": "13700001111"}
        ).status_code
        == 302
    )
    m.refresh_from_db()
    assert m.phone == "13700001111"
    counts = AuditEntry.objects.count()
    response = client.post(
        reverse("members:edit", args=[m.pk]), {**data, "birth_date": "1991-01-01"}
    )
    assert rules.MSG_BIRTH_MISMATCH in response.content.decode()
    assert AuditEntry.objects.count() == counts
    response = client.post(reverse("members:edit", args=[m.pk]), {**data, "clear_phone": "on"})
    m.refresh_from_db()
    assert m.phone == ""


def test_new_member_is_reached_from_the_list(login, cast):
    """Those who may add members find 新增党员 on the list: a branch admin goes straight
    to their branch's form; a county admin picks among the branches; a member sees none."""
    client = login(cast.user["branch_admin"])
    html = client.get(reverse("members:list")).content.decode()
    assert f'href="{reverse("members:create", args=[cast.org["B1"].pk])}">新增党员</a>' in html

    client = login(cast.user["county_admin"])
    html = client.get(reverse("members:list")).content.decode()
    assert "新增党员：选择党支部" in html
    for branch in ("B1", "B2"):
        assert reverse("members:create", args=[cast.org[branch].pk]) in html
    assert reverse("members:create", args=[cast.org["B3"].pk]) not in html  # not K1's

    client = login(cast.user["member"])
    assert "新增党员" not in client.get(reverse("members:list")).content.decode()


def test_a_member_sees_fellow_members_names_and_groups_only(login, cast):
    client = login(cast.user["member"])
    fellow, own = cast.member["B1m2"], cast.member["B1m1"]
    html = client.get(reverse("members:list")).content.decode()
    assert fellow.name in html and fellow.id_number_masked not in html
    assert own.id_number_masked in html  # their own record in full
    assert 'name="gender"' not in html  # no filter on what they may not see
    response = client.get(reverse("members:list"), {"ethnicity": fellow.ethnicity})
    assert fellow.name not in response.content.decode()
