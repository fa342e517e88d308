"""The rules of 发展党员 as pure functions (no ORM): the 25 steps, their order and their
time rules, and what is due when.

Source: 《中国共产党发展党员工作细则》(中办发〔2014〕31号, "细则"), and 《中国共产党章程》
(党章) where the 细则 repeats it. The articles cited:

- 第六条 / 党章第一条: 年满十八岁 may apply.
- 第八条: the party organisation talks to the applicant within one month of receiving
  the application.
- 第十二条: the branch reviews (考察) each activist once every half year.
- 第十三条: an activist is cultivated for more than one year before becoming a
  发展对象 (candidate).
- 第十四条/第十七条: two 正式党员 as 入党介绍人; 1–2 正式党员 as 培养联系人 (第十条).
- 第十九条: 集中培训 of at least three days (or at least 24 class hours).
- 第二十三条: a branch meeting decides only with more than half of its voting members
  present; admission needs the votes of more than half of the voting members due.
- 第二十六条: the upper committee approves within three months of the branch meeting;
  in special cases longer, but no more than six months.
- 第二十九条 / 党章第七条: one year of probation, counted from the day the branch meeting
  accepted the applicant; it may be extended once, by six months to a year (第三十三条).
- 第三十二条: the probationary member applies for conversion when the year is out
  (here: from a week before); the branch discusses it once it is out.
- 第三十四条: the upper committee approves a conversion within three months.
"""

import datetime as dt
from dataclasses import dataclass, field

from dangjian.core.periods import cn_day

MIN_AGE = 18
TALK_MONTHS = 1
REVIEW_MONTHS = 6
CULTIVATION_YEARS = 1
MIN_REVIEWS = 2
TRAINING_MIN_DAYS = 3
TRAINING_MIN_HOURS = 24
APPROVAL_MONTHS = 3
APPROVAL_MAX_MONTHS = 6
PROBATION_YEARS = 1
EXTENSION_MIN_MONTHS, EXTENSION_MAX_MONTHS = 6, 12
CONVERSION_APPLY_DAYS_BEFORE = 7
CONVERSION_APPROVAL_MONTHS = 3
SPONSORS = 2
CONTACTS_MIN, CONTACTS_MAX = 1, 2

STAGES = {
    1: "申请入党",
    2: "入党积极分子的确定和培养教育",
    3: "发展对象的确定和考察",
    4: "预备党员的接收",
    5: "预备党员的教育考察和转正",
}
STAGE_SHORT = {1: "入党申请人", 2: "入党积极分子", 3: "发展对象", 4: "接收审批中", 5: "预备党员"}


class Doc:
    """Kinds of document a step may carry (core uploads: PDF or image)."""

    APPLICATION = "application"
    THOUGHT_REPORT = "thought_report"
    POLITICAL_REVIEW = "political_review"
    VOLUNTEER_FORM = "volunteer_form"
    VOTE = "vote"
    CONVERSION_APPLICATION = "conversion_application"
    OTHER = "other"


DOC_LABELS = {
    Doc.APPLICATION: "入党申请书",
    Doc.THOUGHT_REPORT: "思想汇报",
    Doc.POLITICAL_REVIEW: "政审材料",
    Doc.VOLUNTEER_FORM: "入党志愿书",
    Doc.VOTE: "表决票及会议记录",
    Doc.CONVERSION_APPLICATION: "转正申请书",
    Doc.OTHER: "其他材料",
}


@dataclass(frozen=True)
class Step:
    """One of the 25 steps: ``key`` is its transition's name, ``state`` the status an
    applicant has once it is done; ``document``: the kind of document it requires."""

    number: int
    key: str
    stage: int
    label: str
    article: str = ""
    document: str = ""
    repeatable: bool = False

    @property
    def stage_label(self) -> str:
        return STAGES[self.stage]


