"""Central acceptance's writes: the registry of offices (业务处室), re-categorising and
re-routing an order, merging duplicates, and reminding offices late with their input.

省级集中受理 (seed 000): the province centre accepts every question and consults the
responsible office through 协商联动 (``services.orders.order_coordinate``); an office
has a named 责任人 and 联络员, linked to accounts where they have one so that they are
told in their inbox and answer in the platform. An order that belongs elsewhere is
re-routed with a reason; a question asked twice is merged into the first order.
"""

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from dangjian.core import audit, cases, notify, warnings
from dangjian.core.errors import raise_if
from dangjian.core.phone import phone_or_blank
from dangjian.core.scope import Perm, Role, authorize, covers
from dangjian.core.services import check_editable, model_update
from dangjian.core.text import name_or_error
from dangjian.desk import rules
from dangjian.desk.models import OPEN_STATUSES, Coordination, Office, OrderStatus, WorkOrder
from dangjian.desk.services.orders import _authorize_handle, _notify_asker
from dangjian.desk.services.workflow import MSG_CATEGORY, staff_at
from dangjian.desk.warnings import CONSULTATION_OVERDUE
from dangjian.orgs.models import Organisation

NAME_MAX = 60
PERSON_MAX = 50

MSG_NO_MANAGE = "您没有维护业务处室的权限"
MSG_OFFICE_NAME = f"请填写处室名称（不超过{NAME_MAX}个字）"
MSG_OFFICE_TAKEN = "本组织已有同名处室"
MSG_OFFICE_ORG = "业务处室只能设在省、州（市）、县（市、区）委组织部门"
MSG_LEAD = "请填写责任人姓名或选择其账号"
MSG_LIAISON = "请填写联络员姓名或选择其账号"
MSG_PERSON_LONG = f"姓名不能超过{PERSON_MAX}个字"
MSG_OFFICE_PHONE = "请输入正确的手机号或固定电话（如 13812345678、0871-12345678）"
MSG_ACCOUNT_INACTIVE = "该账号已停用"
MSG_REROUTE_ORG = "只能转至省、州（市）、县（市、区）委组织部门"
MSG_REROUTE_OUTSIDE = "只能转至您受理范围内或该工单承办组织的上级组织部门"
MSG_MERGE_SELF = "不能与工单自身合并"
MSG_MERGE_MAIN_MERGED = "主工单已合并至工单 {number}，请合并到该工单"
MSG_MERGE_MAIN_CLOSED = "主工单已办结，不能再并入"
MSG_MERGE_MAIN_HANDLE = "您不能办理主工单"

OFFICE_FIELDS = (
    "name",
    "categories",
    "lead",
    "lead_name",
    "lead_phone",
    "liaison",
    "liaison_name",
    "liaison_phone",
    "active",
)
OFFICE_AUDITED = (*OFFICE_FIELDS[:4], "liaison", "liaison_name", "active")


def authorize_handle(user, order: WorkOrder) -> None:
    """Before reading a request's other ids: 404 if the order is not visible, 403 if the
    user may see it but not handle it (the pages and the API check this first)."""
    _authorize_handle(user, order)


# --- The registry of offices


def _authorize_office(user, office: Office) -> None:
    """404 unless the office is visible to the user (its organisation in their 12371
    scope or below it, or theirs as 责任人/联络员); 403 unless they maintain offices there."""
    if not Office.objects.visible_to(user, Perm.VIEW_CONSULT).filter(pk=office.pk).exists():
        raise Http404("未找到")
    if not covers(user, Perm.MANAGE_OFFICES, office.org.path):
        raise PermissionDenied(MSG_NO_MANAGE)


def _office_snapshot(office: Office) -> dict:
    return audit.snapshot(office, OFFICE_AUDITED)


