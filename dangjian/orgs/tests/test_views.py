import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from dangjian.core.models import AuditEntry
from dangjian.orgs import services
from dangjian.orgs.models import Organisation

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def org_ids(html: str) -> set[int]:
    return {int(x) for x in re.findall(r'data-org="(\d+)"', html)}


def state():
    """What a failed write must leave untouched."""
    return (
        Organisation.objects.count(),
        AuditEntry.objects.count(),
        list(Organisation.objects.values_list("path", "name", "dissolved_on")),
    )


# --- tree, lazy children, search


def test_tree_starts_at_the_users_own_organisation(login, cast):
    html = login(cast.user["county_admin"]).get(reverse("orgs:tree")).content.decode()
    assert org_ids(html) == {cast.org["K1"].pk}
    assert reverse("orgs:children", args=[cast.org["K1"].pk]) in html
    assert 'hx-trigger="toggle once"' in html
    assert "云南省委" not in html and "昆明市委" not in html


def test_children_load_lazily_as_a_fragment(login, cast):
    client = login(cast.user["county_admin"])
    response = client.get(reverse("orgs:children", args=[cast.org["T1"].pk]), **HTMX)
    html = response.content.decode()
    assert "<html" not in html
    assert org_ids(html) == {cast.org["B1"].pk, cast.org["B2"].pk}
    assert "HX-Request" in response["Vary"]


def test_children_without_js_is_a_full_page(login, cast):
    client = login(cast.user["county_admin"])
    html = client.get(reverse("orgs:children", args=[cast.org["T1"].pk])).content.decode()
    assert "<html" in html and "华山街道党委的下级组织" in html


def test_children_hide_member_counts_from_those_who_cannot_see_members(login, cast):
    url = reverse("orgs:children", args=[cast.org["T1"].pk])
    assert "2人" in login(cast.user["county_admin"]).get(url, **HTMX).content.decode()
    assert "人</span>" not in login(cast.user["handler"]).get(url, **HTMX).content.decode()


def test_search_finds_by_name_and_code_within_scope(login, cast):
    client = login(cast.user["county_admin"])
    html = client.get(reverse("orgs:search"), {"q": "支部"}).content.decode()
    assert org_ids(html) == {cast.org["B1"].pk, cast.org["B2"].pk}
    assert "共找到 2 个组织" in html and "<html" in html
    html = client.get(reverse("orgs:search"), {"q": "530102100002"}).content.decode()
    assert org_ids(html) == {cast.org["B2"].pk}
    html = client.get(reverse("orgs:search"), {"q": "拓东"}).content.decode()  # K2: not mine
    assert org_ids(html) == set() and "共找到 0 个组织" in html


def test_search_as_you_type_returns_a_fragment(login, cast):
    client = login(cast.user["county_admin"])
    response = client.get(reverse("orgs:search"), {"q": "第一"}, **HTMX)
    html = response.content.decode()
    assert "<html" not in html
    assert org_ids(html) == {cast.org["B1"].pk, cast.org["G1"].pk}
    # The tree page's box cleared: nothing, so the tree shows again.
    cleared = client.get(reverse("orgs:search"), {"q": ""}, HTTP_HX_TARGET="search-results", **HTMX)
    assert org_ids(cleared.content.decode()) == set()


def test_search_with_bad_filter_values_does_not_fail(login, cast):
    client = login(cast.user["county_admin"])
    response = client.get(reverse("orgs:search"), {"org_type": "nonsense", "page": "x"})
    assert response.status_code == 200
    assert org_ids(response.content.decode()) == set()


# --- detail


def test_detail_shows_the_organisation(login, cast):
    b1 = cast.org["B1"]
    services.position_assign(
        acting_user=cast.user["root"],
        org=b1,
        member=cast.member["B1m2"],
        title="secretary",
        started_on=dt.date(2021, 3, 1),
    )
    html = login(cast.user["county_admin"]).get(reverse("orgs:detail", args=[b1.pk])).content
    html = html.decode()
    assert "华山社区第一党支部" in html and "党支部" in html and "530102100001" in html
    assert "1990年1月1日" in html  # founded, as a Chinese date
    assert "<dt>书记</dt><dd>华山党员2</dd>" in html
    assert "书记：华山党员2" in html and "2021年3月1日任职" in html
    assert 'data-member-count="2"' in html
    assert org_ids(html) == {cast.org["G1"].pk}  # children
    assert f"{reverse('members:list')}?org={b1.pk}" in html


def test_member_count_covers_the_whole_subtree(login, cast):
    html = login(cast.user["root"]).get(reverse("orgs:detail", args=[cast.org["C1"].pk]))
    assert 'data-member-count="6"' in html.content.decode()  # B1, B2, B3


