"""The 20th-of-the-month 主题党日 warnings and the day-before reminders: idempotent jobs."""

import datetime as dt

from dangjian.core import jobs
from dangjian.core.calendar import TZ
from dangjian.core.models import Notification
from dangjian.core.models import Warning as CoreWarning
from dangjian.orglife import services, tasks
from dangjian.orglife.choices import MeetingStatus
from dangjian.orglife.models import Meeting

SLOT = dt.datetime(2026, 11, 20, 9, 0, tzinfo=TZ)


def theme_day(cast, branch, day, status=MeetingStatus.HELD):
    start = dt.datetime.combine(day, dt.time(9), TZ)
    return Meeting.objects.create(
        branch=cast.org[branch], kind="theme_day", topic="主题党日", starts_at=start,
        ends_at=start + dt.timedelta(hours=1), status=status,
    )  # fmt: skip


def warned(cast) -> set[str]:
    names = {o.pk: k for k, o in cast.org.items()}
    return {names[w.org_id] for w in CoreWarning.objects.filter(period="2026-11")}


def test_jobs_are_registered_on_their_schedules():
    assert jobs.get("orglife.theme_day_warnings").cron == "0 9 20 * *"
    assert jobs.get("orglife.meeting_reminders").cron == "0 9 * * *"


def test_branches_without_a_held_theme_day_are_warned(cast):
    theme_day(cast, "B1", dt.date(2026, 11, 5))
    theme_day(cast, "B2", dt.date(2026, 11, 28), status=MeetingStatus.PLANNED)  # not yet held
    theme_day(cast, "B3", dt.date(2026, 10, 5))  # last month's
    assert tasks.theme_day_warnings(at=SLOT) == 3
    assert warned(cast) == {"B2", "B3", "B4"}


def test_the_warning_reaches_the_branch_admins_or_the_nearest_above(cast):
    tasks.theme_day_warnings(at=SLOT)
    got = {n.user.username for n in Notification.objects.filter(kind="orglife.warning")}
    # B1 has its own admin; B2 → 华山街道党委 admin; B3 → 盘龙区委; B4 → the province
    assert got == {"branch_admin", "committee_admin", "sibling_county_admin", "province_admin"}
    notice = Notification.objects.get(user=cast.user["branch_admin"], kind="orglife.warning")
    assert "主题党日" in notice.body and "2026年11月" in notice.body


def test_rerun_never_duplicates(cast):
    tasks.theme_day_warnings(at=SLOT)
    counts = (CoreWarning.objects.count(), Notification.objects.count())
    tasks.theme_day_warnings(at=SLOT)
    tasks.theme_day_warnings(at=SLOT + dt.timedelta(hours=2))
    assert (CoreWarning.objects.count(), Notification.objects.count()) == counts


def test_run_through_core_jobs_marks_the_slot_done(cast):
    assert jobs.run("orglife.theme_day_warnings", SLOT) is not None
    assert jobs.is_done("orglife.theme_day_warnings", SLOT)
    assert jobs.run("orglife.theme_day_warnings", SLOT) is None  # already done
    assert CoreWarning.objects.count() == 4


def test_before_the_20th_nothing_is_warned(cast):
    assert tasks.theme_day_warnings(at=SLOT - dt.timedelta(days=1)) == 0


def test_branch_founded_this_month_is_not_warned(cast):
    from dangjian.orgs import services as orgs

    orgs.org_create(
        acting_user=cast.user["root"], parent=cast.org["T1"], name="新建党支部",
        org_type="branch", code="530102100099", founded_on=dt.date(2026, 11, 3),
    )  # fmt: skip
    tasks.theme_day_warnings(at=SLOT)
    assert CoreWarning.objects.count() == 4  # the four old branches only


def _meeting_tomorrow(cast):
    start = dt.datetime(2026, 11, 21, 14, 30, tzinfo=TZ)
    return services.meeting_create(
        acting_user=cast.user["branch_admin"], org=cast.org["B1"], kind="lecture",
        topic="专题党课", starts_at=start, ends_at=start + dt.timedelta(hours=1), place="会议室",
    )  # fmt: skip


def test_reminder_the_day_before(cast):
    meeting = _meeting_tomorrow(cast)
    assert tasks.meeting_reminders(at=SLOT) == 1  # only B1m1 has a login
    notice = Notification.objects.get(kind="orglife.reminder")
    assert notice.user == cast.user["member"] and meeting.topic in notice.title
    assert tasks.meeting_reminders(at=SLOT) == 0  # a re-run adds nothing
    assert tasks.meeting_reminders(at=SLOT - dt.timedelta(days=1)) == 0  # not two days ahead


def test_no_reminder_for_leave_or_cancelled(cast):
    meeting = _meeting_tomorrow(cast)
    services.leave_request(
        acting_user=cast.user["member"], meeting=meeting, reason="出差", now=SLOT
    )
    assert tasks.meeting_reminders(at=SLOT) == 0
    other = _meeting_tomorrow(cast)
    services.meeting_cancel(acting_user=cast.user["branch_admin"], meeting=other, reason="改期")
    assert tasks.meeting_reminders(at=SLOT) == 0
