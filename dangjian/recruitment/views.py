"""发展党员 pages: the pipeline of a subtree, the applicants list, registering an
application, the applicant's 全程纪实 (the 25 steps with their dates, people and
documents, and the form of the next step), the printable record (PDF), documents."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dangjian.core import cases, scope, uploads
from dangjian.core.http import client_ip
from dangjian.core.pages import apply_errors, form_submit, paginate, post_action, query_text
from dangjian.core.scope import Perm
from dangjian.orgs import selectors as org_selectors
from dangjian.orgs.choices import OrgType
from dangjian.recruitment import rules, selectors, services
from dangjian.recruitment.forms import (
    ApplicantForm,
    DocumentForm,
    PlanForm,
    StepForm,
    TerminateForm,
)

GET_POST = require_http_methods(["GET", "POST"])
MSG_CREATED = "已受理入党申请"
MSG_STEP_DONE = "已办理：第{n}步“{label}”"
MSG_TERMINATED = "已终止发展"
MSG_UPLOADED = "材料已上传"
MSG_PLAN = "年度计划已保存"
MSG_NO_SCOPE = "您没有可查看的发展党员范围"
MSG_NOT_BRANCH = "只有党支部可以受理入党申请"


def _require_change(user, applicant) -> None:
    if not selectors.can_change(user, applicant):
        raise PermissionDenied("您没有权限办理该发展党员的步骤")


def _to_detail(applicant, anchor: str = ""):
    return redirect(reverse("recruitment:detail", args=[applicant.pk]) + anchor)


# --- Pipeline and list


@login_required
@require_GET
def index(request):
    """The pipeline of the user's scope; an applicant without a role sees their own."""
    org = selectors.default_org(request.user)
    if org is None:
        own = selectors.applicant_queryset(request.user).order_by("-id").first()
        if own is not None:
            return _to_detail(own)
        raise Http404(MSG_NO_SCOPE)
    return pipeline(request, org.pk)


@login_required
@require_GET
def pipeline(request, org_id):
    org = org_selectors.org_get(request.user, org_id)
    if not scope.covers(request.user, Perm.VIEW_RECRUITMENT, org.path):
        raise Http404("未找到")
    stage = request.GET.get("stage")
    stage = int(stage) if stage in {str(n) for n in rules.STAGES} else None
    q = query_text(request, limit=50)
    figures = selectors.pipeline(request.user, org)
    applicants = selectors.applicant_list(request.user, org=org, stage=stage, q=q)
    context = {
        "org": org,
        "figures": figures,
        "overdue": figures.overdue[:20],
        "page_obj": paginate(request, applicants),
        "stage": stage,
        "stage_label": rules.STAGE_SHORT.get(stage, ""),
        "q": q,
        "can_plan": scope.covers(request.user, Perm.CHANGE_RECRUITMENT, org.path),
        "can_register": org.org_type == OrgType.BRANCH
        and org.is_active
        and scope.covers(request.user, Perm.CHANGE_RECRUITMENT, org.path),
        "plan_form": PlanForm(
            initial={"year": figures.year, "quota": figures.plan.quota if figures.plan else None}
        ),
        "stages": rules.STAGE_SHORT,
    }
    return render(request, "recruitment/pipeline.html", context)


@login_required
@require_POST
def plan(request, org_id):
    org = org_selectors.org_get(request.user, org_id)
    form = PlanForm(request.POST)
    post_action(
        request,
        lambda: services.plan_set(
            acting_user=request.user,
            org=org,
            year=form.cleaned_data["year"],
            quota=form.cleaned_data["quota"],
            ip=client_ip(request),
        ),
        success=MSG_PLAN,
        form=form,
    )
    return redirect("recruitment:pipeline", org.pk)


@login_required
@GET_POST
def create(request, org_id):
    branch = org_selectors.org_get(request.user, org_id)
    if not scope.covers(request.user, Perm.VIEW_RECRUITMENT, branch.path):
        raise Http404("未找到")
    if not scope.covers(request.user, Perm.CHANGE_RECRUITMENT, branch.path):
        raise PermissionDenied("您没有权限为该党支部受理入党申请")
    if branch.org_type != OrgType.BRANCH or not branch.is_active:
        raise Http404(MSG_NOT_BRANCH)
    form = ApplicantForm(request.POST or None, request.FILES or None)

    def save(data):
        return services.applicant_create(
            acting_user=request.user, branch=branch, ip=client_ip(request), **data
        )

    if response := form_submit(request, form, save, success=MSG_CREATED, then=_to_detail):
        return response
    return render(request, "recruitment/create.html", {"form": form, "branch": branch})


# --- The applicant's record


