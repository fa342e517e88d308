import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from dangjian.core.models import AuditEntry
from dangjian.members.choices import Status
from dangjian.members.services import member_update
from dangjian.orgs import services
from dangjian.orgs.models import Organisation, Position


def _create(cast, user="county_admin", parent="T1", **overrides):
    fields = {
        "name": "新建党支部",
        "org_type": "branch",
        "code": "530102100099",
        "founded_on": dt.date(2020, 5, 4),
    }
    fields.update(overrides)
    return services.org_create(acting_user=cast.user[user], parent=cast.org[parent], **fields)


def errors_of(exc_info) -> dict:
    return exc_info.value.message_dict


def test_create_appends_a_child_and_audits(cast):
    before = AuditEntry.objects.count()
    org = _create(cast)
    assert Organisation.objects.get_parent(org) == cast.org["T1"]
    assert org.path.startswith(cast.org["T1"].path) and org.depth == cast.org["T1"].depth + 1
    entry = AuditEntry.objects.latest("id")
    assert AuditEntry.objects.count() == before + 1
    assert (entry.action, entry.actor, entry.org_path) == (
        "org.create",
        cast.user["county_admin"],
        org.path,
    )
    assert entry.after["code"] == "530102100099"
    assert Organisation.objects.find_problems() == ([], [], [], [], [])


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"org_type": "city"}, "org_type", "市（州）委不能设在党委之下"),
        ({"code": "530102100001"}, "code", services.MSG_CODE_TAKEN),
        ({"code": "abc"}, "code", "组织代码应为6到24位数字或大写字母"),
        ({"name": ""}, "name", "此字段不能为空。"),
    ],
)
def test_create_refuses_bad_input_and_writes_nothing(cast, overrides, field, message):
    count, audits = Organisation.objects.count(), AuditEntry.objects.count()
    with pytest.raises(ValidationError) as exc:
        _create(cast, **overrides)
    assert errors_of(exc)[field] == [message]
    assert (Organisation.objects.count(), AuditEntry.objects.count()) == (count, audits)


def test_founded_today_is_fine_tomorrow_is_refused(cast):
    today = timezone.localdate()
    assert _create(cast, founded_on=today).founded_on == today
    with pytest.raises(ValidationError) as exc:
        _create(cast, code="530102100098", founded_on=today + dt.timedelta(days=1))
    assert errors_of(exc)["founded_on"] == [services.MSG_FOUNDED_FUTURE]


def test_scope_decides_404_or_403(cast):
    with pytest.raises(Http404):
        _create(cast, user="sibling_county_admin", parent="T1")
    with pytest.raises(PermissionDenied):
        _create(cast, user="county_leader", parent="T1")


def test_move_carries_the_subtree(cast):
    b1, g1 = cast.org["B1"], cast.org["G1"]
    moved = services.org_move(
        acting_user=cast.user["city_admin"], org=b1, new_parent=cast.org["T2"]
    )
    g1.refresh_from_db()
    assert Organisation.objects.get_parent(moved) == cast.org["T2"]
    assert g1.path.startswith(moved.path) and Organisation.objects.get_parent(g1) == moved
    assert Organisation.objects.find_problems() == ([], [], [], [], [])
    assert AuditEntry.objects.latest("id").before["path"] == b1.path


@pytest.mark.parametrize(
    ("org", "target", "message"),
    [
        ("T1", "B1", services.MSG_MOVE_INTO_SELF),
        ("T1", "T1", services.MSG_MOVE_INTO_SELF),
        ("B1", "K3", None),  # allowed: a 机关 branch directly under a county
        ("G1", "T2", "党小组不能设在党委之下"),
    ],
)
def test_move_rules(cast, org, target, message):
    call = lambda: services.org_move(  # noqa: E731
        acting_user=cast.user["province_admin"], org=cast.org[org], new_parent=cast.org[target]
    )
    if message is None:
        assert Organisation.objects.get_parent(call()) == cast.org[target]
    else:
        with pytest.raises(ValidationError) as exc:
            call()
        assert errors_of(exc)["parent"] == [message]


def test_move_root_refused_and_move_out_of_scope_is_404(cast):
    with pytest.raises(ValidationError):
        services.org_move(
            acting_user=cast.user["root"], org=cast.org["P"], new_parent=cast.org["C1"]
        )
    with pytest.raises(Http404):
        services.org_move(
            acting_user=cast.user["county_admin"], org=cast.org["B1"], new_parent=cast.org["T2"]
        )


