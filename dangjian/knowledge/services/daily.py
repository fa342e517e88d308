"""每日一答: one entry a day for each member, pushed to their inbox in batches (resumable
if killed midway; one notification per member and day).

Editors schedule the day's entry for their organisation (``daily_schedule``): a member
gets the schedule of the nearest organisation above their branch that has one for the day
(a county's choice overrides the province's for its members). Where none has, the
automatic pick (``daily_pick``, one curated entry a day, never repeated within a year) is
the fall-back; a schedule of the root organisation becomes the day's pick itself.
"""

import datetime as dt

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from dangjian.core import audit, scope
from dangjian.core.errors import raise_if
from dangjian.core.scope import Perm
from dangjian.knowledge.models import DailyAnswer, DailySchedule, Entry
from dangjian.knowledge.selectors import day_schedules, entry_for_path, schedulable

DAILY_KIND = "consult.daily"
DAILY_BATCH = 5000
DAILY_REPEAT_DAYS = 365
SCHEDULE_AHEAD_DAYS = 366
NOTE_MAX = 200

MSG_PAST = "不能安排已经过去的日期"
MSG_TOO_FAR = f"最多提前{SCHEDULE_AHEAD_DAYS}天安排"
MSG_ENTRY = "请选择一条已发布、当日有效的精编问答"
MSG_NOTE = f"编者按不超过{NOTE_MAX}个字"
MSG_GONE = "已经过去的安排不能取消"


def _root_schedule(day: dt.date) -> DailySchedule | None:
    return (
        DailySchedule.objects.filter(day=day, org__depth=1, entry__in=schedulable(day))
        .select_related("entry")
        .first()
    )


def daily_pick(*, day: dt.date) -> DailyAnswer | None:
    """The day's province-wide entry: the root organisation's schedule if it has one, else
    chosen automatically, once (the row is unique per day), never repeated within a year
    while unused entries remain; deterministic, so a re-run picks the same one."""
    existing = DailyAnswer.objects.filter(day=day).select_related("entry").first()
    if existing is not None:
        return existing
    planned = _root_schedule(day)
    if planned is not None:
        return DailyAnswer.objects.get_or_create(day=day, defaults={"entry": planned.entry})[0]
    recent = DailyAnswer.objects.filter(day__gte=day - dt.timedelta(days=DAILY_REPEAT_DAYS)).values(
        "entry_id"
    )
    pool = schedulable(day)
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

    return (
        User.objects.filter(pk__gt=after_id, is_active=True, member__status__in=CURRENT_STATUSES)
        .annotate(branch_path=F("member__branch__path"))
        .order_by("pk")
    )


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
    schedules = day_schedules(day)
    sent = 0
    while True:
        users = list(_daily_recipients(daily.last_user_id)[:batch])
        if not users:
            break
        groups: dict[int, tuple[Entry, list]] = {}
        for user in users:
            entry = entry_for_path(user.branch_path or "", schedules, daily.entry)
            groups.setdefault(entry.pk, (entry, []))[1].append(user)
        with transaction.atomic():
            count = 0
            for entry, group in groups.values():
                count += notify.send(
                    group,
                    kind=DAILY_KIND,
                    title=f"每日一答：{entry.question}",
                    body=entry.answer[:200],
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


# --- Editors' schedule


def _snapshot(item: DailySchedule) -> dict:
    return {"day": item.day.isoformat(), "entry": item.entry_id, "note": item.note}


def _check(day: dt.date, entry: Entry | None, note: str) -> None:
    today = timezone.localdate()
    errors = {}
    if day < today:
        errors["day"] = MSG_PAST
    elif day > today + dt.timedelta(days=SCHEDULE_AHEAD_DAYS):
        errors["day"] = MSG_TOO_FAR
    if entry is None or not schedulable(day).filter(pk=entry.pk).exists():
        errors["entry"] = MSG_ENTRY
    if len(note) > NOTE_MAX:
        errors["note"] = MSG_NOTE
    raise_if(errors)


@transaction.atomic
def daily_schedule(
    *, acting_user, org, day: dt.date, entry: Entry | None, note: str = "", ip: str | None = None
) -> DailySchedule:
    """Schedule ``entry`` as ``org``'s 每日一答 on ``day`` (replacing that day's choice)."""
    scope.authorize(acting_user, Perm.EDIT_KB, org.path, view_perm=Perm.VIEW_ORG)
    note = " ".join((note or "").split())
    _check(day, entry, note)
    item = DailySchedule.objects.select_for_update().filter(org=org, day=day).first()
    if item is None:
        item = DailySchedule.objects.create(
            org=org, day=day, entry=entry, note=note, created_by=acting_user
        )
        audit.record(
            actor=acting_user,
            action="kb.daily.schedule",
            obj=item,
            org=org,
            after=_snapshot(item),
            ip=ip,
        )
        return item
    before = _snapshot(item)
    item.entry, item.note, item.created_by = entry, note, acting_user
    if _snapshot(item) != before:
        item.save()
        audit.record(
            actor=acting_user,
            action="kb.daily.reschedule",
            obj=item,
            org=org,
            before=before,
            after=_snapshot(item),
            ip=ip,
        )
    return item


@transaction.atomic
def daily_unschedule(*, acting_user, item: DailySchedule, ip: str | None = None) -> None:
    """Cancel a schedule of today or later (the day then falls back to the automatic pick)."""
    scope.authorize(acting_user, Perm.EDIT_KB, item.org.path, view_perm=Perm.VIEW_ORG)
    if item.day < timezone.localdate():
        raise_if({"day": MSG_GONE})
    before = _snapshot(item)
    org = item.org
    audit.record(
        actor=acting_user, action="kb.daily.unschedule", obj=item, org=org, before=before, ip=ip
    )
    item.delete()