STEPS: tuple[Step, ...] = (
    Step(1, "apply", 1, "递交入党申请书", "细则第六条", Doc.APPLICATION),
    Step(2, "talk", 1, "党组织派人谈话", "细则第八条"),
    Step(3, "activist", 2, "确定入党积极分子", "细则第九条"),
    Step(4, "activist_filed", 2, "报上级党委备案", "细则第九条"),
    Step(5, "contacts", 2, "指定培养联系人", "细则第十条"),
    Step(6, "review", 2, "培养教育考察", "细则第十二条", repeatable=True),
    Step(7, "candidate", 3, "确定发展对象", "细则第十三条"),
    Step(8, "candidate_filed", 3, "报上级党委备案", "细则第十四条"),
    Step(9, "sponsors", 3, "确定入党介绍人", "细则第十五条"),
    Step(10, "political_review", 3, "进行政治审查", "细则第十六条", Doc.POLITICAL_REVIEW),
    Step(11, "training", 3, "开展集中培训", "细则第十九条"),
    Step(12, "committee_review", 4, "支部委员会审查", "细则第二十条"),
    Step(13, "pre_review", 4, "上级党委预审", "细则第二十一条"),
    Step(14, "volunteer_form", 4, "填写入党志愿书", "细则第二十二条", Doc.VOLUNTEER_FORM),
    Step(15, "branch_vote", 4, "支部大会讨论", "细则第二十三条", Doc.VOTE),
    Step(16, "upper_talk", 4, "上级党委派人谈话", "细则第二十五条"),
    Step(17, "approve", 4, "上级党委审批", "细则第二十六条"),
    Step(18, "approval_filed", 4, "再上一级党委组织部门备案", "细则第二十七条"),
    Step(19, "placed", 5, "编入党支部和党小组", "细则第二十八条"),
    Step(20, "oath", 5, "入党宣誓", "细则第二十九条"),
    Step(21, "probation_review", 5, "继续教育考察", "细则第三十条", repeatable=True),
    Step(22, "conversion_apply", 5, "提出转正申请", "细则第三十二条", Doc.CONVERSION_APPLICATION),
    Step(23, "conversion_vote", 5, "支部大会讨论", "细则第三十二条", Doc.VOTE),
    Step(24, "conversion_approve", 5, "上级党委审批", "细则第三十四条"),
    Step(25, "archive", 5, "材料归档", "细则第三十六条"),
)
STEP = {s.key: s for s in STEPS}
SEQUENCE = tuple(s for s in STEPS if not s.repeatable)  # the steps that move the status
EXTEND = "extend"  # 延长预备期: keeps the applicant in probation
TERMINATE = "terminate"  # 终止发展
TERMINATED = "terminated"


def previous_step(key: str) -> Step | None:
    """The step that must be done before ``key`` (repeatable steps hang on their stage)."""
    if key == "review":
        return STEP["contacts"]
    if key == "probation_review":
        return STEP["oath"]
    index = SEQUENCE.index(STEP[key])
    return SEQUENCE[index - 1] if index else None


def next_step(state: str) -> Step | None:
    """The step that comes after the status ``state`` (None when archived or ended)."""
    if state not in STEP or state == "archive":
        return None
    index = SEQUENCE.index(STEP[state])
    return SEQUENCE[index + 1]


def stage_of(state: str) -> int | None:
    """The stage an applicant in ``state`` (their last step done) is in: that step's
    stage — after the talk still an applicant, after 指定培养联系人 an activist in
    cultivation — except that once approved (17, 18) they are a 预备党员, stage 5."""
    if state in ("approve", "approval_filed"):
        return 5
    step = STEP.get(state)
    return step.stage if step is not None else None


# --- Dates


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later, clamped to the month's end (31 Jan + 1 → 28/29 Feb)."""
    total = day.month - 1 + months
    year, month = day.year + total // 12, total % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)


def add_years(day: dt.date, years: int) -> dt.date:
    return add_months(day, 12 * years)


