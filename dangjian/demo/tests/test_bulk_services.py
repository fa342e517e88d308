"""The bulk services the seeder writes through: same rules as the single ones, all or nothing."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import Http404

from dangjian.core import crypto, idcard
from dangjian.core.models import AuditEntry
from dangjian.members import services as members
from dangjian.members.models import Member
from dangjian.orgs import services as orgs
from dangjian.orgs.models import Organisation, Position

pytestmark = pytest.mark.django_db(transaction=False)


def _org(parent, code, org_type="branch", **extra):
    return {
        "parent": parent,
        "name": f"支部{code[-3:]}",
        "org_type": org_type,
        "code": code,
        "founded_on": dt.date(2015, 7, 1),
        **extra,
    }


def _member(branch, n, **extra):
    return {
        "branch": branch,
        "name": f"党员{n}",
        "id_number": idcard.build("530102", dt.date(1980, 1, 1 + n), 100 + 2 * n + 1),
        "phone": f"1390000{n:04d}",
        "ethnicity": "汉族",
        "education": "bachelor",
        "joined_on": dt.date(2005, 7, 1),
        "full_member_on": dt.date(2006, 7, 1),
        "status": "full",
        **extra,
    }


def _counts():
    return (
        Organisation.objects.count(),
        Member.objects.count(),
        Position.objects.count(),
        AuditEntry.objects.count(),
    )


def test_org_bulk_create_appends_subtrees_with_correct_paths(cast):
    t1 = cast.org["T1"]
    before = Organisation.objects.get(pk=t1.pk).numchild
    audits = AuditEntry.objects.count()
    created = orgs.org_bulk_create(
        acting_user=cast.user["county_admin"],
        rows=[
            _org(t1, "530102100901", "general_branch"),
            _org(0, "530102100902"),
            _org(1, "5301021009021", "group"),
            _org(t1, "530102100903"),
            _org(0, "530102100904"),
        ],
    )
    assert [o.pk is not None for o in created] == [True] * 5
    general, branch, group, sibling, second = created
    assert general.path.startswith(t1.path) and general.depth == t1.depth + 1
    assert general.path[-4:] == f"{before + 1:04d}" and sibling.path[-4:] == f"{before + 2:04d}"
    assert branch.path == general.path + "0001" and second.path == general.path + "0002"
    assert group.path == branch.path + "0001"
    assert Organisation.objects.get(pk=t1.pk).numchild == before + 2
    assert Organisation.objects.get(pk=general.pk).numchild == 2
    assert Organisation.objects.find_problems() == ([], [], [], [], [])
    assert AuditEntry.objects.count() == audits + 1
    entry = AuditEntry.objects.latest("id")
    assert (entry.action, entry.org_path, entry.after["count"]) == ("org.bulk_create", t1.path, 5)


@pytest.mark.parametrize(
    ("bad", "field", "message"),
    [
        ({"code": "abc"}, "code", "第3行：组织代码应为6到24位数字或大写字母"),
        ({"code": "530102100001"}, "code", f"第3行：{orgs.MSG_CODE_TAKEN}"),
        ({"code": "530102100901"}, "code", f"第3行：{orgs.MSG_BULK_CODE_REPEATED}"),
        ({"org_type": "city"}, "org_type", "第3行：市（州）委不能设在党总支之下"),
        ({"parent": 5}, "parent", f"第3行：{orgs.MSG_BULK_PARENT}"),
        ({"founded_on": dt.date(2999, 1, 1)}, "founded_on", f"第3行：{orgs.MSG_FOUNDED_FUTURE}"),
        ({"name": ""}, "name", "第3行：此字段不能为空。"),
        ({"dissolved_on": dt.date(2020, 1, 1)}, "dissolve_reason", "第3行：请填写撤销原因"),
    ],
)
def test_org_bulk_create_refuses_a_bad_row_and_writes_nothing(cast, bad, field, message):
    before = _counts()
    rows = [
        _org(cast.org["T1"], "530102100901", "general_branch"),
        _org(0, "530102100902"),
        {**_org(0, "530102100903"), **bad},
    ]
    with pytest.raises(ValidationError) as exc:
        orgs.org_bulk_create(acting_user=cast.user["county_admin"], rows=rows)
    assert exc.value.message_dict[field] == [message]
    assert _counts() == before


def test_org_bulk_create_needs_change_scope_over_every_parent(cast):
    with pytest.raises(Http404):
        orgs.org_bulk_create(
            acting_user=cast.user["county_admin"], rows=[_org(cast.org["T2"], "530103100901")]
        )
    with pytest.raises(ValidationError) as exc:  # a dissolved parent takes no children
        orgs.org_bulk_create(
            acting_user=cast.user["root"],
            rows=[
                _org(
                    cast.org["T1"],
                    "530102100901",
                    dissolved_on=dt.date(2020, 1, 1),
                    dissolve_reason="合并",
                ),
                _org(0, "5301021009011", "group"),
            ],
        )
    assert exc.value.message_dict == {"parent": [f"第2行：{orgs.MSG_PARENT_DISSOLVED}"]}


def test_member_bulk_create_encrypts_indexes_and_audits(cast):
    b1, g1 = cast.org["B1"], cast.org["G1"]
    audits = AuditEntry.objects.count()
    saved = members.member_bulk_create(
        acting_user=cast.user["branch_admin"],
        rows=[_member(b1, 1, group=g1, phone="139 0000 0001"), _member(b1, 2, phone="")],
    )
    first = Member.objects.get(pk=saved[0].pk)
    assert (first.gender, first.birth_date, first.phone, first.group) == (
        "M",
        dt.date(1980, 1, 2),
        "13900000001",
        g1,
    )
    assert first.id_number_digest == crypto.blind_index(first.id_number, purpose="member.id_number")
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, phone FROM members_member WHERE id = %s", [first.pk])
        stored = cursor.fetchone()
    assert all(v.startswith("v1:") and "1980" not in v and "0001" not in v for v in stored)
    assert AuditEntry.objects.count() == audits + 1
    entry = AuditEntry.objects.latest("id")
    assert entry.action == "member.bulk_create" and entry.after["count"] == 2


@pytest.mark.parametrize(
    ("bad", "field", "message"),
    [
        (
            {"id_number": "530102198001011234"},
            "id_number",
            "第2行：公民身份号码校验位错误，请核对后重新填写",
        ),
        ({"phone": "12345"}, "phone", "第2行：手机号应为11位中国大陆手机号码"),
        (
            {"joined_on": dt.date(1990, 1, 1), "full_member_on": None, "status": "probationary"},
            "joined_on",
            "第2行：入党时应年满18周岁",
        ),
        (
            {"full_member_on": dt.date(2005, 12, 1)},
            "full_member_on",
            "第2行：转正日期应在入党日期满一年之后",
        ),
        ({"gender": "F"}, "gender", "第2行：性别与公民身份号码不一致"),
        ({"ethnicity": "火星族"}, "ethnicity", "第2行：值 '火星族' 不是有效选项。"),
        ({"branch_is": "T1"}, "branch", f"第2行：{members.MSG_NOT_BRANCH}"),
        ({"same_id_as_row": 1}, "id_number", f"第2行：{members.MSG_BULK_ID_REPEATED}"),
        ({"id_of_cast": True}, "id_number", f"第2行：{members.MSG_ID_TAKEN}"),
    ],
)
def test_member_bulk_create_refuses_a_bad_row_and_writes_nothing(cast, bad, field, message):
    bad = dict(bad)
    if bad.pop("branch_is", None):
        bad["branch"] = cast.org["T1"]
    if bad.pop("same_id_as_row", None):
        bad["id_number"] = _member(None, 1)["id_number"]
    if bad.pop("id_of_cast", None):
        bad["id_number"] = cast.member["B2m1"].id_number
    before = _counts()
    rows = [_member(cast.org["B1"], 1), {**_member(cast.org["B1"], 2), **bad}]
    with pytest.raises(ValidationError) as exc:
        members.member_bulk_create(acting_user=cast.user["root"], rows=rows)
    assert exc.value.message_dict[field] == [message]
    assert _counts() == before


def test_member_bulk_create_needs_change_scope(cast):
    with pytest.raises(Http404):
        members.member_bulk_create(
            acting_user=cast.user["county_admin"], rows=[_member(cast.org["B3"], 1)]
        )


def test_position_bulk_create_appoints_secretaries_and_group_leaders(cast):
    b1m1, b1m2 = cast.member["B1m1"], cast.member["B1m2"]  # B1m1 is in the group G1
    created = orgs.position_bulk_create(
        acting_user=cast.user["committee_admin"],
        rows=[
            {
                "org": cast.org["B1"],
                "member": b1m1,
                "title": "secretary",
                "started_on": dt.date(2021, 3, 1),
            },
            {
                "org": cast.org["T1"],
                "member": b1m2,
                "title": "secretary",
                "started_on": dt.date(2021, 6, 1),
            },
            {
                "org": cast.org["G1"],
                "member": b1m1,
                "title": "group_leader",
                "started_on": dt.date(2022, 1, 1),
            },
        ],
    )
    assert [p.pk is not None for p in created] == [True, True, True]
    assert AuditEntry.objects.latest("id").action == "position.bulk_create"


@pytest.mark.parametrize(
    ("row", "field", "message"),
    [
        ({"org": "B2", "member": "B1m1"}, "member", orgs.MSG_POSITION_OUTSIDE),
        (
            {"org": "G1", "member": "B1m2", "title": "group_leader"},
            "member",
            orgs.MSG_POSITION_OUTSIDE,
        ),
        ({"org": "B1", "member": "B1m2"}, "title", orgs.MSG_BULK_SECRETARY_REPEATED),
        ({"org": "B1", "member": "B1m2", "title": "king"}, "title", orgs.MSG_BULK_TITLE),
        (
            {
                "org": "B1",
                "member": "B1m2",
                "title": "propaganda",
                "started_on": dt.date(2999, 1, 1),
            },
            "started_on",
            orgs.MSG_STARTED_FUTURE,
        ),
    ],
)
def test_position_bulk_create_refuses_a_bad_row_and_writes_nothing(cast, row, field, message):
    before = _counts()
    first = {
        "org": cast.org["B1"],
        "member": cast.member["B1m1"],
        "title": "secretary",
        "started_on": dt.date(2021, 3, 1),
    }
    second = {"title": "secretary", "started_on": dt.date(2021, 3, 1), **row}
    second["org"], second["member"] = cast.org[row["org"]], cast.member[row["member"]]
    with pytest.raises(ValidationError) as exc:
        orgs.position_bulk_create(acting_user=cast.user["root"], rows=[first, second])
    assert exc.value.message_dict == {field: [f"第2行：{message}"]}
    assert _counts() == before
