"""The 25 steps' time rules, each at its boundary date (发展党员工作细则, 2014)."""

import datetime as dt

import pytest

from dangjian.recruitment import rules
from dangjian.recruitment.rules import Facts, Input, Vote, step_errors

TODAY = dt.date(2026, 12, 6)
BIRTH = dt.date(2000, 3, 15)


def errs(key, on, facts=None, given=None, today=TODAY):
    facts = facts or Facts(birth_date=BIRTH)
    return step_errors(key, facts, on, today, given or Input(has_document=True))


def test_there_are_25_steps_in_5_stages_in_order():
    assert [s.number for s in rules.STEPS] == list(range(1, 26))
    assert sorted({s.stage for s in rules.STEPS}) == [1, 2, 3, 4, 5]
    assert [s.stage for s in rules.STEPS] == sorted(s.stage for s in rules.STEPS)
    assert len(rules.SEQUENCE) == 23  # 6 and 21 repeat without moving the status


def test_order_each_step_follows_the_one_before():
    assert rules.previous_step("talk").key == "apply"
    assert rules.previous_step("candidate").key == "contacts"  # reviews repeat at step 6
    assert rules.previous_step("review").key == "contacts"
    assert rules.previous_step("probation_review").key == "oath"
    assert rules.next_step("oath").key == "conversion_apply"
    assert rules.next_step("archive") is None
    assert rules.stage_of("apply") == 1 and rules.stage_of("talk") == 1
    assert rules.stage_of("contacts") == 2 and rules.stage_of("training") == 3
    assert (
        rules.stage_of("upper_talk") == 4
        and rules.stage_of("approve") == 5
        and rules.stage_of("approval_filed") == 5
    )


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (dt.date(2026, 1, 31), dt.date(2026, 2, 28)),
        (dt.date(2024, 1, 31), dt.date(2024, 2, 29)),
        (dt.date(2026, 11, 30), dt.date(2026, 12, 30)),
        (dt.date(2026, 12, 15), dt.date(2027, 1, 15)),
    ],
)
def test_add_months_clamps_to_the_month_end(day, expected):
    assert rules.add_months(day, 1) == expected


def test_apply_at_18_on_the_18th_birthday_not_the_day_before():
    assert errs("apply", dt.date(2018, 3, 15)) == {}
    assert errs("apply", dt.date(2018, 3, 14)) == {
        "done_on": "细则第六条：年满十八周岁方可申请入党，申请人2018年3月15日才满18周岁"
    }


def test_apply_needs_the_letter():
    assert errs("apply", dt.date(2020, 1, 1), given=Input()) == {"document": "请上传入党申请书"}


def test_no_date_in_the_future():
    assert "done_on" in errs("apply", TODAY + dt.timedelta(days=1))
    assert errs("apply", TODAY) == {}


def test_not_before_the_previous_step():
    facts = Facts(birth_date=BIRTH, applied_on=dt.date(2026, 3, 1), last_step_on=dt.date(2026, 3, 1), last_step_label="递交入党申请书")  # fmt: skip
    assert errs("talk", dt.date(2026, 3, 1), facts) == {}
    assert errs("talk", dt.date(2026, 2, 28), facts) == {
        "done_on": "日期不能早于上一步骤“递交入党申请书”的日期（2026年3月1日）"
    }


def test_talk_within_one_month():
    facts = Facts(birth_date=BIRTH, applied_on=dt.date(2026, 1, 31))
    assert errs("talk", dt.date(2026, 2, 28), facts) == {}
    assert errs("talk", dt.date(2026, 3, 1), facts) == {
        "done_on": "细则第八条：应在收到入党申请书后一个月内谈话，最迟2026年2月28日，已逾期"
    }


