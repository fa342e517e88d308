"""Every write of 发展党员: validated, transactional, audited (core.cases records each
step's history and audit entry)."""

import dataclasses
import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from dangjian.accounts import services as account_services
from dangjian.accounts.selectors import account_by_username
from dangjian.core import audit, cases, crypto, idcard, notify, rollups, scope, uploads
from dangjian.core import warnings as core_warnings
from dangjian.core.errors import raise_if
from dangjian.core.models import Warning
from dangjian.core.periods import cn_day
from dangjian.core.phone import normalize_phone
from dangjian.core.scope import Perm, authorize
from dangjian.members import services as member_services
from dangjian.members.choices import Gender, Status
from dangjian.members.models import Member
from dangjian.orgs.choices import OrgType
from dangjian.orgs.models import Organisation
from dangjian.recruitment import rules
from dangjian.recruitment.models import ID_INDEX, Applicant, Document, RecruitmentPlan, StepRecord
from dangjian.recruitment.rules import EXTEND, STEP, TERMINATE
from dangjian.recruitment.warnings import STEP_OVERDUE

DOC_PURPOSE = "recruitment.document"
MSG_NOT_BRANCH = "入党申请人应由党支部受理"
MSG_BRANCH_DISSOLVED = "该党支部已撤销"
MSG_ALREADY_OPEN = "该公民身份号码已有正在办理的入党申请"
MSG_ALREADY_MEMBER = "该公民身份号码已登记为党员"
MSG_NOT_IN_BRANCH = "{names}不是本支部的党员"
MSG_GROUP_OUTSIDE = "党小组应属于本党支部"
MSG_DOC_KIND = "请选择材料类型"
MSG_DOC_ONLY_REPORTS = "申请人本人只能上传思想汇报"
MSG_DOC_CLOSED = "该档案已归档或终止，不能再上传材料"
MSG_NOTE_LONG = "情况说明不能超过2000字"
MSG_QUOTA = "计划发展人数应为0到1000000之间的整数"
MSG_YEAR = "年度应在2000到2100之间"
MSG_OWN_RECORD = "申请人本人不能办理发展步骤"
MSG_ACCOUNT_UNKNOWN = "没有该登录账号（或已停用）"
MSG_ACCOUNT_MEMBER = "该账号已绑定党员档案，不能再作为入党申请人账号"
MSG_ACCOUNT_OPEN = "该账号已有正在办理的入党申请"
NOTE_MAX = 2000


def _today() -> dt.date:
    return timezone.localdate()


def _check_branch(branch: Organisation) -> dict[str, str]:
    if branch.org_type != OrgType.BRANCH:
        return {"branch": MSG_NOT_BRANCH}
    if not branch.is_active:
        return {"branch": MSG_BRANCH_DISSOLVED}
    return {}


def _store(upload, *, field: str, user):
    """A PDF or an image (re-encoded), through core uploads."""
    head = upload.read(5)
    upload.seek(0)
    if head == b"%PDF-":
        return uploads.store_pdf(upload, purpose=DOC_PURPOSE, uploaded_by=user, field=field)
    return uploads.store_image(upload, purpose=DOC_PURPOSE, uploaded_by=user, field=field)


class _Stored:
    """Files written while a transaction is open, removed if it rolls back."""

    def __init__(self):
        self.files = []

    def add(self, upload, *, field: str, user):
        stored = _store(upload, field=field, user=user)
        self.files.append(stored)
        return stored

    def discard(self):
        for stored in self.files:
            uploads.discard(stored)


def _authorize_change(user, applicant: Applicant) -> None:
    """CHANGE_RECRUITMENT over the branch; the applicant themself sees their record but
    may not run its steps (403, not 404)."""
    own = applicant.user_id is not None and applicant.user_id == getattr(user, "pk", None)
    if own and not scope.covers(user, Perm.CHANGE_RECRUITMENT, applicant.branch.path):
        raise PermissionDenied(MSG_OWN_RECORD)
    authorize(user, Perm.CHANGE_RECRUITMENT, applicant.branch.path, view_perm=Perm.VIEW_RECRUITMENT)


# --- Application (step 1)


