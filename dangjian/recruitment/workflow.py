"""The 25 steps of 发展党员 declared for the case engine (core.cases).

The status is the last step done; each step's transition leaves only from the step
before it (so steps happen in order), its guard applies the step's time rule
(``rules.step_errors``, a Chinese refusal naming the article and the date), and its
effect writes the step's record and the dates later rules read. 培养教育考察 (6) and
继续教育考察 (21) repeat without moving the status; 延长预备期 returns to probation;
终止发展 ends an application from any open step.

Steps that belong to the upper committee (备案, 预审, 谈话, 审批) are refused to a user
who holds the change right only at the branch itself.
"""

import datetime as dt

from django.utils import timezone

from dangjian.core import cases, scope
from dangjian.core.periods import cn_day
from dangjian.core.scope import Perm
from dangjian.recruitment import rules
from dangjian.recruitment.rules import EXTEND, STEP, TERMINATE, TERMINATED

MSG_ORDER = "须先完成第{prev_n}步“{prev}”，才能办理第{n}步“{label}”（当前已完成：{current}）"
MSG_CLOSED = "该发展党员档案已{state}，不能再办理“{label}”"
MSG_UPPER = "“{label}”由上级党委办理：您在本支部的权限不能办理此步骤"
MSG_DATE_REQUIRED = "请填写日期"
MSG_REASON = "请填写终止发展的原因"
MSG_NOT_IN_PROBATION = "当前已完成“{status}”，不在预备期，不能{action}"
UPPER_STEPS = frozenset(
    {
        "activist_filed",
        "candidate_filed",
        "pre_review",
        "upper_talk",
        "approve",
        "approval_filed",
        "conversion_approve",
    }
)
OPEN_STATES = tuple(s.key for s in rules.SEQUENCE if s.key != "archive")


def _current(case) -> str:
    step = STEP.get(case.status)
    return f"第{step.number}步“{step.label}”" if step else "无"


def _order_refusal(key: str):
    step = STEP[key]

    def refusal(case, actor) -> str:
        if not case.is_open:
            state = "终止" if case.status == TERMINATED else "归档"
            return MSG_CLOSED.format(state=state, label=step.label)
        prev = rules.previous_step(key)
        return MSG_ORDER.format(
            prev_n=prev.number,
            prev=prev.label,
            n=step.number,
            label=step.label,
            current=_current(case),
        )

    return refusal


def _upper_only(key: str):
    def guard(case, actor, **_) -> str | None:
        if key not in UPPER_STEPS or getattr(actor, "is_superuser", False):
            return None
        above = scope.path_above(case.branch.path)
        if above and scope.covers(actor, Perm.CHANGE_RECRUITMENT, above):
            return None
        return MSG_UPPER.format(label=STEP[key].label if key in STEP else key)

    return guard


def _time_rule(key: str):
    """The step's rules on its date and input (:func:`rules.step_errors`)."""

    def guard(case, actor, *, done_on=None, given=None, **_) -> cases.Refusal | None:
        if done_on is None:
            return cases.Refusal(MSG_DATE_REQUIRED, field="done_on")
        today = timezone.localdate()
        errors = rules.step_errors(key, case.facts(), done_on, today, given or rules.Input())
        if errors:
            name, message = next(iter(errors.items()))
            return cases.Refusal(message, field=name)
        return None

    return guard


def _record(key: str):
    """Write the step's record, its documents and the dates the later rules read."""

    def effect(case, *, actor, now, reason, done_on: dt.date, given=None, **kwargs) -> str:
        from dangjian.recruitment import services

        record = services.write_step(
            case, key, actor=actor, done_on=done_on, note=reason, given=given, **kwargs
        )
        return f"第{record.number}步 {record.label}（{cn_day(done_on)}）" + (
            f"：{reason}" if reason else ""
        )

    return effect


def _needs_reason(case, actor, *, reason: str = "", **_) -> cases.Refusal | None:
    return None if reason.strip() else cases.Refusal(MSG_REASON, field="reason")


def _step(key: str, sources: tuple[str, ...], target: str | None, label: str):
    return cases.Transition(
        sources,
        target,
        label,
        guards=(_upper_only(key), _time_rule(key)),
        effects=(_record(key),),
        refusal=_order_refusal(key) if key in STEP else MSG_NOT_IN_PROBATION,
    )


def _transitions() -> dict[str, cases.Transition]:
    moves = {}
    for step in rules.STEPS:
        if step.key == "apply":
            continue
        prev = rules.previous_step(step.key)
        target = None if step.repeatable else step.key
        moves[step.key] = _step(step.key, (prev.key,), target, step.label)
    moves[EXTEND] = _step(EXTEND, ("oath", "conversion_apply"), "oath", "延长预备期")
    moves[TERMINATE] = cases.Transition(
        OPEN_STATES, TERMINATED, "终止发展", guards=(_needs_reason,), field="reason"
    )
    return moves


STATES = {
    **{
        s.key: cases.State(s.label, terminal=s.key == "archive", timed=False)
        for s in rules.SEQUENCE
    },
    TERMINATED: cases.State("终止发展", terminal=True, timed=False),
}

RECRUITMENT_FLOW = cases.Workflow(
    name="recruitment.applicant",
    model="recruitment.Applicant",
    history="recruitment.ApplicantEvent",
    initial="apply",
    states=STATES,
    transitions=_transitions(),
    org_field="branch",
    audited=("status",),
)
