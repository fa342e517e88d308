"""The home page: one panel per role, each reading only what the user may see."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from dangjian.core import notify, warnings
from dangjian.orglife import services as orglife

pytestmark = pytest.mark.django_db


def _page(login, user, query="") -> str:
    response = login(user).get(reverse("home") + query)
    assert response.status_code == 200
    return response.content.decode()


def _plan(cast, org_key, kind, starts_at, hours=2):
    return orglife.meeting_create(
        acting_user=cast.user["root"],
        org=cast.org[org_key],
        kind=kind,
        topic=f"{kind}测试",
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(hours=hours),
        place="党员活动室",
    )


def _started_this_month():
    """A moment already past, in this month (China time) even just after midnight on
    the 1st."""
    now = timezone.localtime()
    month_start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return max(now - dt.timedelta(hours=1), month_start + dt.timedelta(seconds=1))


def _warn(cast, branch_key, month=(2026, 1)):
    from dangjian.orglife import rules

    orglife.theme_day_warn(branch=cast.org[branch_key], month=rules.month_period(*month))


# --- A leader: the subtree's figures, warnings and drill-down


def test_a_county_admin_sees_the_subtree_and_its_children(cast, login):
    page = _page(login, cast.user["county_admin"])
    assert 'data-panel="leader"' in page and f'data-org="{cast.org["K1"].pk}"' in page
    # K1's subtree holds the four members of B1 and B2; its child is T1 only.
    assert 'data-members="4"' in page
    assert f'data-child="{cast.org["T1"].pk}"' in page
    assert cast.org["K2"].name not in page and 'data-panel="member"' not in page


def test_a_leaders_warnings_are_counted_by_kind_and_by_child(cast, login):
    _warn(cast, "B1")
    _warn(cast, "B3")
    page = _page(login, cast.user["county_admin"])
    assert 'data-warnings="1"' in page  # B3 is in K2: not counted
    assert 'data-warning-kind="orglife.theme_day_missing"' in page
    child = re.search(rf'data-child="{cast.org["T1"].pk}">.*?</li>', page, re.S).group(0)
    assert "预警 1 条" in child
    assert 'data-warnings="2"' in _page(login, cast.user["city_admin"])


def test_a_leader_drills_down_within_the_subtree_only(cast, login):
    page = _page(login, cast.user["county_admin"], f"?org={cast.org['T1'].pk}")
    assert (
        f'data-child="{cast.org["B1"].pk}"' in page and f'data-child="{cast.org["B2"].pk}"' in page
    )
    assert cast.org["K1"].name in page  # the crumb back up, within scope
    client = login(cast.user["county_admin"])
    for key in ("K2", "C1", "P"):  # beside and above: as if it did not exist
        assert client.get(reverse("home") + f"?org={cast.org[key].pk}").status_code == 404
    member = login(cast.user["member"])
    assert member.get(reverse("home") + f"?org={cast.org['B1'].pk}").status_code == 404


def test_a_malformed_org_shows_the_users_own_home(cast, login):
    page = _page(login, cast.user["county_admin"], "?org=abc")
    assert f'data-org="{cast.org["K1"].pk}"' in page
    for odd in (str(2**64), "²", "-1", "0"):
        page = _page(login, cast.user["county_admin"], f"?org={odd}")
        assert f'data-org="{cast.org["K1"].pk}"' in page, odd


# --- A member: next meetings with check-in, messages, 档案, dues


def test_a_member_sees_the_next_meetings_and_checks_in_when_open(cast, login):
    now = timezone.now()
    open_now = _plan(cast, "B1", "theme_day", now + dt.timedelta(minutes=30))
    tomorrow = _plan(cast, "B1", "committee", now + dt.timedelta(days=1))
    _plan(cast, "B2", "theme_day", now + dt.timedelta(minutes=30))  # not called to it
    page = _page(login, cast.user["member"])
    assert 'data-panel="member"' in page
    checkin = reverse("orglife:checkin", args=[open_now.pk])
    assert f'href="{checkin}">签到</a>' in page
    assert f'data-meeting="{tomorrow.pk}"' in page
    assert reverse("orglife:checkin", args=[tomorrow.pk]) not in page  # not open yet
    assert "B2" not in page and cast.org["B2"].name not in page
    assert reverse("members:detail", args=[cast.member["B1m1"].pk]) in page  # 我的档案


def test_a_checked_in_member_sees_no_button(cast, login):
    meeting = _plan(cast, "B1", "theme_day", timezone.now() + dt.timedelta(minutes=10))
    orglife.attendance_mark(
        acting_user=cast.user["root"], meeting=meeting, member=cast.member["B1m1"], status="present"
    )
    page = _page(login, cast.user["member"])
    assert reverse("orglife:checkin", args=[meeting.pk]) not in page and "已签到" in page


def test_a_member_sees_unread_messages(cast, login):
    notify.send(
        [cast.user["member"]], kind="test", title="请参加主题党日", body="", url="", dedupe_key="t1"
    )
    page = _page(login, cast.user["member"])
    assert 'data-unread="1"' in page and "请参加主题党日" in page


def test_a_member_sees_dues_owed(cast, login):
    from dangjian.dues import services as dues

    member = cast.member["B1m1"]
    dues.base_set(
        acting_user=cast.user["root"],
        member=member,
        category="employed",
        effective_month=dt.date(2021, 1, 1),
        base_fen=400000,
    )
    month = timezone.localdate().replace(day=1)
    dues.bills_issue(month=month, members=type(member).objects.filter(pk=member.pk))
    page = _page(login, cast.user["member"])
    assert 'data-owed-months="1"' in page and reverse("dues:mine") in page


# --- A branch secretary: duties, meetings to record, follow-ups


def test_a_branch_secretary_sees_the_duties_still_due(cast, login):
    today = timezone.localdate()
    _plan_held = _plan(cast, "B1", "committee", _started_this_month(), hours=1)
    orglife.meeting_record(acting_user=cast.user["root"], meeting=_plan_held, minutes="纪要")
    page = _page(login, cast.user["branch_admin"])
    assert 'data-panel="secretary"' in page and 'data-panel="leader"' not in page
    due = re.search(r'<li class="duty-due" data-duty="theme_day">.*?</li>', page, re.S).group(0)
    month_end = (today.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    assert f"{month_end.month}月{month_end.day}日前完成" in due
    assert 'data-duty-done="committee"' in page and 'data-duty="committee"' not in page


def test_a_branch_secretary_sees_meetings_to_record_and_follow_ups(cast, login):
    ended = _plan(cast, "B1", "theme_day", timezone.now() - dt.timedelta(days=2))
    _warn(cast, "B1")
    _warn(cast, "B2")
    page = _page(login, cast.user["branch_admin"])
    assert f'data-to-record="{ended.pk}"' in page
    own = warnings.Warning.objects.get(org=cast.org["B1"])
    assert own.title in page and cast.org["B2"].name not in page


# --- A 12371 agent: the queue and what is overdue


def test_an_agent_sees_the_queue_and_the_overdue(cast, login):
    from dangjian.desk.services import orders

    order = orders.order_create(
        acting_user=cast.user["member"],
        source="web",
        summary="咨询党费交纳问题",
        category="党费",
        asker=cast.user["member"],
        org=cast.org["K1"],  # re-routed from the centre to the county, in the agent's city
    )
    page = _page(login, cast.user["agent"])
    assert 'data-panel="agent"' in page and 'data-queue="1"' in page
    assert f'data-order="{order.pk}"' in page and 'data-queue-overdue="0"' in page
    type(order).objects.filter(pk=order.pk).update(
        first_response_due=timezone.now() - dt.timedelta(hours=1)
    )
    assert 'data-queue-overdue="1"' in _page(login, cast.user["agent"])


# --- Everyone else


def test_a_handler_sees_the_scope_without_member_counts(cast, login):
    page = _page(login, cast.user["handler"])
    assert "个党组织" in page and "名党员" not in page


def test_it_needs_a_login(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_warning_kinds_are_labelled(cast, login):
    _warn(cast, "B1")
    page = _page(login, cast.user["county_admin"])
    assert warnings.kind_label("orglife.theme_day_missing") in page


def test_the_work_comes_before_ones_own_panel_unless_check_in_is_open(cast, login):
    user = cast.user["branch_admin"]
    type(user).objects.filter(pk=user.pk).update(member=cast.member["B1m2"])
    user.refresh_from_db()
    page = _page(login, user)
    assert page.index('data-panel="secretary"') < page.index('data-panel="member"')
    _plan(cast, "B1", "theme_day", timezone.now() + dt.timedelta(minutes=15))
    page = _page(login, user)
    assert page.index('data-panel="member"') < page.index('data-panel="secretary"')


def test_a_leaders_meeting_figures_come_from_the_rollups(cast, login):
    from dangjian.core import rollups

    held = _plan(cast, "B1", "committee", _started_this_month(), hours=1)
    orglife.meeting_record(acting_user=cast.user["root"], meeting=held, minutes="纪要")
    assert 'data-held-year="0"' in _page(login, cast.user["county_admin"])  # not folded yet
    rollups.refresh()
    page = _page(login, cast.user["county_admin"])
    assert 'data-held-year="1"' in page and "支部委员会 1 次" in page
    assert 'data-held-year="0"' in _page(login, cast.user["sibling_county_admin"])


def test_a_branch_secretary_follows_up_lost_members_and_arrears(cast, login):
    from dangjian.dues import services as dues
    from dangjian.mobility import services as mobility

    mobility.lost_mark(
        acting_user=cast.user["root"],
        member=cast.member["B1m2"],
        since=timezone.localdate() - dt.timedelta(days=40),
        circumstances="联系不上",
    )
    mobility.lost_mark(  # another branch's: not this secretary's
        acting_user=cast.user["root"],
        member=cast.member["B2m2"],
        since=timezone.localdate() - dt.timedelta(days=40),
        circumstances="联系不上",
    )
    member = cast.member["B1m1"]
    dues.base_set(
        acting_user=cast.user["root"],
        member=member,
        category="employed",
        effective_month=dt.date(2021, 1, 1),
        base_fen=400000,
    )
    dues.bills_issue(
        month=timezone.localdate().replace(day=1), members=type(member).objects.filter(pk=member.pk)
    )
    page = _page(login, cast.user["branch_admin"])
    assert 'data-lost="1"' in page and 'data-arrears="1"' in page


def test_a_leader_is_told_of_children_beyond_those_shown(cast, login, monkeypatch):
    from dangjian.home import selectors

    monkeypatch.setattr(selectors, "CHILDREN_SHOWN", 1)
    page = _page(login, cast.user["city_admin"])  # C1's children: K1 and K2
    assert f'data-child="{cast.org["K1"].pk}"' in page
    assert f'data-child="{cast.org["K2"].pk}"' not in page and "只列出前 1 个下级组织" in page