@transaction.atomic
def applicant_create(
    *,
    acting_user,
    branch: Organisation,
    name: str,
    id_number: str,
    ethnicity: str,
    education: str,
    applied_on: dt.date,
    document=None,
    phone: str = "",
    occupation: str = "",
    user=None,
    account: str = "",
    note: str = "",
    ip: str | None = None,
) -> Applicant:
    """Receive an 入党申请书 (step 1): the applicant is registered with the branch, age
    ≥ 18 on the day (细则第六条), the letter itself uploaded.

    ``account`` (a username) or ``user``: the applicant's own login, if they have one —
    they then follow their record (全程纪实) and upload 思想汇报, and on approval it
    becomes their member login. It must be active, linked to no member and have no other
    open application.
    """
    authorize(acting_user, Perm.CHANGE_RECRUITMENT, branch.path, view_perm=Perm.VIEW_RECRUITMENT)
    errors = _check_branch(branch)
    if account and account.strip():
        user = account_by_username(account)
        if user is None:
            errors["account"] = MSG_ACCOUNT_UNKNOWN
    if user is not None:
        if user.member_id is not None:
            errors["account"] = MSG_ACCOUNT_MEMBER
        elif (
            Applicant.objects.filter(user=user)
            .exclude(status__in=("archive", rules.TERMINATED))
            .exists()
        ):
            errors["account"] = MSG_ACCOUNT_OPEN
    applicant = Applicant(
        branch=branch,
        user=user,
        name=(name or "").strip(),
        ethnicity=ethnicity,
        education=education,
        occupation=(occupation or "").strip(),
        applied_on=applied_on,
        last_step_on=applied_on,
    )
    try:
        parsed = idcard.parse(id_number or "", today=_today())
    except ValidationError as exc:
        errors["id_number"] = exc.messages[0]
    else:
        applicant.set_id_number(parsed.value)
        applicant.birth_date = parsed.birth_date
        applicant.gender = Gender.MALE if parsed.is_male else Gender.FEMALE
        digests = crypto.blind_indexes(parsed.value, purpose=ID_INDEX)
        if (
            Applicant.objects.filter(id_number_digest__in=digests)
            .exclude(status__in=("archive", rules.TERMINATED))
            .exists()
        ):
            errors["id_number"] = MSG_ALREADY_OPEN
        elif Member.objects.filter(
            id_number_digest__in=crypto.blind_indexes(parsed.value, purpose="member.id_number")
        ).exists():
            errors["id_number"] = MSG_ALREADY_MEMBER
    if phone and phone.strip():
        try:
            applicant.phone = normalize_phone(phone)
        except ValidationError as exc:
            errors["phone"] = exc.messages[0]
    if len(note) > NOTE_MAX:
        errors["note"] = MSG_NOTE_LONG
    try:
        applicant.full_clean(exclude=["id_number_digest", "status", "id_number", "birth_date"])
    except ValidationError as exc:
        for field, msgs in exc.message_dict.items():
            errors.setdefault(field, msgs[0])
    if applicant.birth_date and applied_on:
        given = rules.Input(has_document=document is not None)
        for field, msg in rules.step_errors(
            "apply", applicant.facts(), applied_on, _today(), given
        ).items():
            errors.setdefault("applied_on" if field == "done_on" else field, msg)
    raise_if(errors)
    stored = _Stored()
    try:
        with transaction.atomic():
            cases.open_case(applicant, actor=acting_user, ip=ip)
            record = StepRecord.objects.create(
                applicant=applicant,
                number=1,
                key="apply",
                label=STEP["apply"].label,
                done_on=applied_on,
                actor=acting_user,
                note=note.strip(),
            )
            _attach(applicant, record, [(rules.Doc.APPLICATION, document)], acting_user, stored)
            rollups.mark_dirty(branch)
    except BaseException:
        stored.discard()
        raise
    return applicant


def _attach(applicant, record, documents, user, stored: _Stored) -> None:
    for kind, upload in documents:
        if upload is None:
            continue
        file = stored.add(upload, field="document", user=user)
        Document.objects.create(
            applicant=applicant,
            step=record,
            kind=kind,
            title=rules.DOC_LABELS[kind],
            file=file,
            uploaded_by=user if getattr(user, "is_authenticated", False) else None,
        )


# --- Steps 2–25


