"""Subtree figures (core.rollups): kept by marks and the refresh job, carried by moves,
rebuilt from scratch, read through the scope — and always equal to a direct count."""

import datetime as dt
from collections import Counter

import pytest
from django.core.management import call_command
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dangjian.core import jobs, rollups
from dangjian.core.calendar import TZ
from dangjian.core.models import Rollup, RollupRebuild
from dangjian.members import metrics as member_metrics
from dangjian.members import services as members
from dangjian.members.choices import CURRENT_STATUSES, AgeBand
from dangjian.members.models import Member
from dangjian.members.rules import add_years, age_band_birth_range
from dangjian.orglife import services as orglife
from dangjian.orglife.choices import MeetingStatus
from dangjian.orglife.models import Meeting
from dangjian.orgs import services as orgs
from dangjian.orgs.models import Organisation
from tests.kit import new_id_number

MEMBER_FIELDS = {
    "members.sex": "gender",
    "members.ethnicity": "ethnicity",
    "members.education": "education",
}


def age_band(birth: dt.date, today: dt.date) -> str:
    for band in AgeBand:
        earliest, latest = age_band_birth_range(band.value, today)
        if (earliest is None or birth >= earliest) and (latest is None or birth <= latest):
            return band.value
    raise AssertionError(birth)


def direct(org: Organisation) -> Counter:
    """The oracle: (metric, period, key) → n over the subtree, counted in Python."""
    org = Organisation.objects.get(pk=org.pk)
    today = member_metrics.today()
    figures = Counter()
    for m in Member.objects.filter(branch__path__startswith=org.path):
        figures[("members.status", "", m.status)] += 1
        if m.status in CURRENT_STATUSES:
            for metric, field in MEMBER_FIELDS.items():
                figures[(metric, "", getattr(m, field))] += 1
            figures[("members.age_band", "", age_band(m.birth_date, today))] += 1
    held = Meeting.objects.filter(branch__path__startswith=org.path, status=MeetingStatus.HELD)
    for meeting in held:
        start = meeting.starts_at.astimezone(TZ)
        figures[("orglife.meetings_held", f"{start:%Y-%m}", meeting.kind)] += 1
    return figures


def stored(org: Organisation) -> Counter:
    """The rows of the metrics :func:`direct` counts (``orglife.compliance`` is checked
    against the direct evaluation of compliance, in orglife's test_compliance)."""
    rows = (
        Rollup.objects.filter(org_id=org.pk)
        .exclude(metric="orglife.compliance")
        .values_list("metric", "period", "key", "value")
    )
    return Counter({(metric, period, key): value for metric, period, key, value in rows})


def assert_all_match(cast) -> None:
    for key, org in cast.org.items():
        assert stored(org) == direct(org), key


def add_member(cast, branch: str, *, education="bachelor", status="full", birth=None):
    birth = birth or dt.date(1980, 1, 1)
    return members.member_create(
        acting_user=cast.user["root"],
        branch=Organisation.objects.get(pk=cast.org[branch].pk),
        name="测试党员",
        id_number=new_id_number(birth),
        ethnicity="汉族",
        education=education,
        joined_on=dt.date(2010, 7, 1),
        full_member_on=dt.date(2011, 7, 1) if status == "full" else None,
        status=status,
    )


def hold(cast, branch: str, kind: str, day: dt.date, *, record: bool = True) -> Meeting:
    root = cast.user["root"]
    start = dt.datetime.combine(day, dt.time(9), TZ)
    meeting = orglife.meeting_create(
        acting_user=root,
        org=Organisation.objects.get(pk=cast.org[branch].pk),
        kind=kind,
        topic="学习",
        starts_at=start,
        ends_at=start + dt.timedelta(hours=2),
    )
    if record:
        orglife.meeting_record(acting_user=root, meeting=meeting, minutes="纪要")
    return meeting


