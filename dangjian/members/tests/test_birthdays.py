"""政治生日: who is greeted on which day, the event and message, the e-card page and image."""

import datetime as dt

import pytest
from django.urls import reverse

from dangjian.core import events, jobs
from dangjian.core.calendar import TZ
from dangjian.core.models import Notification
from dangjian.members import birthdays
from dangjian.members.models import Member

D = dt.date


@pytest.mark.parametrize(
    ("joined", "day", "yes"),
    [
        (D(2010, 7, 1), D(2026, 7, 1), True),
        (D(2010, 7, 1), D(2026, 6, 30), False),
        (D(2026, 7, 1), D(2026, 7, 1), False),  # the admission day is no anniversary
        (D(2012, 2, 29), D(2026, 2, 28), True),  # leap-day admissions: 28 Feb in common years
        (D(2012, 2, 29), D(2028, 2, 28), False),
        (D(2012, 2, 29), D(2028, 2, 29), True),
    ],
)
def test_is_anniversary(joined, day, yes):
    assert birthdays.is_anniversary(joined, day) is yes


def test_years_and_next_anniversary():
    assert birthdays.party_years(D(2010, 7, 1), D(2026, 6, 30)) == 15
    assert birthdays.party_years(D(2010, 7, 1), D(2026, 7, 1)) == 16
    assert birthdays.next_anniversary(D(2010, 7, 1), D(2026, 7, 2)) == D(2027, 7, 1)
    assert birthdays.next_anniversary(D(2010, 7, 1), D(2026, 7, 1)) == D(2026, 7, 1)
    assert birthdays.next_anniversary(D(2026, 12, 10), D(2026, 12, 6)) == D(2027, 12, 10)
    assert birthdays.next_anniversary(D(2012, 2, 29), D(2026, 3, 1)) == D(2027, 2, 28)


@pytest.mark.django_db
def test_daily_job_publishes_and_notifies_on_commit(cast, django_capture_on_commit_callbacks):
    seen = []
    unsubscribe = events.subscribe(
        "members.political_birthday", lambda e: seen.append(dict(e.payload))
    )
    at = dt.datetime(2026, 7, 1, 8, 0, tzinfo=TZ)  # B1m1 joined on 1 July 2010
    try:
        with django_capture_on_commit_callbacks() as callbacks:
            count = jobs.get("members.political_birthdays").func(at=at)
        assert not seen and not Notification.objects.exists()  # nothing before the commit
        for callback in callbacks:
            callback()
    finally:
        unsubscribe()
    celebrating = set(
        Member.objects.filter(joined_on__month=7, joined_on__day=1).values_list("pk", flat=True)
    )
    assert count == len(celebrating) >= 1
    assert {e["member_id"] for e in seen} == celebrating
    assert (16, "2026-07-01") in {(e["years"], e["on"]) for e in seen}
    note = Notification.objects.get(user=cast.user["member"], kind="members.political_birthday")
    assert "入党16周年" in note.title and note.url == reverse("members:birthday")


@pytest.mark.django_db
def test_ecard_page_and_image_for_the_member(client, cast, login):
    login(cast.user["member"])
    page = client.get(reverse("members:birthday"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "政治生日" in text and cast.member["B1m1"].name in text and "2010年7月1日" in text
    image = client.get(reverse("members:birthday_card"))
    assert image.status_code == 200 and image["Content-Type"] == "image/png"
    assert image.content.startswith(b"\x89PNG")


@pytest.mark.django_db
def test_no_ecard_without_a_member_record(client, cast, login):
    login(cast.user["county_admin"])
    assert client.get(reverse("members:birthday")).status_code == 404
    assert client.get(reverse("members:birthday_card")).status_code == 404
