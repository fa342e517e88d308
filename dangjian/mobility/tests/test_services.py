"""Services of mobile and lost-contact members: what they write, and what they refuse."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from dangjian.core.models import AuditEntry
from dangjian.core.scope import Perm
from dangjian.mobility import rules, selectors, services
from dangjian.mobility.models import Participation, Registration

pytestmark = pytest.mark.django_db


def _today():
    return timezone.localdate()


def register(cast, member="B1m2", **kw):
    fields = {
        "reason": "外出务工",
        "away_since": _today() - dt.timedelta(days=10),
        "expected_until": rules.add_months(_today(), 8),
        "host_code": cast.org["B3"].code,
    }
    return services.registration_create(
        acting_user=kw.pop("user", cast.user["branch_admin"]),
        member=cast.member[member],
        **{**fields, **kw},
    )


def test_a_branch_registers_a_mobile_member_with_a_card(cast):
    before = AuditEntry.objects.count()
    reg = register(cast)
    assert reg.host_org == cast.org["B3"]
    assert reg.valid_from == _today()
    assert reg.valid_until == reg.expected_until
    # the registration, and the member's status set through members' service
    assert reg.nonce and AuditEntry.objects.count() == before + 2


def test_registration_refusals(cast):
    with pytest.raises(ValidationError) as exc:
        away = _today() - dt.timedelta(days=10)
        register(
            cast, away_since=away, expected_until=rules.add_months(away, 6) - dt.timedelta(days=1)
        )
    assert exc.value.message_dict == {"expected_until": [rules.MSG_TOO_SHORT]}
    with pytest.raises(ValidationError) as exc:
        register(cast, host_code="", host_name="")
    assert exc.value.message_dict["host_code"] == [services.MSG_HOST_NEEDED]
    with pytest.raises(ValidationError) as exc:
        register(cast, host_code="999999999999")
    assert exc.value.message_dict["host_code"] == [services.MSG_HOST_UNKNOWN]
    with pytest.raises(ValidationError) as exc:
        register(cast, host_code=cast.org["B1"].code)
    assert exc.value.message_dict["host_code"] == [services.MSG_HOST_SELF]
    with pytest.raises(ValidationError) as exc:
        register(cast, host_code="", host_name="深圳某公司党委")
    assert exc.value.message_dict["host_place"] == [services.MSG_PLACE_NEEDED]
    register(cast, host_code="", host_name="深圳某公司党委", host_place="广东省深圳市")
    with pytest.raises(ValidationError) as exc:
        register(cast)
    assert exc.value.message_dict["member"] == [services.MSG_ALREADY_MOBILE]


def test_only_the_home_side_registers(cast):
    with pytest.raises(Http404):
        register(cast, user=cast.user["sibling_county_admin"])
    with pytest.raises(PermissionDenied):
        register(cast, user=cast.user["county_leader"])


def test_both_sides_see_the_registration_and_no_one_beside_them(cast):
    reg = register(cast)
    for key in ("branch_admin", "county_leader", "sibling_county_admin", "city_admin"):
        assert selectors.registration_get(cast.user[key], reg.pk) == reg, key
    for key in ("handler", "agent", "examiner", "outsider", "member"):
        with pytest.raises(Http404):
            selectors.registration_get(cast.user[key], reg.pk)
    # The member themself (B1m1 is the ``member`` user) sees their own card.
    own = register(cast, member="B1m1")
    assert selectors.mine(cast.user["member"]) == own
    home = selectors.registration_list(cast.user["branch_admin"], {"side": "host"})
    assert not home.exists()
    hosted = selectors.registration_list(cast.user["sibling_county_admin"], {"side": "host"})
    assert set(hosted) == {reg, own}


def test_the_host_records_participation_and_the_home_branch_sees_it(cast):
    reg = register(cast)
    host = cast.user["sibling_county_admin"]
    services.participation_add(
        acting_user=host,
        registration=selectors.registration_get(host, reg.pk),
        held_on=_today(),
        kind="meeting",
        title="流入地支部主题党日",
    )
    home_view = selectors.registration_get(cast.user["county_leader"], reg.pk)
    assert [p.title for p in selectors.participation_for(home_view)] == ["流入地支部主题党日"]
    assert Participation.objects.visible_to(cast.user["county_leader"], Perm.VIEW_MOBILITY).count()
    with pytest.raises(PermissionDenied):
        services.participation_add(
            acting_user=cast.user["county_leader"],
            registration=reg,
            held_on=_today(),
            kind="meeting",
            title="x",
        )
    with pytest.raises(ValidationError) as exc:
        services.participation_add(
            acting_user=host,
            registration=reg,
            held_on=reg.away_since - dt.timedelta(days=1),
            kind="study",
            title="学习",
        )
    assert exc.value.message_dict == {"held_on": [services.MSG_HELD_RANGE]}


def test_groups_at_the_host(cast):
    reg = register(cast)
    host = cast.user["sibling_county_admin"]
    group = services.group_create(acting_user=host, host_org=cast.org["B3"], name="在昆流动党小组")
    services.registration_set_group(acting_user=host, registration=reg, group=group)
    assert Registration.objects.get(pk=reg.pk).group == group
    with pytest.raises(ValidationError):
        services.group_create(acting_user=host, host_org=cast.org["B3"], name="在昆流动党小组")
    other = services.group_create(
        acting_user=cast.user["root"], host_org=cast.org["B4"], name="别处的小组"
    )
    with pytest.raises(ValidationError) as exc:
        services.registration_set_group(acting_user=host, registration=reg, group=other)
    assert exc.value.message_dict == {"group_id": [services.MSG_GROUP_OTHER_HOST]}
    with pytest.raises(PermissionDenied):  # the home side sees it, the host places
        services.registration_set_group(
            acting_user=cast.user["branch_admin"], registration=reg, group=None
        )


def test_ending_a_registration_invalidates_the_card(cast):
    reg = register(cast)
    services.registration_end(
        acting_user=cast.user["branch_admin"], registration=reg, ended_on=_today(), reason="返乡"
    )
    from dangjian.mobility import cards

    assert selectors.card_by_token(cards.token_for(reg)).state == "ended"
    with pytest.raises(ValidationError):
        services.registration_end(
            acting_user=cast.user["branch_admin"], registration=reg, ended_on=_today(), reason="x"
        )


def test_verification_shows_only_name_organisations_validity(cast):
    from dangjian.mobility import cards

    reg = register(cast)
    card = selectors.card_by_token(cards.token_for(reg))
    assert card.name == reg.member.name
    assert card.home == cast.org["B1"].name and card.host == cast.org["B3"].name
    assert card.state == "valid"
    token = cards.token_for(reg)
    assert selectors.card_by_token(token[:-2] + "xx") is None
    assert selectors.card_by_token(f"{reg.pk}") is None
    reg.nonce = "other"
    assert selectors.card_by_token(cards.token_for(reg)) is None


def test_lost_contact_search_and_outcome(cast):
    admin = cast.user["branch_admin"]
    since = _today() - dt.timedelta(days=40)
    case = services.lost_mark(
        acting_user=admin, member=cast.member["B1m2"], since=since, circumstances="电话停机"
    )
    with pytest.raises(ValidationError) as exc:
        services.lost_mark(
            acting_user=admin, member=cast.member["B1m2"], since=since, circumstances="x"
        )
    assert exc.value.message_dict == {"member": [services.MSG_ALREADY_LOST]}
    services.attempt_add(
        acting_user=admin, case=case, tried_on=since, method="phone", result="无人接听"
    )
    with pytest.raises(ValidationError) as exc:
        services.lost_close(acting_user=admin, case=case, outcome="suspension", outcome_on=_today())
    assert "outcome" in exc.value.message_dict
    services.lost_close(acting_user=admin, case=case, outcome="found", outcome_on=_today())
    with pytest.raises(ValidationError):
        services.attempt_add(
            acting_user=admin, case=case, tried_on=_today(), method="visit", result="x"
        )
    with pytest.raises(Http404):
        selectors.lost_get(cast.user["sibling_county_admin"], case.pk)


def test_suspension_proposal_after_six_months_and_a_search(cast):
    since = rules.add_months(_today(), -6)
    case = services.lost_mark(
        acting_user=cast.user["committee_admin"],
        member=cast.member["B2m1"],
        since=since,
        circumstances="外出后失联",
    )
    with pytest.raises(ValidationError) as exc:
        services.lost_close(
            acting_user=cast.user["committee_admin"],
            case=case,
            outcome="suspension",
            outcome_on=_today(),
        )
    assert exc.value.message_dict == {"outcome": [rules.MSG_SUSPEND_NO_SEARCH]}
    services.attempt_add(
        acting_user=cast.user["committee_admin"],
        case=case,
        tried_on=since,
        method="relatives",
        result="亲属也无法联系",
    )
    closed = services.lost_close(
        acting_user=cast.user["committee_admin"],
        case=case,
        outcome="suspension",
        outcome_on=_today(),
    )
    assert closed.outcome == "suspension"


def _status(cast, key="B1m2"):
    from dangjian.members.models import Member

    return Member.objects.get(pk=cast.member[key].pk).status


def _actions(member):
    return list(
        AuditEntry.objects.filter(action="member.situation", object_id=str(member.pk))
        .order_by("id")
        .values_list("after__status", flat=True)
    )


def test_the_member_is_mobile_while_registered_and_full_again_after(cast):
    assert _status(cast) == "full"
    reg = register(cast)
    assert _status(cast) == "mobile"
    services.registration_end(
        acting_user=cast.user["branch_admin"], registration=reg, ended_on=_today(), reason="返乡"
    )
    assert _status(cast) == "full"
    assert _actions(cast.member["B1m2"]) == ["mobile", "full"]


def test_the_member_is_lost_while_searched_for_and_back_after(cast):
    admin = cast.user["branch_admin"]
    case = services.lost_mark(
        acting_user=admin, member=cast.member["B1m2"], since=_today(), circumstances="电话停机"
    )
    assert _status(cast) == "lost_contact"
    services.lost_close(acting_user=admin, case=case, outcome="found", outcome_on=_today())
    assert _status(cast) == "full"


def test_lost_wins_over_mobile_and_each_end_gives_back_the_other(cast):
    admin = cast.user["branch_admin"]
    reg = register(cast)
    case = services.lost_mark(
        acting_user=admin, member=cast.member["B1m2"], since=_today(), circumstances="失去联系"
    )
    assert _status(cast) == "lost_contact"
    services.lost_close(acting_user=admin, case=case, outcome="returned", outcome_on=_today())
    assert _status(cast) == "mobile"  # still registered away
    case = services.lost_mark(
        acting_user=admin, member=cast.member["B1m2"], since=_today(), circumstances="又失联"
    )
    services.registration_end(acting_user=admin, registration=reg, ended_on=_today(), reason="返乡")
    assert _status(cast) == "lost_contact"  # the search is still open
    services.lost_close(acting_user=admin, case=case, outcome="found", outcome_on=_today())
    assert _status(cast) == "full"


def test_a_probationary_member_comes_back_probationary(cast):
    from dangjian.members import services as member_services

    member = cast.member["B1m2"]
    member_services.member_update(
        acting_user=cast.user["root"], member=member, status="probationary", full_member_on=None
    )
    reg = register(cast)
    assert _status(cast) == "mobile"
    services.registration_end(
        acting_user=cast.user["branch_admin"], registration=reg, ended_on=_today(), reason="返乡"
    )
    assert _status(cast) == "probationary"


def test_a_suspension_proposal_leaves_the_member_lost_until_the_committee_decides(cast):
    admin = cast.user["branch_admin"]
    since = _today() - dt.timedelta(days=200)
    case = services.lost_mark(
        acting_user=admin, member=cast.member["B1m2"], since=since, circumstances="下落不明"
    )
    services.attempt_add(
        acting_user=admin, case=case, tried_on=since, method="visit", result="无人"
    )
    services.lost_close(acting_user=admin, case=case, outcome="suspension", outcome_on=_today())
    assert _status(cast) == "lost_contact"
    assert _actions(cast.member["B1m2"]) == ["lost_contact"]


def test_a_refused_registration_leaves_the_status_alone(cast):
    with pytest.raises(ValidationError):
        register(cast, host_code="999999999999")
    assert _status(cast) == "full" and _actions(cast.member["B1m2"]) == []


def test_the_card_of_a_member_who_left_no_longer_verifies_as_valid(cast):
    from dangjian.members import services as member_services
    from dangjian.mobility import cards

    reg = register(cast)
    member_services.member_transfer_out(
        acting_user=cast.user["branch_admin"],
        member=reg.member,
        on=_today(),
        destination="外省某党支部",
        reason="组织关系转接",
    )
    card = selectors.card_by_token(cards.token_for(reg))
    assert (card.state, card.state_label) == ("ended", "已失效（已不是本支部在册党员）")
    # The home branch ends the registration later: the status (已转出) stays.
    services.registration_end(
        acting_user=cast.user["branch_admin"], registration=reg, ended_on=_today(), reason="已转出"
    )
    assert _status(cast) == "transferred_out"
