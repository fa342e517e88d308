"""The 12371 desk's smaller stores: 每日一答 (the daily push), the hotline's voice menu
(IVR) and the 问题优化清单 of feedback about the platform itself. Validated, transactional,
audited, like every write."""

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from dangjian.consult.models import (
    DailyAnswer,
    Entry,
    EntryKind,
    EntryStatus,
    IvrOption,
    PlatformFeedback,
    PlatformFeedbackKind,
    PlatformFeedbackStatus,
)
from dangjian.consult.services.kb import MSG_NOT_EDITOR, asker_branch
from dangjian.core import audit
from dangjian.core.errors import raise_if
from dangjian.core.scope import Perm, authorize, covers

# --- 每日一答

DAILY_KIND = "consult.daily"
DAILY_BATCH = 5000
DAILY_REPEAT_DAYS = 365


def daily_pick(*, day: dt.date) -> DailyAnswer | None:
    """The day's entry: chosen once (the row is unique per day), never repeated within a
    year while unused entries remain; deterministic, so a re-run picks the same one."""
    existing = DailyAnswer.objects.filter(day=day).select_related("entry").first()
    if existing is not None:
        return existing
    recent = DailyAnswer.objects.filter(day__gte=day - dt.timedelta(days=DAILY_REPEAT_DAYS)).values(
        "entry_id"
    )
    pool = Entry.objects.filter(status=EntryStatus.PUBLISHED, kind=EntryKind.FAQ).filter(
        Q(valid_from__isnull=True) | Q(valid_from__lte=day),
        Q(valid_until__isnull=True) | Q(valid_until__gte=day),
    )
    fresh = pool.exclude(pk__in=recent)
    candidates = fresh if fresh.exists() else pool
    count = candidates.count()
    if not count:
        return None
    entry = candidates.order_by("id")[day.toordinal() % count]
    return DailyAnswer.objects.get_or_create(day=day, defaults={"entry": entry})[0]


def _daily_recipients(after_id: int):
    from dangjian.accounts.models import User
    from dangjian.members.choices import CURRENT_STATUSES

    return User.objects.filter(
        pk__gt=after_id, is_active=True, member__status__in=CURRENT_STATUSES
    ).order_by("pk")


def daily_send(*, day: dt.date, batch: int = DAILY_BATCH, url: str = "") -> int:
    """Push the day's Q&A to every current member's inbox, batch by batch.

    Each batch is its own transaction and moves the day's ``last_user_id`` forward, so a
    run killed midway resumes after the last whole batch; the notification's dedupe key
    (one per day) guarantees nobody gets it twice even if a batch is redone.
    """
    from dangjian.core import notify

    daily = daily_pick(day=day)
    if daily is None or daily.finished_at is not None:
        return 0
    sent = 0
    while True:
        users = list(_daily_recipients(daily.last_user_id)[:batch])
        if not users:
            break
        with transaction.atomic():
            count = notify.send(
                users,
                kind=DAILY_KIND,
                title=f"每日一答：{daily.entry.question}",
                body=daily.entry.answer[:200],
                url=url,
                dedupe_key=f"{DAILY_KIND}:{day.isoformat()}",
            )
            DailyAnswer.objects.filter(pk=daily.pk).update(
                sent=F("sent") + count, last_user_id=users[-1].pk
            )
        daily.last_user_id = users[-1].pk
        sent += count
    DailyAnswer.objects.filter(pk=daily.pk).update(finished_at=timezone.now())
    return sent


# --- Hotline menu (IVR) and platform feedback (问题优化清单)

IVR_MAX = 9
MSG_IVR_KEY = "按键应为 0–9、* 或 #，且不能重复"
MSG_IVR_LABEL = "请填写播报内容（不超过60字）"
MSG_IVR_QUEUE = "请填写转接队列（不超过40字）"
MSG_IVR_TOO_MANY = f"语音菜单最多 {IVR_MAX} 项（菜单越短，来电者越快找到服务）"
MSG_FEEDBACK_TEXT = "请填写内容（5至2000字）"
MSG_FEEDBACK_KIND = "类型无效"
MSG_FEEDBACK_STATUS = "状态无效"
IVR_KEYS = frozenset("0123456789*#")


def ivr_validate(options: list[dict]) -> dict[str, str]:
    """Errors of a whole menu, keyed ``"<line>"`` (1-based) or ``"__all__"``."""
    errors: dict[str, str] = {}
    if len(options) > IVR_MAX:
        errors["__all__"] = MSG_IVR_TOO_MANY
    seen: set[str] = set()
    for number, option in enumerate(options, 1):
        key = option.get("key", "").strip()
        if key not in IVR_KEYS or key in seen:
            errors[str(number)] = MSG_IVR_KEY
        elif not 0 < len(option.get("label", "").strip()) <= 60:
            errors[str(number)] = MSG_IVR_LABEL
        elif not 0 < len(option.get("queue", "").strip()) <= 40:
            errors[str(number)] = MSG_IVR_QUEUE
        seen.add(key)
    return errors


@transaction.atomic
def ivr_menu_replace(*, acting_user, org, options: list[dict], ip: str | None = None) -> list:
    """Replace the hotline menu of ``org`` (an admin over it) with ``options`` in order."""
    authorize(acting_user, Perm.CHANGE_ORG, org.path, view_perm=Perm.VIEW_ORG)
    raise_if(ivr_validate(options))
    before = list(IvrOption.objects.filter(org=org).values("key", "label", "queue", "category"))
    IvrOption.objects.filter(org=org).delete()
    created = IvrOption.objects.bulk_create(
        IvrOption(
            org=org,
            position=number,
            key=o["key"].strip(),
            label=o["label"].strip(),
            queue=o["queue"].strip(),
            category=o.get("category", "").strip()[:40],
            script=o.get("script", "").strip(),
        )
        for number, o in enumerate(options, 1)
    )
    audit.record(
        actor=acting_user,
        action="consult.ivr.replace",
        org=org,
        before={"options": before},
        after={"options": [{"key": o.key, "label": o.label, "queue": o.queue} for o in created]},
        ip=ip,
    )
    return created


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
        raise PermissionDenied(MSG_NOT_EDITOR)
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
