"""每日一答 (one per day, pushed once to each current member, resumable) and the other
knowledge-base jobs; the demo seeder (idempotent)."""

import datetime as dt

from dangjian.core.calendar import TZ
from dangjian.core.models import Notification
from dangjian.knowledge import demo, index, tasks
from dangjian.knowledge.models import DailyAnswer, Entry
from dangjian.knowledge.services import daily as daily_services
from dangjian.knowledge.tests.kb_helpers import make_base

AT = dt.datetime(2026, 11, 20, 8, 0, tzinfo=TZ)


def test_the_daily_answer_reaches_each_member_once(cast):
    make_base(cast.org["P"])
    sent = tasks.daily_answer(at=AT)
    members = Notification.objects.filter(kind=daily_services.DAILY_KIND)
    assert sent == members.count() == 1  # the cast's one user linked to a member
    assert members.get().user == cast.user["member"]
    assert tasks.daily_answer(at=AT) == 0  # a re-run for the same slot sends nothing
    daily = DailyAnswer.objects.get(day=AT.date())
    assert daily.finished_at is not None and daily.sent == 1


def test_a_run_killed_midway_resumes_without_duplicates(cast):
    make_base(cast.org["P"])
    daily = daily_services.daily_pick(day=AT.date())
    # The first batch committed, then the process died: the progress mark says so.
    DailyAnswer.objects.filter(pk=daily.pk).update(last_user_id=cast.user["member"].pk - 1)
    assert daily_services.daily_send(day=AT.date(), batch=1) == 1
    assert daily_services.daily_send(day=AT.date(), batch=1) == 0
    assert Notification.objects.filter(kind=daily_services.DAILY_KIND).count() == 1


def test_days_do_not_repeat_an_entry_while_others_remain(cast):
    make_base(cast.org["P"])
    picks = [
        daily_services.daily_pick(day=AT.date() + dt.timedelta(days=i)).entry_id for i in range(3)
    ]
    assert len(set(picks)) == 3
    assert daily_services.daily_pick(day=AT.date()).entry_id == picks[0]  # stable for its day


def test_no_published_entry_no_daily_answer(cast):
    assert tasks.daily_answer(at=AT) == 0
    assert not DailyAnswer.objects.exists()


def test_the_index_is_saved_for_the_next_start(cast, tmp_path, settings):
    settings.VAR_DIR = tmp_path
    index.reset()
    make_base(cast.org["P"])
    path = tasks.kb_save_index(at=AT)
    assert (tmp_path / "kb-index.meta.json").is_file() and path.endswith("kb-index")
    index.reset()


def test_the_demo_seeder_is_idempotent(cast, tmp_path, settings):
    settings.VAR_DIR = tmp_path
    index.reset()
    messages = []
    demo.seed(root_user=cast.user["root"], seed=7, progress=messages.append)
    entries = Entry.objects.count()
    demo.seed(root_user=cast.user["root"], seed=7, progress=messages.append)
    assert Entry.objects.filter(status="published").count() >= 300
    assert Entry.objects.count() == entries
    assert DailyAnswer.objects.count() == demo.DAILY_DAYS + 1
    index.reset()
