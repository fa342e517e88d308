"""The case engine over a test-only ticket (tests/caseapp): the declared table, refusals,
history and audit, deadlines on the official calendar, escalation, rating, and two
concurrent moves on PostgreSQL."""

import datetime as dt
import threading
import time

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections, transaction

from dangjian.core import cases
from dangjian.core.calendar import TZ
from dangjian.core.models import AuditEntry, Notification
from tests.caseapp.models import Ticket, TicketEvent
from tests.caseapp.workflow import MSG_NOT_HANDLER, MSG_RESULT, MSG_SAME_HANDLER, TICKET_FLOW


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=TZ)


FRIDAY = at(2026, 11, 20, 15, 30)


def open_ticket(cast, *, org="K1", now=FRIDAY, reporter="member") -> Ticket:
    ticket = Ticket(title="路灯坏了", org=cast.org[org], reporter=cast.user[reporter])
    return cases.open_case(ticket, actor=cast.user[reporter], now=now)


def history(ticket) -> list[tuple[str, str, str]]:
    return list(ticket.events.values_list("action", "from_status", "to_status"))


# --- The declared table


def test_a_workflow_naming_an_undeclared_state_is_refused_at_declaration():
    with pytest.raises(ValueError, match="undeclared states"):
        cases.Workflow(
            name="bad",
            model="caseapp.Nothing",
            history="caseapp.NothingEvent",
            initial="new",
            states={"new": cases.State("新")},
            transitions={"go": cases.Transition(("new",), "gone", "走")},
        )


def test_an_unknown_transition_is_a_programming_error(cast):
    ticket = open_ticket(cast)
    with pytest.raises(ValueError, match="no transition"):
        cases.transition(ticket, "teleport", actor=cast.user["county_admin"])


# --- Moves, refusals, history


def test_a_move_writes_history_and_the_audit_entry(cast):
    admin = cast.user["county_admin"]
    ticket = open_ticket(cast)
    cases.transition(ticket, "accept", actor=admin, reason="已电话联系", now=FRIDAY)
    assert ticket.status == "accepted" and ticket.assignee == admin
    assert ticket.first_response_at == FRIDAY
    assert history(ticket) == [("create", "", "new"), ("accept", "new", "accepted")]
    step = ticket.events.last()
    assert (step.actor, step.note, step.at) == (admin, "已电话联系", FRIDAY)
    entry = AuditEntry.objects.get(action="caseapp.ticket.accept", object_id=str(ticket.pk))
    assert entry.org_path == cast.org["K1"].path
    assert entry.before["status"] == "new" and entry.after["status"] == "accepted"
    assert Ticket.objects.get(pk=ticket.pk).status == "accepted"


def test_an_illegal_move_is_refused_in_chinese_and_writes_nothing(cast):
    ticket = open_ticket(cast)
    with pytest.raises(cases.TransitionRefused) as exc:
        cases.transition(ticket, "resolve", actor=cast.user["county_admin"], result="已修好")
    assert exc.value.message_dict == {"status": ["当前状态为“待受理”，不能办结"]}
    assert exc.value.transition == "resolve"
    assert isinstance(exc.value, ValidationError)  # pages and the API report it as a 422
    assert Ticket.objects.get(pk=ticket.pk).status == "new"
    assert history(ticket) == [("create", "", "new")]


def test_the_state_is_read_under_the_lock_not_from_a_stale_copy(cast):
    ticket = open_ticket(cast)
    stale = Ticket.objects.get(pk=ticket.pk)
    cases.transition(ticket, "accept", actor=cast.user["county_admin"])
    with pytest.raises(cases.TransitionRefused):
        cases.transition(stale, "accept", actor=cast.user["city_admin"])
    assert stale.status == "accepted" and stale.assignee == cast.user["county_admin"]


