"""Organisational-life pages, for a branch secretary on a phone above all: the meeting
list, planning, the meeting page (attendance, minutes, votes, comments, photos), the
check-in screen with its rotating QR code, the member's check-in page the code opens,
leave requests, "my meetings", and the compliance table of a subtree."""

import datetime as dt

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dangjian.core import scope, uploads
from dangjian.core import warnings as core_warnings
from dangjian.core.errors import field_errors
from dangjian.core.http import client_ip
from dangjian.core.pages import (
    edit_submit,
    form_submit,
    is_htmx,
    list_filter,
    list_results,
    paginate,
    post_action,
    vary_on_htmx,
)
from dangjian.core.scope import Perm
from dangjian.members import selectors as member_selectors
from dangjian.members.models import Member
from dangjian.orglife import checkin as qr
from dangjian.orglife import rules, selectors, services
from dangjian.orglife.choices import AttendanceStatus, MeetingKind, MeetingStatus
from dangjian.orglife.filters import MeetingFilter
from dangjian.orglife.forms import (
    CancelForm,
    CommentForm,
    LeaveForm,
    LocationForm,
    MarkForm,
    MeetingForm,
    PhotoForm,
    RecordForm,
    ResolutionForm,
    VoteForm,
)
from dangjian.orglife.models import Attendance
from dangjian.orgs import selectors as org_selectors
from dangjian.orgs import tree
from dangjian.orgs.choices import OrgType
from dangjian.orgs.models import Organisation

GET_POST = require_http_methods(["GET", "POST"])
MSG_PLANNED = "会议已安排，已通知参会党员"
MSG_SAVED = "已保存"
MSG_CANCELLED = "会议已取消，已通知参会党员"
MSG_RECORDED = "会议纪要已保存"
MSG_MARKED = "已标记"
MSG_MARKED_ALL = "未签到的参会党员已全部标记为出席，请再标记请假、缺席的党员"
MSG_CHECKED_IN = "签到成功"
MSG_ALREADY = "您已签到（{time}），无需重复签到"
MSG_LEAVE = "请假已提交"
MSG_VOTED = "表决已提交"
MSG_VOTE_CLOSED = "表决已结束并计票"
MSG_RESOLUTION_ADDED = "表决事项已提出"
MSG_COMMENTED = "留言已发表"
MSG_PHOTO = "照片已上传"
MSG_BAD_INPUT = "输入有误，请检查后重试"
MSG_NO_SCOPE = "您没有可查看的组织生活范围"
MSG_NOT_ORG_TYPE = "只有党支部和党小组可以安排组织生活会议"
PLANNABLE_SHOWN = 6  # a secretary's branch and groups; upper admins pick from the tree


def _require_record(user, meeting) -> None:
    if not selectors.can_record(user, meeting):
        raise PermissionDenied("您没有权限记录该会议")


def _require_change(user, meeting) -> None:
    if not selectors.can_change(user, meeting):
        raise PermissionDenied("您没有权限修改该会议")


def _to_detail(meeting, anchor: str = ""):
    return redirect(reverse("orglife:detail", args=[meeting.pk]) + anchor)


# --- Lists


def _filterset(request) -> MeetingFilter:
    queryset = selectors.meeting_queryset(request.user)
    return list_filter(
        request,
        MeetingFilter,
        queryset,
        search="输入会议主题",
        hidden=("org", "mine"),
        all_label="全部",
    )


def _plannable(user, org) -> list:
    """Where the "安排会议" buttons point: the chosen branch/group, or the user's few."""
    if org is not None:
        if org.org_type in (OrgType.BRANCH, OrgType.GROUP) and selectors.can_plan(user, org):
            return [org]
        return []
    return list(selectors.plannable_orgs(user)[: PLANNABLE_SHOWN + 1])


