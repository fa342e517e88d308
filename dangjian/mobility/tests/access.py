"""Mobile and lost-contact members' part of the access matrix (tests/access/spec.py).

Objects: a 流动党员 registration per branch, each hosted by another branch (B1→B3,
B2→B4, B3→B1, B4→B2; B1's is the ``member`` user's own, B1m1), with a 流动党小组 at the
host; a 失联 case, a piece of assigned work (B1's is B1m1's) and a 流动党小组 per branch;
and the members acted on (one per branch not already registered).

A registration is seen with VIEW_MOBILITY (管理员, 单位领导, 审查人员) over the home
branch *or* over the host, and by its member; recording participation needs
CHANGE_MOBILITY over either side, ending it over the home branch, placing the member in a
流动党小组 over the host. The e-card's verification page is public: everyone, with the
card's signed token. 失联 cases, work and good reasons belong to the home branch.
"""

import dataclasses
import datetime as dt

from django.utils import timezone

from dangjian.members.permissions import VIEW_MEMBER
from dangjian.mobility import cards, rules, services
from dangjian.mobility.models import (
    LapseExcuse,
    LostContact,
    MobileGroup,
    Participation,
    Registration,
    SearchAttempt,
    WorkAssignment,
)
from dangjian.mobility.permissions import CHANGE_MOBILITY, VIEW_MOBILITY
from dangjian.orgs.permissions import VIEW_ORG
from dangjian.orgs.tests.access import orgs
from tests.access.spec import EVERYONE, NOBODY, Endpoint, Kind, Obj, Page, Spec, holds
from tests.kit import BRANCHES

API = "/api/v1/mobility"
HOST = {"B1": "B3", "B2": "B4", "B3": "B1", "B4": "B2"}
REGISTERED = {"B1": "B1m1", "B2": "B2m2", "B3": "B3m2", "B4": "B4m2"}
ACTED_ON = {"B1": "B1m2", "B2": "B2m1", "B3": "B3m1", "B4": "B4m1"}


def _today() -> dt.date:
    return timezone.localdate()


def _at_host(obj: Obj) -> Obj:
    return dataclasses.replace(obj, org=obj.data["host"])


def seen_at_host_or_own(user_key: str, obj: Obj) -> bool:
    return obj.owner == user_key or holds(user_key, VIEW_MOBILITY, _at_host(obj))


def host_changes(user_key: str, obj: Obj) -> bool:
    return holds(user_key, CHANGE_MOBILITY, _at_host(obj))


def own(user_key: str, obj: Obj) -> bool:
    return obj.owner is not None and obj.owner == user_key


def registrations(ctx) -> list[Obj]:
    root = ctx.cast.user["root"]
    made = []
    for branch in BRANCHES:
        member_key, host = REGISTERED[branch], HOST[branch]
        reg = services.registration_create(
            acting_user=root,
            member=ctx.cast.member[member_key],
            reason="外出务工",
            away_since=_today() - dt.timedelta(days=30),
            expected_until=rules.add_months(_today(), 8),
            host_code=ctx.cast.org[host].code,
        )
        group = services.group_create(
            acting_user=root, host_org=ctx.cast.org[host], name=f"{host}流动党小组"
        )
        owner = "member" if member_key == "B1m1" else None
        data = {"host": host, "token": cards.token_for(reg), "group": group.pk}
        made.append(Obj(branch, reg.pk, branch, Registration, owner, data))
    return made


def acted_on(ctx) -> list[Obj]:
    return [
        Obj(ACTED_ON[b], ctx.cast.member[ACTED_ON[b]].pk, b, None, None, {"branch": b})
        for b in BRANCHES
    ]


def lost_cases(ctx) -> list[Obj]:
    made = []
    for branch in BRANCHES:
        case = services.lost_mark(
            acting_user=ctx.cast.user["root"],
            member=ctx.cast.member[REGISTERED[branch]],
            since=_today() - dt.timedelta(days=20),
            circumstances="电话停机，家人不知去向",
        )
        made.append(Obj(branch, case.pk, branch, LostContact))
    return made