def _person(office: Office, role: str, errors: dict, missing: str) -> None:
    """责任人/联络员: an account, a name, or both; the name defaults to the account's."""
    user = getattr(office, role)
    name, problem = name_or_error(getattr(office, f"{role}_name"), field_label="姓名", blank=True)
    if problem:
        errors[f"{role}_name"] = problem
    elif len(name) > PERSON_MAX:
        errors[f"{role}_name"] = MSG_PERSON_LONG
    elif user is not None and not user.is_active:
        errors[role] = MSG_ACCOUNT_INACTIVE
    elif not name and user is None:
        errors[f"{role}_name"] = missing
    setattr(office, f"{role}_name", name or (str(user) if user is not None else ""))
    raw = getattr(office, f"{role}_phone") or ""
    try:
        setattr(office, f"{role}_phone", phone_or_blank(raw, landline=True))
    except ValidationError:
        errors[f"{role}_phone"] = MSG_OFFICE_PHONE


def _validate_office(office: Office) -> None:
    errors: dict[str, str] = {}
    name, problem = name_or_error(office.name, field_label="处室名称", blank=True)
    office.name = name
    if problem:
        errors["name"] = problem
    elif not name or len(name) > NAME_MAX:
        errors["name"] = MSG_OFFICE_NAME
    elif Office.objects.filter(org=office.org, name=name).exclude(pk=office.pk).exists():
        errors["name"] = MSG_OFFICE_TAKEN
    chosen = list(dict.fromkeys(office.categories or []))
    if any(not isinstance(c, str) or c not in rules.categories() for c in chosen):
        errors["categories"] = MSG_CATEGORY
    office.categories = chosen
    if office.org.org_type not in rules.LEVELS:
        errors["org_id"] = MSG_OFFICE_ORG
    _person(office, "lead", errors, MSG_LEAD)
    _person(office, "liaison", errors, MSG_LIAISON)
    raise_if(errors)


@transaction.atomic
def office_create(*, acting_user, org: Organisation, ip: str | None = None, **fields) -> Office:
    """A new office of ``org``'s organisation department (admins over ``org``)."""
    check_editable(fields, OFFICE_FIELDS)
    authorize(acting_user, Perm.MANAGE_OFFICES, org.path, view_perm=Perm.VIEW_CONSULT)
    office = Office(org=org, **fields)
    _validate_office(office)
    office.save()
    audit.record(
        actor=acting_user,
        action="consult.office.create",
        obj=office,
        org=org,
        after=_office_snapshot(office),
        ip=ip,
    )
    return office


@transaction.atomic
def office_update(*, acting_user, office: Office, changes: dict, ip: str | None = None) -> Office:
    """Edit an office (rename, its categories, 责任人 and 联络员, 停用/启用)."""
    check_editable(changes, OFFICE_FIELDS)
    _authorize_office(acting_user, office)
    office = Office.objects.select_for_update(no_key=True, of=("self",)).get(pk=office.pk)
    model_update(
        acting_user=acting_user,
        instance=office,
        changes=changes,
        snapshot=lambda o: {
            **_office_snapshot(o),
            "lead_phone": o.lead_phone,
            "liaison_phone": o.liaison_phone,
        },
        action="consult.office.update",
        org=lambda: office.org,
        validate=lambda: _validate_office(office),
        ip=ip,
    )
    return office


# --- Re-categorising and re-routing


def _may_route_to(user, order: WorkOrder, org: Organisation) -> bool:
    """Down or across within one's own desks, or up the order's own line (转上级)."""
    return covers(user, Perm.HANDLE_CONSULT, org.path) or order.org.path.startswith(org.path)


@transaction.atomic
def order_reroute(
    *,
    acting_user,
    order: WorkOrder,
    category: str,
    org: Organisation,
    reason: str,
    ip: str | None = None,
) -> WorkOrder:
    """重新分类/转办: give an open order another category and/or another organisation
    department, with a reason (in its history and the audit log). The new office's agents
    and handlers are told; it waits in their queue."""
    _authorize_handle(acting_user, order)
    if org.org_type not in rules.LEVELS:
        raise_if({"org_id": MSG_REROUTE_ORG})
    if not _may_route_to(acting_user, order, org):
        raise_if({"org_id": MSG_REROUTE_OUTSIDE})
    before_org = order.org_id
    cases.transition(
        order, "reroute", actor=acting_user, reason=reason, category=category, org=org, ip=ip
    )
    if order.org_id != before_org:
        recipients = list(staff_at(order.org, roles=(Role.AGENT, Role.HANDLER)))
        event = order.events.order_by("-id").first()
        transaction.on_commit(
            lambda: notify.send(
                recipients,
                kind="consult.rerouted",
                title=f"工单 {order.number} 已转至{order.org.name}办理",
                body=event.note[:200],
                url=reverse("desk:order_detail", args=[order.pk]),
                dedupe_key=f"consult.rerouted:{order.pk}:{event.pk}",
            )
        )
    return order


