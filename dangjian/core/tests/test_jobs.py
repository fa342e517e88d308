"""Periodic jobs: schedules, due slots, idempotent re-runs, failures, the command."""

import datetime as dt

import pytest
from django.core.management import CommandError, call_command

from dangjian.core import jobs
from dangjian.core.calendar import TZ
from dangjian.core.models import JobRun

pytestmark = pytest.mark.django_db


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=TZ)


@pytest.fixture
def registry(monkeypatch):
    """An empty registry for this test (the apps' own jobs stay out of the way)."""
    monkeypatch.setattr(jobs, "_REGISTRY", {})
    calls: list[tuple[str, dt.datetime]] = []

    def make(name: str, cron: str, fail: bool = False):
        def job(*, at):
            calls.append((name, at))
            if fail:
                raise RuntimeError("boom")

        jobs.periodic(cron, name=name)(job)
        return job

    return make, calls


@pytest.mark.parametrize(
    ("cron", "now", "slot"),
    [
        ("0 9 20 * *", at(2026, 11, 20, 8, 59), at(2026, 10, 20, 9, 0)),
        ("0 9 20 * *", at(2026, 11, 20, 9, 0), at(2026, 11, 20, 9, 0)),
        ("0 9 20 * *", at(2026, 11, 23, 10, 0), at(2026, 11, 20, 9, 0)),
        ("*/15 * * * *", at(2026, 11, 23, 10, 44), at(2026, 11, 23, 10, 30)),
        ("0 8 * * *", at(2026, 11, 23, 7, 0), at(2026, 11, 22, 8, 0)),
        ("30 17 * * 5", at(2026, 11, 23, 10, 0), at(2026, 11, 20, 17, 30)),  # Fridays
        ("0 0 1 1 *", at(2026, 11, 23, 10, 0), at(2026, 1, 1, 0, 0)),  # yearly
    ],
)
def test_latest_slot(registry, cron, now, slot):
    make, _ = registry
    make("t.job", cron)
    assert jobs.get("t.job").latest_slot(now) == slot
    assert jobs.get("t.job").latest_slot(now.astimezone(dt.UTC)) == slot  # any time zone


def test_due_jobs_run_once_per_slot(registry):
    make, calls = registry
    make("t.monthly", "0 9 20 * *")
    make("t.daily", "0 8 * * *")
    now = at(2026, 11, 20, 10, 0)
    outcomes = jobs.run_due(now)
    assert {(n, o) for n, _, o in outcomes} == {("t.monthly", "done"), ("t.daily", "done")}
    assert sorted(calls) == [
        ("t.daily", at(2026, 11, 20, 8, 0)),
        ("t.monthly", at(2026, 11, 20, 9, 0)),
    ]
    assert jobs.run_due(now + dt.timedelta(hours=1)) == []  # nothing new is due
    assert len(calls) == 2
    jobs.run_due(at(2026, 11, 21, 8, 0))  # the next daily slot
    assert calls[-1] == ("t.daily", at(2026, 11, 21, 8, 0))


def test_killed_run_leaves_the_slot_due(registry):
    make, calls = registry
    make("t.monthly", "0 9 20 * *")
    slot = at(2026, 11, 20, 9, 0)
    JobRun.objects.create(  # what a SIGKILL mid-run leaves behind
        name="t.monthly", slot=slot, status=JobRun.Status.RUNNING, started_at=slot
    )
    assert [(j.name, s) for j, s in jobs.due(at(2026, 11, 20, 12))] == [("t.monthly", slot)]
    jobs.run_due(at(2026, 11, 20, 12))
    assert calls == [("t.monthly", slot)]
    assert JobRun.objects.filter(name="t.monthly", status="done").count() == 1


def test_failure_is_recorded_and_does_not_stop_others(registry):
    make, calls = registry
    make("t.bad", "0 8 * * *", fail=True)
    make("t.good", "0 8 * * *")
    outcomes = dict((n, o) for n, _, o in jobs.run_due(at(2026, 11, 23, 9)))
    assert outcomes == {"t.bad": "failed", "t.good": "done"}
    failed = JobRun.objects.get(name="t.bad")
    assert failed.status == "failed" and "RuntimeError: boom" in failed.error
    assert [j.name for j, _ in jobs.due(at(2026, 11, 23, 9))] == ["t.bad"]  # still due
    assert [name for name, _ in calls] == ["t.bad", "t.good"]


def test_run_one_slot_and_force(registry):
    make, calls = registry
    make("t.monthly", "0 9 20 * *")
    slot = at(2026, 10, 20, 9, 0)
    assert jobs.run("t.monthly", slot) is not None
    assert jobs.run("t.monthly", slot) is None  # done already
    assert jobs.run("t.monthly", slot, force=True) is not None
    assert calls == [("t.monthly", slot), ("t.monthly", slot)]


def test_registering_a_name_twice_is_refused(registry):
    make, _ = registry
    make("t.x", "0 8 * * *")
    with pytest.raises(ValueError):
        make("t.x", "0 9 * * *")


def test_beat_schedule_lists_every_job(registry):
    make, _ = registry
    make("t.monthly", "0 9 20 * *")
    entry = jobs.beat_schedule()["t.monthly"]
    assert entry["task"] == "dangjian.core.jobs.run_periodic"
    assert entry["args"] == ("t.monthly",)
    assert entry["schedule"].day_of_month == {20}


def test_run_jobs_command(registry, capsys):
    make, calls = registry
    make("t.monthly", "0 9 20 * *")
    call_command("run_jobs", "--list")
    assert "t.monthly\t0 9 20 * *" in capsys.readouterr().out
    call_command("run_jobs", "t.monthly", "--at", "2026-11-20T09:00")
    assert calls == [("t.monthly", at(2026, 11, 20, 9, 0))]
    assert "已完成" in capsys.readouterr().out
    call_command("run_jobs", "t.monthly", "--at", "2026-11-20T09:00")
    assert "跳过" in capsys.readouterr().out
    with pytest.raises(CommandError, match="没有名为"):
        call_command("run_jobs", "t.nope")
    with pytest.raises(CommandError, match="无法识别"):
        call_command("run_jobs", "t.monthly", "--at", "20号")
    with pytest.raises(CommandError):
        call_command("run_jobs")


def test_tasks_run_inline_without_a_broker():
    @jobs.task
    def double(x):
        return 2 * x

    assert double.delay(21).get() == 42