def _step_forms(request, applicant, bound: StepForm | None = None) -> list[StepForm]:
    """The steps open now (the next one, repeated reviews, extension), as forms."""
    if not applicant.is_open or not selectors.can_change(request.user, applicant):
        return []
    open_now = cases.allowed(applicant, request.user) - {rules.TERMINATE}
    order = [s.key for s in rules.STEPS] + [rules.EXTEND]
    forms = []
    for key in sorted(open_now, key=order.index):
        if bound is not None and bound.key == key:
            forms.append(bound)
        else:
            forms.append(StepForm(applicant=applicant, key=key))
    return forms


def _detail_context(request, applicant, *, bound=None, upper_hidden=None) -> dict:
    records = selectors.timeline(applicant)
    can_change = selectors.can_change(request.user, applicant)
    own = applicant.user_id is not None and applicant.user_id == request.user.pk
    today = timezone.localdate()
    facts = applicant.facts()
    return {
        "applicant": applicant,
        "steps": selectors.steps_view(applicant, records),
        "stages": rules.STAGES,
        "step_forms": _step_forms(request, applicant, bound),
        "can_change": can_change,
        "own": own,
        "due": rules.due_items(applicant.status, facts) if applicant.is_open else [],
        "overdue": {i.kind for i in rules.overdue(applicant.status, facts, today)}
        if applicant.is_open
        else set(),
        "documents": selectors.documents(applicant),
        "document_form": DocumentForm(own_only=own and not can_change)
        if applicant.is_open and (can_change or own)
        else None,
        "terminate_form": TerminateForm() if can_change and applicant.is_open else None,
        "contacts": list(applicant.contacts.all()),
        "sponsors": list(applicant.sponsors.all()),
    }


@login_required
@require_GET
def detail(request, pk):
    applicant = selectors.applicant_get(request.user, pk)
    return render(request, "recruitment/detail.html", _detail_context(request, applicant))


@login_required
@require_POST
def step(request, pk, key):
    applicant = selectors.applicant_get(request.user, pk)
    _require_change(request.user, applicant)
    if (key not in rules.STEP and key != rules.EXTEND) or key == "apply":
        raise Http404("未找到")
    form = StepForm(request.POST, request.FILES, applicant=applicant, key=key)
    if form.is_valid():
        try:
            services.step_do(
                acting_user=request.user,
                applicant=applicant,
                ip=client_ip(request),
                **form.service_kwargs(),
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, MSG_STEP_DONE.format(n=form.number, label=form.label))
            return _to_detail(applicant, "#timeline")
    applicant.refresh_from_db()
    context = _detail_context(request, applicant, bound=form)
    if form not in context["step_forms"]:
        context["step_forms"] = [form, *context["step_forms"]]
    return render(request, "recruitment/detail.html", context, status=422)


@login_required
@GET_POST
def terminate(request, pk):
    applicant = selectors.applicant_get(request.user, pk)
    _require_change(request.user, applicant)
    form = TerminateForm(request.POST or None)

    def save(data):
        return services.applicant_terminate(
            acting_user=request.user,
            applicant=applicant,
            reason=data["reason"],
            ip=client_ip(request),
        )

    if response := form_submit(request, form, save, success=MSG_TERMINATED, then=_to_detail):
        return response
    return render(request, "recruitment/terminate.html", {"form": form, "applicant": applicant})


@login_required
@require_POST
def document_add(request, pk):
    applicant = selectors.applicant_get(request.user, pk)
    own = applicant.user_id is not None and applicant.user_id == request.user.pk
    if not own:
        _require_change(request.user, applicant)
    form = DocumentForm(request.POST, request.FILES)
    post_action(
        request,
        lambda: services.document_add(
            acting_user=request.user,
            applicant=applicant,
            kind=form.cleaned_data["kind"],
            title=form.cleaned_data["title"],
            upload=form.cleaned_data["upload"],
            ip=client_ip(request),
        ),
        success=MSG_UPLOADED,
        form=form,
    )
    return _to_detail(applicant, "#documents")


@login_required
@require_GET
def document(request, pk, doc_id):
    applicant = selectors.applicant_get(request.user, pk)
    return uploads.file_response(selectors.document_get(applicant, doc_id).file)


@login_required
@require_GET
def record_pdf(request, pk):
    """The printable record (发展党员全程纪实表), a PDF rendered by WeasyPrint with
    Debian's CJK fonts; every print is audited."""
    from weasyprint import HTML

    applicant = selectors.applicant_get(request.user, pk)
    records = selectors.timeline(applicant)
    html = render_to_string(
        "recruitment/record_pdf.html",
        {
            "applicant": applicant,
            "steps": selectors.steps_view(applicant, records),
            "stages": rules.STAGES,
            "contacts": list(applicant.contacts.all()),
            "sponsors": list(applicant.sponsors.all()),
            "printed": timezone.localtime(),
        },
    )
    pdf = HTML(string=html).write_pdf()
    services.record_printed(acting_user=request.user, applicant=applicant, ip=client_ip(request))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="recruitment-{applicant.pk}.pdf"'
    return response