def _members_in(applicant: Applicant, ids) -> tuple[list[Member], dict[str, str], list[str]]:
    """The branch's members with these ids, the ids that are not, and those not 正式."""
    ids = list(dict.fromkeys(int(i) for i in ids or ()))
    found = {m.pk: m for m in Member.objects.filter(pk__in=ids, branch_id=applicant.branch_id)}
    missing = [str(i) for i in ids if i not in found]
    members = [found[i] for i in ids if i in found]
    not_full = [m.name for m in members if m.status != Status.FULL]
    return members, ({"missing": "、".join(missing)} if missing else {}), not_full


def _vote(data: dict) -> rules.Vote | None:
    try:
        return rules.Vote(
            eligible=int(data["eligible"]),
            present=int(data["present"]),
            votes_for=int(data["votes_for"]),
            against=int(data.get("against") or 0),
            abstain=int(data.get("abstain") or 0),
        )
    except (KeyError, TypeError, ValueError):
        return None


@transaction.atomic
def step_do(
    *,
    acting_user,
    applicant: Applicant,
    step: str,
    done_on: dt.date,
    note: str = "",
    document=None,
    contact_ids=(),
    sponsor_ids=(),
    training_days: int = 0,
    training_hours: int = 0,
    vote: dict | None = None,
    late_reason: str = "",
    extension_months: int = 0,
    group: Organisation | None = None,
    ip: str | None = None,
) -> Applicant:
    """Record step ``step`` (a key of :data:`rules.STEP`, or ``extend``) as done on
    ``done_on``. Refused (a Chinese message at the field) when it is not the next step,
    when its time rule fails, or when its input is incomplete; writes nothing then."""
    _authorize_change(acting_user, applicant)
    if (step not in STEP and step != EXTEND) or step == "apply":
        raise ValidationError({"step": "没有该步骤"})
    note = (note or "").strip()
    raise_if({"note": MSG_NOTE_LONG} if len(note) > NOTE_MAX else {})
    contacts, missing_c, contacts_not_full = _members_in(applicant, contact_ids)
    sponsors, missing_s, sponsors_not_full = _members_in(applicant, sponsor_ids)
    errors = {}
    if missing_c:
        errors["contacts"] = MSG_NOT_IN_BRANCH.format(names=missing_c["missing"])
    if missing_s:
        errors["sponsors"] = MSG_NOT_IN_BRANCH.format(names=missing_s["missing"])
    if group is not None and (
        group.org_type != OrgType.GROUP or not group.path.startswith(applicant.branch.path)
    ):
        errors["group"] = MSG_GROUP_OUTSIDE
    raise_if(errors)
    given = rules.Input(
        contacts=len(contacts),
        contacts_not_full=contacts_not_full,
        sponsors=len(sponsors),
        sponsors_not_full=sponsors_not_full,
        training_days=training_days or 0,
        training_hours=training_hours or 0,
        vote=_vote(vote) if vote is not None else None,
        late_reason=late_reason or "",
        extension_months=extension_months or 0,
        has_document=document is not None,
    )
    stored = _Stored()
    try:
        with transaction.atomic():
            cases.transition(
                applicant,
                step,
                actor=acting_user,
                reason=note,
                ip=ip,
                done_on=done_on,
                given=given,
                document=document,
                contacts=contacts,
                sponsors=sponsors,
                vote=vote,
                group=group,
                stored=stored,
            )
            _clear_warnings(applicant)
            rollups.mark_dirty(applicant.branch)
    except BaseException:
        stored.discard()
        raise
    return applicant


