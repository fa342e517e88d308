"""Organisational life's part of the access matrix (tests/access/spec.py).

The objects are a meeting per branch and a 党小组会 of G1 (in B1), started 30 minutes
ago (check-in open, minutes recordable), each with a resolution to vote on. A meeting
is seen with VIEW_ORGLIFE over its branch (管理员, 单位领导, 普通党员, 审查人员 — not
12371 agents or handlers) and by whoever is called to it (the ``member`` user, B1m1, is
on the roster of B1's and G1's); changing or recording it needs CHANGE_ORGLIFE
(管理员); acting as an attendee (check in, leave, vote) needs to be one — anyone else
who sees the meeting is answered 422.
"""

import datetime as dt

from django.utils import timezone

from dangjian.orglife import checkin, services
from dangjian.orglife.models import Attendance, Meeting, MeetingPhoto, Resolution
from dangjian.orglife.permissions import CHANGE_ORGLIFE, VIEW_ORGLIFE
from dangjian.orgs.models import Organisation
from dangjian.orgs.tests.access import orgs
from tests.access.spec import Endpoint, Kind, Obj, Page, Spec
from tests.kit import BRANCHES, ancestors_or_self
from tests.security.apischema import jpeg_upload

API = "/api/v1/orglife/meetings/{meeting_id}"
MEETING_KEYS = [*BRANCHES, "G1"]
BRANCH_OF = {"G1": "B1"}


def attends(user_key: str, obj: Obj) -> bool:
    return obj.owner == user_key


def _attend_outcome(ok: int):
    return lambda user_key, obj: ok if attends(user_key, obj) else 422


def meetings(ctx) -> list[Obj]:
    root = ctx.cast.user["root"]
    start = timezone.now() - dt.timedelta(minutes=30)
    made = []
    for key in MEETING_KEYS:
        meeting = services.meeting_create(
            acting_user=root,
            org=ctx.cast.org[key],
            kind="group" if key == "G1" else "theme_day",
            topic=f"{key}主题党日",
            starts_at=start,
            ends_at=start + dt.timedelta(hours=2),
            latitude=25.04,
            longitude=102.71,
        )
        services.resolution_add(acting_user=root, meeting=meeting, title="表决")
        owner = "member" if key in ("B1", "G1") else None  # B1m1 is on the roster
        made.append(Obj(key, meeting.pk, BRANCH_OF.get(key, key), Meeting, owner))
    return made


def meetings_with_photos(ctx) -> list[Obj]:
    made = meetings(ctx)
    for obj in made:
        photo = services.photo_add(
            acting_user=ctx.cast.user["root"],
            meeting=Meeting.objects.get(pk=obj.pk),
            upload=jpeg_upload(),
        )
        obj.data["photo"] = photo.pk
    return made


def planning_orgs(ctx) -> list[Obj]:
    """The organisations meetings are planned for: the branches and the 党小组."""
    return [Obj(k, ctx.cast.org[k].pk, k, Organisation) for k in MEETING_KEYS]


def state():
    return (
        list(Meeting.objects.order_by("pk").values_list("pk", "updated_at", "status")),
        list(Attendance.objects.order_by("pk").values_list("pk", "status", "updated_at")),
        list(Resolution.objects.order_by("pk").values_list("pk", "votes_for", "status")),
        MeetingPhoto.objects.count(),
    )


def _meeting(obj: Obj) -> Meeting:
    return Meeting.objects.get(pk=obj.pk)


def _resolution(obj: Obj) -> int:
    return _meeting(obj).resolutions.first().pk


def _compliance(ctx, obj, response):
    if response.status_code == 200:
        subtree = [b for b in BRANCHES if obj.key in ancestors_or_self(b)]
        assert response.json()["total"]["branches"] == len(subtree)


def _api(method: str, suffix: str, **kw) -> Endpoint:
    return Endpoint(method, API + suffix, obj="meeting", **kw)


def _page(method: str, name: str, **kw) -> Page:
    return Page(method, f"orglife:{name}", obj="meeting", **kw)


CHANGE = {"perm": CHANGE_ORGLIFE}

