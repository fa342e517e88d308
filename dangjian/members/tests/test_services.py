import datetime as dt
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from dangjian.core import idcard
from dangjian.core.models import AuditEntry
from dangjian.core.phone import MSG_PHONE
from dangjian.members import rules, services
from dangjian.members.models import Member
from tests.kit import new_id_number


def _create(cast, user="branch_admin", branch="B1", **overrides):
    fields = {
        "name": "李四",
        "id_number": new_id_number(dt.date(1995, 8, 8), male=False),
        "phone": "139 8765 4321",
        "ethnicity": "白族",
        "education": "bachelor",
        "joined_on": dt.date(2020, 7, 1),
        "full_member_on": dt.date(2021, 7, 1),
        "status": "full",
    }
    fields.update(overrides)
    return services.member_create(acting_user=cast.user[user], branch=cast.org[branch], **fields)


def test_create_derives_sex_and_birth_from_the_id(cast):
    member = _create(cast)
    assert (member.gender, member.birth_date) == ("F", dt.date(1995, 8, 8))
    assert member.phone == "13987654321"


def test_audit_holds_masked_values_only(cast):
    member = _create(cast)
    entry = AuditEntry.objects.latest("id")
    dumped = json.dumps(entry.after, ensure_ascii=False)
    assert entry.action == "member.create"
    assert member.id_number not in dumped and member.phone not in dumped
    assert entry.after["id_number"] == member.id_number_masked


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"id_number": "530102950808002"}, "id_number", idcard.MSG_LEGACY),
        ({"id_number": "530102199508080020"}, "id_number", idcard.MSG_CHECK),
        ({"phone": "12345"}, "phone", MSG_PHONE),
        (
            {"joined_on": dt.date(2013, 8, 7), "full_member_on": None, "status": "probationary"},
            "joined_on",
            rules.MSG_JOIN_AGE,
        ),
        ({"branch": "T1"}, "branch", services.MSG_NOT_BRANCH),
        ({"ethnicity": "火星族"}, "ethnicity", None),
    ],
)
def test_bad_input_is_refused_field_by_field_and_nothing_is_written(
    cast, overrides, field, message
):
    before = (Member.objects.count(), AuditEntry.objects.count())
    branch = overrides.pop("branch", "B1")
    with pytest.raises(ValidationError) as exc:
        _create(cast, user="county_admin", branch=branch, **overrides)
    assert field in exc.value.message_dict
    if message:
        assert exc.value.message_dict[field] == [message]
    assert (Member.objects.count(), AuditEntry.objects.count()) == before


def test_the_same_person_cannot_be_registered_twice_anywhere(cast):
    existing = cast.member["B4m1"]  # in another city, outside the acting user's scope
    with pytest.raises(ValidationError) as exc:
        _create(cast, id_number=existing.id_number)
    assert exc.value.message_dict["id_number"] == [services.MSG_ID_TAKEN]


def test_several_errors_are_reported_together(cast):
    with pytest.raises(ValidationError) as exc:
        _create(cast, id_number="123", phone="1", name="")
    assert {"id_number", "phone", "name"} <= set(exc.value.message_dict)


def test_scope_on_create_and_update(cast):
    with pytest.raises(Http404):
        _create(cast, user="sibling_county_admin")
    with pytest.raises(PermissionDenied):
        _create(cast, user="county_leader")
    with pytest.raises(Http404):
        services.member_update(
            acting_user=cast.user["branch_admin"], member=cast.member["B2m1"], occupation="x"
        )


def test_moving_a_member_needs_both_branches_in_scope_and_clears_the_group(cast):
    member = cast.member["B1m1"]
    assert member.group == cast.org["G1"]
    with pytest.raises(Http404):
        services.member_update(
            acting_user=cast.user["county_admin"], member=member, branch=cast.org["B3"]
        )
    moved = services.member_update(
        acting_user=cast.user["city_admin"], member=member, branch=cast.org["B3"]
    )
    assert (moved.branch, moved.group) == (cast.org["B3"], None)


def test_update_keeps_the_id_unless_given_and_revalidates(cast):
    member = cast.member["B1m2"]
    updated = services.member_update(acting_user=cast.user["branch_admin"], member=member, phone="")
    assert updated.phone == "" and updated.id_number == member.id_number
    with pytest.raises(ValidationError) as exc:
        services.member_update(
            acting_user=cast.user["branch_admin"], member=member, birth_date=dt.date(1999, 1, 1)
        )
    assert exc.value.message_dict["birth_date"] == [rules.MSG_BIRTH_MISMATCH]


def test_reveal_is_for_admins_over_the_branch_and_the_member_themself(cast):
    member = cast.member["B1m1"]
    for user in ("branch_admin", "county_admin", "member", "root"):
        assert (
            services.member_reveal(acting_user=cast.user[user], member=member)["id_number"]
            == member.id_number
        )
        assert AuditEntry.objects.latest("id").action == "member.reveal"
    with pytest.raises(PermissionDenied):
        services.member_reveal(acting_user=cast.user["county_leader"], member=member)
    with pytest.raises(Http404):
        services.member_reveal(acting_user=cast.user["sibling_county_admin"], member=member)


