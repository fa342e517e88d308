"""Domain events: declared and typed, delivered after the commit, in order, each
subscriber isolated from the others and from the publisher."""

import logging

import pytest
from django.db import transaction

from dangjian.core import events
from dangjian.core.models import AuditEntry, JobRun

PAYLOAD = {"thing_id": (int, "编号"), "note": (str | None, "备注")}


@pytest.fixture
def registry(monkeypatch):
    """A private copy of the registry: what a test declares or subscribes goes away."""
    monkeypatch.setattr(events, "_TYPES", dict(events._TYPES))
    monkeypatch.setattr(
        events, "_SUBSCRIBERS", {k: list(v) for k, v in events._SUBSCRIBERS.items()}
    )
    events.declare("test.happened", label="测试事件", payload=PAYLOAD)
    events.declare("test.other", label="另一事件", payload={"n": (int, "序号")})
    return events


def _job_row(name: str) -> None:
    """A row a subscriber writes (any small core table will do)."""
    from django.utils import timezone

    JobRun.objects.create(name=name, slot=timezone.now(), status="done", started_at=timezone.now())


def test_delivered_only_after_the_commit(registry, db, django_capture_on_commit_callbacks):
    seen = []
    registry.subscribe("test.happened", lambda e: seen.append(e["thing_id"]))
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            registry.publish("test.happened", thing_id=7, note=None)
            assert seen == []  # not while the transaction is open
        assert seen == []  # nor before the outermost commit
    assert seen == [7]


def test_not_delivered_when_the_write_rolls_back(registry, db, django_capture_on_commit_callbacks):
    seen = []
    registry.subscribe("test.happened", lambda e: seen.append(e["thing_id"]))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            registry.publish("test.happened", thing_id=1, note="回滚")
            raise RuntimeError("the write fails")
        registry.publish("test.happened", thing_id=2, note="提交")
    assert seen == [2]
    assert len(callbacks) == 1


def test_events_and_subscribers_run_in_order(registry, db, django_capture_on_commit_callbacks):
    seen = []
    registry.subscribe("test.happened", lambda e: seen.append(("a", e["thing_id"])))
    registry.subscribe("test.other", lambda e: seen.append(("a", e["n"])))

    @registry.subscriber("test.happened")
    def second(event):
        seen.append(("b", event["thing_id"]))

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        registry.publish("test.happened", thing_id=1, note=None)
        registry.publish("test.other", n=2)
        registry.publish("test.happened", thing_id=3, note=None)
    assert seen == [("a", 1), ("b", 1), ("a", 2), ("a", 3), ("b", 3)]


def test_a_failing_subscriber_is_isolated(registry, db, django_capture_on_commit_callbacks, caplog):
    """Its own writes roll back, it is logged, the next subscriber still runs, and the
    publisher's committed write stands."""
    seen = []

    def broken(event):
        _job_row("broken-subscriber")
        raise ValueError("bug in a subscriber")

    registry.subscribe("test.happened", broken)
    registry.subscribe("test.happened", lambda e: _job_row("good-subscriber"))
    registry.subscribe("test.happened", lambda e: seen.append(e["thing_id"]))
    caplog.set_level(logging.ERROR, logger="dangjian.core.events")
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        _job_row("publisher")
        registry.publish("test.happened", thing_id=5, note=None)
    names = set(JobRun.objects.values_list("name", flat=True))
    assert {"publisher", "good-subscriber"} <= names
    assert "broken-subscriber" not in names
    assert seen == [5]
    assert "broken" in caplog.text and "test.happened" in caplog.text


def test_deliver_reports_the_failures(registry, db):
    registry.subscribe("test.other", lambda e: 1 / 0)
    registry.subscribe("test.other", lambda e: None)
    event = events.Event("test.other", {"n": 1}, published_at=None)
    assert registry.deliver(event) == 1


def test_retrying_subscriber_gets_the_event_again(registry, db, django_capture_on_commit_callbacks):
    """Inline (no broker) the redelivery task runs at once; a flaky subscriber succeeds."""
    attempts = []

    def flaky(event):
        attempts.append(event["n"])
        if len(attempts) == 1:
            raise ConnectionError("the other system is down for a moment")
        _job_row(f"delivered-{event['n']}")

    registry.subscribe("test.other", flaky, retry=True)
    with django_capture_on_commit_callbacks(execute=True):
        registry.publish("test.other", n=9)
    assert attempts == [9, 9]
    assert JobRun.objects.filter(name="delivered-9").count() == 1


def test_a_subscriber_failing_for_good_is_given_up_and_logged(
    registry, db, django_capture_on_commit_callbacks, caplog
):
    attempts = []

    def always(event):
        attempts.append(1)
        raise ConnectionError("still down")

    registry.subscribe("test.other", always, retry=True)
    caplog.set_level(logging.ERROR, logger="dangjian.core.events")
    with django_capture_on_commit_callbacks(execute=True):
        registry.publish("test.other", n=1)  # the publisher never sees the failure
    assert len(attempts) == 2  # inline: the delivery and one redelivery, then given up
    assert "redelivery of event test.other" in caplog.text


def test_payload_is_checked_against_the_declaration(registry, db):
    with pytest.raises(TypeError, match="missing"):
        registry.publish("test.happened", thing_id=1)
    with pytest.raises(TypeError, match="unexpected"):
        registry.publish("test.happened", thing_id=1, note=None, extra=2)
    with pytest.raises(TypeError, match="thing_id"):
        registry.publish("test.happened", thing_id="1", note=None)
    with pytest.raises(TypeError, match="thing_id"):  # an instance, not an id
        registry.publish("test.happened", thing_id=AuditEntry(), note=None)
    with pytest.raises(LookupError):
        registry.publish("test.never_declared", x=1)


def test_names_are_checked_where_they_are_used(registry):
    with pytest.raises(LookupError):
        registry.subscribe("test.misspelt", lambda e: None)
    with pytest.raises(ValueError, match="differently"):
        registry.declare("test.other", label="另一事件", payload={"m": (int, "序号")})
    # The same declaration again (a module imported twice) is fine.
    assert registry.declare("test.other", label="另一事件", payload={"n": (int, "序号")})


def test_the_catalogue_lists_events_with_their_payload():
    by_name = {e.name: e for e in events.catalogue()}
    raised = by_name["warning.raised"]
    assert raised.label == "产生预警"
    assert raised.payload["warning_id"] == (int, "预警编号")
    assert {"warning.assigned", "warning.resolved"} <= set(by_name)