# --- Merging duplicates


def _merged_note(duplicate: WorkOrder, transcript: list) -> str:
    lines = [f"并入重复工单 {duplicate.number}（{duplicate.get_source_display()}）"]
    if duplicate.caller_name:
        lines.append(f"来电/留言人：{duplicate.caller_name}")
    lines.append(f"问题：{duplicate.summary}")
    if duplicate.detail:
        lines.append(duplicate.detail)
    lines.extend(f"{m.get_role_display()}：{m.text}" for m in transcript)
    return "\n".join(lines)


@transaction.atomic
def order_merge(
    *, acting_user, order: WorkOrder, main: WorkOrder, ip: str | None = None
) -> WorkOrder:
    """合并重复工单: ``order`` is closed as merged into ``main`` (its questions and bot
    transcript go into ``main``'s history); its asker is told which order answers them,
    and is told again when ``main`` is answered. Both must be the agent's to handle."""
    from dangjian.desk.selectors import conversation_transcript

    _authorize_handle(acting_user, order)
    if main.pk == order.pk:
        raise_if({"main_id": MSG_MERGE_SELF})
    main = WorkOrder.objects.select_for_update(no_key=True, of=("self",)).get(pk=main.pk)
    if not covers(acting_user, Perm.HANDLE_CONSULT, main.org.path):
        raise_if({"main_id": MSG_MERGE_MAIN_HANDLE})
    if main.merged_into_id:
        raise_if({"main_id": MSG_MERGE_MAIN_MERGED.format(number=main.merged_into.number)})
    if main.status == OrderStatus.CLOSED:
        raise_if({"main_id": MSG_MERGE_MAIN_CLOSED})
    cases.transition(order, "merge", actor=acting_user, main=main, ip=ip)
    cases.record(
        main,
        "merge_in",
        actor=acting_user,
        note=_merged_note(order, conversation_transcript(order)),
        ip=ip,
    )
    told = main.reply if main.status == OrderStatus.ANSWERED else main.summary
    _notify_asker(
        order,
        kind="consult.merged",
        title=f"您的咨询与工单 {main.number} 相同，已合并办理",
        body=told[:200],
        key=f"consult.merged:{order.pk}:{main.pk}",
    )
    return order


# --- Offices late with their input


def consultations_overdue(*, now: dt.datetime) -> int:
    """Every request for input past its deadline: a warning at the office's organisation
    (once), and its 联络员, 责任人 and the order's assignee reminded once a day while it
    stays unanswered (from the day after the warning). Idempotent for a slot (dedupe keys). Returns how many are late."""
    late = (
        Coordination.objects.filter(answered_at__isnull=True, due__lt=now)
        .filter(order__status__in=OPEN_STATUSES)
        .select_related("order", "order__assignee", "org", "unit__lead", "unit__liaison")
        .order_by("due", "pk")
    )
    count = 0
    for item in late:
        order = item.order
        people = [*(item.unit.contacts if item.unit else []), order.assignee]
        people = [u for u in dict.fromkeys(people) if u is not None]
        url = reverse("desk:order_detail", args=[order.pk])
        title = f"{item.office}逾期未回复工单 {order.number} 的协商意见"
        warning = warnings.warning_raise(
            kind=CONSULTATION_OVERDUE.name,
            org=item.org,
            subject=item,
            subject_label=f"工单 {order.number} · {item.office}",
            title=title,
            due=item.due,
            recipients=people,
            url=url,
            dedupe_key=f"consult.consultation_overdue:{item.pk}",
            now=now,
        )
        if timezone.localdate(warning.raised_at) == timezone.localdate(now):
            count += 1  # raised today: the warning itself told them
            continue
        notify.send(
            people,
            kind="consult.consultation_reminder",
            title=f"请尽快回复：{title}",
            body=item.question[:200],
            url=url,
            dedupe_key=f"consult.consultation_reminder:{item.pk}:{timezone.localdate(now)}",
        )
        count += 1
    return count