def write_step(
    applicant: Applicant,
    key: str,
    *,
    actor,
    done_on: dt.date,
    note: str,
    given: rules.Input | None = None,
    document=None,
    contacts=(),
    sponsors=(),
    vote: dict | None = None,
    group=None,
    stored: _Stored | None = None,
    **_,
) -> StepRecord:
    """The workflow's effect for each step (under the row lock): the record, the
    documents, the dates later rules read, and what the step does to the member."""
    given = given or rules.Input()
    step = STEP.get(key)
    number, label = (step.number, step.label) if step else (21, "延长预备期")
    data: dict = {}
    a = applicant
    if key == "talk":
        a.talked_on = done_on
    elif key == "activist":
        a.activist_on = done_on
    elif key == "contacts":
        a.contacts.set(contacts)
        data["contacts"] = [m.name for m in contacts]
    elif key == "review":
        a.last_review_on = done_on
        a.review_count += 1
        data["review"] = a.review_count
    elif key == "candidate":
        a.candidate_on = done_on
    elif key == "sponsors":
        a.sponsors.set(sponsors)
        data["sponsors"] = [m.name for m in sponsors]
    elif key == "training":
        data.update(days=given.training_days, hours=given.training_hours)
    elif key in ("branch_vote", "conversion_vote"):
        data["vote"] = dataclasses.asdict(given.vote)
        if key == "branch_vote":
            a.vote_on = done_on
            a.probation_ends_on = rules.probation_end(done_on)
        else:
            a.conversion_vote_on = done_on
    elif key == "approve":
        a.approved_on = done_on
        if given.late_reason.strip():
            data["late_reason"] = given.late_reason.strip()
        a.member = member_services.member_admit(
            acting_user=actor,
            branch=a.branch,
            name=a.name,
            id_number=a.id_number,
            ethnicity=a.ethnicity,
            education=a.education,
            occupation=a.occupation,
            phone=a.phone,
            joined_on=a.vote_on,
        )
        if a.user_id is not None:  # they applied with an account: it is now the member's
            account_services.user_link_member(acting_user=actor, user=a.user, member=a.member)
            data["account_linked"] = True
    elif key == "placed" and group is not None:
        member_services.member_update(acting_user=actor, member=a.member, group=group)
        data["group"] = group.name
    elif key == EXTEND:
        a.extended_months = given.extension_months
        a.probation_ends_on = rules.probation_end(a.vote_on, a.extended_months)
        data["months"] = given.extension_months
    elif key == "conversion_approve":
        a.converted_on = done_on
        member_services.member_convert(
            acting_user=actor, member=a.member, full_member_on=a.probation_ends_on
        )
    a.last_step_on = max(done_on, a.last_step_on or done_on)
    record = StepRecord.objects.create(
        applicant=a,
        number=number,
        key=key,
        label=label,
        done_on=done_on,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        note=note,
        data=data,
    )
    kind = step.document if step and step.document else rules.Doc.OTHER
    _attach(a, record, [(kind, document)], actor, stored or _Stored())
    return record


@transaction.atomic
def applicant_terminate(*, acting_user, applicant: Applicant, reason: str, ip=None) -> Applicant:
    """终止发展: the application ends here (the reason is kept in its history)."""
    _authorize_change(acting_user, applicant)
    reason = (reason or "").strip()
    raise_if({"reason": MSG_NOTE_LONG} if len(reason) > NOTE_MAX else {})
    cases.transition(applicant, TERMINATE, actor=acting_user, reason=reason, ip=ip)
    _clear_warnings(applicant)
    rollups.mark_dirty(applicant.branch)
    return applicant


@transaction.atomic
def document_add(*, acting_user, applicant: Applicant, kind: str, upload, title: str = "", ip=None):
    """Upload a document outside a step (a 思想汇报 above all). The applicant may upload
    their own 思想汇报; the branch's admins any kind."""
    own = applicant.user_id is not None and applicant.user_id == getattr(acting_user, "pk", None)
    if not own:
        authorize(
            acting_user,
            Perm.CHANGE_RECRUITMENT,
            applicant.branch.path,
            view_perm=Perm.VIEW_RECRUITMENT,
        )
    errors = {}
    if kind not in rules.DOC_LABELS:
        errors["kind"] = MSG_DOC_KIND
    elif (
        own
        and kind != rules.Doc.THOUGHT_REPORT
        and not scope.covers(acting_user, Perm.CHANGE_RECRUITMENT, applicant.branch.path)
    ):
        errors["kind"] = MSG_DOC_ONLY_REPORTS
    if not applicant.is_open:
        errors["kind"] = MSG_DOC_CLOSED
    raise_if(errors)
    title = (title or "").strip()[:120] or rules.DOC_LABELS[kind]
    stored = _Stored()
    try:
        with transaction.atomic():
            file = stored.add(upload, field="upload", user=acting_user)
            document = Document.objects.create(
                applicant=applicant, kind=kind, title=title, file=file, uploaded_by=acting_user
            )
            cases.record(applicant, "document", actor=acting_user, note=f"上传{title}", ip=ip)
    except BaseException:
        stored.discard()
        raise
    return document


