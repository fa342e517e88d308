"""每日一答 scheduled by editors (with the automatic pick as fall-back) and the 政策解读
column (issue 11 part 6): the services' rules and refusals, the pages and the API."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from dangjian.core.models import AuditEntry
from dangjian.knowledge import selectors
from dangjian.knowledge.models import DailySchedule, EntryTier, PolicyArticle, PolicyStatus
from dangjian.knowledge.services import daily, policy
from dangjian.knowledge.tests.kb_helpers import make_base, make_entry

TODAY = timezone.localdate()
TOMORROW = TODAY + dt.timedelta(days=1)


@pytest.fixture
def base(cast):
    return make_base(cast.org["P"])


def schedule(cast, org_key, entry, day=TOMORROW, user="province_admin", **more):
    return daily.daily_schedule(
        acting_user=cast.user[user], org=cast.org[org_key], day=day, entry=entry, **more
    )


# --- 每日一答: rules


def test_an_editor_schedules_tomorrow_and_it_is_audited(cast, base):
    item = schedule(cast, "P", base[0], note="转接高频问题")
    assert (item.day, item.entry, item.note) == (TOMORROW, base[0], "转接高频问题")
    assert AuditEntry.objects.filter(action="kb.daily.schedule").count() == 1


def test_scheduling_a_day_again_replaces_its_choice(cast, base):
    schedule(cast, "P", base[0])
    schedule(cast, "P", base[1])
    assert DailySchedule.objects.get().entry == base[1]
    assert AuditEntry.objects.filter(action="kb.daily.reschedule").count() == 1
    schedule(cast, "P", base[1])  # the same again writes nothing
    assert AuditEntry.objects.filter(action__startswith="kb.daily").count() == 2


@pytest.mark.parametrize(
    ("day", "field"),
    [
        (TODAY - dt.timedelta(days=1), "day"),
        (TODAY + dt.timedelta(days=daily.SCHEDULE_AHEAD_DAYS + 1), "day"),
    ],
)
def test_a_past_or_too_distant_day_is_refused(cast, base, day, field):
    with pytest.raises(ValidationError) as exc:
        schedule(cast, "P", base[0], day=day)
    assert field in exc.value.message_dict


def test_today_and_the_last_day_ahead_are_allowed(cast, base):
    schedule(cast, "P", base[0], day=TODAY)
    schedule(cast, "P", base[0], day=TODAY + dt.timedelta(days=daily.SCHEDULE_AHEAD_DAYS))


def test_only_a_published_curated_entry_can_be_scheduled(cast, base):
    draft = make_entry(cast.org["P"], publish=False, question="草稿问题是什么？")
    imported = make_entry(cast.org["P"], question="题库里的题目是什么？")
    imported.__class__.objects.filter(pk=imported.pk).update(tier=EntryTier.IMPORTED)
    for entry in (draft, imported, None):
        with pytest.raises(ValidationError) as exc:
            schedule(cast, "P", entry)
        assert exc.value.message_dict["entry"] == [daily.MSG_ENTRY]


def test_a_non_editor_is_refused_and_an_editor_only_in_their_scope(cast, base):
    with pytest.raises(PermissionDenied):
        schedule(cast, "B1", base[0], user="member")
    with pytest.raises(Http404):  # a sibling county's organisation is not even visible
        schedule(cast, "K1", base[0], user="sibling_county_admin")
    assert schedule(cast, "K1", base[0], user="county_admin").org == cast.org["K1"]


def test_cancelling_falls_back_and_a_past_schedule_stays(cast, base):
    item = schedule(cast, "P", base[0])
    daily.daily_unschedule(acting_user=cast.user["province_admin"], item=item)
    assert not DailySchedule.objects.exists()
    past = DailySchedule.objects.create(
        org=cast.org["P"], day=TODAY - dt.timedelta(days=1), entry=base[0]
    )
    with pytest.raises(ValidationError):
        daily.daily_unschedule(acting_user=cast.user["province_admin"], item=past)


def test_a_member_gets_the_nearest_schedule_else_the_automatic_pick(cast, base):
    member = cast.user["member"]  # branch B1, under K1, under C1, under P
    auto = daily.daily_pick(day=TODAY)
    assert selectors.daily_today(member).entry == auto.entry
    assert not selectors.daily_today(member).chosen
    schedule(cast, "P", base[1], day=TODAY)
    assert selectors.daily_today(member).entry == base[1]
    schedule(cast, "K1", base[2], day=TODAY)
    assert selectors.daily_today(member).entry == base[2]  # the county's choice is nearer
    assert selectors.daily_today(cast.user["examiner"]).entry == base[1]  # C2: the province's


def test_the_root_schedule_is_the_days_pick(cast, base):
    schedule(cast, "P", base[2])
    assert daily.daily_pick(day=TOMORROW).entry == base[2]


def test_the_automatic_pick_leaves_out_imported_entries(cast):
    entry = make_entry(cast.org["P"], question="题库里的题目是什么？")
    entry.__class__.objects.filter(pk=entry.pk).update(tier=EntryTier.IMPORTED)
    assert daily.daily_pick(day=TOMORROW) is None


def test_the_push_sends_each_member_their_own_entry(cast, base):
    from dangjian.core.models import Notification

    schedule(cast, "K1", base[2], day=TODAY)
    daily.daily_pick(day=TODAY)
    assert daily.daily_send(day=TODAY) > 0
    titles = dict(
        Notification.objects.filter(kind=daily.DAILY_KIND).values_list("user_id", "title")
    )
    assert titles[cast.user["member"].pk] == f"每日一答：{base[2].question}"
    others = {t for u, t in titles.items() if u != cast.user["member"].pk}
    assert f"每日一答：{base[2].question}" not in others or len(others) > 1


# --- 政策解读: rules


def write(cast, user="province_admin", org="P", **more):
    fields = {"title": "解读发展党员工作细则", "body": "## 要点\n\n一是……", **more}
    return policy.article_create(acting_user=cast.user[user], org=cast.org[org], **fields)


def test_an_article_is_a_draft_until_published(cast):
    article = write(cast, source="《中国共产党发展党员工作细则》")
    assert article.status == PolicyStatus.DRAFT
    assert not selectors.policy_public().exists()
    policy.article_publish(acting_user=cast.user["province_admin"], article=article)
    assert list(selectors.policy_public()) == [article]
    policy.article_withdraw(acting_user=cast.user["province_admin"], article=article)
    assert not selectors.policy_public().exists()
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"kb.policy.create", "kb.policy.publish", "kb.policy.withdraw"} <= actions


def test_a_future_publish_date_waits(cast):
    article = write(cast, publish_date=TOMORROW)
    policy.article_publish(acting_user=cast.user["province_admin"], article=article)
    assert not selectors.policy_public().exists()
    assert selectors.policy_public(TOMORROW).get() == article


@pytest.mark.parametrize(
    ("fields", "field"),
    [({"title": "短"}, "title"), ({"body": "  "}, "body"), ({"title": ""}, "title")],
)
def test_article_refusals(cast, fields, field):
    with pytest.raises(ValidationError) as exc:
        write(cast, **fields)
    assert field in exc.value.message_dict


def test_publishing_twice_is_refused(cast):
    article = write(cast)
    policy.article_publish(acting_user=cast.user["province_admin"], article=article)
    with pytest.raises(ValidationError):
        policy.article_publish(acting_user=cast.user["province_admin"], article=article)


def test_an_edit_that_changes_nothing_writes_nothing(cast):
    article = write(cast)
    policy.article_update(
        acting_user=cast.user["province_admin"], article=article, title=article.title
    )
    assert not AuditEntry.objects.filter(action="kb.policy.update").exists()
    policy.article_update(
        acting_user=cast.user["province_admin"], article=article, title="新的标题四字"
    )
    assert PolicyArticle.objects.get().title == "新的标题四字"


def test_members_cannot_write_and_only_editors_see_drafts(cast):
    with pytest.raises(PermissionDenied):
        write(cast, user="member", org="B1")
    article = write(cast, user="county_admin", org="K1")
    assert not selectors.policy_queryset(cast.user["member"]).filter(pk=article.pk).exists()
    assert selectors.policy_queryset(cast.user["city_admin"]).filter(pk=article.pk).exists()
    with pytest.raises(Http404):
        policy.article_publish(acting_user=cast.user["sibling_county_admin"], article=article)
    article = policy.article_publish(acting_user=cast.user["county_admin"], article=article)
    with pytest.raises(PermissionDenied):  # published: visible, yet not theirs to change
        policy.article_withdraw(acting_user=cast.user["sibling_county_admin"], article=article)


# --- Pages and API


def test_the_editor_schedules_on_the_plan_page(cast, base, client, login):
    login(cast.user["province_admin"])
    page = client.get("/consult/daily/plan/", {"q": "党费"})
    assert page.status_code == 200 and base[1].question in page.content.decode()
    response = client.post(
        f"/consult/daily/plan/?org={cast.org['P'].pk}",
        {"org": cast.org["P"].pk, "entry": base[1].pk, "day": TOMORROW.isoformat()},
    )
    assert response.status_code == 302
    assert DailySchedule.objects.get().entry == base[1]
    plan = client.get(response["Location"]).content.decode()
    assert base[1].question in plan and "取消" in plan


def test_the_plan_page_shows_a_refusal(cast, base, client, login):
    login(cast.user["province_admin"])
    response = client.post(
        "/consult/daily/plan/",
        {"org": cast.org["P"].pk, "entry": base[1].pk, "day": "2000-01-01"},
    )
    assert response.status_code == 200 and daily.MSG_PAST in response.content.decode()


def test_a_member_cannot_open_the_plan_page(cast, client, login):
    login(cast.user["member"])
    assert client.get("/consult/daily/plan/").status_code == 403


def test_members_read_the_column_and_the_home_page_links_it(cast, client, login):
    article = write(cast, summary="一图读懂")
    policy.article_publish(acting_user=cast.user["province_admin"], article=article)
    login(cast.user["member"])
    listing = client.get("/consult/policy/").content.decode()
    assert article.title in listing and "写政策解读" not in listing
    detail = client.get(f"/consult/policy/{article.pk}/").content.decode()
    assert "<h2>要点</h2>" in detail and "/edit/" not in detail
    assert f"/consult/policy/{article.pk}/" in client.get("/").content.decode()


def test_an_editor_writes_and_publishes_through_the_pages(cast, client, login):
    login(cast.user["province_admin"])
    response = client.post(
        "/consult/policy/new/",
        {
            "org": cast.org["P"].pk,
            "title": "党费交纳标准解读",
            "body": "按月交纳。",
            "publish_date": TODAY.isoformat(),
        },
    )
    article = PolicyArticle.objects.get()
    assert response["Location"] == f"/consult/policy/{article.pk}/"
    client.post(f"/consult/policy/{article.pk}/publish/")
    assert PolicyArticle.objects.get().status == PolicyStatus.PUBLISHED


def test_the_api(cast, base, client, login):
    login(cast.user["province_admin"])
    made = client.post(
        "/api/v1/consult/daily/schedule",
        {"day": TOMORROW.isoformat(), "entry_id": base[0].pk},
        content_type="application/json",
    )
    assert made.status_code == 201 and made.json()["question"] == base[0].question
    listed = client.get("/api/v1/consult/daily/schedule").json()
    assert listed["count"] == 1
    bad = client.post(
        "/api/v1/consult/daily/schedule",
        {"day": "2000-01-01", "entry_id": base[0].pk},
        content_type="application/json",
    )
    assert bad.status_code == 422
    assert {e["loc"][-1] for e in bad.json()["detail"]} == {"day"}
    gone = client.delete(f"/api/v1/consult/daily/schedule/{made.json()['id']}")
    assert gone.status_code == 204
    article = client.post(
        "/api/v1/consult/policy",
        {"title": "组织关系转接解读", "body": "正文"},
        content_type="application/json",
    )
    assert article.status_code == 201 and article.json()["status"] == "draft"
    pk = article.json()["id"]
    assert client.post(f"/api/v1/consult/policy/{pk}/publish").json()["status"] == "published"
    assert client.get("/api/v1/consult/policy").json()["count"] == 1
    today = client.get("/api/v1/consult/daily/today")
    assert today.status_code in (200, 204)