def test_guards_refuse_in_order_and_name_their_field(cast):
    admin, other = cast.user["county_admin"], cast.user["city_admin"]
    ticket = open_ticket(cast)
    cases.transition(ticket, "accept", actor=admin, now=FRIDAY)
    with pytest.raises(cases.TransitionRefused) as exc:
        cases.transition(ticket, "resolve", actor=other, result="已修好")
    assert exc.value.message_dict == {"status": [MSG_NOT_HANDLER]}
    with pytest.raises(cases.TransitionRefused) as exc:
        cases.transition(ticket, "resolve", actor=admin, result="  ")
    assert exc.value.message_dict == {"result": [MSG_RESULT]}
    resolved_at = at(2026, 11, 23, 10)
    cases.transition(ticket, "resolve", actor=admin, result=" 已修好 ", now=resolved_at)
    assert (ticket.status, ticket.result, ticket.answered_at) == ("resolved", "已修好", resolved_at)
    assert ticket.events.last().note == "已修好"  # the effect's note


def test_transfer_and_reassign_change_the_handler(cast):
    admin, other = cast.user["county_admin"], cast.user["city_admin"]
    ticket = open_ticket(cast)
    cases.transition(ticket, "accept", actor=admin)
    with pytest.raises(ValidationError) as exc:
        cases.transition(ticket, "transfer", actor=admin)
    assert exc.value.message_dict == {"assignee": [cases.MSG_ASSIGNEE_REQUIRED]}
    cases.transition(ticket, "transfer", actor=admin, assignee=other)
    assert (ticket.status, ticket.assignee) == ("handling", other)
    with pytest.raises(cases.TransitionRefused) as exc:
        cases.transition(ticket, "transfer", actor=admin, assignee=admin)  # no longer theirs
    assert exc.value.message_dict == {"status": [MSG_NOT_HANDLER]}
    with pytest.raises(cases.TransitionRefused) as exc:
        cases.transition(ticket, "reassign", actor=admin, assignee=other)
    assert exc.value.message_dict == {"status": [MSG_SAME_HANDLER]}
    cases.transition(ticket, "reassign", actor=cast.user["province_admin"], assignee=admin)
    assert (ticket.status, ticket.assignee) == ("handling", admin)
    assert history(ticket)[-1] == ("reassign", "handling", "handling")
    assert ticket.events.last().note == f"转交{admin}"


def test_allowed_moves_follow_the_state_and_who_holds_the_case(cast):
    admin, other = cast.user["county_admin"], cast.user["city_admin"]
    ticket = open_ticket(cast)
    assert cases.allowed(ticket, admin) == {"accept", "reassign"}
    cases.transition(ticket, "accept", actor=admin)
    # resolve needs a result: the form asks for it, so the move is shown
    assert cases.allowed(ticket, admin) == {"transfer", "reassign", "resolve"}
    assert cases.allowed(ticket, other) == {"reassign"}


# --- Deadlines on the official calendar


def test_timers_count_working_hours_over_a_weekend(cast):
    ticket = open_ticket(cast)  # Friday 15:30: 2 working hours left that day
    assert ticket.first_response_due == at(2026, 11, 23, 11, 0)  # Monday
    assert ticket.resolution_due == at(2026, 11, 24, 15, 30)  # 2 + 7 + 5 hours


def test_timers_stop_over_the_national_day_holiday(cast):
    ticket = open_ticket(cast, now=at(2025, 9, 30, 16, 0))  # 1–8 October off
    assert ticket.first_response_due == at(2025, 10, 9, 11, 30)


def test_breach_is_the_first_timer_missed():
    due1, due2 = at(2026, 11, 23, 11), at(2026, 11, 24, 15, 30)
    assert cases.breached_at([(due1, None), (due2, None)], due1) is None
    assert cases.breached_at([(due1, None), (due2, None)], due1 + dt.timedelta(seconds=1)) == due1
    late = at(2026, 11, 23, 12)
    assert cases.breached_at([(due1, late), (due2, None)], late) == due1  # met, but late
    assert cases.breached_at([(None, None), (due2, None)], at(2026, 12, 1)) == due2


def test_escalation_steps_skip_the_weekend():
    breach = at(2026, 11, 20, 17, 0)  # Friday, end of the working day

    def level(now):
        return cases.escalation_level(breach, now, max_level=2, step_hours=7)

    assert level(breach) == 0
    assert level(at(2026, 11, 21, 12)) == 1  # Saturday: one level at the breach
    assert level(at(2026, 11, 23, 16, 59)) == 1  # Friday's last half hour + Monday's 6.5
    assert level(at(2026, 11, 23, 17, 0)) == 2
    assert level(at(2027, 1, 1)) == 2  # the top


