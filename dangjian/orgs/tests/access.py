"""The organisation tree's part of the access matrix (tests/access/spec.py).

Every organisation of the cast is an object; seeing it needs VIEW_ORG over it (上级看下级),
changing it CHANGE_ORG (管理员). Where the tree rules refuse an allowed change (a 党小组
cannot have children, an organisation with members cannot be dissolved) the answer is
422 and nothing changes.
"""

import datetime as dt

from dangjian.members.models import Member
from dangjian.orgs.models import Organisation, Position
from dangjian.orgs.permissions import CHANGE_ORG, VIEW_ORG
from tests.access.spec import Endpoint, Kind, Obj, Page, Spec
from tests.kit import ORG_KEYS, TREE, ancestors_or_self, changes_org, sees_org

TYPE_OF = {key: org_type for key, _, _, org_type, _ in TREE}
CHILD_TYPE = {
    "province": "city",
    "city": "county",
    "county": "committee",
    "committee": "branch",
    "branch": "group",
    "group": "group",  # nothing may sit under a 党小组: refused with 422
}
API = "/api/v1/orgs"


def parent_of(key: str) -> str | None:
    chain = ancestors_or_self(key)
    return chain[1] if len(chain) > 1 else None


def orgs(ctx) -> list[Obj]:
    return [Obj(k, ctx.cast.org[k].pk, k, Organisation) for k in ORG_KEYS]


def positions(ctx) -> list[Obj]:
    """A current post (secretary since 2020) in every branch, held by its first member."""
    from dangjian.orgs import services

    made = []
    for branch in ("B1", "B2", "B3", "B4"):
        position = services.position_assign(
            acting_user=ctx.cast.user["root"],
            org=ctx.cast.org[branch],
            member=ctx.cast.member[f"{branch}m1"],
            title="secretary",
            started_on=dt.date(2020, 1, 1),
        )
        made.append(Obj(branch, position.pk, branch, Position, data={"org": branch}))
    return made


def state():
    """Everything an organisation write could touch."""
    return (
        list(Organisation.objects.order_by("pk").values_list()),
        list(Member.objects.order_by("pk").values_list("pk", "updated_at", "branch_id")),
        list(Position.objects.order_by("pk").values_list()),
    )


# --- What allowed answers must say


def _detail(ctx, obj, response):
    if response.status_code != 200:
        return
    body, parent = response.json(), parent_of(obj.key)
    visible_parent = parent is not None and sees_org(ctx.user, parent)
    assert body["parent_id"] == (ctx.cast.org[parent].pk if visible_parent else None)
    assert body["can_change"] is changes_org(ctx.user, obj.key)


def _children(ctx, obj, response):
    if response.status_code != 200:
        return
    expected = {ctx.cast.org[k].pk for k in ORG_KEYS if parent_of(k) == obj.key}
    assert {item["id"] for item in response.json()["items"]} == expected
    assert response.json()["count"] == len(expected)


def _renamed(ctx, obj, response):
    if response.status_code == 200:
        assert Organisation.objects.get(pk=obj.pk).name.endswith("（改）")


def _created(ctx, obj, response):
    if response.status_code == 201:
        assert response.json()["parent_id"] == obj.pk


def _move_outcome(user_key: str, obj: Obj) -> int:
    """Under its current parent: allowed when the user changes both ends."""
    parent = parent_of(obj.key)
    return 200 if parent and changes_org(user_key, parent) else 422


SPEC = Spec(
    module="orgs",
    kinds=[
        Kind("org", orgs, view=VIEW_ORG),
        Kind("position", positions, view=VIEW_ORG),
    ],
    endpoints=[
        Endpoint("get", f"{API}/{{org_id}}", obj="org", check=_detail),
        Endpoint("get", f"{API}/{{org_id}}/children", obj="org", check=_children),
        Endpoint(
            "get",
            f"{API}/{{org_id}}/approval-chain",
            obj="org",
            query=lambda ctx, obj: {"to": obj.pk},  # every pair: orgs/tests/test_access.py
        ),
        Endpoint(
            "patch",
            f"{API}/{{org_id}}",
            obj="org",
            perm=CHANGE_ORG,
            body=lambda ctx, obj: {"name": f"{ctx.cast.org[obj.key].name}（改）"},
            check=_renamed,
        ),
        Endpoint(
            "post",
            f"{API}/{{org_id}}/move",
            obj="org",
            perm=CHANGE_ORG,
            body=lambda ctx, obj: {"parent_id": ctx.cast.org[parent_of(obj.key) or obj.key].pk},
            outcome=_move_outcome,
        ),
        Endpoint(
            "post",
            f"{API}/{{org_id}}/dissolve",
            obj="org",
            perm=CHANGE_ORG,
            body=lambda ctx, obj: {
                "dissolved_on": dt.date.today().isoformat(),
                "reason": "调整组织设置",
            },
            outcome=lambda u, obj: 200 if obj.key == "G1" else 422,  # the others have members
        ),
        Endpoint(
            "post",
            API,
            obj="org",  # the parent, named in the body
            perm=CHANGE_ORG,
            ok=201,
            body=lambda ctx, obj: {
                "parent_id": obj.pk,
                "name": "新建测试组织",
                "org_type": CHILD_TYPE[TYPE_OF[obj.key]],
                "code": "TEST20260001",
                "founded_on": "2020-05-04",
            },
            outcome=lambda u, obj: 422 if obj.key == "G1" else 201,
            check=_created,
        ),
        Page("get", "orgs:detail", obj="org"),
        Page("get", "orgs:children", obj="org"),
        Page("get", "orgs:edit", obj="org", perm=CHANGE_ORG),
        Page("get", "orgs:create", obj="org", perm=CHANGE_ORG),
        Page("get", "orgs:move", obj="org", perm=CHANGE_ORG),
        Page("get", "orgs:dissolve", obj="org", perm=CHANGE_ORG),
        Page("get", "orgs:position_add", obj="org", perm=CHANGE_ORG),
        Page(
            "post",
            "orgs:position_end",
            obj="position",
            perm=CHANGE_ORG,
            ok=302,
            args=lambda obj: [Position.objects.get(pk=obj.pk).org_id, obj.pk],
            body=lambda ctx, obj: {"ended_on": "2021-01-01"},
        ),
    ],
    exempt={
        "GET /api/v1/orgs": "a list: exactly the scope, orgs/tests/test_access.py",
    },
    state=state,
    roles={
        VIEW_ORG: {"admin", "leader", "member", "examiner", "agent", "handler"},
        CHANGE_ORG: {"admin"},
    },
)