def test_breadcrumb_stops_at_the_users_scope(login, cast):
    url = reverse("orgs:detail", args=[cast.org["G1"].pk])
    html = login(cast.user["county_admin"]).get(url).content.decode()
    crumbs = html.split('<nav class="crumbs"')[1].split("</nav>")[0]
    assert "五华区委" in crumbs and "华山街道党委" in crumbs and "华山社区第一党支部" in crumbs
    assert "昆明市委" not in crumbs and "云南省委" not in crumbs
    html = login(cast.user["branch_admin"]).get(url).content.decode()
    crumbs = html.split('<nav class="crumbs"')[1].split("</nav>")[0]
    assert "华山社区第一党支部" in crumbs and "华山街道党委" not in crumbs


def test_detail_shows_actions_only_to_those_who_may_change(login, cast):
    url = reverse("orgs:detail", args=[cast.org["B1"].pk])
    admin_html = login(cast.user["county_admin"]).get(url).content.decode()
    for name in ("orgs:edit", "orgs:move", "orgs:dissolve", "orgs:create", "members:create"):
        assert reverse(name, args=[cast.org["B1"].pk]) in admin_html, name
    leader_html = login(cast.user["county_leader"]).get(url).content.decode()
    for name in ("orgs:edit", "orgs:move", "orgs:dissolve", "orgs:create", "members:create"):
        assert reverse(name, args=[cast.org["B1"].pk]) not in leader_html, name


def test_handler_sees_the_organisation_but_not_its_members(login, cast):
    html = login(cast.user["handler"]).get(reverse("orgs:detail", args=[cast.org["B1"].pk]))
    html = html.content.decode()
    assert "华山社区第一党支部" in html
    assert "data-member-count" not in html and "查看本组织党员" not in html


# --- create


def _org_form(**overrides):
    data = {
        "name": "华山社区第三党支部",
        "org_type": "branch",
        "code": "530102100003",
        "founded_on": "2024-07-01",
        "address": "",
        "contact_phone": "",
    }
    data.update(overrides)
    return data


def test_create_offers_only_the_types_allowed_under_the_parent(login, cast):
    client = login(cast.user["county_admin"])
    html = client.get(reverse("orgs:create", args=[cast.org["T1"].pk])).content.decode()
    assert 'value="branch"' in html and 'value="general_branch"' in html
    assert 'value="city"' not in html and 'value="group"' not in html
    html = client.get(reverse("orgs:create", args=[cast.org["G1"].pk])).content.decode()
    assert "党小组之下不能再设立下级组织" in html and '<form method="post" class="card"' not in html


def test_create_through_the_page(login, cast):
    client = login(cast.user["county_admin"])
    response = client.post(
        reverse("orgs:create", args=[cast.org["T1"].pk]), _org_form(), follow=True
    )
    org = Organisation.objects.get(code="530102100003")
    assert response.redirect_chain[-1][0] == reverse("orgs:detail", args=[org.pk])
    assert "已保存" in response.content.decode()
    assert Organisation.objects.get_parent(org) == cast.org["T1"]
    entry = AuditEntry.objects.latest("id")
    assert (entry.action, entry.actor, entry.ip) == (
        "org.create",
        cast.user["county_admin"],
        "127.0.0.1",
    )


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"code": "530102100001"}, services.MSG_CODE_TAKEN),
        ({"code": "ab"}, "组织代码应为6到24位数字或大写字母"),
        ({"founded_on": "2999-01-01"}, services.MSG_FOUNDED_FUTURE),
        ({"name": ""}, "这个字段是必填项。"),
        ({"founded_on": "不是日期"}, "输入一个有效的日期。"),
        ({"org_type": "city"}, "选择一个有效的选项。"),
        ({"org_type": ""}, "这个字段是必填项。"),
    ],
)
def test_create_shows_chinese_field_errors_and_writes_nothing(login, cast, overrides, message):
    client = login(cast.user["county_admin"])
    before = state()
    response = client.post(reverse("orgs:create", args=[cast.org["T1"].pk]), _org_form(**overrides))
    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(r'<p class="error" id="id_\w+_error">' + re.escape(message), html)
    assert state() == before


def test_create_under_a_dissolved_parent_is_refused(login, cast):
    parent = services.org_create(
        acting_user=cast.user["root"],
        parent=cast.org["T1"],
        name="临时党总支",
        org_type="general_branch",
        code="530102100090",
        founded_on=dt.date(2020, 1, 1),
    )
    services.org_dissolve(
        acting_user=cast.user["root"], org=parent, dissolved_on=dt.date(2021, 1, 1), reason="合并"
    )
    client = login(cast.user["county_admin"])
    before = state()
    response = client.post(reverse("orgs:create", args=[parent.pk]), _org_form())
    assert services.MSG_PARENT_DISSOLVED in response.content.decode()
    assert state() == before