def test_dissolve_needs_no_active_children_nor_members(cast):
    admin = cast.user["county_admin"]
    with pytest.raises(ValidationError) as exc:
        services.org_dissolve(
            acting_user=admin, org=cast.org["T1"], dissolved_on=dt.date(2025, 1, 1), reason="合并"
        )
    assert errors_of(exc)["__all__"] == [services.MSG_DISSOLVE_CHILDREN.format(n=2)]
    with pytest.raises(ValidationError) as exc:
        services.org_dissolve(
            acting_user=admin, org=cast.org["B2"], dissolved_on=dt.date(2025, 1, 1), reason="合并"
        )
    assert errors_of(exc)["__all__"] == [services.MSG_DISSOLVE_MEMBERS.format(n=2)]
    for key in ("B2m1", "B2m2"):
        member_update(acting_user=admin, member=cast.member[key], status=Status.DECEASED)
    org = services.org_dissolve(
        acting_user=admin, org=cast.org["B2"], dissolved_on=dt.date(2025, 1, 1), reason="合并"
    )
    assert org.dissolved_on == dt.date(2025, 1, 1) and not org.is_active
    with pytest.raises(ValidationError) as exc:
        services.org_dissolve(
            acting_user=admin, org=org, dissolved_on=dt.date(2025, 1, 1), reason="再次"
        )
    assert errors_of(exc)["__all__"] == [services.MSG_ALREADY_DISSOLVED]
    with pytest.raises(ValidationError) as exc:
        _create(cast, parent="B2", org_type="group", code="530102100097")
    assert errors_of(exc)["parent"] == [services.MSG_PARENT_DISSOLVED]


def test_dissolve_date_and_reason_boundaries(cast):
    org = _create(cast)
    admin = cast.user["county_admin"]
    with pytest.raises(ValidationError) as exc:
        services.org_dissolve(
            acting_user=admin, org=org, dissolved_on=dt.date(2020, 5, 3), reason=" "
        )
    assert errors_of(exc) == {
        "dissolved_on": [services.MSG_DISSOLVE_BEFORE_FOUNDED],
        "reason": [services.MSG_REASON_REQUIRED],
    }
    assert services.org_dissolve(
        acting_user=admin, org=org, dissolved_on=dt.date(2020, 5, 4), reason="撤并"
    ).dissolved_on


def test_type_change_must_fit_parent_and_children(cast):
    with pytest.raises(ValidationError) as exc:
        services.org_update(
            acting_user=cast.user["county_admin"], org=cast.org["B1"], org_type="general_branch"
        )
    assert "下级组织" in errors_of(exc)["org_type"][0]
    updated = services.org_update(
        acting_user=cast.user["county_admin"], org=cast.org["B2"], name="华山社区联合党支部"
    )
    assert updated.name == "华山社区联合党支部"
    assert AuditEntry.objects.latest("id").before["name"] == "华山社区第二党支部"


def test_one_current_secretary_and_holders_from_the_subtree(cast):
    admin = cast.user["county_admin"]
    first = services.position_assign(
        acting_user=admin,
        org=cast.org["B1"],
        member=cast.member["B1m1"],
        title="secretary",
        started_on=dt.date(2021, 1, 1),
    )
    with pytest.raises(ValidationError) as exc:
        services.position_assign(
            acting_user=admin,
            org=cast.org["B1"],
            member=cast.member["B1m2"],
            title="secretary",
            started_on=dt.date(2022, 1, 1),
        )
    assert errors_of(exc)["title"] == [services.MSG_SECRETARY_EXISTS]
    with pytest.raises(ValidationError) as exc:
        services.position_assign(
            acting_user=admin,
            org=cast.org["B1"],
            member=cast.member["B2m1"],
            title="organisation",
            started_on=dt.date(2022, 1, 1),
        )
    assert errors_of(exc)["member"] == [services.MSG_POSITION_OUTSIDE]
    services.position_end(acting_user=admin, position=first, ended_on=dt.date(2022, 1, 1))
    second = services.position_assign(
        acting_user=admin,
        org=cast.org["B1"],
        member=cast.member["B1m2"],
        title="secretary",
        started_on=dt.date(2022, 1, 1),
    )
    assert Position.objects.filter(org=cast.org["B1"], ended_on__isnull=True).get() == second


def test_an_update_that_changes_nothing_writes_nothing(cast):
    audits = AuditEntry.objects.count()
    services.org_update(
        acting_user=cast.user["county_admin"], org=cast.org["B2"], name=cast.org["B2"].name
    )
    assert AuditEntry.objects.count() == audits


def test_a_group_leader_comes_from_the_group_itself(cast):
    admin = cast.user["branch_admin"]
    leader = services.position_assign(
        acting_user=admin,
        org=cast.org["G1"],
        member=cast.member["B1m1"],
        title="group_leader",
        started_on=dt.date(2023, 3, 1),
    )
    assert leader.org == cast.org["G1"]
    with pytest.raises(ValidationError) as exc:
        services.position_assign(
            acting_user=admin,
            org=cast.org["G1"],
            member=cast.member["B1m2"],
            title="member",
            started_on=dt.date(2023, 3, 1),
        )
    assert errors_of(exc)["member"] == [services.MSG_POSITION_OUTSIDE]
