"""Domain events: one module says what happened, others react to it after the commit.

The publishing app declares each event it publishes, once, in its ``events.py`` (core
imports every app's ``events.py`` and then its ``subscribers.py`` at start-up)::

    MEMBER_MOVED = events.declare(
        "member.moved",
        label="党员组织关系变动",
        payload={"member_id": (int, "党员编号"), "from_org_id": (int, "原组织编号"),
                 "to_org_id": (int, "新组织编号")},
    )

its service publishes inside its transaction::

    events.publish("member.moved", member_id=m.pk, from_org_id=a.pk, to_org_id=b.pk)

and another app reacts in its ``subscribers.py``::

    @events.subscriber("member.moved")
    def recount(event: events.Event) -> None: ...

The rules, and why:

- **After the commit.** Delivery is ``transaction.on_commit``: nothing reacts to a write
  that rolled back (a rolled-back savepoint drops its events too); with no transaction
  open, delivery is immediate.
- **Typed and listed.** Every event is declared with its payload fields, their types and
  meanings (:func:`catalogue`), and a publish is checked against that: a missing,
  unexpected or mistyped field is a programming error (``TypeError``) at the publisher.
  Payloads hold JSON values — ids, not model instances — so the subscriber reloads what
  it needs as it is now, and a delivery can be queued as a Celery task.
- **Order.** Events are delivered in the order they were published; the subscribers of
  one event run in the order they were registered (apps in ``INSTALLED_APPS`` order).
- **Isolation.** Each subscriber runs in its own transaction. If it raises, its own
  writes roll back, the error is logged with the event, and the other subscribers still
  run: the publisher has already committed and its request never sees the failure.
- **Retry (opt-in).** ``@subscriber(name, retry=True)`` hands a failed delivery to the
  :func:`redeliver` task, retried with backoff (up to :data:`MAX_RETRIES` more times) by
  a Celery worker; in the embedded default (no broker) it is tried once more at once, in
  the same process. Such a subscriber must be idempotent — it may see an event twice.
  Without ``retry`` a failure is only logged: use it where losing a reaction is
  acceptable or a periodic job repairs it anyway.
"""

import datetime as dt
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType, UnionType
from typing import Any

from celery import shared_task
from django.db import transaction
from django.utils import timezone

log = logging.getLogger(__name__)
MAX_RETRIES = 3
JSON_TYPES = (str, int, float, bool, list, dict, type(None))


@dataclass(frozen=True)
class EventType:
    """A declared event: its name (``<app>.<what>``), Chinese label, payload and doc."""

    name: str
    label: str
    payload: Mapping[str, tuple[type | UnionType, str]]
    doc: str = ""

    def publish(self, **payload: Any) -> "Event":
        return publish(self.name, **payload)


@dataclass(frozen=True)
class Event:
    """One occurrence of an event, as its subscribers receive it."""

    name: str
    payload: Mapping[str, Any]
    published_at: dt.datetime

    def __getitem__(self, key: str) -> Any:
        return self.payload[key]


@dataclass(frozen=True)
class Subscriber:
    event: str
    func: Callable[[Event], object]
    retry: bool = False
    key: str = field(default="")


_TYPES: dict[str, EventType] = {}
_SUBSCRIBERS: dict[str, list[Subscriber]] = {}


def declare(
    name: str,
    *,
    label: str,
    payload: Mapping[str, tuple[type | UnionType, str]],
    doc: str = "",
) -> EventType:
    """Declare an event (idempotent for the same declaration; a different one is an error)."""
    for key, spec in payload.items():
        if not (isinstance(spec, tuple) and len(spec) == 2 and isinstance(spec[1], str)):
            raise TypeError(f"event {name}: payload field {key!r} must be (type, 说明)")
    declared = EventType(name, label, MappingProxyType(dict(payload)), doc)
    existing = _TYPES.get(name)
    if existing is not None and existing != declared:
        raise ValueError(f"event {name!r} declared twice, differently")
    _TYPES[name] = declared
    return declared


