"""Issue 19.1: check-ins and comments on one meeting never deadlock; conflicts are retried.

The deadlock was: a check-in locks the meeting FOR UPDATE and then waits for the audit
log; a comment holds the audit log and, at commit, its deferred foreign-key check needs
FOR KEY SHARE on the same meeting. Meetings are now locked FOR NO KEY UPDATE, which a
key-share check does not wait for. The parallel test runs on PostgreSQL (SQLite runs one
write transaction at a time) and counts the deadlocks the server itself detected.
"""

import datetime as dt
import threading

import pytest
from django.db import OperationalError, connection, connections, transaction
from django.utils import timezone

from dangjian.core import retry
from dangjian.orglife import services
from dangjian.orglife.choices import AttendanceStatus
from dangjian.orglife.models import Attendance, Comment, Meeting
from tests.kit import PASSWORD, new_id_number

VENUE = (25.0406, 102.7122)
ROUNDS = 200
CHECKERS = 4
COMMENTERS = 2


class FakeConflict(Exception):
    sqlstate = "40P01"


def _conflict() -> OperationalError:
    exc = OperationalError("deadlock detected")
    exc.__cause__ = FakeConflict()
    return exc


def test_a_conflict_is_retried_then_succeeds():
    calls = []

    @retry.retry_conflicts
    def service():
        calls.append(1)
        if len(calls) < retry.ATTEMPTS:
            raise _conflict()
        return "ok"

    assert service() == "ok"
    assert len(calls) == retry.ATTEMPTS


def test_retries_are_bounded():
    calls = []

    @retry.retry_conflicts
    def service():
        calls.append(1)
        raise _conflict()

    with pytest.raises(OperationalError):
        service()
    assert len(calls) == retry.ATTEMPTS


def test_other_errors_are_not_retried():
    calls = []

    @retry.retry_conflicts
    def broken():
        calls.append(1)
        raise OperationalError("server closed the connection")

    with pytest.raises(OperationalError):
        broken()
    assert len(calls) == 1


def test_a_transaction_inside_another_is_not_retried(db):
    calls = []

    @retry.retry_conflicts
    def inner():
        calls.append(1)
        raise _conflict()

    with pytest.raises(OperationalError), transaction.atomic():  # the outer one is lost
        inner()
    assert len(calls) == 1


# --- PostgreSQL: parallel connections ------------------------------------------------


@pytest.fixture
def committed_cast(transactional_db):
    """The cast in a transactional test (a previous one may have flushed it)."""
    from dangjian.orgs.models import Organisation
    from tests.kit import build_cast, reload

    if not Organisation.objects.exists():
        pytest.dangjian_cast = build_cast()
    return reload(pytest.dangjian_cast)


def _needs_postgresql() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks and deadlocks need PostgreSQL")


def _deadlocks() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
        return cursor.fetchone()[0]


def _member_users(cast, count: int) -> list:
    from dangjian.accounts import services as accounts
    from dangjian.members import services as members

    root = cast.user["root"]
    users = []
    for i in range(count):
        member = members.member_create(
            acting_user=root,
            branch=cast.org["B1"],
            name=f"并发党员{i}",
            id_number=new_id_number(dt.date(1980, 1, 1)),
            phone=f"1398888{i:04d}",
            ethnicity="汉族",
            education="bachelor",
            joined_on=dt.date(2005, 7, 1),
            full_member_on=dt.date(2006, 7, 1),
            status="full",
        )
        users.append(
            accounts.user_create(
                acting_user=root,
                username=f"lockuser{i}",
                password=PASSWORD,
                member=member,
                validate_password=False,
            )
        )
    return users


def test_parallel_checkins_and_comments_on_one_meeting(committed_cast):
    _needs_postgresql()
    cast = committed_cast
    checkers = _member_users(cast, CHECKERS)
    commenters = [cast.user["branch_admin"], cast.user["member"]]
    now = timezone.now()
    meetings = [
        services.meeting_create(
            acting_user=cast.user["branch_admin"],
            org=cast.org["B1"],
            kind="theme_day",
            topic=f"并发第{r}轮",
            starts_at=now - dt.timedelta(minutes=10),
            ends_at=now + dt.timedelta(hours=2),
            latitude=VENUE[0],
            longitude=VENUE[1],
        )
        for r in range(ROUNDS)
    ]
    deadlocks_before = _deadlocks()
    start = threading.Barrier(CHECKERS + COMMENTERS)
    failures: list[BaseException] = []

    def work(act) -> None:
        try:
            start.wait(timeout=60)
            for meeting in meetings:
                act(Meeting.objects.get(pk=meeting.pk))
        except BaseException as exc:
            failures.append(exc)
        finally:
            connections.close_all()

    def checker(user):
        return lambda m: services.checkin_by_location(
            acting_user=user, meeting=m, latitude=VENUE[0], longitude=VENUE[1]
        )

    def commenter(user):
        return lambda m: services.comment_add(acting_user=user, meeting=m, text="同意")

    threads = [threading.Thread(target=work, args=(checker(u),)) for u in checkers]
    threads += [threading.Thread(target=work, args=(commenter(u),)) for u in commenters]
    connections.close_all()  # back to the pool for the threads' use
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    assert not failures, failures[:3]
    assert _deadlocks() == deadlocks_before
    ids = [m.pk for m in meetings]
    present = Attendance.objects.filter(meeting_id__in=ids, status=AttendanceStatus.PRESENT)
    assert present.count() == ROUNDS * CHECKERS
    assert Comment.objects.filter(meeting_id__in=ids).count() == ROUNDS * COMMENTERS


def test_a_real_deadlock_is_retried(committed_cast):
    """Two transactions lock two meetings in opposite orders: PostgreSQL aborts one,
    ``retry_conflicts`` runs it again, both finish."""
    _needs_postgresql()
    cast = committed_cast
    now = timezone.now()
    a, b = (
        services.meeting_create(
            acting_user=cast.user["branch_admin"],
            org=cast.org["B1"],
            kind="theme_day",
            topic=topic,
            starts_at=now,
            ends_at=now + dt.timedelta(hours=1),
        )
        for topic in ("甲", "乙")
    )
    both_hold_one = threading.Barrier(2)
    attempts: list[str] = []
    failures: list[BaseException] = []

    def locker(first: Meeting, second: Meeting, name: str):
        @retry.retry_conflicts
        @transaction.atomic
        def lock_both():
            attempts.append(name)
            Meeting.objects.select_for_update(no_key=True).get(pk=first.pk)
            if attempts.count(name) == 1:
                both_hold_one.wait(timeout=60)
            Meeting.objects.select_for_update(no_key=True).get(pk=second.pk)

        try:
            lock_both()
        except BaseException as exc:
            failures.append(exc)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=locker, args=(a, b, "ab")),
        threading.Thread(target=locker, args=(b, a, "ba")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not failures
    assert len(attempts) == 3  # one of the two ran twice