def test_an_update_that_changes_nothing_writes_nothing(cast):
    member = cast.member["B1m2"]
    audits = AuditEntry.objects.count()
    services.member_update(
        acting_user=cast.user["branch_admin"], member=member, occupation=member.occupation
    )
    services.member_update(acting_user=cast.user["branch_admin"], member=member, phone=member.phone)
    assert AuditEntry.objects.count() == audits


def test_a_situation_is_set_and_ended_by_the_members_service(cast):
    member, admin = cast.member["B1m2"], cast.user["branch_admin"]
    services.member_set_situation(
        acting_user=admin, member=member, situation="mobile", reason="外出"
    )
    assert Member.objects.get(pk=member.pk).status == "mobile"
    services.member_set_situation(acting_user=admin, member=member, situation=None, reason="返回")
    assert Member.objects.get(pk=member.pk).status == "full"
    with pytest.raises(ValidationError) as exc:
        services.member_set_situation(acting_user=admin, member=member, situation="left", reason="")
    assert exc.value.message_dict == {"situation": [services.MSG_SITUATION]}
    with pytest.raises(Http404):
        services.member_set_situation(
            acting_user=cast.user["sibling_county_admin"],
            member=member,
            situation="mobile",
            reason="",
        )
    with pytest.raises(PermissionDenied):
        services.member_set_situation(
            acting_user=cast.user["county_leader"], member=member, situation="mobile", reason=""
        )


def test_a_decided_status_is_not_undone_when_a_situation_ends(cast):
    member, admin = cast.member["B1m2"], cast.user["branch_admin"]
    services.member_update(acting_user=admin, member=member, status="suspended")
    services.member_set_situation(acting_user=admin, member=member, situation=None, reason="")
    assert Member.objects.get(pk=member.pk).status == "suspended"
    with pytest.raises(ValidationError) as exc:
        services.member_set_situation(
            acting_user=admin, member=member, situation="lost_contact", reason=""
        )
    assert "member" in exc.value.message_dict


def test_a_mobile_probationary_member_is_converted_and_stays_mobile(cast):
    member, admin = cast.member["B1m2"], cast.user["branch_admin"]
    services.member_update(
        acting_user=admin,
        member=member,
        status="probationary",
        full_member_on=None,
        joined_on=dt.date(2020, 1, 1),
    )
    services.member_set_situation(acting_user=admin, member=member, situation="mobile", reason="")
    services.member_convert(
        acting_user=admin,
        member=Member.objects.get(pk=member.pk),
        full_member_on=dt.date(2021, 1, 1),
    )
    member.refresh_from_db()
    assert (member.status, member.full_member_on) == ("mobile", dt.date(2021, 1, 1))
    services.member_set_situation(acting_user=admin, member=member, situation=None, reason="")
    assert Member.objects.get(pk=member.pk).status == "full"
    with pytest.raises(ValidationError):  # already full
        services.member_convert(
            acting_user=admin, member=member, full_member_on=dt.date(2021, 1, 1)
        )


def test_a_transfer_out_is_only_through_the_transfer_service_and_is_final(cast):
    member, admin = cast.member["B1m2"], cast.user["branch_admin"]
    with pytest.raises(ValidationError) as exc:
        services.member_update(acting_user=admin, member=member, status="transferred_out")
    assert exc.value.message_dict == {"status": [rules.MSG_OUT_BY_TRANSFER]}
    with pytest.raises(PermissionDenied):
        services.member_transfer_out(
            acting_user=cast.user["county_leader"],
            member=member,
            on=dt.date(2026, 1, 5),
            destination="外省某党支部",
            reason="",
        )
    with pytest.raises(ValidationError) as exc:
        services.member_transfer_out(
            acting_user=admin, member=member, on=dt.date(2026, 1, 5), destination=" ", reason=""
        )
    assert exc.value.message_dict == {"destination": [services.MSG_OUT_DESTINATION]}
    services.member_transfer_out(
        acting_user=admin,
        member=member,
        on=dt.date(2026, 1, 5),
        destination="外省某党支部",
        reason="",
    )
    member.refresh_from_db()
    assert (member.status, member.branch_id, member.group_id) == (
        "transferred_out",
        cast.org["B1"].pk,
        None,
    )
    with pytest.raises(ValidationError) as exc:
        services.member_update(acting_user=admin, member=member, status="full")
    assert exc.value.message_dict == {"status": [rules.MSG_OUT_FINAL.format(on="2026-01-05")]}
    with pytest.raises(ValidationError):  # once only
        services.member_transfer_out(
            acting_user=admin, member=member, on=dt.date(2026, 1, 6), destination="别处", reason=""
        )
    with pytest.raises(ValidationError):  # and never made mobile or lost
        services.member_set_situation(
            acting_user=admin, member=member, situation="mobile", reason=""
        )