@login_required
@require_GET
def meeting_list(request):
    filterset = _filterset(request)
    results, org = list_results(
        filterset, lambda pk: org_selectors.org_queryset(request.user).filter(pk=pk).first()
    )
    plannable = _plannable(request.user, org)
    context = {
        "filterset": filterset,
        "page_obj": paginate(
            request, selectors.in_list_order(request.user, results, org), capped=True
        ),
        "org": org,
        "plannable": plannable[:PLANNABLE_SHOWN],
        "more_plannable": len(plannable) > PLANNABLE_SHOWN,
        "warning_count": selectors.warnings_open(request.user, org).count(),
    }
    template = "orglife/_results.html" if is_htmx(request) else "orglife/list.html"
    return vary_on_htmx(render(request, template, context))


@login_required
@require_GET
def my_meetings(request):
    """The meetings I am called to: what is coming (with check-in / leave), then the past."""
    qs = selectors.meeting_list(request.user, {"mine": True})
    now = timezone.now()
    upcoming = list(
        qs.filter(ends_at__gte=now).exclude(status=MeetingStatus.CANCELLED).order_by("starts_at")
    )
    past = paginate(request, qs.exclude(pk__in=[m.pk for m in upcoming]))
    own = request.user.member_id
    marks = dict(
        Attendance.objects.filter(
            member_id=own, meeting__in=[*upcoming, *past.object_list]
        ).values_list("meeting_id", "status")
    )
    labels = dict(AttendanceStatus.choices)
    for meeting in [*upcoming, *past.object_list]:
        meeting.my_status = labels.get(marks.get(meeting.pk), "")
    rate = None
    if own:
        year = str(timezone.localdate().year)
        rate = selectors.member_attendance_rate(request.user.member, year)
    context = {"upcoming": upcoming, "page_obj": past, "has_member": bool(own), "rate": rate}
    return render(request, "orglife/mine.html", context)


# --- Planning and editing


def _plan_org(request, org_id):
    org = org_selectors.org_get(request.user, org_id)
    if not scope.covers(request.user, Perm.VIEW_ORGLIFE, org.path):
        raise Http404("未找到")
    if org.org_type not in (OrgType.BRANCH, OrgType.GROUP) or not org.is_active:
        raise Http404(MSG_NOT_ORG_TYPE)
    if not selectors.can_plan(request.user, org):
        raise PermissionDenied("您没有权限为该组织安排会议")
    return org


def _branch_of(org):
    if org.org_type == OrgType.GROUP:
        return tree.parent(org)
    return org


class PlanForm(MeetingForm):
    """Planning adds the attendee list (应到): the roster, all ticked by default."""

    attendees = forms.ModelMultipleChoiceField(
        label="参会人员（应到）",
        queryset=Member.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text="默认为全体党员；流动党员可线上参会",
    )

    def __init__(self, *args, attendees, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attendees"].queryset = attendees
        self.fields["attendees"].initial = [m.pk for m in attendees]


def _kind_choices(org) -> list[tuple[str, str]]:
    if org.org_type == OrgType.GROUP:
        return [(MeetingKind.GROUP, MeetingKind.GROUP.label)]
    return [c for c in MeetingKind.choices if c[0] != MeetingKind.GROUP]


def _default_start() -> dt.datetime:
    """Tomorrow at 09:00 (a sensible first value for the picker)."""
    day = timezone.localdate() + dt.timedelta(days=1)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(9)))


@login_required
@GET_POST
def create(request, org_id):
    org = _plan_org(request, org_id)
    branch = _branch_of(org)
    start = _default_start()
    initial = {
        "kind": request.GET.get("kind") or _kind_choices(org)[0][0],
        "starts_at": start,
        "ends_at": start + dt.timedelta(hours=2),
    }
    form = PlanForm(
        request.POST or None,
        initial=initial,
        roster=selectors.roster(branch),
        groups=Organisation.objects.none(),
        attendees=selectors.roster(org),
    )
    form.fields["kind"].choices = _kind_choices(org)
    del form.fields["group"]
    if response := form_submit(
        request,
        form,
        lambda data: services.meeting_create(
            acting_user=request.user, org=org, ip=client_ip(request), **data
        ),
        success=MSG_PLANNED,
        then=_to_detail,
    ):
        return response
    groups = []
    if org.org_type == OrgType.BRANCH:
        groups = list(
            org_selectors.org_children(request.user, org).filter(
                org_type=OrgType.GROUP, dissolved_on__isnull=True
            )
        )
    context = {
        "form": form,
        "org": org,
        "groups": groups,
        "venues": selectors.recent_venues(request.user, branch),
    }
    return render(request, "orglife/form.html", context)