def test_the_province_breakdown_is_its_whole_tree(cast):
    rollups.refresh()
    root, province = cast.user["root"], cast.org["P"]
    assert rollups.breakdown(root, province, "members.education") == {
        "bachelor": 4,
        "high_school": 4,
    }
    assert rollups.breakdown(root, province, "members.status") == {"full": 8}
    assert rollups.breakdown(root, cast.org["K1"], "members.ethnicity") == {"汉族": 2, "彝族": 2}
    assert rollups.total(root, cast.org["C2"], "members.sex") == 2
    assert Rollup.objects.filter(org=province, metric="members.education").count() == 2
    assert_all_match(cast)


def test_a_write_reaches_the_ancestors_when_the_job_runs(cast):
    root = cast.user["root"]
    rollups.refresh()
    add_member(cast, "B4", education="postgraduate")
    assert rollups.pending() == 1
    assert "postgraduate" not in rollups.breakdown(root, cast.org["P"], "members.education")
    jobs.run("core.rollups_refresh", dt.datetime(2026, 12, 1, 9, 0, tzinfo=TZ))
    assert rollups.pending() == 0
    for key in ("B4", "K3", "C2", "P"):
        assert rollups.breakdown(root, cast.org[key], "members.education")["postgraduate"] == 1
    assert "postgraduate" not in rollups.breakdown(root, cast.org["C1"], "members.education")


def test_a_rolled_back_write_leaves_no_mark(cast):
    rollups.refresh()
    with pytest.raises(RuntimeError), transaction.atomic():
        add_member(cast, "B4")
        raise RuntimeError
    assert rollups.pending() == 0


def test_a_member_changing_branch_moves_between_both_chains(cast):
    root = cast.user["root"]
    rollups.refresh()
    members.member_update(acting_user=root, member=cast.member["B1m1"], branch=cast.org["B4"])
    rollups.refresh()
    assert rollups.total(root, cast.org["C1"], "members.status") == 5
    assert rollups.total(root, cast.org["C2"], "members.status") == 3
    assert rollups.total(root, cast.org["P"], "members.status") == 8
    assert_all_match(cast)


def test_status_counts_everyone_the_breakdowns_only_current_members(cast):
    root = cast.user["root"]
    members.member_update(acting_user=root, member=cast.member["B4m1"], status="deceased")
    rollups.refresh()
    assert rollups.breakdown(root, cast.org["C2"], "members.status") == {
        "full": 1,
        "deceased": 1,
    }
    assert rollups.total(root, cast.org["C2"], "members.education") == 1
    assert_all_match(cast)


def test_moving_a_county_carries_its_totals_to_the_other_city(cast):
    root = cast.user["root"]
    rollups.refresh()
    before = {key: stored(cast.org[key]) for key in ("P", "C1", "C2", "K1")}
    county = stored(cast.org["K1"])
    assert county[("members.status", "", "full")] == 4

    orgs.org_move(acting_user=root, org=cast.org["K1"], new_parent=cast.org["C2"])

    assert rollups.pending() == 0  # carried in the move's transaction, not left for the job
    assert stored(cast.org["C1"]) == before["C1"] - county
    assert stored(cast.org["C2"]) == before["C2"] + county
    assert stored(cast.org["P"]) == before["P"]
    assert stored(cast.org["K1"]) == before["K1"]
    assert rollups.total(root, cast.org["C1"], "members.status") == 2
    assert rollups.total(root, cast.org["C2"], "members.status") == 6
    assert_all_match(cast)


def test_a_move_with_changes_still_pending_settles_right(cast):
    rollups.refresh()
    add_member(cast, "B1")  # marked, not yet summed up
    orgs.org_move(acting_user=cast.user["root"], org=cast.org["K1"], new_parent=cast.org["C2"])
    rollups.refresh()
    assert_all_match(cast)


