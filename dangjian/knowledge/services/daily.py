"""每日一答: one published entry a day, pushed to every current member's inbox in batches
(resumable if killed midway; one notification per member and day)."""

import datetime as dt

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from dangjian.knowledge.models import DailyAnswer, Entry, EntryKind, EntryStatus

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
