"""member_admit and member_convert: the services 发展党员 turns applicants into members with."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from dangjian.core.models import AuditEntry
from dangjian.members import services
from dangjian.members.choices import Status
from tests.kit import new_id_number


@pytest.mark.django_db
def test_admit_then_convert(cast):
    admin = cast.user["branch_admin"]
    member = services.member_admit(
        acting_user=admin,
        branch=cast.org["B1"],
        name="王预备",
        id_number=new_id_number(dt.date(1999, 2, 3)),
        ethnicity="汉族",
        education="bachelor",
        joined_on=dt.date(2024, 7, 1),
    )
    assert member.status == Status.PROBATIONARY and member.full_member_on is None
    services.member_convert(acting_user=admin, member=member, full_member_on=dt.date(2025, 7, 1))
    member.refresh_from_db()
    assert (member.status, member.full_member_on) == (Status.FULL, dt.date(2025, 7, 1))
    assert AuditEntry.objects.filter(action="member.update", object_id=str(member.pk)).exists()


@pytest.mark.django_db
def test_convert_refuses_a_full_member_and_an_early_date(cast):
    admin = cast.user["branch_admin"]
    with pytest.raises(ValidationError) as exc:
        services.member_convert(
            acting_user=admin, member=cast.member["B1m1"], full_member_on=dt.date(2025, 1, 1)
        )
    assert exc.value.message_dict == {"status": ["只有预备党员可以转为正式党员"]}
    member = services.member_admit(
        acting_user=admin,
        branch=cast.org["B1"],
        name="赵预备",
        id_number=new_id_number(dt.date(1999, 2, 3)),
        ethnicity="汉族",
        education="bachelor",
        joined_on=dt.date(2024, 7, 1),
    )
    with pytest.raises(ValidationError) as exc:
        services.member_convert(
            acting_user=admin, member=member, full_member_on=dt.date(2025, 6, 30)
        )
    assert "full_member_on" in exc.value.message_dict