def get(name: str) -> EventType:
    try:
        return _TYPES[name]
    except KeyError:
        raise LookupError(f"没有声明名为 {name} 的事件") from None


def catalogue() -> list[EventType]:
    """Every declared event, by name: what the next module can subscribe to."""
    return sorted(_TYPES.values(), key=lambda t: t.name)


def subscribers(name: str) -> list[Subscriber]:
    return list(_SUBSCRIBERS.get(name, ()))


def subscribe(name: str, func: Callable[[Event], object], *, retry: bool = False):
    """Register ``func(event)`` for ``name``; returns a function that unregisters it."""
    get(name)  # a misspelt name fails at start-up, not silently forever
    registered = _SUBSCRIBERS.setdefault(name, [])
    if any(s.func is func for s in registered):
        raise ValueError(f"{func!r} already subscribes to {name}")
    key = f"{func.__module__}.{func.__qualname__}"
    same = sum(1 for s in registered if s.key.split("#")[0] == key)
    sub = Subscriber(name, func, retry, f"{key}#{same + 1}" if same else key)
    registered.append(sub)

    def unsubscribe() -> None:
        registered.remove(sub)

    return unsubscribe


def subscriber(name: str, *, retry: bool = False):
    """Decorator form of :func:`subscribe`."""

    def register(func: Callable[[Event], object]) -> Callable[[Event], object]:
        subscribe(name, func, retry=retry)
        return func

    return register


def _check(event_type: EventType, payload: dict[str, Any]) -> None:
    declared = set(event_type.payload)
    missing, unexpected = declared - set(payload), set(payload) - declared
    if missing or unexpected:
        raise TypeError(
            f"event {event_type.name}: missing {sorted(missing)}, unexpected {sorted(unexpected)}"
        )
    for key, value in payload.items():
        expected = event_type.payload[key][0]
        if not isinstance(value, JSON_TYPES) or not isinstance(value, expected):
            kind = type(value).__name__
            raise TypeError(f"event {event_type.name}: {key} is a {kind}, not {expected}")


def publish(name: str, **payload: Any) -> Event:
    """Publish an event: its subscribers run once the current transaction commits."""
    event_type = get(name)
    _check(event_type, payload)
    event = Event(name, MappingProxyType(payload), timezone.now())
    transaction.on_commit(lambda: deliver(event))
    return event


def _run(sub: Subscriber, event: Event) -> None:
    with transaction.atomic():
        sub.func(event)


def deliver(event: Event) -> int:
    """Run every subscriber of ``event``, each isolated; returns how many failed."""
    failed = 0
    for sub in subscribers(event.name):
        try:
            _run(sub, event)
        except Exception:
            failed += 1
            log.exception("subscriber %s failed on event %s %s", sub.key, event.name, event.payload)
            if sub.retry:
                _queue_retry(sub, event)
    return failed


def _queue_retry(sub: Subscriber, event: Event) -> None:
    try:
        redeliver.delay(event.name, dict(event.payload), sub.key, event.published_at.isoformat())
    except Exception:  # inline retries exhausted, or the broker is down
        log.exception("redelivery of event %s to %s failed", event.name, sub.key)


@shared_task(name="dangjian.core.events.redeliver", bind=True, max_retries=MAX_RETRIES)
def redeliver(self, name: str, payload: dict, key: str, published_at: str) -> None:
    """Deliver ``name`` again to the one subscriber ``key`` whose delivery failed."""
    sub = next((s for s in subscribers(name) if s.key == key), None)
    if sub is None:  # unsubscribed since (a deploy removed it): nothing to do
        log.warning("no subscriber %s for event %s any more", key, name)
        return
    event = Event(name, MappingProxyType(payload), dt.datetime.fromisoformat(published_at))
    if self.request.is_eager:  # inline: one more try at once, no backoff to wait through
        _run(sub, event)
        return
    try:
        _run(sub, event)
    except Exception as exc:
        raise self.retry(exc=exc, countdown=30 * 2**self.request.retries) from exc