def test_reminder_counts_workdays():
    assert not cases.reminder_due(dt.date(2026, 11, 20), dt.date(2026, 11, 23), 2)
    assert cases.reminder_due(dt.date(2026, 11, 20), dt.date(2026, 11, 24), 2)


# --- Escalation up the tree


def test_escalation_is_once_per_level_however_often_the_job_runs(cast):
    ticket = open_ticket(cast)  # K1 (county): city, then province above it
    assert cases.escalate_overdue(TICKET_FLOW, now=at(2026, 11, 23, 11, 0)) == 0  # due, not late
    slot = at(2026, 11, 23, 11, 15)
    assert cases.escalate_overdue(TICKET_FLOW, now=slot) == 1
    assert cases.escalate_overdue(TICKET_FLOW, now=slot) == 0  # the slot re-run
    ticket.refresh_from_db()
    assert (ticket.escalation_level, ticket.escalated_to) == (1, cast.org["C1"])
    assert ticket.events.last().note == "超时未办，升级至昆明市委"
    later = at(2026, 11, 24, 11, 15)  # a workday on, still untouched
    assert [cases.escalate_overdue(TICKET_FLOW, now=later) for _ in range(2)] == [1, 0]
    assert cases.escalate_overdue(TICKET_FLOW, now=at(2026, 12, 31, 11)) == 0  # at the top
    ticket.refresh_from_db()
    assert (ticket.escalation_level, ticket.escalated_to) == (2, cast.org["P"])
    assert [a for a, _, _ in history(ticket)].count("escalate") == 2
    audits = AuditEntry.objects.filter(action="caseapp.ticket.escalate", object_id=str(ticket.pk))
    assert audits.count() == 2 and audits.first().actor is None


def test_a_handled_or_waiting_case_does_not_escalate(cast):
    admin = cast.user["county_admin"]
    ticket = open_ticket(cast)
    cases.transition(ticket, "accept", actor=admin, now=FRIDAY)
    cases.transition(ticket, "resolve", actor=admin, result="已修好", now=FRIDAY)
    assert cases.escalate(ticket, now=at(2026, 12, 31, 11)) is False
    assert ticket.escalation_level == 0


def test_escalation_follows_the_tree_as_it_is_now(cast):
    from dangjian.orgs import services as orgs

    ticket = open_ticket(cast, org="K3")  # 麒麟区 under 曲靖
    orgs.org_move(acting_user=cast.user["root"], org=cast.org["K3"], new_parent=cast.org["C1"])
    ticket.org.refresh_from_db()
    assert cases.org_above(ticket.org, 1) == cast.org["C1"]  # its new city
    assert cases.org_above(ticket.org, 2) == cast.org["P"]
    assert cases.org_above(ticket.org, 3) is None
    cases.escalate(ticket, now=at(2026, 11, 23, 11, 15))
    assert ticket.escalated_to == cast.org["C1"]


# --- Rating and reopening


def resolved(cast, now=FRIDAY) -> Ticket:
    admin = cast.user["county_admin"]
    ticket = open_ticket(cast, now=now)
    cases.transition(ticket, "accept", actor=admin, now=now)
    cases.transition(ticket, "resolve", actor=admin, result="已修好", now=now)
    return ticket


def test_a_good_rating_closes_and_a_reopen_clears_the_close(cast):
    member = cast.user["member"]
    ticket = resolved(cast)
    rated = at(2026, 11, 23, 9, 30)
    cases.rate(ticket, 4, actor=member, comment=" 很快 ", now=rated)
    assert (ticket.status, ticket.rating, ticket.rating_comment) == ("closed", 4, "很快")
    assert ticket.closed_at == rated == ticket.rated_at
    assert history(ticket)[-1] == ("rate", "resolved", "closed")
    cases.transition(ticket, "reopen", actor=member, reason="又坏了", now=rated)
    assert (ticket.status, ticket.closed_at, ticket.reopen_count) == ("reopened", None, 1)


