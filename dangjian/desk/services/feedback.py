"""The 问题优化清单: members' suggestions and problems about the platform itself, filed
under their branch and moved along by an admin over it (the submitter is told)."""

from django.core.exceptions import PermissionDenied
from django.db import transaction

from dangjian.core import audit
from dangjian.core.errors import raise_if
from dangjian.core.scope import Perm, covers
from dangjian.desk.models import PlatformFeedback, PlatformFeedbackKind, PlatformFeedbackStatus
from dangjian.knowledge.services.bot import asker_branch

MSG_FEEDBACK_TEXT = "请填写内容（5至2000字）"
MSG_FEEDBACK_KIND = "类型无效"
MSG_FEEDBACK_STATUS = "状态无效"
MSG_NOT_MANAGER = "您没有权限修改该条目"


@transaction.atomic
def feedback_submit(*, user, kind: str, text: str, ip: str | None = None) -> PlatformFeedback:
    """A member's suggestion or problem about the platform, filed under their branch."""
    text = (text or "").strip()
    errors = {}
    if kind not in PlatformFeedbackKind.values:
        errors["kind"] = MSG_FEEDBACK_KIND
    if not 5 <= len(text) <= 2000:
        errors["text"] = MSG_FEEDBACK_TEXT
    raise_if(errors)
    item = PlatformFeedback.objects.create(user=user, kind=kind, text=text, org=asker_branch(user))
    audit.record(
        actor=user,
        action="consult.feedback.submit",
        obj=item,
        org=item.org,
        after={"kind": kind},
        ip=ip,
    )
    return item


@transaction.atomic
def feedback_set_status(
    *, acting_user, item: PlatformFeedback, status: str, reply: str = "", ip: str | None = None
) -> PlatformFeedback:
    """Move an item along the 问题优化清单 (an admin over the submitter's branch)."""
    if not (
        getattr(acting_user, "is_superuser", False)
        or (item.org_id and covers(acting_user, Perm.CHANGE_ORG, item.org.path))
    ):
        raise PermissionDenied(MSG_NOT_MANAGER)
    if status not in PlatformFeedbackStatus.values:
        raise_if({"status": MSG_FEEDBACK_STATUS})
    before = {"status": item.status, "reply": item.reply}
    item.status = status
    item.reply = (reply or "").strip()[:2000]
    item.save(update_fields=["status", "reply", "updated_at"])
    audit.record(
        actor=acting_user,
        action="consult.feedback.status",
        obj=item,
        org=item.org,
        before=before,
        after={"status": item.status, "reply": item.reply},
        ip=ip,
    )
    if item.user_id:
        from dangjian.core import notify

        transaction.on_commit(
            lambda: notify.send(
                [item.user],
                kind="consult.feedback",
                title=f"您的意见{item.get_status_display()}",
                body=item.reply,
            )
        )
    return item