def test_candidate_after_a_full_year_and_two_reviews():
    facts = Facts(birth_date=BIRTH, activist_on=dt.date(2024, 2, 29), review_count=2)
    assert errs("candidate", dt.date(2025, 2, 28), facts) == {}
    assert errs("candidate", dt.date(2025, 2, 27), facts) == {
        "done_on": "细则第十三条：入党积极分子须经一年以上培养教育和考察，2025年2月28日起方可确定为发展对象"
    }
    one_review = Facts(birth_date=BIRTH, activist_on=dt.date(2024, 2, 29), review_count=1)
    assert (
        "至少有2次考察记录（现有1次）"
        in errs("candidate", dt.date(2025, 3, 1), one_review)["done_on"]
    )


@pytest.mark.parametrize(
    ("n", "not_full", "ok"), [(0, [], False), (1, [], True), (2, [], True), (3, [], False), (2, ["张三"], False)]
)  # fmt: skip
def test_one_or_two_full_member_contacts(n, not_full, ok):
    result = errs("contacts", TODAY, given=Input(contacts=n, contacts_not_full=not_full))
    assert (result == {}) is ok
    if not_full:
        assert result == {"contacts": "张三不是正式党员，不能担任"}


@pytest.mark.parametrize(("n", "ok"), [(1, False), (2, True), (3, False)])
def test_exactly_two_sponsors(n, ok):
    assert (errs("sponsors", TODAY, given=Input(sponsors=n)) == {}) is ok


@pytest.mark.parametrize(
    ("days", "hours", "ok"), [(3, 0, True), (2, 23, False), (2, 24, True), (0, 0, False)]
)
def test_training_three_days_or_24_hours(days, hours, ok):
    result = errs("training", TODAY, given=Input(training_days=days, training_hours=hours))
    assert (result == {}) is ok


@pytest.mark.parametrize(
    ("vote", "field"),
    [
        (Vote(eligible=10, present=6, votes_for=6), None),
        (Vote(eligible=10, present=5, votes_for=5), "present"),  # not more than half present
        (Vote(eligible=10, present=9, votes_for=5), "votes_for"),  # half is not a majority
        (Vote(eligible=10, present=11, votes_for=6), "present"),
        (Vote(eligible=10, present=6, votes_for=6, against=1), "votes_for"),  # ballots > present
        (None, "votes_for"),
    ],
)
def test_branch_vote_quorum_and_majority_of_those_due(vote, field):
    result = errs("branch_vote", TODAY, given=Input(vote=vote, has_document=True))
    assert (list(result) == [field]) if field else result == {}


def test_branch_vote_needs_its_record():
    result = errs("branch_vote", TODAY, given=Input(vote=Vote(10, 6, 6)))
    assert result == {"document": "请上传表决票及会议记录"}


def test_approval_within_three_months_then_up_to_six_with_a_reason():
    facts = Facts(birth_date=BIRTH, vote_on=dt.date(2026, 1, 15))
    assert errs("approve", dt.date(2026, 4, 15), facts) == {}
    late = errs("approve", dt.date(2026, 4, 16), facts)
    assert late == {
        "late_reason": "细则第二十六条：应在支部大会通过后三个月内审批，最迟2026年4月15日；特殊情况须填写延长审批原因"
    }
    with_reason = Input(late_reason="上级党委换届")
    assert errs("approve", dt.date(2026, 7, 15), facts, with_reason) == {}
    assert errs("approve", dt.date(2026, 7, 16), facts, with_reason) == {
        "done_on": "细则第二十六条：延长审批时间也不得超过六个月，最迟2026年7月15日，已逾期"
    }


def test_probation_is_a_year_from_the_branch_vote_plus_any_extension():
    assert rules.probation_end(dt.date(2025, 6, 30)) == dt.date(2026, 6, 30)
    assert rules.probation_end(dt.date(2025, 6, 30), 6) == dt.date(2026, 12, 30)


def test_conversion_application_from_a_week_before_the_end():
    facts = Facts(birth_date=BIRTH, probation_ends_on=dt.date(2026, 6, 30))
    assert errs("conversion_apply", dt.date(2026, 6, 23), facts) == {}
    assert errs("conversion_apply", dt.date(2026, 6, 22), facts) == {
        "done_on": "细则第三十二条：预备期满时提出转正申请，预备期至2026年6月30日届满，2026年6月23日起方可提出"
    }