def test_meetings_held_by_kind_month_quarter_and_year(cast):
    root = cast.user["root"]
    hold(cast, "B1", "theme_day", dt.date(2026, 10, 20))
    hold(cast, "B1", "theme_day", dt.date(2026, 11, 20))
    hold(cast, "B3", "committee", dt.date(2026, 11, 3))
    hold(cast, "B4", "committee", dt.date(2026, 11, 4), record=False)  # planned only
    rollups.refresh()
    assert rollups.breakdown(root, cast.org["C1"], "orglife.meetings_held", "2026-11") == {
        "committee": 1,
        "theme_day": 1,
    }
    assert rollups.breakdown(root, cast.org["P"], "orglife.meetings_held", "2026Q4") == {
        "committee": 1,
        "theme_day": 2,
    }
    assert rollups.total(root, cast.org["K1"], "orglife.meetings_held", "2026") == 2
    assert rollups.total(root, cast.org["C2"], "orglife.meetings_held", "2026") == 0
    with pytest.raises(ValueError, match="请指定期间"):
        rollups.breakdown(root, cast.org["P"], "orglife.meetings_held")
    with pytest.raises(ValueError, match="只有当前数"):
        rollups.breakdown(root, cast.org["P"], "members.status", "2026-11")
    assert_all_match(cast)


def test_meeting_started_at_local_midnight_counts_in_its_china_month(cast):
    root = cast.user["root"]
    meeting = hold(cast, "B1", "theme_day", dt.date(2026, 11, 1))
    orglife.meeting_update(
        acting_user=root,
        meeting=meeting,
        starts_at=dt.datetime(2026, 11, 1, 0, 30, tzinfo=TZ),  # 2026-10-31 16:30 UTC
        ends_at=dt.datetime(2026, 11, 1, 2, 0, tzinfo=TZ),
    )
    rollups.refresh()
    assert rollups.total(root, cast.org["P"], "orglife.meetings_held", "2026-11") == 1
    assert rollups.total(root, cast.org["P"], "orglife.meetings_held", "2026-10") == 0


@pytest.mark.parametrize(
    ("user", "org", "sees"),
    [
        ("province_admin", "P", True),
        ("county_admin", "K1", True),
        ("county_admin", "C1", False),  # above the role: nothing, not even a zero-leak
        ("sibling_county_admin", "K1", False),
        ("member", "B1", True),
        ("member", "T1", False),
        ("handler", "K1", False),  # sees organisations, not members
        ("outsider", "P", False),
    ],
)
def test_figures_are_read_through_the_scope(cast, user, org, sees):
    rollups.refresh()
    figures = rollups.breakdown(cast.user[user], cast.org[org], "members.status")
    assert (figures != {}) is sees


def test_rebuild_recounts_from_scratch(cast):
    rollups.refresh()
    hold(cast, "B3", "lecture", dt.date(2026, 9, 9))
    Rollup.objects.filter(org=cast.org["C1"]).update(value=999)
    Rollup.objects.filter(org=cast.org["B4"]).delete()
    run = rollups.rebuild()
    assert (run.chunks_done, run.chunks_total) == (2, 2)
    assert run.finished_at is not None
    assert_all_match(cast)
    rollups.refresh()  # the meeting's mark settles to nothing more
    assert_all_match(cast)


def test_a_killed_rebuild_resumes_after_its_last_subtree(cast):
    rollups.refresh()
    Rollup.objects.filter(org__path__startswith=cast.org["C2"].path).delete()
    Rollup.objects.filter(org=cast.org["P"]).update(value=999)
    RollupRebuild.objects.create(
        started_at=dt.datetime(2026, 12, 1, tzinfo=TZ),
        chunks_total=2,
        chunks_done=1,
        last_path=cast.org["C1"].path,
    )
    lines = []
    run = rollups.rebuild(progress=lines.append)
    assert lines[0].startswith("继续上次未完成的重建")
    assert sum(1 for line in lines if line.startswith("汇总重建：")) == 1  # C2 only
    assert run.chunks_done == 2
    assert_all_match(cast)


