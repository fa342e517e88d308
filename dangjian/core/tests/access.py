"""Core's part of the access matrix (tests/access/spec.py): warnings (预警) and the inbox.

One open warning is raised against every organisation of the cast: it is seen with
VIEW_WARNING over that organisation (单位领导 and 管理员 of it and above; members, 12371
agents, handlers and examiners see none), resolved and assigned with the change right
over it (CHANGE_ORG, 管理员: 403 for a leader). Every user of the cast has one inbox
message: it opens for them alone (404 for anyone else, whatever their roles).

Core names no domain app: the organisations' change permission is looked up by name.
"""

from django.utils import timezone

from dangjian.core import notify
from dangjian.core.models import AuditEntry, Notification, Warning
from dangjian.core.permissions import VIEW_WARNING
from dangjian.core.scope import Perm
from tests.access.spec import Endpoint, Kind, Obj, Page, Spec
from tests.kit import ORG_KEYS, USER_KEYS, changes_org

KIND = "orglife.theme_day_missing"
API = "/api/v1/warnings/{warning_id}"


def warnings(ctx) -> list[Obj]:
    """One open warning per organisation, written directly (no audit entry, no message)."""
    return [
        Obj(
            key,
            Warning.objects.create(
                kind=KIND,
                org=ctx.cast.org[key],
                title=f"{ctx.cast.org[key].name}尚未开展主题党日",
                period="2026-11",
                raised_at=timezone.now(),
                dedupe_key=f"access:{key}",
            ).pk,
            key,
            Warning,
        )
        for key in ORG_KEYS
    ]


def inbox_messages(ctx) -> list[Obj]:
    made = []
    for user_key in USER_KEYS:
        notify.send([ctx.cast.user[user_key]], kind="k", title=f"{user_key}的消息", url="/orgs/")
        pk = Notification.objects.get(user=ctx.cast.user[user_key]).pk
        made.append(Obj(user_key, pk, None, Notification, owner=user_key))
    return made


def own(user_key: str, obj: Obj) -> bool:
    return obj.owner == user_key


def state():
    rows = Warning.objects.order_by("pk").values_list(
        "pk", "assignee_id", "resolved_at", "updated_at"
    )
    return list(rows), list(Notification.objects.order_by("pk").values_list("pk", "read_at"))


def _warning_writes(ctx, obj, response):
    """Exactly one warning.* entry per allowed write (the message it sends has its own)."""
    if response.status_code == 200:
        actions = AuditEntry.objects.filter(action__startswith="warning.")
        assert actions.filter(object_id=str(obj.pk)).count() == 1, "audited once"


def _can_change(ctx, obj, response):
    if response.status_code == 200:
        assert response.json()["can_change"] is changes_org(ctx.user, obj.key)


def _assignee(ctx, obj) -> dict:
    """Someone the user may assign to: themself (the superuser holds no role: P's admin)."""
    user_key = "province_admin" if ctx.user == "root" else ctx.user
    return {"assignee_id": ctx.cast.user[user_key].pk}


def _change_org():
    return Perm.CHANGE_ORG


SPEC = Spec(
    module="core",
    kinds=[
        Kind("warning", warnings, view=VIEW_WARNING),
        Kind("inbox_message", inbox_messages, view=None, also=own),
    ],
    endpoints=[
        Endpoint("get", API, obj="warning", check=_can_change),
        Endpoint(
            "post",
            f"{API}/resolve",
            obj="warning",
            perm=_change_org(),
            body=lambda ctx, obj: {"resolution": "handled", "note": "已督促支部开展"},
            audited=None,
            check=_warning_writes,
        ),
        Endpoint(
            "post",
            f"{API}/assign",
            obj="warning",
            perm=_change_org(),
            body=_assignee,
            audited=None,
            check=_warning_writes,
        ),
        Page("get", "warning_detail", obj="warning"),
        # Empty forms: 200 with the form's errors for those allowed; nothing changes.
        Page("post", "warning_resolve", obj="warning", perm=_change_org(), unchanged=True),
        Page(
            "post",
            "warning_assign",
            obj="warning",
            perm=_change_org(),
            unchanged=True,
            body=lambda ctx, obj: {"assignee": "x"},
        ),
        Page("post", "inbox_open", obj="inbox_message", ok=302),
    ],
    exempt={
        "GET /api/v1/warnings": "a list: exactly the scope, core/tests/test_access.py",
        "GET /api/v1/warnings/kinds": "the registered kinds, no rows: core/tests/test_access.py",
        "GET /api/v1/inbox": "the caller's own inbox: core/tests/test_notify.py",
        "GET /api/v1/inbox/unread": "the caller's own count: core/tests/test_notify.py",
        "POST /api/v1/inbox/read": "marks the caller's own messages: core/tests/test_notify.py",
    },
    state=state,
    roles={VIEW_WARNING: {"admin", "leader"}},
)