def assignments(ctx) -> list[Obj]:
    made = []
    for branch in BRANCHES:
        member_key = "B1m1" if branch == "B1" else f"{branch}m1"
        work = services.assignment_create(
            acting_user=ctx.cast.user["root"],
            member=ctx.cast.member[member_key],
            title="联系帮扶困难群众",
            assigned_on=_today() - dt.timedelta(days=10),
            due_on=_today() + dt.timedelta(days=10),
        )
        owner = "member" if member_key == "B1m1" else None
        made.append(Obj(branch, work.pk, branch, WorkAssignment, owner))
    return made


def groups(ctx) -> list[Obj]:
    made = []
    for branch in BRANCHES:
        group = services.group_create(
            acting_user=ctx.cast.user["root"], host_org=ctx.cast.org[branch], name="外来流动党小组"
        )
        made.append(Obj(branch, group.pk, branch, MobileGroup))
    return made


def state():
    return (
        list(Registration.objects.order_by("pk").values_list("pk", "updated_at", "group_id")),
        Participation.objects.count(),
        list(LostContact.objects.order_by("pk").values_list("pk", "status", "updated_at")),
        SearchAttempt.objects.count(),
        list(WorkAssignment.objects.order_by("pk").values_list("pk", "done_on")),
        LapseExcuse.objects.count(),
        MobileGroup.objects.count(),
    )


def _host_code(ctx, obj) -> str:
    return ctx.cast.org[HOST[obj.data["branch"]]].code


def _new_registration(ctx, obj) -> dict:
    return {
        "member_id": obj.pk,
        "reason": "外出经商",
        "away_since": _today().isoformat(),
        "expected_until": rules.add_months(_today(), 7).isoformat(),
        "host_code": _host_code(ctx, obj),
    }


def _participation(ctx, obj) -> dict:
    return {"held_on": _today().isoformat(), "kind": "meeting", "title": "流入地主题党日"}


def _end(ctx, obj) -> dict:
    return {"ended_on": _today().isoformat(), "reason": "已返乡"}


def _attempt(ctx, obj) -> dict:
    return {"tried_on": _today().isoformat(), "method": "visit", "result": "上门未见本人"}


def _outcome(ctx, obj) -> dict:
    return {"outcome": "found", "outcome_on": _today().isoformat(), "note": "已电话联系上"}


def _lost(ctx, obj) -> dict:
    return {"member_id": obj.pk, "since": _today().isoformat(), "circumstances": "长期联系不上"}


def _work(ctx, obj) -> dict:
    return {
        "member_id": obj.pk,
        "title": "宣讲",
        "assigned_on": _today().isoformat(),
        "due_on": _today().isoformat(),
    }


def _excuse(ctx, obj) -> dict:
    return {
        "member_id": obj.pk,
        "condition": "orglife",
        "reason": "长期住院治疗",
        "valid_from": _today().isoformat(),
    }


def _form(body):
    """A page form: the API body without the member (named by the URL)."""
    return lambda ctx, obj: {k: v for k, v in body(ctx, obj).items() if k != "member_id"}


def _card(ctx, obj, response):
    if response.status_code == 200:
        body = response.content.decode()
        assert "<svg" in body and ctx.cast.member[REGISTERED[obj.key]].name in body
        assert ctx.cast.member[REGISTERED[obj.key]].id_number not in body


def _verified(ctx, obj, response):
    body = response.content.decode()
    member = ctx.cast.member[REGISTERED[obj.key]]
    assert member.name in body and "有效" in body
    assert member.id_number not in body and member.phone not in body


REG = "mobile_registration"
REG_API = f"{API}/registrations/{{registration_id}}"
LOST_API = f"{API}/lost/{{lost_id}}"
CHANGE = {"perm": CHANGE_MOBILITY}
# Writes the member's status follows: the row's entry, and members' member.situation.
FOLLOWS = {"audited": 2}