def test_rebuild_command_reports_progress(cast, capsys):
    call_command("rollups_rebuild", "--restart")
    out = capsys.readouterr().out
    assert "汇总重建：2/2 段" in out and "完成" in out
    assert_all_match(cast)


def test_a_birthday_moves_a_member_to_the_next_age_band(cast, monkeypatch):
    root = cast.user["root"]
    day = dt.date(2026, 12, 6)
    monkeypatch.setattr(member_metrics, "today", lambda: day - dt.timedelta(days=1))
    add_member(cast, "B4", birth=dt.date(1990, 12, 6))  # turns 36 on `day`
    rollups.refresh()
    assert rollups.breakdown(root, cast.org["B4"], "members.age_band")["-35"] == 1

    monkeypatch.setattr(member_metrics, "today", lambda: day)
    jobs.run("members.age_band_marks", dt.datetime.combine(day, dt.time(0, 5), TZ))
    assert rollups.pending() == 1
    rollups.refresh()
    assert rollups.breakdown(root, cast.org["B4"], "members.age_band") == {"36-45": 2, "46-60": 1}
    assert_all_match(cast)


def test_crossing_bands_finds_only_new_birthdays(cast):
    member = add_member(cast, "B4", birth=dt.date(1990, 12, 6))
    crossing = member_metrics.branches_crossing_bands
    assert member.branch_id in set(crossing(dt.date(2026, 12, 5), dt.date(2026, 12, 6)))
    assert member.branch_id not in set(crossing(dt.date(2026, 12, 6), dt.date(2026, 12, 9)))


def test_metrics_are_registered_once_by_their_apps():
    names = [m.name for m in rollups.metrics()]
    assert "members.education" in names and "orglife.meetings_held" in names
    with pytest.raises(ValueError, match="registered twice"):
        rollups.register(
            metric="members.education", compute=lambda orgs: [], perm=rollups.Perm.VIEW_ORG
        )


# --- Property: whatever happens, each organisation's rows equal a direct count ---------

MOVES = {  # org → parents it may move under (the tree's type rules)
    "K1": ["C1", "C2"],
    "K2": ["C1", "C2"],
    "T1": ["K1", "K2", "K3", "T2"],
    "T2": ["K1", "K2", "K3", "T1"],
    "B1": ["T1", "T2", "K3"],
    "B3": ["T1", "T2", "K2"],
    "B4": ["K3", "T2", "K1"],
}
BRANCH = st.sampled_from(["B1", "B2", "B3", "B4"])
STEP = st.one_of(
    st.tuples(
        st.just("add"),
        BRANCH,
        st.sampled_from(["bachelor", "college", "postgraduate"]),
        st.sampled_from(["full", "probationary"]),
        st.dates(dt.date(1950, 1, 1), dt.date(1990, 1, 1)),  # 18+ when joining in 2010
    ),
    st.tuples(st.just("status"), st.integers(0, 30), st.sampled_from(["full", "deceased", "left"])),
    st.tuples(st.just("transfer"), st.integers(0, 30), BRANCH),
    st.tuples(
        st.just("meeting"),
        BRANCH,
        st.sampled_from(["theme_day", "committee", "lecture"]),
        st.dates(dt.date(2026, 1, 1), dt.date(2026, 11, 30)),
    ),
    st.tuples(st.just("move"), st.sampled_from(sorted(MOVES)), st.integers(0, 3)),
    st.tuples(st.just("refresh")),
)


