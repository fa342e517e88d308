"""Pages of mobile and lost-contact members, for a branch secretary on a phone above all:
the 流动党员 list (both sides: members away from my subtree, members hosted by it),
registering one, the registration with its participation, the member's e-card with its
QR code and the public page the code opens; 流动党小组; the 失联党员 list, marking one,
the search log and the outcome; and a member's 自行脱党 page (the conditions' months,
good reasons, work assigned)."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dangjian.core import scope
from dangjian.core.pages import form_submit, paginate, post_action, query_text
from dangjian.core.ratelimit import ratelimit
from dangjian.core.scope import Perm
from dangjian.mobility import cards, selectors, services
from dangjian.mobility.choices import LostStatus, RegistrationStatus
from dangjian.mobility.forms import (
    AssignmentForm,
    AttemptForm,
    DoneForm,
    EndForm,
    ExcuseForm,
    GroupForm,
    LostForm,
    OutcomeForm,
    ParticipationForm,
    RegistrationForm,
    SetGroupForm,
)
from dangjian.orgs import selectors as org_selectors

GET_POST = require_http_methods(["GET", "POST"])
MSG_REGISTERED = "已登记为流动党员，电子活动证已生成"
MSG_ENDED = "流动党员登记已结束"
MSG_PARTICIPATION = "参加活动情况已记录"
MSG_GROUP_CREATED = "流动党小组已成立"
MSG_GROUP_SET = "已调整流动党小组"
MSG_LOST = "已标记为失联党员，请及时记录查找情况"
MSG_ATTEMPT = "查找情况已记录"
MSG_OUTCOME = "结果已记录"
MSG_WORK = "已记录分配的工作"
MSG_DONE = "已记录完成情况"
MSG_EXCUSE = "正当理由已记录，该情形不再提示"
MSG_NO_CHANGE = "您没有权限执行此操作"


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied(MSG_NO_CHANGE)


def _sees_any(user) -> bool:
    return bool(scope.scope_paths(user, Perm.VIEW_MOBILITY))


# --- 流动党员 -------------------------------------------------------------------------


@login_required
@require_GET
def registration_list(request):
    own = selectors.mine(request.user)
    if own is not None and not _sees_any(request.user):
        return redirect("mobility:card", own.pk)
    filters = {
        "side": request.GET.get("side", ""),
        "status": request.GET.get("status", RegistrationStatus.ACTIVE),
        "q": query_text(request),
    }
    page_obj = paginate(request, selectors.registration_list(request.user, filters))
    counts = selectors.participation_counts(page_obj.object_list)
    for registration in page_obj.object_list:
        registration.participation_count = counts.get(registration.pk, 0)
    who = query_text(request, "who")
    return render(
        request,
        "mobility/list.html",
        {
            "page_obj": page_obj,
            "filters": filters,
            "statuses": RegistrationStatus.choices,
            "own": own,
            "who": who,
            "candidates": selectors.changeable_members(request.user, who),
            "can_register": bool(scope.scope_paths(request.user, Perm.CHANGE_MOBILITY)),
        },
    )


@login_required
@GET_POST
def register(request, member_id):
    member = selectors.member_for_change(request.user, member_id)
    _require(selectors.can_change_member(request.user, member))
    form = RegistrationForm(request.POST or None)

    def save(data):
        return services.registration_create(acting_user=request.user, member=member, **data)

    if response := form_submit(
        request,
        form,
        save,
        success=MSG_REGISTERED,
        then=lambda reg: redirect("mobility:detail", reg.pk),
    ):
        return response
    return render(request, "mobility/register.html", {"form": form, "member": member})


@login_required
@require_GET
def detail(request, pk):
    registration = selectors.registration_get(request.user, pk)
    can_host = selectors.can_change_host(request.user, registration)
    groups = list(selectors.groups_at(registration.host_org)) if can_host else []
    return render(
        request,
        "mobility/detail.html",
        {
            "reg": registration,
            "state": selectors.card_state(registration),
            "participations": selectors.participation_for(registration),
            "can_record": registration.is_active
            and selectors.can_record(request.user, registration),
            "can_end": registration.is_active
            and selectors.can_change_home(request.user, registration),
            "can_host": can_host and registration.is_active,
            "participation_form": ParticipationForm(),
            "end_form": EndForm(),
            "group_form": SetGroupForm(groups=groups, initial={"group": registration.group_id}),
        },
    )


@login_required
@never_cache
@require_GET
def card(request, pk):
    """The 流动党员电子活动证: the member shows it on their phone; the QR code opens the
    public verification page."""
    registration = selectors.registration_get(request.user, pk)
    url = request.build_absolute_uri(cards.verify_path(registration))
    return render(
        request,
        "mobility/card.html",
        {
            "reg": registration,
            "state": selectors.card_state(registration),
            "qr": cards.qr_svg(url),
            "verify_url": url,
        },
    )


@never_cache
@require_GET
@ratelimit("public", methods=("GET",))
def verify(request, token):
    """Public (no login): whether a card is genuine and valid — the name, the two
    organisations and the validity, nothing else. A forged token is a 404."""
    public = selectors.card_by_token(token)
    status = 200 if public is not None else 404
    return render(request, "mobility/verify.html", {"card": public}, status=status)


@login_required
@require_POST
def participation_add(request, pk):
    registration = selectors.registration_get(request.user, pk)
    _require(selectors.can_record(request.user, registration))
    form = ParticipationForm(request.POST)
    post_action(
        request,
        lambda: services.participation_add(
            acting_user=request.user, registration=registration, **form.cleaned_data
        ),
        success=MSG_PARTICIPATION,
        form=form,
    )
    return redirect(reverse("mobility:detail", args=[pk]) + "#participation")


@login_required
@require_POST
def end(request, pk):
    registration = selectors.registration_get(request.user, pk)
    _require(selectors.can_change_home(request.user, registration))
    form = EndForm(request.POST)
    post_action(
        request,
        lambda: services.registration_end(
            acting_user=request.user, registration=registration, **form.cleaned_data
        ),
        success=MSG_ENDED,
        form=form,
    )
    return redirect("mobility:detail", pk)


@login_required
@require_POST
def set_group(request, pk):
    registration = selectors.registration_get(request.user, pk)
    _require(selectors.can_change_host(request.user, registration))
    groups = list(selectors.groups_at(registration.host_org))
    form = SetGroupForm(request.POST, groups=groups)

    def act():
        chosen = form.cleaned_data["group"]
        group = next((g for g in groups if g.pk == chosen), None)
        services.registration_set_group(
            acting_user=request.user, registration=registration, group=group
        )

    post_action(request, act, success=MSG_GROUP_SET, form=form)
    return redirect("mobility:detail", pk)


# --- 流动党小组 ------------------------------------------------------------------------


@login_required
@require_GET
def group_list(request):
    page_obj = paginate(request, selectors.group_queryset(request.user))
    return render(request, "mobility/groups.html", {"page_obj": page_obj})


@login_required
@GET_POST
def group_create(request, org_id):
    host = scope.get_or_404(org_selectors.org_queryset(request.user), pk=org_id)
    scope.authorize(request.user, Perm.CHANGE_MOBILITY, host.path, view_perm=Perm.VIEW_ORG)
    form = GroupForm(request.POST or None)
    if response := form_submit(
        request,
        form,
        lambda data: services.group_create(acting_user=request.user, host_org=host, **data),
        success=MSG_GROUP_CREATED,
        then=lambda group: redirect("mobility:group", group.pk),
    ):
        return response
    return render(request, "mobility/group_form.html", {"form": form, "host": host})


@login_required
@require_GET
def group_detail(request, pk):
    group = selectors.group_get(request.user, pk)
    return render(
        request,
        "mobility/group.html",
        {"group": group, "registrations": selectors.group_members(group)},
    )


# --- 失联党员 -------------------------------------------------------------------------


@login_required
@require_GET
def lost_list(request):
    filters = {
        "status": request.GET.get("status", LostStatus.SEARCHING),
        "q": query_text(request),
    }
    who = query_text(request, "who")
    return render(
        request,
        "mobility/lost_list.html",
        {
            "page_obj": paginate(request, selectors.lost_list(request.user, filters)),
            "filters": filters,
            "statuses": LostStatus.choices,
            "who": who,
            "candidates": selectors.changeable_members(request.user, who),
            "can_mark": bool(scope.scope_paths(request.user, Perm.CHANGE_MOBILITY)),
        },
    )


@login_required
@GET_POST
def lost_create(request, member_id):
    member = selectors.member_for_change(request.user, member_id)
    _require(selectors.can_change_member(request.user, member))
    form = LostForm(request.POST or None)
    if response := form_submit(
        request,
        form,
        lambda data: services.lost_mark(acting_user=request.user, member=member, **data),
        success=MSG_LOST,
        then=lambda case: redirect("mobility:lost_detail", case.pk),
    ):
        return response
    return render(request, "mobility/lost_form.html", {"form": form, "member": member})


@login_required
@require_GET
def lost_detail(request, pk):
    case = selectors.lost_get(request.user, pk)
    return render(
        request,
        "mobility/lost_detail.html",
        {
            "case": case,
            "attempts": selectors.attempts_for(case),
            "can_change": selectors.can_change_case(request.user, case),
            "attempt_form": AttemptForm(),
            "outcome_form": OutcomeForm(),
        },
    )


@login_required
@require_POST
def attempt_add(request, pk):
    case = selectors.lost_get(request.user, pk)
    _require(selectors.can_change_member(request.user, case.member))
    form = AttemptForm(request.POST)
    post_action(
        request,
        lambda: services.attempt_add(acting_user=request.user, case=case, **form.cleaned_data),
        success=MSG_ATTEMPT,
        form=form,
    )
    return redirect(reverse("mobility:lost_detail", args=[pk]) + "#attempts")


@login_required
@require_POST
def lost_close(request, pk):
    case = selectors.lost_get(request.user, pk)
    _require(selectors.can_change_member(request.user, case.member))
    form = OutcomeForm(request.POST)
    post_action(
        request,
        lambda: services.lost_close(acting_user=request.user, case=case, **form.cleaned_data),
        success=MSG_OUTCOME,
        form=form,
    )
    return redirect("mobility:lost_detail", pk)


# --- 自行脱党 -------------------------------------------------------------------------


@login_required
@require_GET
def lapse(request, member_id):
    member = selectors.member_for_change(request.user, member_id)
    if not scope.covers(request.user, Perm.VIEW_MOBILITY, member.branch.path):
        raise Http404("未找到")
    return render(
        request,
        "mobility/lapse.html",
        {
            "member": member,
            "rows": selectors.member_lapse(member),
            "excuses": selectors.excuses_for(member),
            "assignments": selectors.assignments_for(member),
            "warnings": selectors.lapse_warnings(request.user, member),
            "can_change": selectors.can_change_member(request.user, member),
            "excuse_form": ExcuseForm(),
            "assignment_form": AssignmentForm(),
            "done_form": DoneForm(),
        },
    )


def _member_action(request, member_id, act, success: str, form, anchor: str):
    member = selectors.member_for_change(request.user, member_id)
    _require(selectors.can_change_member(request.user, member))
    post_action(request, lambda: act(member, form.cleaned_data), success=success, form=form)
    return redirect(reverse("mobility:lapse", args=[member_id]) + anchor)


@login_required
@require_POST
def excuse_add(request, member_id):
    return _member_action(
        request,
        member_id,
        lambda member, data: services.excuse_record(
            acting_user=request.user, member=member, **data
        ),
        MSG_EXCUSE,
        ExcuseForm(request.POST),
        "#excuses",
    )


@login_required
@require_POST
def assignment_add(request, member_id):
    return _member_action(
        request,
        member_id,
        lambda member, data: services.assignment_create(
            acting_user=request.user, member=member, **data
        ),
        MSG_WORK,
        AssignmentForm(request.POST),
        "#work",
    )


@login_required
@require_POST
def assignment_done(request, pk):
    work = selectors.assignment_get(request.user, pk)
    _require(selectors.can_change_member(request.user, work.member))
    form = DoneForm(request.POST)
    post_action(
        request,
        lambda: services.assignment_done(
            acting_user=request.user, assignment=work, **form.cleaned_data
        ),
        success=MSG_DONE,
        form=form,
    )
    return redirect(reverse("mobility:lapse", args=[work.member_id]) + "#work")