@transaction.atomic
def record_printed(*, acting_user, applicant: Applicant, ip=None) -> None:
    """Audit a print of the applicant's record (it carries personal data)."""
    audit.record(
        actor=acting_user,
        action="recruitment.applicant.print",
        obj=applicant,
        org=applicant.branch,
        ip=ip,
    )


# --- Plans


@transaction.atomic
def plan_set(*, acting_user, org: Organisation, year: int, quota: int, ip=None) -> RecruitmentPlan:
    """Set (or change) the year's plan of ``org``'s subtree."""
    authorize(acting_user, Perm.CHANGE_RECRUITMENT, org.path, view_perm=Perm.VIEW_RECRUITMENT)
    errors = {}
    if not isinstance(year, int) or not 2000 <= year <= 2100:
        errors["year"] = MSG_YEAR
    if not isinstance(quota, int) or not 0 <= quota <= 1_000_000:
        errors["quota"] = MSG_QUOTA
    raise_if(errors)
    plan = RecruitmentPlan.objects.select_for_update().filter(org=org, year=year).first()
    before = {"quota": plan.quota} if plan else None
    if plan is not None and plan.quota == quota:
        return plan
    if plan is None:
        plan = RecruitmentPlan(org=org, year=year)
    plan.quota, plan.set_by = quota, acting_user
    plan.save()
    audit.record(
        actor=acting_user,
        action="recruitment.plan.set",
        obj=plan,
        org=org,
        before=before,
        after={"year": year, "quota": quota},
        ip=ip,
    )
    return plan


# --- Reminders and warnings (the daily job)


def _admins(applicant: Applicant) -> list:
    from dangjian.accounts.selectors import role_holders
    from dangjian.core.scope import Role

    holders = role_holders(applicant.branch, Role.ADMIN)
    return list(holders.users) if holders else []


def _warning_key(applicant: Applicant, item: rules.DueItem) -> str:
    return f"recruitment:{applicant.pk}:{item.key}"


def _clear_warnings(applicant: Applicant, today: dt.date | None = None) -> int:
    """Resolve the applicant's open warnings whose item is no longer overdue."""
    today = today or _today()
    still = {
        _warning_key(applicant, i)
        for i in rules.overdue(applicant.status, applicant.facts(), today)
    }
    open_keys = Warning.objects.filter(
        kind=STEP_OVERDUE.name,
        subject_type=Applicant._meta.label_lower,
        subject_id=str(applicant.pk),
        resolved_at__isnull=True,
    ).values_list("dedupe_key", flat=True)
    return sum(
        core_warnings.warnings_clear(kind=STEP_OVERDUE.name, dedupe_key=key)
        for key in set(open_keys) - still
    )


@transaction.atomic
def applicant_check_due(applicant: Applicant, today: dt.date) -> tuple[int, int]:
    """Remind the branch's admins of what is due soon and raise a warning for what is
    overdue; idempotent (deduplicated by applicant, item and due date). Returns
    (reminders sent, warnings raised or confirmed)."""
    state, facts = applicant.status, applicant.facts()
    sent = raised = 0
    admins = _admins(applicant)
    url = f"/recruitment/{applicant.pk}/"
    for item in rules.reminders(state, facts, today):
        sent += notify.send(
            admins,
            kind="recruitment.reminder",
            title=f"{applicant.name}：{item.label}将于{cn_day(item.due)}到期",
            body=f"{applicant.branch.name}，请按时办理",
            url=url,
            dedupe_key=f"recruitment.reminder:{applicant.pk}:{item.key}",
        )
    for item in rules.overdue(state, facts, today):
        core_warnings.warning_raise(
            kind=STEP_OVERDUE.name,
            org=applicant.branch,
            subject=applicant,
            subject_label=applicant.name,
            title=f"{applicant.name}：{item.label}已逾期（应于{cn_day(item.due)}前办理）",
            due=None,
            dedupe_key=_warning_key(applicant, item),
            recipients=admins,
            url=url,
        )
        raised += 1
    _clear_warnings(applicant, today)
    return sent, raised