@login_required
@GET_POST
def edit(request, pk):
    meeting = selectors.meeting_get(request.user, pk)
    _require_change(request.user, meeting)
    if meeting.status != MeetingStatus.PLANNED:
        messages.error(request, services.MSG_NOT_PLANNED)
        return _to_detail(meeting)
    names = services.EDITABLE_FIELDS
    initial = {name: getattr(meeting, name) for name in names}
    initial["kind"] = meeting.kind
    form = MeetingForm(
        request.POST or None,
        initial=initial,
        roster=selectors.roster(meeting.branch),
        groups=Organisation.objects.none(),
    )
    form.fields["kind"].disabled = True
    form.fields["kind"].choices = [(meeting.kind, meeting.get_kind_display())]
    del form.fields["group"]
    if response := edit_submit(
        request,
        form,
        lambda changes: services.meeting_update(
            acting_user=request.user, meeting=meeting, ip=client_ip(request), **changes
        ),
        instance=meeting,
        changes=lambda: {n: form.cleaned_data[n] for n in form.changed_data if n in names},
        success=MSG_SAVED,
        then=_to_detail,
    ):
        return response
    context = {
        "form": form,
        "meeting": meeting,
        "venues": selectors.recent_venues(request.user, meeting.branch),
    }
    return render(request, "orglife/form.html", context)


@login_required
@GET_POST
def cancel(request, pk):
    meeting = selectors.meeting_get(request.user, pk)
    _require_change(request.user, meeting)
    form = CancelForm(request.POST or None)
    if response := form_submit(
        request,
        form,
        lambda data: services.meeting_cancel(
            acting_user=request.user, meeting=meeting, reason=data["reason"], ip=client_ip(request)
        ),
        success=MSG_CANCELLED,
        then=_to_detail,
    ):
        return response
    context = {"form": form, "meeting": meeting, "title": "取消会议", "submit": "确认取消"}
    return render(request, "orglife/simple_form.html", context)


@login_required
@GET_POST
def record(request, pk):
    meeting = selectors.meeting_get(request.user, pk)
    _require_record(request.user, meeting)
    form = RecordForm(request.POST or None, initial={"minutes": meeting.minutes})
    if response := form_submit(
        request,
        form,
        lambda data: services.meeting_record(
            acting_user=request.user,
            meeting=meeting,
            minutes=data["minutes"],
            ip=client_ip(request),
        ),
        success=MSG_RECORDED,
        then=_to_detail,
    ):
        return response
    context = {"form": form, "meeting": meeting, "title": "记录会议纪要", "submit": "保存纪要"}
    context["help"] = "保存后会议记为“已召开”，尚未签到且未请假的党员记为缺席。"
    return render(request, "orglife/simple_form.html", context)


# --- The meeting page


def _detail_context(request, meeting) -> dict:
    user = request.user
    can_record = selectors.can_record(user, meeting)
    mine = selectors.my_attendance(user, meeting)
    return {
        "meeting": meeting,
        "summary": selectors.attendance_summary(meeting),
        "attendances": selectors.attendance_for(meeting),
        "resolutions": selectors.resolutions_for(meeting, user),
        "comments": selectors.comments_for(meeting),
        "photos": selectors.photos_for(meeting),
        "mine": mine,
        "can_change": selectors.can_change(user, meeting),
        "can_record": can_record,
        "is_open": meeting.status != MeetingStatus.CANCELLED,
        "may_leave": mine is not None
        and mine.status != AttendanceStatus.PRESENT
        and meeting.status == MeetingStatus.PLANNED
        and meeting.ends_at >= timezone.now(),
        "statuses": [c for c in AttendanceStatus.choices if c[0] != AttendanceStatus.EXPECTED],
        "vote_choices": VoteForm.base_fields["choice"].choices,
        "comment_form": CommentForm(),
        "resolution_form": ResolutionForm() if can_record else None,
        "photo_form": PhotoForm() if can_record else None,
    }


