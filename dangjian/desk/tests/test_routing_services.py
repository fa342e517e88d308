"""Central acceptance at the service level (the default 省级集中受理): every channel lands
at the province centre, offices of the registry are consulted with a workday deadline and
answer through their 联络员, late ones are warned and reminded, orders are re-routed with
a reason and duplicates merged — each with its refusals."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from dangjian.core import warnings as core_warnings
from dangjian.core.calendar import TZ
from dangjian.core.models import AuditEntry, Notification
from dangjian.core.models import Warning as CoreWarning
from dangjian.core.scope import Role
from dangjian.desk import selectors
from dangjian.desk.models import Coordination, Office, OrderEvent, WorkOrder
from dangjian.desk.services import orders, routing, workflow
from dangjian.desk.warnings import CONSULTATION_OVERDUE, ORDER_OVERDUE
from dangjian.knowledge.models import Message, MessageRole
from dangjian.knowledge.services import bot

FRIDAY = dt.datetime(2026, 11, 20, 15, 0, tzinfo=TZ)


@pytest.fixture
def people(cast):
    """An agent and a handler of the province centre (P), a county agent (K1), and an
    office liaison who holds no role at all (an account of 组织二处's staff)."""
    from dangjian.accounts import services as accounts

    root = cast.user["root"]
    made = {}
    for key, role, org in (
        ("p_agent", Role.AGENT, "P"),
        ("p_handler", Role.HANDLER, "P"),
        ("k1_agent", Role.AGENT, "K1"),
        ("liaison", None, None),
    ):
        user = accounts.user_create(
            acting_user=root, username=key, password="x", validate_password=False
        )
        if role is not None:
            accounts.role_grant(acting_user=root, user=user, org=cast.org[org], role=role)
        made[key] = user
    return made


@pytest.fixture
def office(cast, people):
    """组织二处 of the province centre: 组织关系转接 and 党费; its 联络员 has an account."""
    return routing.office_create(
        acting_user=cast.user["province_admin"],
        org=cast.org["P"],
        name="组织二处",
        categories=["组织关系转接", "党费"],
        lead_name="李建国",
        lead_phone="0871-63900201",
        liaison=people["liaison"],
        liaison_phone="13987650001",
    )


def ask(cast, summary="党费基数怎么核定？", category="党费", user=None):
    user = user or cast.user["member"]
    return orders.order_create(
        acting_user=user, source="web", summary=summary, category=category, asker=user
    )


def claimed(cast, people, **kwargs):
    order = ask(cast, **kwargs)
    orders.order_claim(acting_user=people["p_agent"], order=order)
    return order


# --- Acceptance


def test_every_channel_is_accepted_at_the_province_centre(cast, people):
    assert ask(cast).org == cast.org["P"]  # a member of 五华区's branch
    conversation = bot.conversation_start(user=cast.user["member"])
    Message.objects.create(conversation=conversation, role=MessageRole.USER, text="党龄怎么算？")
    handed = orders.handoff(conversation, cast.user["member"], category="组织关系转接")
    assert handed.org == cast.org["P"] and handed.category == "组织关系转接"
    public = orders.order_create(
        acting_user=None,
        source="public",
        summary="村里的路灯坏了",
        caller_name="王先生",
        phone="13800000001",
    )
    assert public.org == cast.org["P"]
    call = dict(caller_name="张先生", phone="13800000002", category="党费", summary="退休党费")
    by_centre = orders.hotline_log(acting_user=people["p_agent"], asker_org=cast.org["B3"], **call)
    assert by_centre.org == cast.org["P"]
    # a city desk's agent takes a call it cannot send to the centre: it stays at its desk
    by_city = orders.hotline_log(acting_user=cast.user["agent"], **call)
    assert by_city.org == cast.org["C1"]


def test_a_hand_off_with_a_category_the_desk_does_not_list_is_filed_unclassified(cast):
    conversation = bot.conversation_start(user=cast.user["member"])
    Message.objects.create(conversation=conversation, role=MessageRole.USER, text="天气怎么样")
    assert orders.handoff(conversation, cast.user["member"], category="天气预报").category == ""


def test_an_unknown_category_is_refused_on_its_field(cast):
    with pytest.raises(ValidationError) as exc:
        ask(cast, category="天气预报")
    assert exc.value.message_dict == {"category": [orders.MSG_CATEGORY]}


# --- The registry of offices


def test_an_office_needs_its_people_and_known_categories(cast):
    with pytest.raises(ValidationError) as exc:
        routing.office_create(
            acting_user=cast.user["province_admin"],
            org=cast.org["B1"],
            name=" ",
            categories=["党费", "天气"],
            lead_phone="12345",
        )
    assert exc.value.message_dict == {
        "name": [routing.MSG_OFFICE_NAME],
        "categories": [routing.MSG_CATEGORY],
        "org_id": [routing.MSG_OFFICE_ORG],
        "lead_name": [routing.MSG_LEAD],
        "lead_phone": [routing.MSG_OFFICE_PHONE],
        "liaison_name": [routing.MSG_LIAISON],
    }
    assert not Office.objects.exists()


def test_office_names_are_unique_per_organisation(cast, office):
    admin = cast.user["province_admin"]
    fields = dict(name="组织二处", lead_name="甲", liaison_name="乙")
    with pytest.raises(ValidationError) as exc:
        routing.office_create(acting_user=admin, org=cast.org["P"], **fields)
    assert exc.value.message_dict == {"name": [routing.MSG_OFFICE_TAKEN]}
    assert routing.office_create(acting_user=admin, org=cast.org["K1"], **fields).pk


def test_a_linked_account_names_the_person_and_phones_are_normalised(office, people):
    assert office.liaison_name == str(people["liaison"])
    assert office.liaison_phone == "13987650001" and office.lead_phone == "087163900201"
    assert office.contacts == [people["liaison"]]


def test_only_admins_over_the_organisation_keep_offices(cast, office):
    with pytest.raises(PermissionDenied):  # an agent of the city sees offices, keeps none
        routing.office_create(
            acting_user=cast.user["agent"],
            org=cast.org["C1"],
            name="组织科",
            lead_name="甲",
            liaison_name="乙",
        )
    with pytest.raises(Http404):  # the county admin does not see the province's desk
        routing.office_create(
            acting_user=cast.user["county_admin"],
            org=cast.org["P"],
            name="组织一处",
            lead_name="甲",
            liaison_name="乙",
        )
    with pytest.raises(PermissionDenied):  # it sees the office above it, may not edit it
        routing.office_update(
            acting_user=cast.user["county_admin"], office=office, changes={"active": False}
        )


def test_an_edit_that_changes_nothing_writes_nothing(cast, office):
    admin = cast.user["province_admin"]
    entries = AuditEntry.objects.count()
    routing.office_update(acting_user=admin, office=office, changes={"name": "组织二处"})
    assert AuditEntry.objects.count() == entries
    routing.office_update(acting_user=admin, office=office, changes={"active": False})
    assert not Office.objects.get(pk=office.pk).active
    assert AuditEntry.objects.filter(action="consult.office.update").count() == 1


def test_offices_are_seen_from_below_and_by_their_people(cast, office, people):
    k3 = routing.office_create(
        acting_user=cast.user["root"],
        org=cast.org["K3"],
        name="组织股",
        lead_name="甲",
        liaison_name="乙",
    )
    assert set(selectors.office_queryset(people["k1_agent"])) == {office}  # above: yes
    assert set(selectors.office_queryset(people["liaison"])) == {office}  # its own
    assert set(selectors.office_queryset(cast.user["member"])) == set()
    assert set(selectors.office_queryset(cast.user["province_admin"])) == {office, k3}


# --- 协商联动 with offices of the registry


def test_consulting_an_office_tells_its_liaison_who_answers_in_the_platform(
    cast, people, office, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(orders, "_now", lambda: FRIDAY)
    order = claimed(cast, people)
    with django_capture_on_commit_callbacks(execute=True):
        (asked,) = orders.order_coordinate(
            acting_user=people["p_agent"],
            order=order,
            offices=[office],
            question="退休党员党费基数如何核定？",
        )
    assert asked.unit == office and asked.office == "组织二处" and asked.org == cast.org["P"]
    assert asked.due == dt.datetime(2026, 11, 24, 15, 0, tzinfo=TZ)  # two workdays
    told = Notification.objects.get(user=people["liaison"], kind="consult.coordination")
    assert "11月24日 15:00" in told.title and "组织二处" in told.title
    assert not Notification.objects.filter(user=people["p_handler"], kind="consult.coordination")
    # the liaison, who holds no role, reads the order and answers; the member may not
    assert selectors.order_get(people["liaison"], order.pk) == order
    assert list(selectors.my_consultations(people["liaison"])) == [asked]
    with pytest.raises(Http404):
        orders.coordination_answer(
            acting_user=cast.user["member"], coordination=asked, answer="不相干"
        )
    orders.coordination_answer(
        acting_user=people["liaison"], coordination=asked, answer="按基本退休费计算。"
    )
    assert orders.merged_draft(order) == "【组织二处】按基本退休费计算。"
    orders.order_reply(acting_user=people["p_agent"], order=order, text=orders.merged_draft(order))
    assert WorkOrder.objects.get(pk=order.pk).status == "answered"


def test_consulting_refuses_a_stopped_office_and_a_deadline_out_of_range(cast, people, office):
    order = claimed(cast, people)
    stopped = routing.office_create(
        acting_user=cast.user["province_admin"],
        org=cast.org["P"],
        name="组织一处",
        lead_name="甲",
        liaison_name="乙",
        active=False,
    )
    with pytest.raises(ValidationError) as exc:
        orders.order_coordinate(
            acting_user=people["p_agent"],
            order=order,
            offices=[office, stopped],
            question="请提供意见",
            workdays=11,
        )
    assert exc.value.message_dict == {
        "offices": [orders.MSG_OFFICE_INACTIVE.format(name="组织一处")],
        "workdays": [orders.MSG_WORKDAYS],
    }
    asked = orders.order_coordinate(
        acting_user=people["p_agent"], order=order, offices=[office], question="请提供意见"
    )
    again = orders.order_coordinate(
        acting_user=people["p_agent"], order=order, offices=[office], question="再问"
    )
    assert len(asked) == 1 and again == []  # still waiting: not asked twice


def test_a_late_office_is_warned_once_and_reminded_daily_until_it_answers(
    cast, people, office, monkeypatch
):
    monkeypatch.setattr(orders, "_now", lambda: FRIDAY)
    order = claimed(cast, people)
    (asked,) = orders.order_coordinate(
        acting_user=people["p_agent"], order=order, offices=[office], question="请提供意见"
    )
    due = asked.due
    assert routing.consultations_overdue(now=due - dt.timedelta(minutes=1)) == 0
    assert not CoreWarning.objects.filter(kind=CONSULTATION_OVERDUE.name).exists()
    assert routing.consultations_overdue(now=due + dt.timedelta(minutes=1)) == 1
    assert routing.consultations_overdue(now=due + dt.timedelta(hours=1)) == 1  # the same day
    warning = CoreWarning.objects.get(kind=CONSULTATION_OVERDUE.name)
    assert warning.org == cast.org["P"] and warning.due == due and warning.resolved_at is None
    told = Notification.objects.filter(kind=core_warnings.notice_kind(CONSULTATION_OVERDUE.name))
    assert {n.user for n in told} == {people["liaison"], people["p_agent"]}
    reminders = Notification.objects.filter(kind="consult.consultation_reminder")
    assert not reminders.exists()
    next_day = due + dt.timedelta(days=1)
    routing.consultations_overdue(now=next_day)
    routing.consultations_overdue(now=next_day + dt.timedelta(minutes=15))
    assert reminders.filter(user=people["liaison"]).count() == 1
    orders.coordination_answer(acting_user=people["liaison"], coordination=asked, answer="同意")
    assert CoreWarning.objects.get(pk=warning.pk).resolved_at is not None
    assert routing.consultations_overdue(now=next_day + dt.timedelta(days=1)) == 0


def test_an_order_late_at_the_centre_warns_its_desk_until_answered(cast, people, monkeypatch):
    monkeypatch.setattr(orders, "_now", lambda: FRIDAY)
    order = ask(cast)  # normal, four working hours: first response due Monday 10:30
    monday = dt.datetime(2026, 11, 23, 10, 30, tzinfo=TZ)
    assert order.first_response_due == monday
    assert routing.overdue_at_the_top(now=monday) == 0
    assert routing.overdue_at_the_top(now=monday + dt.timedelta(minutes=1)) == 1
    assert routing.overdue_at_the_top(now=monday + dt.timedelta(minutes=16)) == 1
    warning = CoreWarning.objects.get(kind=ORDER_OVERDUE.name)
    assert warning.org == cast.org["P"] and warning.resolved_at is None
    told = Notification.objects.filter(kind=core_warnings.notice_kind(ORDER_OVERDUE.name))
    assert {n.user for n in told} == {people["p_agent"]}  # the centre's agent, once
    orders.order_claim(acting_user=people["p_agent"], order=order)
    orders.order_reply(acting_user=people["p_agent"], order=order, text="按月工资计算。")
    assert CoreWarning.objects.get(pk=warning.pk).resolved_at is not None
    assert routing.overdue_at_the_top(now=monday + dt.timedelta(days=5)) == 0


# --- Re-categorising and re-routing


def test_rerouting_sends_the_order_to_the_county_with_its_reason(
    cast, people, django_capture_on_commit_callbacks
):
    order = claimed(cast, people)
    with django_capture_on_commit_callbacks(execute=True):
        routing.order_reroute(
            acting_user=people["p_agent"],
            order=order,
            category="组织关系转接",
            org=cast.org["K1"],
            reason="需五华区委组织部核实",
        )
    order = WorkOrder.objects.get(pk=order.pk)
    assert (order.org, order.category, order.status, order.assignee) == (
        cast.org["K1"],
        "组织关系转接",
        "new",
        None,
    )
    event = OrderEvent.objects.filter(order=order, action="reroute").get()
    assert (
        event.note
        == "分类：党费 → 组织关系转接；承办：云南省委 → 五华区委；原因：需五华区委组织部核实"
    )
    assert event.from_status == "claimed" and event.to_status == "new"
    entry = AuditEntry.objects.filter(action="consult.order.reroute").get()
    assert entry.after["org"] == cast.org["K1"].pk and entry.before["category"] == "党费"
    told = Notification.objects.filter(kind="consult.rerouted")
    assert {n.user for n in told} == {cast.user["handler"], people["k1_agent"]}  # K1's desk
    assert selectors.order_get(cast.user["handler"], order.pk) == order


def test_a_new_category_alone_keeps_the_order_in_hand(cast, people):
    order = claimed(cast, people)
    routing.order_reroute(
        acting_user=people["p_agent"],
        order=order,
        category="入党申请与发展党员",
        org=cast.org["P"],
        reason="实为入党问题",
    )
    order = WorkOrder.objects.get(pk=order.pk)
    assert order.status == "claimed" and order.assignee == people["p_agent"]
    assert order.category == "入党申请与发展党员"


def test_rerouting_refusals(cast, people, office):
    agent = people["p_agent"]
    order = claimed(cast, people)

    def reroute(user=agent, **kw):
        args = dict(category="党费", org=cast.org["K1"], reason="转办")
        return routing.order_reroute(acting_user=user, order=order, **{**args, **kw})

    cases = [
        (dict(reason=" "), "reason", workflow.MSG_REROUTE_REASON),
        (dict(category="天气"), "category", orders.MSG_CATEGORY),
        (dict(org=cast.org["P"]), "category", workflow.MSG_REROUTE_NOTHING),
        (dict(org=cast.org["B1"]), "org_id", routing.MSG_REROUTE_ORG),
    ]
    for kwargs, field, message in cases:
        with pytest.raises(ValidationError) as exc:
            reroute(**kwargs)
        assert exc.value.message_dict == {field: [message]}, kwargs
    with pytest.raises(PermissionDenied):  # the asker sees it, does not handle it
        reroute(user=cast.user["member"])
    orders.order_coordinate(acting_user=agent, order=order, offices=[office], question="请提供意见")
    with pytest.raises(ValidationError) as exc:
        reroute()
    assert exc.value.message_dict == {"org_id": [workflow.MSG_REROUTE_PENDING.format(n=1)]}
    assert WorkOrder.objects.get(pk=order.pk).org == cast.org["P"]


def test_a_county_sends_up_its_line_but_not_across(cast, people, settings):
    settings.CONSULT_ACCEPTANCE = "tiered"
    order = ask(cast, category="组织关系转接")  # 分级受理: 五华区
    agent = people["k1_agent"]
    orders.order_claim(acting_user=agent, order=order)
    with pytest.raises(ValidationError) as exc:
        routing.order_reroute(
            acting_user=agent, order=order, category="党费", org=cast.org["K2"], reason="转办"
        )
    assert exc.value.message_dict == {"org_id": [routing.MSG_REROUTE_OUTSIDE]}
    routing.order_reroute(
        acting_user=agent, order=order, category="党费", org=cast.org["P"], reason="需省级答复"
    )
    assert WorkOrder.objects.get(pk=order.pk).org == cast.org["P"]


def test_a_closed_order_is_not_rerouted(cast, people):
    order = ask(cast)
    WorkOrder.objects.filter(pk=order.pk).update(status="closed")
    with pytest.raises(ValidationError) as exc:
        routing.order_reroute(
            acting_user=people["p_agent"],
            order=order,
            category="党费",
            org=cast.org["K1"],
            reason="转办",
        )
    assert exc.value.message_dict == {
        "status": [workflow.MSG_NOT_REROUTABLE.format(status="已办结")]
    }


# --- Merging duplicates


def test_a_duplicate_is_merged_into_the_main_order_and_its_asker_told(
    cast, people, django_capture_on_commit_callbacks
):
    member = cast.user["member"]
    main = claimed(cast, people, summary="党费基数怎么核定？")
    duplicate = ask(cast, summary="党费基数到底怎么定")
    assert selectors.duplicate_candidates(people["p_agent"], main) == [duplicate]
    with django_capture_on_commit_callbacks(execute=True):
        routing.order_merge(acting_user=people["p_agent"], order=duplicate, main=main)
    duplicate = WorkOrder.objects.get(pk=duplicate.pk)
    assert duplicate.status == "closed" and duplicate.merged_into == main
    assert duplicate.closed_at is not None
    merged_in = OrderEvent.objects.get(order=main, action="merge_in")
    assert f"并入重复工单 {duplicate.number}" in merged_in.note
    assert "问题：党费基数到底怎么定" in merged_in.note
    assert OrderEvent.objects.get(order=duplicate, action="merge").note == (
        f"合并至工单 {main.number}"
    )
    told = Notification.objects.get(user=member, kind="consult.merged")
    assert main.number in told.title
    with pytest.raises(ValidationError) as exc:  # the asker cannot reopen the duplicate
        orders.order_reopen(acting_user=member, order=duplicate, reason="没解决")
    assert exc.value.message_dict == {
        "status": [workflow.MSG_MERGED_REOPEN.format(number=main.number)]
    }
    with django_capture_on_commit_callbacks(execute=True):
        orders.order_reply(acting_user=people["p_agent"], order=main, text="按月工资计算。")
    replies = Notification.objects.filter(user=member, kind="consult.reply")
    assert replies.count() == 2  # the main order's answer, and for the merged one
    assert any("合并办理" in n.title for n in replies)
    assert selectors.duplicate_candidates(people["p_agent"], main) == []


def test_merging_refusals(cast, people):
    agent = people["p_agent"]
    main, other = ask(cast), ask(cast, summary="第二个问题")

    def merge(order, into, user=agent):
        with pytest.raises(ValidationError) as exc:
            routing.order_merge(acting_user=user, order=order, main=into)
        return exc.value.message_dict

    assert merge(main, main) == {"main_id": [routing.MSG_MERGE_SELF]}
    WorkOrder.objects.filter(pk=other.pk).update(status="closed")
    assert merge(main, other) == {"main_id": [routing.MSG_MERGE_MAIN_CLOSED]}
    assert merge(other, main) == {"status": [workflow.MSG_NOT_MERGEABLE.format(status="已办结")]}
    third = ask(cast, summary="第三个问题")
    routing.order_merge(acting_user=agent, order=third, main=main)
    fourth = ask(cast, summary="第四个问题")
    assert merge(fourth, third) == {
        "main_id": [routing.MSG_MERGE_MAIN_MERGED.format(number=main.number)]
    }
    city_call = orders.hotline_log(
        acting_user=cast.user["agent"],
        caller_name="张",
        phone="13800000003",
        category="",
        summary="问题",
    )
    assert merge(city_call, main, user=cast.user["agent"]) == {
        "main_id": [routing.MSG_MERGE_MAIN_HANDLE]
    }
    with pytest.raises(PermissionDenied):
        routing.order_merge(acting_user=cast.user["member"], order=fourth, main=main)


# --- The office's page: 本处室协商联动 in the menu of a 联络员 who holds no role


def test_an_office_liaison_without_a_role_finds_the_requests_in_the_menu(
    client, cast, people, office, login
):
    order = claimed(cast, people)
    (asked,) = orders.order_coordinate(
        acting_user=people["p_agent"], order=order, offices=[office], question="党费基数如何核定？"
    )
    page_url = "/consult/consultations/"
    login(people["liaison"])
    home = client.get("/").content.decode()
    assert 'data-menu="desk_consultations"' in home and 'data-menu="desk"' not in home
    page = client.get(page_url).content.decode()
    assert order.number in page and "党费基数如何核定" in page
    assert f"回复时限 {asked.due.astimezone(TZ):%-m月%-d日 %H:%M}" in page and "已逾期" not in page
    Coordination.objects.filter(pk=asked.pk).update(due=FRIDAY - dt.timedelta(days=1))
    assert "已逾期" in client.get(page_url).content.decode()
    orders.coordination_answer(acting_user=people["liaison"], coordination=asked, answer="按月。")
    assert order.number not in client.get(page_url).content.decode()  # no longer open
    assert order.number in client.get(page_url, {"show": "answered"}).content.decode()

    login(people["p_agent"])  # the desk's staff reach it too (from the console)
    assert client.get(page_url).status_code == 200
    assert 'data-menu="desk_consultations"' not in client.get("/").content.decode()
    login(cast.user["member"])  # neither an office's contact nor the desk's
    assert 'data-menu="desk_consultations"' not in client.get("/").content.decode()
    assert client.get(page_url).status_code == 403
    client.logout()
    assert client.get(page_url).status_code == 302  # to the login page