def age_on(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


# --- What a step is checked against


@dataclass(frozen=True)
class Facts:
    """What the rules know of an application (dates of the steps done so far)."""

    birth_date: dt.date
    applied_on: dt.date | None = None
    talked_on: dt.date | None = None
    activist_on: dt.date | None = None
    last_review_on: dt.date | None = None
    review_count: int = 0
    candidate_on: dt.date | None = None
    vote_on: dt.date | None = None
    approved_on: dt.date | None = None
    probation_ends_on: dt.date | None = None
    extended_months: int = 0
    conversion_vote_on: dt.date | None = None
    last_step_on: dt.date | None = None
    last_step_label: str = ""


@dataclass(frozen=True)
class Vote:
    """A branch meeting's vote: voting (正式) members due, present, and the ballots."""

    eligible: int
    present: int
    votes_for: int
    against: int = 0
    abstain: int = 0


@dataclass
class Input:
    """What the person recording a step gives beside its date."""

    contacts: int = 0  # 培养联系人, all full members
    contacts_not_full: list[str] = field(default_factory=list)
    sponsors: int = 0
    sponsors_not_full: list[str] = field(default_factory=list)
    training_days: int = 0
    training_hours: int = 0
    vote: Vote | None = None
    late_reason: str = ""
    extension_months: int = 0
    has_document: bool = False


MSG_FUTURE = "日期不能晚于今天（{today}）"
MSG_BEFORE_PREVIOUS = "日期不能早于上一步骤“{step}”的日期（{day}）"
MSG_AGE = "细则第六条：年满十八周岁方可申请入党，申请人{day}才满18周岁"
MSG_TALK_LATE = "细则第八条：应在收到入党申请书后一个月内谈话，最迟{day}，已逾期"
MSG_CULTIVATION = "细则第十三条：入党积极分子须经一年以上培养教育和考察，{day}起方可确定为发展对象"
MSG_REVIEWS = "细则第十二条：每半年考察一次，确定为发展对象前应至少有{n}次考察记录（现有{have}次）"
MSG_CONTACTS = "细则第十条：应指定1至2名正式党员作为培养联系人"
MSG_SPONSORS = "细则第十五条：应有2名正式党员作入党介绍人"
MSG_NOT_FULL = "{names}不是正式党员，不能担任"
MSG_TRAINING = "细则第十九条：集中培训时间一般不少于3天或不少于24个学时"
MSG_QUORUM = "细则第二十三条：到会有表决权的正式党员应超过应到会人数的半数（应到{eligible}人，实到{present}人）"
MSG_MAJORITY = "细则第二十三条：赞成人数应超过应到会有表决权的正式党员的半数（应到{eligible}人，赞成{votes_for}人），未通过"
MSG_BALLOTS = "赞成、反对、弃权票数之和不能超过实到人数"
MSG_PRESENT = "实到人数不能超过应到人数"
MSG_APPROVAL_LATE = (
    "细则第二十六条：应在支部大会通过后三个月内审批，最迟{day}；特殊情况须填写延长审批原因"
)
MSG_APPROVAL_TOO_LATE = "细则第二十六条：延长审批时间也不得超过六个月，最迟{day}，已逾期"
MSG_CONVERSION_APPLY_EARLY = (
    "细则第三十二条：预备期满时提出转正申请，预备期至{end}届满，{day}起方可提出"
)
MSG_CONVERSION_EARLY = "党章第七条：预备期一年，至{end}届满，届满后方可讨论转正"
MSG_EXTENSION_EARLY = "细则第三十三条：延长预备期应在预备期满时讨论决定，预备期至{end}届满"
MSG_EXTENSION_MONTHS = "细则第三十三条：延长预备期为6至12个月"
MSG_EXTENDED_ONCE = "细则第三十三条：预备期只能延长一次"
MSG_CONVERSION_APPROVAL_LATE = (
    "细则第三十四条：应在支部大会讨论后三个月内审批转正，最迟{day}，已逾期"
)
MSG_DOCUMENT = "请上传{doc}"


def _vote_errors(vote: Vote | None) -> dict[str, str]:
    if vote is None:
        return {"votes_for": "请填写表决情况"}
    if vote.present > vote.eligible:
        return {"present": MSG_PRESENT}
    if vote.votes_for + vote.against + vote.abstain > vote.present:
        return {"votes_for": MSG_BALLOTS}
    if vote.present * 2 <= vote.eligible:
        return {"present": MSG_QUORUM.format(eligible=vote.eligible, present=vote.present)}
    if vote.votes_for * 2 <= vote.eligible:
        return {"votes_for": MSG_MAJORITY.format(eligible=vote.eligible, votes_for=vote.votes_for)}
    return {}


def _not_full(names: list[str]) -> str:
    return MSG_NOT_FULL.format(names="、".join(names))


def step_errors(key: str, facts: Facts, on: dt.date, today: dt.date, given: Input) -> dict:
    """Every reason the step ``key`` may not be recorded as done on ``on`` (field → 中文).

    Order is checked by the workflow (the status); here: the date (not in the future, not
    before the previous step) and the step's own time rule and input.
    """
    errors: dict[str, str] = {}
    if on > today:
        errors["done_on"] = MSG_FUTURE.format(today=cn_day(today))
    elif facts.last_step_on is not None and on < facts.last_step_on and key != "apply":
        errors["done_on"] = MSG_BEFORE_PREVIOUS.format(
            step=facts.last_step_label, day=cn_day(facts.last_step_on)
        )
    step = STEP.get(key)
    if step is not None and step.document and not given.has_document:
        errors["document"] = MSG_DOCUMENT.format(doc=DOC_LABELS[step.document])
    check = _CHECKS.get(key)
    if check is not None:
        for name, message in check(facts, on, given).items():
            errors.setdefault(name, message)
    return errors


def _apply(facts: Facts, on: dt.date, given: Input) -> dict:
    adult = add_years(facts.birth_date, MIN_AGE)
    return {"done_on": MSG_AGE.format(day=cn_day(adult))} if on < adult else {}


def talk_due(applied_on: dt.date) -> dt.date:
    return add_months(applied_on, TALK_MONTHS)


def _talk(facts: Facts, on: dt.date, given: Input) -> dict:
    due = talk_due(facts.applied_on)
    return {"done_on": MSG_TALK_LATE.format(day=cn_day(due))} if on > due else {}


def _contacts(facts: Facts, on: dt.date, given: Input) -> dict:
    if not CONTACTS_MIN <= given.contacts <= CONTACTS_MAX:
        return {"contacts": MSG_CONTACTS}
    return {"contacts": _not_full(given.contacts_not_full)} if given.contacts_not_full else {}


def candidate_from(activist_on: dt.date) -> dt.date:
    return add_years(activist_on, CULTIVATION_YEARS)


def _candidate(facts: Facts, on: dt.date, given: Input) -> dict:
    earliest = candidate_from(facts.activist_on)
    if on < earliest:
        return {"done_on": MSG_CULTIVATION.format(day=cn_day(earliest))}
    if facts.review_count < MIN_REVIEWS:
        return {"done_on": MSG_REVIEWS.format(n=MIN_REVIEWS, have=facts.review_count)}
    return {}


def _sponsors(facts: Facts, on: dt.date, given: Input) -> dict:
    if given.sponsors != SPONSORS:
        return {"sponsors": MSG_SPONSORS}
    return {"sponsors": _not_full(given.sponsors_not_full)} if given.sponsors_not_full else {}


def _training(facts: Facts, on: dt.date, given: Input) -> dict:
    enough = given.training_days >= TRAINING_MIN_DAYS or given.training_hours >= TRAINING_MIN_HOURS
    return {} if enough else {"training_days": MSG_TRAINING}


def _branch_vote(facts: Facts, on: dt.date, given: Input) -> dict:
    return _vote_errors(given.vote)


def approval_due(vote_on: dt.date) -> dt.date:
    return add_months(vote_on, APPROVAL_MONTHS)


def _approve(facts: Facts, on: dt.date, given: Input) -> dict:
    due, latest = approval_due(facts.vote_on), add_months(facts.vote_on, APPROVAL_MAX_MONTHS)
    if on > latest:
        return {"done_on": MSG_APPROVAL_TOO_LATE.format(day=cn_day(latest))}
    if on > due and not given.late_reason.strip():
        return {"late_reason": MSG_APPROVAL_LATE.format(day=cn_day(due))}
    return {}


def probation_end(vote_on: dt.date, extended_months: int = 0) -> dt.date:
    """预备期届满之日: a year (plus any extension) from the branch meeting's acceptance."""
    return add_months(add_years(vote_on, PROBATION_YEARS), extended_months)


def conversion_apply_from(ends_on: dt.date) -> dt.date:
    return ends_on - dt.timedelta(days=CONVERSION_APPLY_DAYS_BEFORE)


def _conversion_apply(facts: Facts, on: dt.date, given: Input) -> dict:
    end = facts.probation_ends_on
    earliest = conversion_apply_from(end)
    if on < earliest:
        return {"done_on": MSG_CONVERSION_APPLY_EARLY.format(end=cn_day(end), day=cn_day(earliest))}
    return {}


def _conversion_vote(facts: Facts, on: dt.date, given: Input) -> dict:
    if on < facts.probation_ends_on:
        return {"done_on": MSG_CONVERSION_EARLY.format(end=cn_day(facts.probation_ends_on))}
    return _vote_errors(given.vote)


def conversion_approval_due(conversion_vote_on: dt.date) -> dt.date:
    return add_months(conversion_vote_on, CONVERSION_APPROVAL_MONTHS)


def _conversion_approve(facts: Facts, on: dt.date, given: Input) -> dict:
    due = conversion_approval_due(facts.conversion_vote_on)
    return {"done_on": MSG_CONVERSION_APPROVAL_LATE.format(day=cn_day(due))} if on > due else {}


def _extend(facts: Facts, on: dt.date, given: Input) -> dict:
    if facts.extended_months:
        return {"extension_months": MSG_EXTENDED_ONCE}
    if not EXTENSION_MIN_MONTHS <= given.extension_months <= EXTENSION_MAX_MONTHS:
        return {"extension_months": MSG_EXTENSION_MONTHS}
    if on < facts.probation_ends_on:
        return {"done_on": MSG_EXTENSION_EARLY.format(end=cn_day(facts.probation_ends_on))}
    return {}


_CHECKS = {
    "apply": _apply,
    "talk": _talk,
    "contacts": _contacts,
    "candidate": _candidate,
    "sponsors": _sponsors,
    "training": _training,
    "branch_vote": _branch_vote,
    "approve": _approve,
    "conversion_apply": _conversion_apply,
    "conversion_vote": _conversion_vote,
    "conversion_approve": _conversion_approve,
    EXTEND: _extend,
}


# --- What is due (reminders before, warnings after)


class Due:
    TALK = "talk"
    REVIEW = "review"
    APPROVAL = "approval"
    PROBATION = "probation"
    CONVERSION_APPROVAL = "conversion_approval"


DUE_LABELS = {
    Due.TALK: "入党谈话",
    Due.REVIEW: "半年考察",
    Due.APPROVAL: "上级党委审批",
    Due.PROBATION: "预备期届满讨论转正",
    Due.CONVERSION_APPROVAL: "转正审批",
}
# Days before the due date a reminder goes out.
REMIND_DAYS = {
    Due.TALK: 7,
    Due.REVIEW: 14,
    Due.APPROVAL: 14,
    Due.PROBATION: 30,
    Due.CONVERSION_APPROVAL: 14,
}
# The branch should discuss a conversion promptly once probation is out (细则第三十二条).
PROBATION_GRACE_DAYS = 30

STATES_BEFORE_APPROVAL = ("branch_vote", "upper_talk")
PROBATION_STATES = ("approval_filed", "placed", "oath", "conversion_apply")


@dataclass(frozen=True)
class DueItem:
    """Something due on ``due``: reminded before it, warned about once ``grace`` days
    past it."""

    kind: str
    due: dt.date
    grace: int = 0

    @property
    def label(self) -> str:
        return DUE_LABELS[self.kind]

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.due.isoformat()}"

    def remind_from(self) -> dt.date:
        return self.due - dt.timedelta(days=REMIND_DAYS[self.kind])

    @property
    def overdue_after(self) -> dt.date:
        return self.due + dt.timedelta(days=self.grace)