def test_conversion_vote_once_probation_is_out():
    facts = Facts(birth_date=BIRTH, probation_ends_on=dt.date(2026, 6, 30))
    ok = Input(vote=Vote(10, 8, 8), has_document=True)
    assert errs("conversion_vote", dt.date(2026, 6, 30), facts, ok) == {}
    assert errs("conversion_vote", dt.date(2026, 6, 29), facts, ok) == {
        "done_on": "党章第七条：预备期一年，至2026年6月30日届满，届满后方可讨论转正"
    }


def test_conversion_approval_within_three_months():
    facts = Facts(birth_date=BIRTH, conversion_vote_on=dt.date(2026, 7, 1))
    assert errs("conversion_approve", dt.date(2026, 10, 1), facts) == {}
    assert "最迟2026年10月1日" in errs("conversion_approve", dt.date(2026, 10, 2), facts)["done_on"]


@pytest.mark.parametrize(("months", "ok"), [(5, False), (6, True), (12, True), (13, False)])
def test_extension_six_to_twelve_months(months, ok):
    facts = Facts(birth_date=BIRTH, probation_ends_on=dt.date(2026, 6, 30))
    result = errs("extend", dt.date(2026, 6, 30), facts, Input(extension_months=months))
    assert (result == {}) is ok


def test_extension_only_once_and_only_when_probation_is_out():
    facts = Facts(birth_date=BIRTH, probation_ends_on=dt.date(2026, 6, 30))
    assert "done_on" in errs("extend", dt.date(2026, 6, 29), facts, Input(extension_months=6))
    again = Facts(birth_date=BIRTH, probation_ends_on=dt.date(2026, 12, 30), extended_months=6)
    later = dt.date(2027, 1, 1)
    assert errs("extend", later, again, Input(extension_months=6), today=later) == {
        "extension_months": "细则第三十三条：预备期只能延长一次"
    }


def test_due_items_remind_before_and_warn_after():
    facts = Facts(birth_date=BIRTH, applied_on=dt.date(2026, 11, 1))
    (item,) = rules.due_items("apply", facts)
    assert item.due == dt.date(2026, 12, 1) and item.remind_from() == dt.date(2026, 11, 24)
    assert rules.reminders("apply", facts, dt.date(2026, 11, 23)) == []
    assert rules.reminders("apply", facts, dt.date(2026, 11, 24)) == [item]
    assert rules.reminders("apply", facts, dt.date(2026, 12, 1)) == [item]
    assert rules.overdue("apply", facts, dt.date(2026, 12, 1)) == []
    assert rules.overdue("apply", facts, dt.date(2026, 12, 2)) == [item]


def test_half_yearly_review_due_from_the_last_review():
    facts = Facts(birth_date=BIRTH, activist_on=dt.date(2026, 1, 10))
    assert rules.due_items("contacts", facts)[0].due == dt.date(2026, 7, 10)
    reviewed = Facts(birth_date=BIRTH, activist_on=dt.date(2026, 1, 10), last_review_on=dt.date(2026, 7, 1))  # fmt: skip
    assert rules.due_items("contacts", reviewed)[0].due == dt.date(2027, 1, 1)


def test_probation_ending_reminded_a_month_before_warned_a_month_after():
    facts = Facts(birth_date=BIRTH, probation_ends_on=dt.date(2026, 6, 30))
    (item,) = rules.due_items("oath", facts)
    assert item.remind_from() == dt.date(2026, 5, 31)
    assert rules.overdue("oath", facts, dt.date(2026, 7, 30)) == []
    assert rules.overdue("oath", facts, dt.date(2026, 7, 31)) == [item]


def test_approval_deadline_is_due_between_vote_and_approval():
    facts = Facts(birth_date=BIRTH, vote_on=dt.date(2026, 1, 15))
    assert rules.due_items("upper_talk", facts)[0].due == dt.date(2026, 4, 15)
    assert rules.due_items("approve", facts) == []
