"""Notifications: inbox, idempotent sends, SMS adapter, one-time SMS codes, inbox pages."""

import pytest
from django.test import override_settings
from django.urls import reverse

from dangjian.accounts.models import User
from dangjian.core import notify
from dangjian.core.models import AuditEntry, Notification
from dangjian.core.notify import SmsCodeError, sms_outbox

pytestmark = pytest.mark.django_db


def test_send_puts_one_message_per_user_and_audits(cast):
    users = [cast.user["member"], cast.user["branch_admin"]]
    before = AuditEntry.objects.filter(action="notify.send").count()
    assert notify.send(users, kind="test", title="开会", body="明天九点") == 2
    assert notify.unread_count(cast.user["member"]) == 1
    assert notify.unread_count(cast.user["outsider"]) == 0
    assert AuditEntry.objects.filter(action="notify.send").count() == before + 1
    assert sms_outbox == []  # no SMS unless asked


def test_dedupe_key_makes_sends_idempotent(cast):
    users = User.objects.filter(username__in=["member", "branch_admin"])
    assert notify.send(users, kind="warn", title="预警", dedupe_key="w:B1:2026-11") == 2
    assert notify.send(users, kind="warn", title="预警", dedupe_key="w:B1:2026-11") == 0
    more = User.objects.filter(username__in=["member", "county_admin"])
    assert notify.send(more, kind="warn", title="预警", dedupe_key="w:B1:2026-11") == 1
    assert Notification.objects.filter(dedupe_key="w:B1:2026-11").count() == 3


def test_sms_goes_to_the_members_phone_only_once(cast):
    member = cast.user["member"]  # linked to B1m1
    notify.send([member, cast.user["agent"]], kind="k", title="提醒", sms=True, dedupe_key="s1")
    notify.send([member], kind="k", title="提醒", sms=True, dedupe_key="s1")
    assert sms_outbox == [(cast.member["B1m1"].phone, "【智慧党建】提醒")]  # agent: no phone


def test_a_failing_gateway_does_not_undo_the_inbox(cast, monkeypatch):
    def broken(self, phone, text):
        raise ConnectionError("gateway down")

    monkeypatch.setattr(notify.LocmemSmsBackend, "send", broken)
    assert notify.send([cast.user["member"]], kind="k", title="t", sms=True) == 1
    assert notify.unread_count(cast.user["member"]) == 1


def test_mark_read_touches_only_ones_own_messages(cast):
    notify.send([cast.user["member"], cast.user["agent"]], kind="k", title="t")
    theirs = Notification.objects.get(user=cast.user["agent"])
    assert notify.mark_read(cast.user["member"], [theirs.pk]) == 0
    assert notify.unread_count(cast.user["agent"]) == 1
    assert notify.mark_read(cast.user["member"]) == 1
    assert notify.unread_count(cast.user["member"]) == 0


# --- One-time SMS codes -----------------------------------------------------------------

PHONE = "13912340000"


def _code() -> str:
    return sms_outbox[-1][1].split("验证码是 ")[1][:6]


def test_sms_code_is_single_use(db):
    notify.sms_code_issue(PHONE, "consult")
    code = _code()
    notify.sms_code_verify(PHONE, "consult", code)
    with pytest.raises(SmsCodeError, match="验证码错误或已过期"):  # replay
        notify.sms_code_verify(PHONE, "consult", code)


def test_sms_code_is_bound_to_phone_and_purpose(db):
    notify.sms_code_issue(PHONE, "consult")
    code = _code()
    with pytest.raises(SmsCodeError):
        notify.sms_code_verify("13912340001", "consult", code)
    with pytest.raises(SmsCodeError):
        notify.sms_code_verify(PHONE, "login", code)
    notify.sms_code_verify(PHONE, "consult", code)


def test_sms_code_gives_up_after_five_wrong_attempts(db):
    notify.sms_code_issue(PHONE, "consult")
    code = _code()
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(notify.CODE_ATTEMPTS):
        with pytest.raises(SmsCodeError):
            notify.sms_code_verify(PHONE, "consult", wrong)
    with pytest.raises(SmsCodeError):  # even the right code is now refused
        notify.sms_code_verify(PHONE, "consult", code)


@override_settings(RATE_LIMITS={"sms": (1, 60)})
def test_sms_codes_are_rate_limited_per_phone(db):
    notify.sms_code_issue(PHONE, "consult")
    with pytest.raises(SmsCodeError, match="秒后再试"):
        notify.sms_code_issue(PHONE, "consult")
    notify.sms_code_issue("13912340001", "consult")  # another phone is not affected
    assert len(sms_outbox) == 2


# --- Pages and API ----------------------------------------------------------------------


def test_inbox_page_badge_open_and_read_all(client, login, cast):
    user = cast.user["member"]
    notify.send([user], kind="k", title="主题党日提醒", url="/orgs/")
    notify.send([user], kind="k", title="第二条", url="https://evil.example/")
    login(user)
    home = client.get(reverse("home")).content.decode()
    assert "2 条未读" in home
    page = client.get(reverse("inbox")).content.decode()
    assert "主题党日提醒" in page and "第二条" in page
    first = Notification.objects.get(title="主题党日提醒")
    response = client.post(reverse("inbox_open", args=[first.pk]))
    assert response.status_code == 302 and response["Location"] == "/orgs/"
    evil = Notification.objects.get(title="第二条")
    response = client.post(reverse("inbox_open", args=[evil.pk]))
    assert response["Location"] == reverse("inbox")  # never an open redirect
    notify.send([user], kind="k", title="第三条")
    client.post(reverse("inbox"))
    assert notify.unread_count(user) == 0


def test_inbox_open_of_anothers_message_is_404(client, login, cast):
    notify.send([cast.user["agent"]], kind="k", title="t")
    login(cast.user["member"])
    other = Notification.objects.get(user=cast.user["agent"])
    assert client.post(reverse("inbox_open", args=[other.pk])).status_code == 404
    assert client.get(reverse("inbox_open", args=[other.pk])).status_code == 405


def test_inbox_api(client, bearer, cast):
    user = cast.user["member"]
    notify.send([user], kind="k", title="一")
    notify.send([user], kind="k", title="二")
    notify.send([cast.user["agent"]], kind="k", title="别人的")
    headers = bearer(user)
    body = client.get("/api/v1/inbox", **headers).json()
    assert body["count"] == 2 and [n["title"] for n in body["items"]] == ["二", "一"]
    assert client.get("/api/v1/inbox/unread", **headers).json() == {"unread": 2}
    one = body["items"][0]["id"]
    response = client.post(
        "/api/v1/inbox/read", {"ids": [one]}, content_type="application/json", **headers
    )
    assert response.json() == {"marked": 1, "unread": 1}
    unread = client.get("/api/v1/inbox?unread=true", **headers).json()
    assert [n["title"] for n in unread["items"]] == ["一"]
    bad = client.post(
        "/api/v1/inbox/read", {"ids": "all"}, content_type="application/json", **headers
    )
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "ids"]
    assert client.get("/api/v1/inbox").status_code == 401