# --- edit


def test_edit_through_the_page(login, cast):
    b2 = cast.org["B2"]
    client = login(cast.user["committee_admin"])
    html = client.get(reverse("orgs:edit", args=[b2.pk])).content.decode()
    assert 'value="华山社区第二党支部"' in html and 'value="1990-01-01"' in html
    data = _org_form(name="华山社区第二党支部（新）", code=b2.code, founded_on="1990-01-01")
    response = client.post(reverse("orgs:edit", args=[b2.pk]), data)
    assert response.status_code == 302
    b2.refresh_from_db()
    assert b2.name == "华山社区第二党支部（新）"
    entry = AuditEntry.objects.latest("id")
    assert entry.action == "org.update" and entry.before["name"] == "华山社区第二党支部"


def test_edit_with_a_bad_type_shows_the_rule(login, cast):
    t1 = cast.org["T1"]
    client = login(cast.user["county_admin"])
    before = state()
    data = _org_form(name=t1.name, org_type="branch", code=t1.code, founded_on="1990-01-01")
    html = client.post(reverse("orgs:edit", args=[t1.pk]), data).content.decode()
    assert services.MSG_TYPE_CHILDREN.format(type="党支部") in html
    assert state() == before


# --- move


def test_move_offers_only_allowed_targets_and_moves(login, cast):
    b2 = cast.org["B2"]
    client = login(cast.user["county_admin"])
    html = client.get(reverse("orgs:move", args=[b2.pk])).content.decode()
    options = {int(x) for x in re.findall(r'<option value="(\d+)"', html)}
    assert options == {cast.org["K1"].pk}  # T1 is its parent; K2's tree is not theirs
    response = client.post(reverse("orgs:move", args=[b2.pk]), {"target": cast.org["K1"].pk})
    assert response.status_code == 302
    assert Organisation.objects.get_parent(Organisation.objects.get(pk=b2.pk)) == cast.org["K1"]
    assert AuditEntry.objects.latest("id").action == "org.move"


def test_move_refuses_a_target_outside_the_list(login, cast):
    client = login(cast.user["county_admin"])
    before = state()
    for target in (cast.org["T2"].pk, cast.org["G1"].pk, "abc"):
        response = client.post(reverse("orgs:move", args=[cast.org["B2"].pk]), {"target": target})
        assert response.status_code == 200
        assert "请选择列表中的上级组织" in response.content.decode()
    assert state() == before


def test_the_root_cannot_be_moved(login, cast):
    html = login(cast.user["root"]).get(reverse("orgs:move", args=[cast.org["P"].pk]))
    assert "根组织不能移动" in html.content.decode()


# --- dissolve


def _empty_branch(cast):
    return services.org_create(
        acting_user=cast.user["root"],
        parent=cast.org["T1"],
        name="待撤销党支部",
        org_type="branch",
        code="530102100091",
        founded_on=dt.date(2020, 1, 1),
    )


def test_dissolve_through_the_page(login, cast):
    org = _empty_branch(cast)
    client = login(cast.user["county_admin"])
    today = timezone.localdate()
    html = client.get(reverse("orgs:dissolve", args=[org.pk])).content.decode()
    assert f'value="{today.isoformat()}"' in html and "data-confirm" in html
    response = client.post(
        reverse("orgs:dissolve", args=[org.pk]),
        {"dissolved_on": today.isoformat(), "reason": "社区合并"},
        follow=True,
    )
    org.refresh_from_db()
    assert (org.dissolved_on, org.dissolve_reason) == (today, "社区合并")
    html = response.content.decode()
    assert "已撤销" in html and "社区合并" in html
    assert AuditEntry.objects.latest("id").action == "org.dissolve"


def test_dissolve_errors_are_shown_and_nothing_changes(login, cast):
    client = login(cast.user["county_admin"])
    before = state()
    response = client.post(
        reverse("orgs:dissolve", args=[cast.org["B2"].pk]),
        {"dissolved_on": "1980-01-01", "reason": ""},
    )
    html = response.content.decode()
    assert services.MSG_DISSOLVE_MEMBERS.format(n=2) in html
    assert services.MSG_DISSOLVE_BEFORE_FOUNDED in html
    assert services.MSG_REASON_REQUIRED in html
    assert state() == before


def test_a_refused_write_is_403_and_an_unseen_org_404(login, cast):
    client = login(cast.user["county_leader"])
    url = reverse("orgs:dissolve", args=[cast.org["B2"].pk])
    response = client.post(url, {"dissolved_on": "2024-01-01", "reason": "x"})
    assert response.status_code == 403 and "没有权限" in response.content.decode()
    response = client.post(reverse("orgs:dissolve", args=[cast.org["B3"].pk]), {})
    assert response.status_code == 404 and "未找到" in response.content.decode()