SPEC = Spec(
    module="orglife",
    kinds=[
        Kind("meeting", meetings, view=VIEW_ORGLIFE, also=attends),
        Kind("meeting_photo", meetings_with_photos, view=VIEW_ORGLIFE, also=attends),
        Kind("planning_org", planning_orgs, view=VIEW_ORGLIFE),
        Kind("org", orgs, view=VIEW_ORGLIFE),
    ],
    endpoints=[
        _api("get", ""),
        _api("get", "/attendance"),
        _api("get", "/comments"),
        _api("get", "/photos"),
        _api("get", "/qr", **CHANGE),
        _api("patch", "", **CHANGE, body=lambda ctx, obj: {"topic": "改期后的主题党日"}),
        _api("post", "/cancel", **CHANGE, body=lambda ctx, obj: {"reason": "与上级会议冲突"}),
        _api(
            "post", "/record", **CHANGE, body=lambda ctx, obj: {"minutes": "会议学习了全会精神。"}
        ),
        _api(
            "post",
            "/attendance",
            **CHANGE,
            body=lambda ctx, obj: {
                "member_id": _meeting(obj).attendances.first().member_id,
                "status": "absent",
            },
        ),
        _api("post", "/resolutions", **CHANGE, ok=201, body=lambda c, o: {"title": "新的表决事项"}),
        _api("post", "/close-vote", **CHANGE, body=lambda c, o: {"resolution_id": _resolution(o)}),
        _api(
            "post",
            "/checkin",
            label="qr",
            outcome=_attend_outcome(200),
            body=lambda ctx, obj: {"token": checkin.qr_token_for(_meeting(obj))},
        ),
        _api(
            "post",
            "/checkin",
            label="location",
            outcome=_attend_outcome(200),
            body=lambda ctx, obj: {"lat": 25.0401, "lng": 102.71},
        ),
        _api("post", "/leave", outcome=_attend_outcome(200), body=lambda c, o: {"reason": "出差"}),
        _api(
            "post",
            "/vote",
            outcome=_attend_outcome(200),
            body=lambda ctx, obj: {"resolution_id": _resolution(obj), "choice": "for"},
        ),
        _api("post", "/comments", ok=201, body=lambda ctx, obj: {"text": "同意"}),
        _api(
            "post",
            "/photos",
            **CHANGE,
            ok=201,
            multipart=True,
            body=lambda ctx, obj: {"photo": jpeg_upload(), "caption": "现场"},
        ),
        Endpoint(
            "get",
            API + "/photo-file",
            obj="meeting_photo",
            query=lambda ctx, obj: {"photo_id": obj.data["photo"]},
        ),
        Endpoint(
            "post",
            "/api/v1/orglife/meetings",
            obj="planning_org",
            perm=CHANGE_ORGLIFE,
            ok=201,
            body=lambda ctx, obj: {
                "org_id": obj.pk,
                "kind": "group" if obj.key == "G1" else "lecture",
                "topic": "专题党课",
                "starts_at": (timezone.now() + dt.timedelta(days=3)).isoformat(),
                "ends_at": (timezone.now() + dt.timedelta(days=3, hours=1)).isoformat(),
            },
        ),
        Endpoint(
            "get",
            "/api/v1/orglife/compliance",
            obj="org",
            query=lambda ctx, obj: {"org_id": obj.pk, "period": "2026-10"},
            check=_compliance,
        ),
        _page("get", "detail"),
        _page("get", "checkin"),
        _page("get", "leave"),
        _page("get", "screen", **CHANGE),
        _page("get", "screen_qr", **CHANGE),
        _page("get", "screen_count", **CHANGE),
        _page("get", "edit", **CHANGE),
        _page("get", "cancel", **CHANGE),
        _page("get", "record", **CHANGE),
        _page(
            "post",
            "mark",
            **CHANGE,
            ok=302,
            body=lambda ctx, obj: {
                "member": _meeting(obj).attendances.first().member_id,
                "status": "absent",
            },
        ),
        _page("post", "mark_all", **CHANGE, ok=302),
        _page("post", "resolution_add", **CHANGE, ok=302, body=lambda c, o: {"title": "新事项"}),
        _page(
            "post",
            "close_vote",
            **CHANGE,
            ok=302,
            body=lambda ctx, obj: {"resolution": _resolution(obj)},
        ),
        _page(
            "post",
            "photo_add",
            **CHANGE,
            ok=302,
            body=lambda ctx, obj: {"photo": jpeg_upload(), "caption": "现场"},
        ),
        _page(
            "post",
            "vote",
            ok=302,
            unchanged=lambda user_key, obj: not attends(user_key, obj),  # told why, on the page
            body=lambda ctx, obj: {"resolution": _resolution(obj), "choice": "for"},
        ),
        _page(
            "post",
            "checkin_location",
            outcome=_attend_outcome(200),
            body=lambda ctx, obj: {"lat": 25.0401, "lng": 102.71},
        ),
        _page("post", "comment_add", ok=302, body=lambda ctx, obj: {"text": "同意"}),
        Page(
            "get",
            "orglife:photo",
            obj="meeting_photo",
            args=lambda obj: [obj.pk, obj.data["photo"]],
        ),
        Page("get", "orglife:compliance_org", obj="org"),
        Page("get", "orglife:create", obj="planning_org", perm=CHANGE_ORGLIFE),
    ],
    exempt={
        "GET /api/v1/orglife/meetings": "a list: exactly the scope, orglife/tests/test_access.py",
        "GET /api/v1/orglife/warnings": "a list: exactly the scope, orglife/tests/test_access.py",
    },
    state=state,
    roles={
        VIEW_ORGLIFE: {"admin", "leader", "member", "examiner"},
        CHANGE_ORGLIFE: {"admin"},
    },
)
