"""Notifications: the in-app inbox, the SMS gateway adapter, and one-time SMS codes.

Domain apps call :func:`send`; they never write the inbox table themselves. A send with a
``dedupe_key`` is idempotent per user, which is what makes jobs safe to re-run (the 20th
of the month's warnings, 每日一答, SLA escalations).

SMS goes through an adapter named by ``settings.SMS_BACKEND``: :class:`ConsoleSmsBackend`
(development: writes to the log), :class:`LocmemSmsBackend` (tests: keeps an outbox),
or a gateway class implementing :class:`SmsBackend` (a provincial SMS platform, a
carrier's API) — the only class a deployment writes.
"""

import hashlib
import hmac
import logging
import secrets
from collections.abc import Iterable
from functools import cache

from django.conf import settings
from django.core.cache import cache as django_cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.module_loading import import_string

from dangjian.core import audit
from dangjian.core.models import Notification
from dangjian.core.phone import normalize_phone
from dangjian.core.ratelimit import hit

log = logging.getLogger(__name__)
BATCH = 1000


class SmsBackend:
    """The interface of an SMS gateway: deliver ``text`` to ``phone`` or raise."""

    def send(self, phone: str, text: str) -> None:
        raise NotImplementedError


class ConsoleSmsBackend(SmsBackend):
    """Development: the message goes to the log (masked number), nowhere else."""

    def send(self, phone: str, text: str) -> None:
        log.warning("SMS to %s***%s: %s", phone[:3], phone[-4:], text)


sms_outbox: list[tuple[str, str]] = []


class LocmemSmsBackend(SmsBackend):
    """Tests: messages are appended to :data:`sms_outbox`."""

    def send(self, phone: str, text: str) -> None:
        sms_outbox.append((phone, text))


@cache
def _backend_class(dotted: str) -> type[SmsBackend]:
    return import_string(dotted)


def sms_backend() -> SmsBackend:
    return _backend_class(settings.SMS_BACKEND)()


def _phone_of(user) -> str:
    member = getattr(user, "member", None) if user.member_id else None
    return member.phone if member is not None else ""


def send(
    users: Iterable,
    *,
    kind: str,
    title: str,
    body: str = "",
    url: str = "",
    sms: bool = False,
    dedupe_key: str | None = None,
) -> int:
    """Put a message in each user's inbox (and text them if ``sms``); returns how many new.

    Users who already hold a message with ``dedupe_key`` are skipped, SMS included.
    Recipients are written in batches, so a send to a whole province does not hold
    millions of objects in memory; one audit entry records the send.
    """
    created_users = []
    if isinstance(users, QuerySet):
        users = users.iterator(chunk_size=BATCH)
    with transaction.atomic():
        batch: list = []
        for user in users:
            batch.append(user)
            if len(batch) >= BATCH:
                created_users += _insert(batch, kind, title, body, url, dedupe_key)
                batch = []
        if batch:
            created_users += _insert(batch, kind, title, body, url, dedupe_key)
        if created_users:
            audit.record(
                actor=None,
                action="notify.send",
                after={"kind": kind, "title": title, "count": len(created_users), "sms": sms},
            )
    if sms:
        _text_all(created_users, f"【智慧党建】{title}" + (f"：{body}" if body else ""))
    return len(created_users)


def _insert(users, kind, title, body, url, dedupe_key) -> list:
    if dedupe_key is not None:
        already = set(
            Notification.objects.filter(
                user__in=[u.pk for u in users], dedupe_key=dedupe_key
            ).values_list("user_id", flat=True)
        )
        users = [u for u in users if u.pk not in already]
    rows = [
        Notification(
            user_id=u.pk,
            kind=kind,
            title=title[:200],
            body=body,
            url=url,
            dedupe_key=dedupe_key,
        )
        for u in users
    ]
    try:
        with transaction.atomic():
            Notification.objects.bulk_create(rows)
    except IntegrityError:  # a concurrent send with the same key won the race: one by one
        created = []
        for user, row in zip(users, rows, strict=True):
            try:
                with transaction.atomic():
                    row.save()
                created.append(user)
            except IntegrityError:
                continue
        return created
    return list(users)


def _text_all(users: list, text: str) -> None:
    """SMS after the commit: a gateway failure never undoes the in-app message."""
    backend = sms_backend()
    for user in users:
        phone = _phone_of(user)
        if not phone:
            continue
        try:
            backend.send(phone, text)
        except Exception:
            log.exception("SMS to user %s failed", user.pk)


def unread_count(user) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def inbox(user) -> QuerySet[Notification]:
    """The user's own messages, newest first (nobody reads another's inbox)."""
    return Notification.objects.filter(user=user)


@transaction.atomic
def mark_read(user, ids: Iterable[int] | None = None) -> int:
    """Mark the user's messages read (all of them when ``ids`` is None); returns how many.

    Ids of other users' messages are ignored: nobody touches another's inbox.
    """
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    count = qs.update(read_at=timezone.now())
    if count:
        audit.record(actor=user, action="notify.read", after={"count": count})
    return count


# --- One-time SMS codes (a resident confirming their phone, say) ----------------------

CODE_SECONDS = 300
CODE_ATTEMPTS = 5
MSG_CODE_WAIT = "验证码发送过于频繁，请 {seconds} 秒后再试"
MSG_CODE_WRONG = "验证码错误或已过期，请重新获取"


class SmsCodeError(Exception):
    """A code could not be sent or did not verify; the message is for the user."""


def _code_key(phone: str, purpose: str) -> str:
    digest = hashlib.sha256(f"{purpose}:{phone}".encode()).hexdigest()[:32]
    return f"smscode:{digest}"


def _code_hash(code: str, phone: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), f"{phone}:{code}".encode(), "sha256").hexdigest()


def _canonical(phone: str) -> str:
    """The number as core.phone writes it: one limit and one code per number, however
    it is typed (+86, dashes, blanks); a malformed number is refused before any count."""
    try:
        return normalize_phone(phone)
    except ValidationError as exc:
        raise SmsCodeError(exc.messages[0]) from None


def sms_code_issue(phone: str, purpose: str) -> str:
    """Text a fresh 6-digit code for ``purpose``; at most one per phone per minute.

    Only a keyed hash of the code is kept, for five minutes and five attempts; issuing
    a new code replaces the old one. Returns the number as normalised.
    """
    phone = _canonical(phone)
    if settings.RATE_LIMITS_ENABLED:
        wait = hit("sms", phone)
        if wait is not None:
            raise SmsCodeError(MSG_CODE_WAIT.format(seconds=wait))
    code = f"{secrets.randbelow(1_000_000):06d}"
    django_cache.set(
        _code_key(phone, purpose),
        {"hash": _code_hash(code, phone), "attempts": 0},
        timeout=CODE_SECONDS,
    )
    sms_backend().send(phone, f"【智慧党建】您的验证码是 {code}，5 分钟内有效。请勿告诉他人。")
    return phone


def sms_code_verify(phone: str, purpose: str, code: str) -> None:
    """Accept the code once: a correct code is consumed, so a replay is refused."""
    phone = _canonical(phone)
    key = _code_key(phone, purpose)
    entry = django_cache.get(key)
    if entry is None or entry["attempts"] >= CODE_ATTEMPTS:
        raise SmsCodeError(MSG_CODE_WRONG)
    if not hmac.compare_digest(entry["hash"], _code_hash(str(code).strip(), phone)):
        entry["attempts"] += 1
        django_cache.set(key, entry, timeout=CODE_SECONDS)
        raise SmsCodeError(MSG_CODE_WRONG)
    django_cache.delete(key)