@login_required
@require_GET
def detail(request, pk):
    meeting = selectors.meeting_get(request.user, pk)
    return render(request, "orglife/detail.html", _detail_context(request, meeting))


@login_required
@require_POST
def mark(request, pk):
    """The recorder marks one attendee (htmx: the attendance section is re-rendered)."""
    meeting = selectors.meeting_get(request.user, pk)
    _require_record(request.user, meeting)
    form = MarkForm(request.POST)
    post_action(
        request,
        lambda: services.attendance_mark(
            acting_user=request.user,
            meeting=meeting,
            member=member_selectors.member_get(request.user, form.cleaned_data["member"]),
            status=form.cleaned_data["status"],
            reason=form.cleaned_data["reason"],
            ip=client_ip(request),
        ),
        success=MSG_MARKED,
        form=form,
    )
    return _attendance_response(request, meeting)


def _attendance_response(request, meeting):
    if is_htmx(request):
        context = {**_detail_context(request, meeting), "partial": True}
        return vary_on_htmx(render(request, "orglife/_attendance.html", context))
    return _to_detail(meeting, "#attendance")


@login_required
@require_POST
def mark_all(request, pk):
    """One tap: every attendee not yet marked is present; then the recorder marks the
    exceptions (请假 with a reason, 缺席) row by row."""
    meeting = selectors.meeting_get(request.user, pk)
    _require_record(request.user, meeting)
    post_action(
        request,
        lambda: services.attendance_mark_all_present(
            acting_user=request.user, meeting=meeting, ip=client_ip(request)
        ),
        success=MSG_MARKED_ALL,
    )
    return _attendance_response(request, meeting)


@login_required
@require_POST
def resolution_add(request, pk):
    meeting = selectors.meeting_get(request.user, pk)
    _require_record(request.user, meeting)
    form = ResolutionForm(request.POST)
    post_action(
        request,
        lambda: services.resolution_add(
            acting_user=request.user, meeting=meeting, ip=client_ip(request), **form.cleaned_data
        ),
        success=MSG_RESOLUTION_ADDED,
        form=form,
    )
    return _to_detail(meeting, "#resolutions")


def _resolution_from(request, meeting):
    form = VoteForm(request.POST)
    form.fields["choice"].required = False
    if not form.is_valid():
        raise Http404("未找到")
    return selectors.resolution_get(meeting, form.cleaned_data["resolution"]), form


@login_required
@require_POST
def vote(request, pk):
    meeting = selectors.meeting_get(request.user, pk)
    resolution, form = _resolution_from(request, meeting)
    post_action(
        request,
        lambda: services.resolution_vote(
            acting_user=request.user,
            resolution=resolution,
            choice=form.cleaned_data["choice"],
            ip=client_ip(request),
        ),
        success=MSG_VOTED,
    )
    return _to_detail(meeting, "#resolutions")


@login_required
@require_POST
def close_vote(request, pk):
    meeting = selectors.meeting_get(request.user, pk)
    _require_record(request.user, meeting)
    resolution, _ = _resolution_from(request, meeting)
    post_action(
        request,
        lambda: services.resolution_close(
            acting_user=request.user, resolution=resolution, ip=client_ip(request)
        ),
        success=MSG_VOTE_CLOSED,
    )
    return _to_detail(meeting, "#resolutions")


@login_required
@require_POST
def comment_add(request, pk):
    meeting = selectors.meeting_get(request.user, pk)
    form = CommentForm(request.POST)
    post_action(
        request,
        lambda: services.comment_add(
            acting_user=request.user,
            meeting=meeting,
            text=form.cleaned_data["text"],
            ip=client_ip(request),
        ),
        success=MSG_COMMENTED,
        form=form,
    )
    return _to_detail(meeting, "#comments")