def test_a_poor_rating_reopens_with_fresh_timers(cast):
    ticket = resolved(cast)
    monday = at(2026, 11, 23, 9, 0)
    cases.rate(ticket, 2, actor=cast.user["member"], comment="没修好", now=monday)
    assert ticket.status == "reopened" and ticket.rating == 2 and ticket.closed_at is None
    assert (ticket.reopen_count, ticket.first_response_at, ticket.escalation_level) == (1, None, 0)
    assert ticket.first_response_due == at(2026, 11, 23, 14, 30)  # 4 working hours on
    assert history(ticket)[-2:] == [
        ("rate", "resolved", "resolved"),
        ("reopen", "resolved", "reopened"),
    ]
    assert ticket.events.last().note == "没修好"
    cases.transition(ticket, "accept", actor=cast.user["city_admin"], now=monday)
    assert ticket.assignee == cast.user["city_admin"]


@pytest.mark.parametrize("rating", [0, 6, True, "5", None])
def test_a_rating_is_an_integer_from_1_to_5(cast, rating):
    ticket = resolved(cast)
    with pytest.raises(ValidationError) as exc:
        cases.rate(ticket, rating, actor=cast.user["member"])
    assert exc.value.message_dict == {"rating": [cases.MSG_RATING]}
    assert Ticket.objects.get(pk=ticket.pk).status == "resolved"


def test_only_a_resolved_case_is_rated(cast):
    ticket = open_ticket(cast)
    with pytest.raises(cases.TransitionRefused) as exc:
        cases.rate(ticket, 5, actor=cast.user["member"])
    assert exc.value.field == "rating"
    with pytest.raises(ValidationError) as exc:
        cases.rate(resolved(cast), 5, actor=cast.user["member"], comment="长" * 501)
    assert exc.value.message_dict == {"comment": [cases.MSG_COMMENT_LONG]}


def test_rating_reminder_after_the_workdays_once(cast):
    ticket = resolved(cast)  # Friday
    assert cases.remind_unrated(TICKET_FLOW, now=at(2026, 11, 23, 10)) == 0  # one workday
    assert cases.remind_unrated(TICKET_FLOW, now=at(2026, 11, 24, 10)) == 1
    assert cases.remind_unrated(TICKET_FLOW, now=at(2026, 11, 24, 10)) == 0
    cases.rate(ticket, 5, actor=cast.user["member"])
    assert cases.remind_unrated(TICKET_FLOW, now=at(2026, 11, 30, 10)) == 0
    assert Notification.objects.filter(kind="caseapp.rate").count() == 1


# --- Two connections at once (PostgreSQL: SQLite runs one write transaction at a time)


@pytest.fixture
def committed_cast(transactional_db):
    """The cast in a transactional test (a previous one may have flushed it)."""
    from dangjian.orgs.models import Organisation
    from tests.kit import build_cast, reload

    if not Organisation.objects.exists():
        pytest.dangjian_cast = build_cast()
    return reload(pytest.dangjian_cast)


def _waiting_on_a_lock() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


def test_two_concurrent_claims_one_wins(committed_cast):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    cast = committed_cast
    ticket = open_ticket(cast)
    first_holds, release = threading.Event(), threading.Event()
    outcome: dict[str, str] = {}

    def claim(key: str, user, *, hold: bool) -> None:
        try:
            with transaction.atomic():
                cases.transition(Ticket.objects.get(pk=ticket.pk), "accept", actor=user)
                if hold:  # keep the row locked until the other is seen waiting
                    first_holds.set()
                    release.wait(timeout=60)
            outcome[key] = "accepted"
        except cases.TransitionRefused as exc:
            outcome[key] = exc.refusal
        finally:
            connections.close_all()

    first = threading.Thread(
        target=claim, args=("a", cast.user["county_admin"]), kwargs={"hold": True}
    )
    second = threading.Thread(
        target=claim, args=("b", cast.user["city_admin"]), kwargs={"hold": False}
    )
    first.start()
    assert first_holds.wait(timeout=60)
    second.start()
    deadline = time.monotonic() + 60
    while not _waiting_on_a_lock():  # the second is blocked on the row, not done
        assert time.monotonic() < deadline and second.is_alive()
        time.sleep(0.01)
    release.set()
    first.join(60)
    second.join(60)
    assert outcome == {"a": "accepted", "b": "当前状态为“已受理”，不能受理"}
    ticket.refresh_from_db()
    assert ticket.assignee == cast.user["county_admin"]
    assert TicketEvent.objects.filter(ticket=ticket, action="accept").count() == 1
