"""自行脱党 (党章第九条): each condition flags at six complete months, not at five; good
reasons suppress; the daily run is idempotent and its queries do not grow with members."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dangjian.core import jobs
from dangjian.core.calendar import TZ
from dangjian.core.models import Warning
from dangjian.mobility import conditions, lapse, rules, services
from dangjian.orglife.models import Attendance, Meeting

pytestmark = pytest.mark.django_db
D = dt.date
BEFORE, AT = D(2025, 7, 31), D(2025, 8, 1)  # five, then six complete months after January


def _flags(cast, member_key: str, kind: str):
    return Warning.objects.filter(
        kind=f"{lapse.KIND_PREFIX}{kind}",
        subject_id=str(cast.member[member_key].pk),
        resolved_at__isnull=True,
    )


def _run(cast, as_of: dt.date, keys=("B1", "B2", "B3", "B4")):
    return services.lapse_flags(branches=[cast.org[k] for k in keys], as_of=as_of)


def _held(cast, member_key: str, day: dt.date, status: str = "present"):
    start = dt.datetime.combine(day, dt.time(9), TZ)
    meeting = Meeting.objects.create(
        branch=cast.member[member_key].branch,
        kind="theme_day",
        topic="主题党日",
        starts_at=start,
        ends_at=start + dt.timedelta(hours=2),
        status="held",
    )
    Attendance.objects.create(
        meeting=meeting,
        member=cast.member[member_key],
        status=status,
        checked_in_at=start if status == "present" else None,
    )


def test_no_organisational_life_at_the_six_month_boundary(cast):
    _held(cast, "B1m2", D(2025, 1, 20))
    _held(cast, "B1m2", D(2025, 3, 5), status="absent")
    assert _run(cast, BEFORE) == (0, 0)
    assert not _flags(cast, "B1m2", "orglife").exists()
    assert _run(cast, AT) == (1, 0)
    flag = _flags(cast, "B1m2", "orglife").get()
    assert flag.org == cast.org["B1"] and flag.period == "2025-02"
    assert "自2025年2月起已连续6个月未参加党的组织生活" in flag.title
    assert _run(cast, D(2025, 8, 20)) == (0, 0), "the same run of months: nothing new"


def test_a_leave_counts_as_taking_part_and_a_member_never_called_is_not_flagged(cast):
    _held(cast, "B1m2", D(2025, 1, 20))
    _held(cast, "B1m2", D(2025, 2, 10), status="leave")
    assert _run(cast, AT) == (0, 0)
    assert not _flags(cast, "B1m1", "orglife").exists()


def test_a_member_called_but_never_present_counts_from_the_first_meeting(cast):
    _held(cast, "B2m1", D(2025, 2, 3), status="absent")
    assert _run(cast, BEFORE) == (0, 0)
    assert _run(cast, AT) == (1, 0)


def test_activity_at_the_host_is_organisational_life(cast):
    _held(cast, "B1m2", D(2025, 1, 20))
    assert _run(cast, AT) == (1, 0)
    reg = services.registration_create(
        acting_user=cast.user["branch_admin"],
        member=cast.member["B1m2"],
        reason="外出务工",
        away_since=D(2025, 1, 25),
        expected_until=rules.add_months(timezone.localdate(), 8),
        host_code=cast.org["B3"].code,
    )
    services.participation_add(
        acting_user=cast.user["sibling_county_admin"],
        registration=reg,
        held_on=D(2025, 6, 15),
        kind="meeting",
        title="流入地主题党日",
    )
    assert _run(cast, D(2025, 8, 2)) == (0, 1), "cleared: active at the host in June"


def test_work_assigned_not_done_at_the_boundary_then_done(cast):
    work = services.assignment_create(
        acting_user=cast.user["branch_admin"],
        member=cast.member["B1m1"],
        title="联系帮扶困难群众",
        assigned_on=D(2025, 1, 2),
        due_on=D(2025, 1, 20),
    )
    assert _run(cast, BEFORE) == (0, 0)
    assert _run(cast, AT) == (1, 0)
    assert _flags(cast, "B1m1", "work").exists()
    services.assignment_done(
        acting_user=cast.user["branch_admin"], assignment=work, done_on=D(2025, 8, 5)
    )
    assert _run(cast, D(2025, 8, 4)) == (0, 0), "not yet done on the 4th"
    assert _run(cast, D(2025, 8, 6)) == (0, 1)
    assert not _flags(cast, "B1m1", "work").exists()


def test_a_good_reason_suppresses_that_condition_only(cast):
    services.assignment_create(
        acting_user=cast.user["branch_admin"],
        member=cast.member["B1m1"],
        title="宣讲",
        assigned_on=D(2025, 1, 2),
        due_on=D(2025, 1, 20),
    )
    _held(cast, "B1m1", D(2025, 1, 20))
    assert _run(cast, AT) == (2, 0)
    services.excuse_record(
        acting_user=cast.user["branch_admin"],
        member=cast.member["B1m1"],
        condition="orglife",
        reason="住院治疗",
        valid_from=D(2025, 2, 1),
    )
    assert not _flags(cast, "B1m1", "orglife").exists(), "cleared at once"
    assert _flags(cast, "B1m1", "work").exists()
    assert _run(cast, AT) == (0, 0), "not raised again while the reason holds"


def test_a_dismissed_flag_stays_dismissed_a_new_run_of_months_is_a_new_flag(cast):
    from dangjian.core import warnings

    _held(cast, "B1m2", D(2025, 1, 20))
    _run(cast, AT)
    warnings.warning_resolve(
        acting_user=cast.user["branch_admin"],
        warning=_flags(cast, "B1m2", "orglife").get(),
        resolution="handled",
        note="支部已谈话",
    )
    assert _run(cast, D(2025, 9, 1)) == (0, 0)
    _held(cast, "B1m2", D(2025, 9, 10))
    assert _run(cast, D(2026, 4, 1)) == (1, 0)
    assert _flags(cast, "B1m2", "orglife").get().period == "2025-10"


@pytest.fixture
def registry(monkeypatch):
    """A private copy of the registry, so a test's conditions leave no trace."""
    monkeypatch.setattr(lapse, "_CONDITIONS", dict(lapse._CONDITIONS))
    return lapse