SPEC = Spec(
    module="mobility",
    kinds=[
        Kind(REG, registrations, view=VIEW_MOBILITY, also=seen_at_host_or_own),
        Kind("mobility_member", acted_on, view=VIEW_MEMBER),
        Kind("lost_contact", lost_cases, view=VIEW_MOBILITY),
        Kind("work_assignment", assignments, view=VIEW_MOBILITY, also=own),
        Kind("mobile_group", groups, view=VIEW_MOBILITY),
        Kind("mobility_org", orgs, view=VIEW_ORG),
    ],
    endpoints=[
        Endpoint("get", REG_API, obj=REG),
        Endpoint("get", f"{REG_API}/participation", obj=REG),
        Endpoint(
            "post",
            f"{REG_API}/participation",
            obj=REG,
            ok=201,
            **CHANGE,
            may_also=host_changes,
            body=_participation,
        ),
        Endpoint("post", f"{REG_API}/end", obj=REG, **CHANGE, **FOLLOWS, body=_end),
        Endpoint(
            "post",
            f"{API}/registrations",
            obj="mobility_member",
            ok=201,
            **CHANGE,
            **FOLLOWS,
            body=_new_registration,
        ),
        Endpoint(
            "post", f"{API}/lost", obj="mobility_member", ok=201, **CHANGE, **FOLLOWS, body=_lost
        ),
        Endpoint("get", LOST_API, obj="lost_contact"),
        Endpoint(
            "post", f"{LOST_API}/attempts", obj="lost_contact", ok=201, **CHANGE, body=_attempt
        ),
        Endpoint(
            "post", f"{LOST_API}/outcome", obj="lost_contact", **CHANGE, **FOLLOWS, body=_outcome
        ),
        Endpoint("post", f"{API}/assignments", obj="mobility_member", ok=201, **CHANGE, body=_work),
        Endpoint(
            "post",
            f"{API}/assignments/{{assignment_id}}/done",
            obj="work_assignment",
            **CHANGE,
            body=lambda ctx, obj: {"done_on": _today().isoformat()},
        ),
        Endpoint("post", f"{API}/excuses", obj="mobility_member", ok=201, **CHANGE, body=_excuse),
        Page("get", "mobility:detail", obj=REG),
        Page("get", "mobility:card", obj=REG, check=_card),
        Page(
            "get",
            "mobility:verify",
            obj=REG,
            view_perm=EVERYONE,
            args=lambda obj: [obj.data["token"]],
            check=_verified,
        ),
        Page(
            "post",
            "mobility:participation_add",
            obj=REG,
            ok=302,
            **CHANGE,
            may_also=host_changes,
            body=_participation,
        ),
        Page("post", "mobility:end", obj=REG, ok=302, **CHANGE, **FOLLOWS, body=_end),
        Page(
            "post",
            "mobility:set_group",
            obj=REG,
            ok=302,
            perm=NOBODY,
            may_also=host_changes,
            body=lambda ctx, obj: {"group": obj.data["group"]},
        ),
        Page("get", "mobility:register", obj="mobility_member", **CHANGE),
        Page("get", "mobility:lost_create", obj="mobility_member", **CHANGE),
        Page("get", "mobility:lapse", obj="mobility_member", view_perm=VIEW_MOBILITY),
        Page(
            "post",
            "mobility:excuse_add",
            obj="mobility_member",
            ok=302,
            **CHANGE,
            body=_form(_excuse),
        ),
        Page(
            "post",
            "mobility:assignment_add",
            obj="mobility_member",
            ok=302,
            **CHANGE,
            body=_form(_work),
        ),
        Page(
            "post",
            "mobility:assignment_done",
            obj="work_assignment",
            ok=302,
            **CHANGE,
            body=lambda ctx, obj: {"done_on": _today().isoformat()},
        ),
        Page("get", "mobility:lost_detail", obj="lost_contact"),
        Page("post", "mobility:attempt_add", obj="lost_contact", ok=302, **CHANGE, body=_attempt),
        Page(
            "post",
            "mobility:lost_close",
            obj="lost_contact",
            ok=302,
            **CHANGE,
            **FOLLOWS,
            body=_outcome,
        ),
        Page("get", "mobility:group", obj="mobile_group"),
        Page("get", "mobility:group_create", obj="mobility_org", **CHANGE),
    ],
    exempt={
        "GET /api/v1/mobility/registrations": "a list: exactly the scope, test_views.py",
        "GET /api/v1/mobility/lost": "a list: exactly the scope, test_views.py",
    },
    state=state,
    roles={
        VIEW_MOBILITY: {"admin", "leader", "examiner"},
        CHANGE_MOBILITY: {"admin"},
    },
)