@login_required
@require_POST
def photo_add(request, pk):
    meeting = selectors.meeting_get(request.user, pk)
    _require_record(request.user, meeting)
    post_action(
        request,
        lambda: services.photo_add(
            acting_user=request.user,
            meeting=meeting,
            upload=request.FILES.get("photo"),
            caption=request.POST.get("caption", ""),
            ip=client_ip(request),
        ),
        success=MSG_PHOTO,
    )
    return _to_detail(meeting, "#photos")


@never_cache
@login_required
@require_GET
def photo(request, pk, photo_id):
    meeting = selectors.meeting_get(request.user, pk)
    return uploads.file_response(selectors.photo_get(meeting, photo_id).file)


# --- Check-in


def _qr_svg(url: str) -> str:
    """An inline SVG that scales to the screen (a viewBox, no fixed size: ``omitsize``)."""
    import segno

    return segno.make(url, error="m").svg_inline(scale=1, border=2, omitsize=True)


def _qr_context(request, meeting) -> dict:
    now = timezone.now()
    url = request.build_absolute_uri(qr.checkin_url(meeting, qr.qr_token_for(meeting, now)))
    return {
        "meeting": meeting,
        "qr_svg": _qr_svg(url),
        "qr_url": url,
        "refresh_in": qr.seconds_to_rotation(now),
    }


@never_cache
@login_required
@require_GET
def screen(request, pk):
    """The secretary's check-in screen: a big QR code that rotates every ~30 s."""
    meeting = selectors.meeting_get(request.user, pk)
    _require_record(request.user, meeting)
    context = {**_qr_context(request, meeting), "summary": selectors.attendance_summary(meeting)}
    return render(request, "orglife/screen.html", context)


@never_cache
@login_required
@require_GET
def screen_count(request, pk):
    """The live count on the QR screen, polled every few seconds (htmx), apart from the
    30-second rotation of the code."""
    meeting = selectors.meeting_get(request.user, pk)
    _require_record(request.user, meeting)
    context = {"meeting": meeting, "summary": selectors.attendance_summary(meeting)}
    return vary_on_htmx(render(request, "orglife/_count.html", context))


@never_cache
@login_required
@require_GET
def screen_qr(request, pk):
    """The QR code and the live count (polled by htmx)."""
    meeting = selectors.meeting_get(request.user, pk)
    _require_record(request.user, meeting)
    return vary_on_htmx(render(request, "orglife/_qr.html", _qr_context(request, meeting)))


def _checkin_page(request, meeting, *, token: str = "", error: str = "", done=None):
    mine = selectors.my_attendance(request.user, meeting)
    context = {
        "meeting": meeting,
        "token": token,
        "link": selectors.qr_link(meeting, token) if token and not error else None,
        "expired_message": qr.MSG_TOKEN_EXPIRED,
        "error": error,
        "mine": mine,
        "done": done,
        "has_member": bool(getattr(request.user, "member_id", None)),
        "is_cancelled": meeting.status == MeetingStatus.CANCELLED,
    }
    return render(request, "orglife/checkin.html", context, status=422 if error else 200)


def _first_error(exc: ValidationError) -> str:
    return next(m for msgs in field_errors(exc).values() for m in msgs)


def _checked_in(request, meeting, attendance, before):
    """Success page; a second scan says when the first check-in was (it is kept)."""
    if before is not None and before.status == AttendanceStatus.PRESENT:
        local = timezone.localtime(before.checked_in_at)
        return _checkin_page(request, meeting, done=MSG_ALREADY.format(time=f"{local:%H:%M}"))
    return _checkin_page(request, meeting, done=MSG_CHECKED_IN)


@never_cache
@login_required
@GET_POST
def checkin(request, pk):
    """The page the QR code opens on the member's phone: the meeting and a 签到 button."""
    meeting = selectors.meeting_get(request.user, pk)
    if request.method == "GET":
        return _checkin_page(request, meeting, token=request.GET.get("t", "")[:200])
    token = request.POST.get("t", "")[:200]
    before = selectors.my_attendance(request.user, meeting)
    try:
        if request.POST.get("online"):
            attendance = services.checkin_online(
                acting_user=request.user, meeting=meeting, ip=client_ip(request)
            )
        else:
            attendance = services.checkin_by_qr(
                acting_user=request.user, meeting=meeting, token=token, ip=client_ip(request)
            )
    except ValidationError as exc:
        return _checkin_page(request, meeting, token=token, error=_first_error(exc))
    return _checked_in(request, meeting, attendance, before)