def test_each_registered_condition_alone_flags(cast, registry):
    target = cast.member["B3m2"].pk
    registry.register_condition(
        "fake", "参加测试活动", lambda ids, as_of: {target: 6} if target in ids else {}
    )
    assert _run(cast, AT) == (1, 0)
    flag = Warning.objects.get(kind="mobility.lapse.fake")
    assert flag.org == cast.org["B3"]
    registry.register_condition("fake2", "另一情形", lambda ids, as_of: dict.fromkeys(ids, 5))
    assert _run(cast, AT) == (0, 0)
    with pytest.raises(ValueError):
        registry.register_condition("fake", "参加测试活动", lambda ids, as_of: {})


def test_dues_is_registered_only_when_the_dues_app_is_installed(cast, registry, monkeypatch):
    registry._CONDITIONS.pop("dues", None)  # as registered at start-up with dues installed
    real = conditions.apps.is_installed
    monkeypatch.setattr(
        conditions.apps, "is_installed", lambda name: name != "dangjian.dues" and real(name)
    )
    conditions.register()
    assert "dues" not in {c.key for c in registry.conditions()}

    target = cast.member["B2m2"].pk

    def months_unpaid(member_ids, as_of):
        return {target: 6 if as_of >= AT else 5}

    from dangjian.dues import selectors as dues_selectors

    monkeypatch.setattr(dues_selectors, "months_unpaid", months_unpaid)
    monkeypatch.setattr(conditions.apps, "is_installed", real)
    conditions.register()
    assert "dues" in {c.key for c in registry.conditions()}
    assert _run(cast, BEFORE) == (0, 0)
    assert _run(cast, AT) == (1, 0)
    assert _flags(cast, "B2m2", "dues").exists()


def test_queries_per_batch_do_not_grow_with_members(cast):
    def count(as_of):
        with CaptureQueriesContext(connection) as ctx:
            _run(cast, as_of)
        return len(ctx.captured_queries)

    _held(cast, "B1m2", D(2025, 1, 20))
    _run(cast, AT)
    few = count(AT)
    for key in ("B1m1", "B2m1", "B2m2", "B3m1", "B4m1"):
        _held(cast, key, D(2025, 1, 10))
        services.assignment_create(
            acting_user=cast.user["root"],
            member=cast.member[key],
            title="工作",
            assigned_on=D(2025, 1, 2),
            due_on=D(2025, 1, 5),
        )
    _run(cast, AT)
    assert count(AT) == few


def test_the_daily_job_runs_over_every_branch(cast):
    _held(cast, "B4m1", D(2025, 1, 20))
    job = jobs.get("mobility.lapse_flags")
    at = dt.datetime.combine(AT, dt.time(2, 30), TZ)
    assert job.func(at=at) == 1
    assert job.func(at=at) == 0