def apply(cast, step) -> None:
    root, kind = cast.user["root"], step[0]
    if kind == "add":
        _, branch, education, status, birth = step
        add_member(cast, branch, education=education, status=status, birth=birth)
    elif kind in ("status", "transfer"):
        people = list(Member.objects.order_by("pk"))
        member = people[step[1] % len(people)]
        if kind == "status":
            full_on = member.full_member_on or add_years(member.joined_on, 1)
            changes = {"status": step[2], "full_member_on": full_on}
        else:
            changes = {"branch": Organisation.objects.get(pk=cast.org[step[2]].pk)}
        members.member_update(acting_user=root, member=member, **changes)
    elif kind == "meeting":
        if orglife.roster(Organisation.objects.get(pk=cast.org[step[1]].pk)).exists():
            hold(cast, step[1], step[2], step[3])  # (a branch nobody is left in meets not)
    elif kind == "move":
        org = Organisation.objects.get(pk=cast.org[step[1]].pk)
        targets = [Organisation.objects.get(pk=cast.org[k].pk) for k in MOVES[step[1]]]
        target = targets[step[2] % len(targets)]
        if not target.path.startswith(org.path):  # never into its own subtree
            orgs.org_move(acting_user=root, org=org, new_parent=target)
    else:
        rollups.refresh()


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=st.lists(STEP, min_size=1, max_size=8))
def test_every_rollup_equals_a_direct_count_over_its_subtree(cast, steps):
    with transaction.atomic():
        for step in steps:
            apply(cast, step)
        rollups.refresh()
        assert rollups.pending() == 0
        assert_all_match(cast)
        transaction.set_rollback(True)


# --- Current figures: the rows plus the marked organisations recounted ------------------


def current_status(cast, user=None) -> dict[str, dict[str, int]]:
    user = user or cast.user["root"]
    fresh = {key: Organisation.objects.get(pk=org.pk) for key, org in cast.org.items()}
    figures = rollups.current_breakdowns(user, fresh.values(), "members.status")
    return {key: figures[org.pk] for key, org in fresh.items()}


def direct_status(org: Organisation) -> dict[str, int]:
    return {
        key: n for (metric, _, key), n in direct(org).items() if metric == "members.status" and n
    }


def test_current_figures_wait_for_a_finished_rebuild(cast):
    assert rollups.current_breakdowns(cast.user["root"], [cast.org["P"]], "members.status") is None
    rollups.rebuild()
    assert current_status(cast)["P"] == {"full": 8}
    RollupRebuild.objects.create(started_at=dt.datetime(2026, 12, 1, tzinfo=TZ), chunks_total=1)
    assert rollups.current_breakdowns(cast.user["root"], [cast.org["P"]], "members.status") is None


def test_current_figures_count_a_write_at_once(cast):
    rollups.rebuild()
    add_member(cast, "B4", status="probationary")
    members.member_update(
        acting_user=cast.user["root"], member=cast.member["B1m1"], branch=cast.org["B4"]
    )
    assert rollups.pending() == 4  # every branch marked (the cast, these writes), none summed
    figures = current_status(cast)
    assert figures["C2"] == {"full": 3, "probationary": 1}
    assert figures["C1"] == {"full": 5}
    assert figures["P"] == {"full": 8, "probationary": 1}
    assert figures == {key: direct_status(org) for key, org in cast.org.items()}


def test_current_figures_are_read_through_the_scope(cast):
    rollups.rebuild()
    add_member(cast, "B1")
    figures = current_status(cast, cast.user["county_admin"])
    assert figures["K1"] == {"full": 5}
    assert figures["C1"] == figures["P"] == figures["K3"] == {}
    with pytest.raises(ValueError):
        rollups.current_breakdowns(cast.user["root"], [cast.org["P"]], "orglife.meetings_held")


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=st.lists(STEP, min_size=1, max_size=8))
def test_current_figures_equal_a_direct_count_with_marks_pending(cast, steps):
    with transaction.atomic():
        rollups.rebuild(restart=True)
        for step in steps:
            apply(cast, step)
        expected = {key: direct_status(org) for key, org in cast.org.items()}
        assert current_status(cast) == expected
        transaction.set_rollback(True)
