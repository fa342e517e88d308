"""A completed 组织关系转接 ends the member's active 流动党员 registration (the
``transfers.completed`` subscriber, after the commit), audited with the reason."""

import datetime as dt

import pytest
from django.utils import timezone

from dangjian.core.models import AuditEntry
from dangjian.members.models import Member
from dangjian.mobility import rules, services
from dangjian.mobility.models import Registration
from dangjian.transfers import services as transfer_services
from dangjian.transfers.tests.helpers import apply, approve_all

pytestmark = pytest.mark.django_db


def _register(cast, key: str) -> Registration:
    today = timezone.localdate()
    return services.registration_create(
        acting_user=cast.user["root"],
        member=cast.member[key],
        reason="外出务工",
        away_since=today - dt.timedelta(days=10),
        expected_until=rules.add_months(today, 8),
        host_code=cast.org["B3"].code,
    )


def _receive(cast, transfer, user="root") -> None:
    transfer_services.transfer_receive(
        acting_user=cast.user[user], transfer=transfer, received_on=timezone.localdate()
    )


def test_a_move_on_the_platform_ends_the_registration(cast, django_capture_on_commit_callbacks):
    reg = _register(cast, "B1m2")
    assert Member.objects.get(pk=reg.member_id).status == "mobile"
    transfer = approve_all(cast, apply(cast, "B1m2", "B2"))
    with django_capture_on_commit_callbacks(execute=True):
        _receive(cast, transfer, "committee_admin")
    reg.refresh_from_db()
    assert (reg.status, reg.ended_on) == ("ended", timezone.localdate())
    assert transfer.letter_no in reg.end_reason
    member = Member.objects.get(pk=reg.member_id)
    assert (member.branch, member.status) == (cast.org["B2"], "full")  # back to its standing
    entry = AuditEntry.objects.filter(action="mobility.registration.end").get()
    assert entry.actor == cast.user["committee_admin"]


def test_a_move_off_the_platform_ends_it_and_keeps_transferred_out(
    cast, django_capture_on_commit_callbacks
):
    reg = _register(cast, "B4m2")
    transfer = approve_all(cast, apply(cast, "B4m2"))
    with django_capture_on_commit_callbacks(execute=True):
        _receive(cast, transfer)
    reg.refresh_from_db()
    assert reg.status == "ended"
    assert Member.objects.get(pk=reg.member_id).status == "transferred_out"


def test_nothing_active_nothing_ended_and_a_second_delivery_ends_nothing(cast):
    assert (
        services.registration_end_on_transfer(
            acting_user=cast.user["root"],
            member_id=cast.member["B2m1"].pk,
            on=timezone.localdate(),
            letter_no="X",
        )
        is None
    )
    reg = _register(cast, "B2m1")
    for _ in range(2):
        services.registration_end_on_transfer(
            acting_user=cast.user["root"],
            member_id=reg.member_id,
            on=timezone.localdate(),
            letter_no="X",
        )
    assert AuditEntry.objects.filter(action="mobility.registration.end").count() == 1
