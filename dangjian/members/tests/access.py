"""Member records' part of the access matrix (tests/access/spec.py).

The objects are the cast's two members of every branch. A member is seen with
VIEW_MEMBER over their branch (not by handlers), and always by themself (the ``member``
user is B1m1); changing one needs CHANGE_MEMBER (管理员); the full ID number and phone
need REVEAL_MEMBER, or being that member. New members are filed in a branch (404 when
the branch is not visible, 403 without the right).
"""

import datetime as dt

from dangjian.members.models import Member
from dangjian.members.permissions import (
    CHANGE_MEMBER,
    EXPORT_MEMBER,
    REVEAL_MEMBER,
    VIEW_MEMBER,
    VIEW_MEMBER_DETAILS,
)
from dangjian.orgs.models import Organisation
from dangjian.orgs.permissions import VIEW_ORG
from tests.access.spec import Endpoint, Kind, Obj, Page, Spec
from tests.kit import BRANCHES, USERS, changes_org, new_id_number
from tests.security.apischema import jpeg_upload

API = "/api/v1/members"
MEMBER_KEYS = [f"{b}m{i}" for b in BRANCHES for i in (1, 2)]


def own(user_key: str, obj: Obj) -> bool:
    return obj.owner is not None and obj.owner == user_key


def members(ctx) -> list[Obj]:
    return [
        Obj(k, ctx.cast.member[k].pk, k.split("m")[0], Member, "member" if k == "B1m1" else None)
        for k in MEMBER_KEYS
    ]


def members_with_photos(ctx) -> list[Obj]:
    from dangjian.members import services

    made = members(ctx)
    for obj in made:
        services.member_photo_set(
            acting_user=ctx.cast.user["root"], member=ctx.cast.member[obj.key], upload=jpeg_upload()
        )
    return made


def branches(ctx) -> list[Obj]:
    return [Obj(b, ctx.cast.org[b].pk, b, Organisation) for b in BRANCHES]


def state():
    from dangjian.core.models import StoredFile

    return (
        list(Member.objects.order_by("pk").values_list("pk", "updated_at", "branch_id")),
        StoredFile.objects.count(),
    )


# Privacy between members: a fellow member of the branch sees the name, the group and the
# posts; the birth date, ethnicity, masked numbers… only the member themself and the
# roles over the branch do (VIEW_MEMBER_DETAILS).
DETAIL_ROLES = {"admin", "leader", "examiner", "agent"}


def shows_details(user_key: str, obj: Obj) -> bool:
    if user_key == "root" or own(user_key, obj):
        return True
    return user_key in USERS and USERS[user_key][0] in DETAIL_ROLES


def _detail(ctx, obj, response):
    if response.status_code != 200:
        return
    body = response.json()
    member = ctx.cast.member[obj.key]
    assert body["id"] == obj.pk and body["name"] == member.name
    assert body["can_change"] is changes_org(ctx.user, obj.org)
    assert member.id_number not in response.content.decode()
    shown = shows_details(ctx.user, obj)
    assert body["details_shown"] is shown
    for field in ("birth_date", "ethnicity", "id_number_masked", "phone_masked", "status"):
        assert (body[field] is not None) is shown, field
    assert member.id_number_masked in response.content.decode() or not shown


def _detail_page(ctx, obj, response):
    if response.status_code != 200:
        return
    html = response.content.decode()
    member = ctx.cast.member[obj.key]
    assert member.name in html
    shown = shows_details(ctx.user, obj)
    assert ("出生日期" in html) is shown
    assert (member.id_number_masked in html) is shown
    assert (member.ethnicity in html) is shown


def _updated(ctx, obj, response):
    if response.status_code == 200:
        assert Member.objects.get(pk=obj.pk).occupation == "社区网格员"


def _revealed(ctx, obj, response):
    member = ctx.cast.member[obj.key]
    if response.status_code == 200:
        assert response.json() == {
            "id_number": member.id_number,
            "phone": member.phone,
            "address": member.address,
        }
    else:
        assert member.id_number not in response.content.decode()


def _new_member(ctx, obj) -> dict:
    return {
        "branch_id": obj.pk,
        "name": "新党员",
        "id_number": new_id_number(dt.date(1992, 2, 2)),
        "phone": "13700001111",
        "ethnicity": "汉族",
        "education": "bachelor",
        "joined_on": "2015-07-01",
        "full_member_on": "2016-07-01",
        "status": "full",
    }


def _filed(ctx, obj, response):
    if response.status_code == 201:
        assert response.json()["branch_id"] == obj.pk


def _jpeg(ctx, obj, response):
    if response.status_code == 200:
        assert response["Content-Type"] == "image/jpeg"


SPEC = Spec(
    module="members",
    kinds=[
        Kind("member", members, view=VIEW_MEMBER, also=own),
        Kind("member_photo", members_with_photos, view=VIEW_MEMBER, also=own),
        Kind("branch", branches, view=VIEW_ORG),
    ],
    endpoints=[
        Endpoint("get", f"{API}/{{member_id}}", obj="member", check=_detail),
        Endpoint(
            "patch",
            f"{API}/{{member_id}}",
            obj="member",
            perm=CHANGE_MEMBER,
            body=lambda ctx, obj: {"occupation": "社区网格员"},
            check=_updated,
        ),
        Endpoint(
            "post",
            f"{API}/{{member_id}}/reveal",
            obj="member",
            perm=REVEAL_MEMBER,
            may_also=own,
            check=_revealed,
        ),
        Endpoint(
            "post",
            API,
            obj="branch",
            perm=CHANGE_MEMBER,
            ok=201,
            body=_new_member,
            check=_filed,
        ),
        Endpoint(
            "get",
            f"{API}/{{member_id}}/photo",
            obj="member_photo",
            perm=VIEW_MEMBER_DETAILS,
            may_also=own,
            check=_jpeg,
        ),
        Endpoint(
            "post",
            f"{API}/{{member_id}}/photo",
            obj="member",
            perm=CHANGE_MEMBER,
            multipart=True,
            body=lambda ctx, obj: {"photo": jpeg_upload()},
        ),
        Page("get", "members:detail", obj="member", check=_detail_page),
        Page("get", "members:edit", obj="member", perm=CHANGE_MEMBER),
        Page("post", "members:reveal", obj="member", perm=REVEAL_MEMBER, may_also=own),
        Page("get", "members:create", obj="branch", perm=CHANGE_MEMBER),
        Page(
            "get",
            "members:photo",
            obj="member_photo",
            perm=VIEW_MEMBER_DETAILS,
            may_also=own,
            check=_jpeg,
        ),
        Page(
            "post",
            "members:photo_upload",
            obj="member",
            perm=CHANGE_MEMBER,
            ok=302,
            body=lambda ctx, obj: {"photo": jpeg_upload()},
        ),
    ],
    exempt={
        "GET /api/v1/members": "a list: exactly the scope, members/tests/test_access.py",
        "GET /api/v1/members/export": "the list exported: members/tests/test_export.py",
    },
    state=state,
    roles={
        VIEW_MEMBER: {"admin", "leader", "member", "examiner", "agent"},
        VIEW_MEMBER_DETAILS: {"admin", "leader", "examiner", "agent"},
        CHANGE_MEMBER: {"admin"},
        REVEAL_MEMBER: {"admin"},
        EXPORT_MEMBER: {"admin", "leader"},
    },
)