@never_cache
@login_required
@require_POST
def checkin_location(request, pk):
    """Location check-in: orglife.js fills in the phone's coordinates and posts here."""
    meeting = selectors.meeting_get(request.user, pk)
    form = LocationForm(request.POST)
    if not form.is_valid():
        return _checkin_page(request, meeting, error=services.MSG_BAD_COORDS)
    before = selectors.my_attendance(request.user, meeting)
    try:
        attendance = services.checkin_by_location(
            acting_user=request.user,
            meeting=meeting,
            latitude=form.cleaned_data["lat"],
            longitude=form.cleaned_data["lng"],
            ip=client_ip(request),
        )
    except ValidationError as exc:
        return _checkin_page(request, meeting, error=_first_error(exc))
    return _checked_in(request, meeting, attendance, before)


@login_required
@GET_POST
def leave(request, pk):
    meeting = selectors.meeting_get(request.user, pk)
    form = LeaveForm(request.POST or None)
    if response := form_submit(
        request,
        form,
        lambda data: services.leave_request(
            acting_user=request.user, meeting=meeting, reason=data["reason"], ip=client_ip(request)
        ),
        success=MSG_LEAVE,
        then=lambda _: _to_detail(meeting),
    ):
        return response
    context = {"form": form, "meeting": meeting, "title": "请假", "submit": "提交请假"}
    return render(request, "orglife/simple_form.html", context)


# --- Compliance and warnings


def _period(request) -> tuple[rules.Period, str]:
    """The period asked for; by default (or when malformed) the last complete month."""
    text = request.GET.get("period")
    if not text:
        return selectors.default_period(), ""
    try:
        return rules.parse_period(text), ""
    except ValueError as exc:
        return selectors.default_period(), str(exc)


def _period_choices(period: rules.Period) -> list[tuple[str, str]]:
    """This month and the 11 before it, this and the previous quarters, this year."""
    today = timezone.localdate()
    choices = []
    year, month = today.year, today.month
    for _ in range(12):
        p = rules.month_period(year, month)
        choices.append((p.key, p.label))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    quarter = (today.month - 1) // 3 + 1
    for q in range(quarter, 0, -1):
        p = rules.quarter_period(today.year, q)
        choices.append((p.key, p.label))
    for y in (today.year, today.year - 1):
        p = rules.year_period(y)
        choices.append((p.key, p.label))
    if period.key not in dict(choices):
        choices.insert(0, (period.key, period.label))
    return choices


@login_required
@require_GET
def compliance(request, org_id=None):
    """A subtree's compliance for a period: each child's figures (drill down), the
    branches that are behind and on what, and the open warnings."""
    user = request.user
    if org_id is None:
        org = selectors.compliance_root(user)
        if org is None:
            raise Http404(MSG_NO_SCOPE)
    else:
        org = org_selectors.org_get(user, org_id)
    period, error = _period(request)
    table = selectors.compliance_table(user, org, period)
    context = {
        "org": org,
        "table": table,
        "period": period,
        "period_error": error,
        "period_choices": _period_choices(period),
        "crumbs": org_selectors.org_visible_ancestors(user, org),
        "warnings": selectors.warnings_open(user, org)[:20],
        "kinds": MeetingKind.choices,
        "is_branch": org.org_type == OrgType.BRANCH,
        "this_month": rules.period_of(timezone.localdate(), "month"),
    }
    return render(request, "orglife/compliance.html", context)


@login_required
@require_GET
def warnings(request):
    page_obj = paginate(request, selectors.warnings_open(request.user))
    context = {"page_obj": page_obj, "sees_warnings": core_warnings.sees_any(request.user)}
    return render(request, "orglife/warnings.html", context)
