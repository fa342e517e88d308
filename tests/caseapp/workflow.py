"""The ticket's workflow: the shape of a resident appeal, declared for the case engine.

受理 (accept) → 移交 (transfer to another handler) → 办结 (resolve, with a result) →
反馈评价 (rate: 3–5 closes, 1–2 reopens); 转派 (reassign) keeps the state.
"""

from dangjian.core import cases, notify
from dangjian.core.calendar import add_work_hours
from tests.caseapp.models import TicketStatus as S

MSG_NOT_HANDLER = "只有承办人可以办理该诉求"
MSG_RESULT = "请填写办理结果"
MSG_SAME_HANDLER = "已由该承办人办理"
FIRST_RESPONSE_HOURS, RESOLUTION_HOURS = 4, 14


def needs_result(ticket, actor, *, result: str = "", **_) -> cases.Refusal | None:
    return None if result.strip() else cases.Refusal(MSG_RESULT, field="result")


def another_handler(ticket, actor, *, assignee=None, **_) -> str | None:
    return MSG_SAME_HANDLER if assignee is not None and assignee == ticket.assignee else None


def write_result(ticket, *, now, result: str, **_) -> str:
    ticket.result = result.strip()
    ticket.answered_at = now
    return ticket.result


def timers(ticket, start):
    return {
        "first_response_due": add_work_hours(start, FIRST_RESPONSE_HOURS),
        "resolution_due": add_work_hours(start, RESOLUTION_HOURS),
    }


def escalated(ticket, *, level, upper, now) -> None:
    ticket.escalated_to = upper


def remind(ticket, *, now) -> int:
    return notify.send(
        [ticket.reporter],
        kind="caseapp.rate",
        title="请评价诉求办理结果",
        dedupe_key=f"caseapp.rate:{ticket.pk}:{ticket.reopen_count}",
    )


def policy() -> cases.Policy:
    return cases.Policy(step_hours=7, reminder_workdays=2, reopens=lambda rating: rating <= 2)


handler_only = cases.assignee_only(MSG_NOT_HANDLER)
OPEN = (S.NEW, S.ACCEPTED, S.HANDLING, S.REOPENED)

TICKET_FLOW = cases.Workflow(
    name="caseapp.ticket",
    model="caseapp.Ticket",
    history="caseapp.TicketEvent",
    initial=S.NEW,
    states={s.value: cases.State(s.label, terminal=s == S.CLOSED, timed=s in OPEN) for s in S},
    transitions={
        "accept": cases.Transition((S.NEW, S.REOPENED), S.ACCEPTED, "受理", effects=(cases.take,)),
        "transfer": cases.Transition(
            (S.ACCEPTED, S.HANDLING),
            S.HANDLING,
            "移交",
            guards=(handler_only, another_handler),
            effects=(cases.hand_over,),
        ),
        "reassign": cases.Transition(
            OPEN, None, "转派", guards=(another_handler,), effects=(cases.hand_over,)
        ),
        "resolve": cases.Transition(
            (S.ACCEPTED, S.HANDLING),
            S.RESOLVED,
            "办结",
            guards=(handler_only, needs_result),
            effects=(write_result,),
        ),
        "rate": cases.Transition((S.RESOLVED,), S.CLOSED, "评价", field="rating"),
        "reopen": cases.Transition(
            (S.RESOLVED, S.CLOSED), S.REOPENED, "重新办理", effects=(cases.restart,)
        ),
    },
    deadlines=(
        cases.Deadline("first_response_due", met_by="first_response_at"),
        cases.Deadline("resolution_due", met_by="answered_at"),
    ),
    timers=timers,
    policy=policy,
    rate="rate",
    reopen="reopen",
    on_escalate=escalated,
    on_rating_reminder=remind,
)