def review_due(facts: Facts) -> dt.date:
    return add_months(facts.last_review_on or facts.activist_on, REVIEW_MONTHS)


def due_items(state: str, facts: Facts) -> list[DueItem]:
    """What this application waits for, with its due date (whatever today is)."""
    if state == "apply":
        return [DueItem(Due.TALK, talk_due(facts.applied_on))]
    if state in ("activist", "activist_filed", "contacts"):
        return [DueItem(Due.REVIEW, review_due(facts))]
    if state in STATES_BEFORE_APPROVAL:
        return [DueItem(Due.APPROVAL, approval_due(facts.vote_on))]
    if state in PROBATION_STATES:
        return [DueItem(Due.PROBATION, facts.probation_ends_on, PROBATION_GRACE_DAYS)]
    if state == "conversion_vote":
        return [DueItem(Due.CONVERSION_APPROVAL, conversion_approval_due(facts.conversion_vote_on))]
    return []


def reminders(state: str, facts: Facts, today: dt.date) -> list[DueItem]:
    """Items due soon (today within the reminder window, not yet past)."""
    return [i for i in due_items(state, facts) if i.remind_from() <= today <= i.due]


def overdue(state: str, facts: Facts, today: dt.date) -> list[DueItem]:
    return [i for i in due_items(state, facts) if today > i.overdue_after]
