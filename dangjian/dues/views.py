"""Dues pages: 我的党费 (bills, pay online), the sandbox provider's pay page, and the dues
keeper's pages: 党费基数核定 (with the branch's farmers' amount), the bases import,
登记缴纳 (cash, bank, 代缴, 补缴) with the receipt (PDF) and refunds, the arrears list and
the report (period, drill-down, quarterly comparison, Excel)."""

import datetime as dt
import re
import time
import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from dangjian.core import pdf, periods
from dangjian.core.imports import MSG_INVALID, ImportRefused, run_import
from dangjian.core.pages import error_messages, form_submit, paginate
from dangjian.core.uploads import sanitise_name
from dangjian.dues import imports, providers, reports, rules, selectors, services
from dangjian.dues.forms import BaseForm, FarmerForm, ImportForm, RecordForm, RefundForm
from dangjian.dues.models import BillStatus, PaymentStatus, SandboxTrade
from dangjian.orgs import selectors as org_selectors
from dangjian.orgs.choices import OrgType

MSG_NO_SCOPE = "您没有管理党费的组织范围"
MSG_BASE_SET = "已核定{name}的党费基数：自{month:%Y年%m月}起每月 {amount} 元"
MSG_FARMER_SET = "已设置本支部农民党员月交纳额为 {amount} 元"
MSG_RECORDED = "已登记{name}缴纳党费 {amount} 元，收据号 {receipt}"
MSG_REFUNDED = "已退款 {amount} 元，所缴月份已重新计为未缴"
MSG_IMPORTED = "已导入 {n} 名党员的党费基数"
MSG_ALREADY = "该文件此前已导入，未重复导入"
MSG_IMPORT_GONE = "导入文件已失效，请重新上传"
MAX_PICK_BACK = 12  # months back the 登记缴纳 page offers unbilled for 补缴
PICK_AHEAD = 3  # months ahead it offers for 预缴
IMPORT_KEEP_SECONDS = 24 * 3600  # an uploaded file waiting for 确认导入
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@login_required
@require_http_methods(["GET", "POST"])
def mine(request):
    member = selectors.own_member(request.user)
    if request.method == "POST" and member is not None:
        try:
            months = [dt.date.fromisoformat(m) for m in request.POST.getlist("months")]
        except ValueError:
            months = []
        try:
            _, url = services.payment_start(
                acting_user=request.user, member=member, months=months, provider="sandbox"
            )
        except ValidationError as exc:
            error_messages(request, exc)
            return redirect("dues:mine")
        return redirect(url)
    bills = list(selectors.my_bills(request.user)[:36])
    today = timezone.localdate()
    upcoming = []
    if member is not None:
        billed = {b.month for b in bills}
        base = services.base_on(member, rules.month_start(today))
        month = rules.month_start(today)
        for _ in range(3):
            month = rules.add_months(month, 1)
            if month not in billed and base is not None:
                upcoming.append({"month": month, "amount": rules.fen_to_yuan(base.amount_fen)})
    return render(
        request,
        "dues/mine.html",
        {
            "member": member,
            "unpaid": [b for b in bills if b.status == BillStatus.UNPAID],
            "paid": [b for b in bills if b.status == BillStatus.PAID][:12],
            "upcoming": upcoming,
            "paid_up_to": selectors.paid_up_to(member) if member else None,
            "payments": list(selectors.my_payments(request.user)[:10]),
            "manages": selectors.default_org(request.user) is not None,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def sandbox_pay(request, out_trade_no: str):
    """The sandbox provider's H5 pay page (what WeChat/Alipay would show)."""
    trade = SandboxTrade.objects.filter(out_trade_no=out_trade_no[:40]).first()
    if trade is None:
        raise Http404("未找到")
    if request.method == "POST":
        providers.get("sandbox").pay(trade.out_trade_no, succeed=request.POST.get("ok") == "1")
        if request.POST.get("ok") == "1":
            messages.success(request, "支付成功，感谢您按时交纳党费")
        else:
            messages.error(request, "支付未成功，请重试")
        return redirect(trade.return_url)
    return render(
        request,
        "dues/sandbox_pay.html",
        {"trade": trade, "amount": rules.fen_to_yuan(trade.amount_fen)},
    )


@login_required
@require_GET
def arrears(request):
    """The unpaid bills in scope; ``?org=<id>`` narrows them to a subtree."""
    org = None
    if (text := request.GET.get("org", "")).isdigit() and len(text) < 12:
        org = org_selectors.org_get(request.user, int(text))
    page = paginate(request, selectors.arrears(request.user, org=org))
    changeable = {b.pk for b in page if selectors.can_change(request.user, b.member.branch)}
    return render(
        request, "dues/arrears.html", {"page_obj": page, "changeable": changeable, "org": org}
    )


@login_required
@require_GET
def report(request, org_id: int):
    org = org_selectors.org_get(request.user, org_id)
    text = (
        request.GET.get("period")
        or f"{timezone.localdate():%Y}Q{(timezone.localdate().month - 1) // 3 + 1}"
    )
    try:
        data = reports.report(request.user, org, text)
        period = periods.parse_period(text)
        comparison = (
            reports.quarterly_comparison(request.user, org, text)
            if period.unit == periods.PeriodUnit.QUARTER
            else None
        )
    except ValueError as exc:
        messages.error(request, str(exc))
        return redirect("dues:report", org_id=org.pk)
    if request.GET.get("format") == "xlsx":
        response = HttpResponse(reports.report_xlsx(request.user, org, text), content_type=XLSX)
        response["Content-Disposition"] = 'attachment; filename="dues-report.xlsx"'
        return response
    return render(
        request,
        "dues/report.html",
        {
            "org": org,
            "data": data,
            "period": period,
            "comparison": comparison,
            "choices": reports.period_choices(timezone.localdate()),
            "progress": [r for r in comparison["rows"] if not r["behind"] and r["rate"] is not None]
            if comparison
            else [],
            "problems": [r for r in comparison["rows"] if r["behind"]] if comparison else [],
            "can_view_dues": selectors.can_view(request.user, org),
            "is_branch": org.org_type == OrgType.BRANCH,
        },
    )


@login_required
@require_GET
def receipt(request, pk: int):
    payment = selectors.payment_get(request.user, pk)
    if payment.status != "paid":
        raise Http404("未找到")
    return pdf.pdf_response(reports.receipt_pdf(payment), f"receipt-{payment.pk}.pdf")


# --- The dues keeper's pages ------------------------------------------------------------


def _org_for_dues(user, org_id):
    """The organisation (404 out of sight), 403 without VIEW_DUES over it."""
    org = org_selectors.org_get(user, org_id)
    if not selectors.can_view(user, org):
        raise PermissionDenied("您没有权限查看该组织的党费")
    return org


def _member_for_change(user, member_id):
    member = selectors.member_get(user, member_id)
    if not selectors.can_change(user, member.branch):
        raise PermissionDenied("您没有权限核定该党员的党费")
    return member


@login_required
@require_GET
def manage(request):
    """The dues area's admin entry: the top of the user's dues scope."""
    org = selectors.default_org(request.user)
    if org is None:
        raise Http404(MSG_NO_SCOPE)
    target = "dues:report" if request.GET.get("to") == "report" else "dues:bases"
    return redirect(target, org.pk)


@login_required
@require_http_methods(["GET", "POST"])
def bases(request, org_id: int):
    """党费基数核定: the subtree's billed members with the base in force; for a branch,
    its farmers' monthly amount."""
    org = _org_for_dues(request.user, org_id)
    is_branch = org.org_type == OrgType.BRANCH
    can_change = selectors.can_change(request.user, org)
    farmer_fen = selectors.farmer_fen(request.user, org) if is_branch else None
    if request.method == "POST" and not can_change:
        raise PermissionDenied("您没有权限设置该组织的党费")
    if request.method == "POST" and not is_branch:
        messages.error(request, services.MSG_NOT_BRANCH)
        return redirect("dues:bases", org.pk)
    form = None
    if is_branch and can_change:
        form = FarmerForm(
            request.POST or None, initial={"farmer_fen": rules.fen_to_yuan(farmer_fen)}
        )

    def save(data):
        return services.branch_setting_set(
            acting_user=request.user, branch=org, farmer_fen=data["farmer_fen"]
        )

    if form is not None and (
        response := form_submit(
            request,
            form,
            save,
            success=lambda s: MSG_FARMER_SET.format(amount=rules.fen_to_yuan(s.farmer_fen)),
            then=lambda s: redirect("dues:bases", org.pk),
        )
    ):
        return response
    page = paginate(request, selectors.member_bases(request.user, org))
    this = rules.month_start(timezone.localdate())
    rows = []
    for member in page:
        current = selectors.current_base(member.base_rows, this)
        later = [b for b in member.base_rows if b.effective_month > this]
        rows.append({"member": member, "base": current, "next": later[-1] if later else None})
    return render(
        request,
        "dues/bases.html",
        {
            "org": org,
            "page_obj": page,
            "rows": rows,
            "children": list(org_selectors.org_children(request.user, org).order_by("path")),
            "can_change": can_change,
            "is_branch": is_branch,
            "farmer": rules.fen_to_yuan(farmer_fen) if farmer_fen is not None else None,
            "form": form,
        },
        status=422 if form is not None and form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def member_base(request, member_id: int):
    """核定 (or change) one member's base from a month on."""
    member = _member_for_change(request.user, member_id)
    history = selectors.member_base_history(request.user, member)
    current = selectors.current_base(history)
    initial = {"effective_month": f"{timezone.localdate():%Y-%m}"}
    if current is not None:
        initial.update(
            category=current.category,
            base_fen=rules.fen_to_yuan(current.base_fen) if current.base_fen else "",
            voluntary_fen=rules.fen_to_yuan(current.voluntary_fen) if current.voluntary_fen else "",
        )
    form = BaseForm(request.POST or None, initial=initial)

    def save(data):
        return services.base_set(acting_user=request.user, member=member, **data)

    if response := form_submit(
        request,
        form,
        save,
        success=lambda b: MSG_BASE_SET.format(
            name=member.name, month=b.effective_month, amount=rules.fen_to_yuan(b.amount_fen)
        ),
        then=lambda b: redirect(f"{reverse('dues:bases', args=[member.branch_id])}#m{member.pk}"),
    ):
        return response
    return render(
        request,
        "dues/member_base.html",
        {"member": member, "form": form, "history": history, "current": current},
        status=422 if form.errors else 200,
    )


def _month_choices(member, bills, bases) -> list[tuple[str, str]]:
    """The months the admin may record: each unpaid bill (补缴 before this month), and
    months not yet billed (up to ``PICK_AHEAD`` ahead; back to the first base, at most
    ``MAX_PICK_BACK`` months, never before the member's first bill)."""
    this = rules.month_start(timezone.localdate())
    billed = {b.month: b for b in bills}
    choices = []
    for bill in bills:
        if bill.status == BillStatus.UNPAID:
            tag = "（补缴）" if bill.month < this else ""
            label = f"{bill.month:%Y年%m月} · {rules.fen_to_yuan(bill.amount_fen)} 元{tag}"
            choices.append((bill.month, label))
    if bases:
        first = max(
            bases[-1].effective_month,
            rules.first_billable_month(member.joined_on),
            rules.add_months(this, -MAX_PICK_BACK),
            bills[0].month if bills else this.replace(year=1),
        )
        month = first
        while month <= rules.add_months(this, PICK_AHEAD):
            base = selectors.current_base(bases, month)
            if month not in billed and base is not None:
                if month < this:
                    tag = "（补缴，未出账）"
                elif month > this:
                    tag = "（预缴）"
                else:
                    tag = "（未出账）"
                label = f"{month:%Y年%m月} · {rules.fen_to_yuan(base.amount_fen)} 元{tag}"
                choices.append((month, label))
            month = rules.add_months(month, 1)
    return [(m.isoformat(), label) for m, label in sorted(choices)]


@login_required
@require_http_methods(["GET", "POST"])
def member_record(request, member_id: int):
    """登记缴纳: cash or bank, 本人/亲属代缴/党支部代缴, unpaid months (补缴) or ahead."""
    member = _member_for_change(request.user, member_id)
    bills = selectors.member_bills(request.user, member)
    bases = selectors.member_base_history(request.user, member)
    choices = _month_choices(member, bills, bases)
    this = rules.month_start(timezone.localdate())
    arrears = [
        b.month.isoformat() for b in bills if b.status == BillStatus.UNPAID and b.month < this
    ]
    form = RecordForm(request.POST or None, month_choices=choices, initial={"months": arrears})

    def save(data):
        return services.payment_record(acting_user=request.user, member=member, **data)

    if response := form_submit(
        request,
        form,
        save,
        success=lambda p: MSG_RECORDED.format(
            name=member.name, amount=rules.fen_to_yuan(p.amount_fen), receipt=p.receipt_no
        ),
        then=lambda p: redirect("dues:payment", p.pk),
    ):
        return response
    return render(
        request,
        "dues/member_record.html",
        {
            "member": member,
            "form": form,
            "has_base": bool(bases),
            "paid_up_to": selectors.paid_up_to(member),
            "recent_bills": bills[::-1][:24],
            "payments": selectors.member_payments(request.user, member),
        },
        status=422 if form.errors else 200,
    )


@login_required
@require_GET
def payment(request, pk: int):
    """One payment: what it paid, its receipt (PDF) and, for the dues keeper, refund."""
    payment = selectors.payment_get(request.user, pk)
    return render(
        request,
        "dues/payment.html",
        {
            "payment": payment,
            "amount": rules.fen_to_yuan(payment.amount_fen),
            "months": [dt.date.fromisoformat(m) for m in payment.months],
            "paid": payment.status == PaymentStatus.PAID,
            "can_change": selectors.can_change(request.user, payment.member.branch),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def payment_refund(request, pk: int):
    """Refund a whole payment, after a confirmation."""
    payment = selectors.payment_get(request.user, pk)
    if not selectors.can_change(request.user, payment.member.branch):
        raise PermissionDenied("您没有权限办理退款")
    form = RefundForm(request.POST or None)

    def save(data):
        return services.payment_refund(
            acting_user=request.user, payment=payment, reason=data["reason"]
        )

    if response := form_submit(
        request,
        form,
        save,
        success=lambda p: MSG_REFUNDED.format(amount=rules.fen_to_yuan(p.amount_fen)),
        then=lambda p: redirect("dues:payment", p.pk),
    ):
        return response
    return render(
        request,
        "dues/payment_refund.html",
        {
            "payment": payment,
            "form": form,
            "amount": rules.fen_to_yuan(payment.amount_fen),
            "months": [dt.date.fromisoformat(m) for m in payment.months],
            "paid": payment.status == PaymentStatus.PAID,
        },
        status=422 if form.errors else 200,
    )


# --- Importing bases --------------------------------------------------------------------

_TOKEN = re.compile(r"^[0-9a-f]{32}$")
SESSION_KEY = "dues_import"


def _import_dir():
    path = settings.VAR_DIR / "dues-imports"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def _sweep() -> None:
    """Files of previews never confirmed are removed after a day."""
    limit = time.time() - IMPORT_KEEP_SECONDS
    for stale in _import_dir().iterdir():
        if stale.is_file() and stale.stat().st_mtime < limit:
            stale.unlink(missing_ok=True)


def _pending(request):
    """The file this user uploaded for preview (None when none or gone)."""
    held = request.session.get(SESSION_KEY) or {}
    token, ext = held.get("token", ""), held.get("ext", "")
    if not _TOKEN.match(token) or ext not in (".xlsx", ".csv"):
        return None
    path = _import_dir() / f"{token}{ext}"
    return path if path.exists() else None


def _discard(request) -> None:
    path = _pending(request)
    if path is not None:
        path.unlink(missing_ok=True)
    request.session.pop(SESSION_KEY, None)


def _preview_rows(rows) -> list[dict]:
    return [
        {
            "member": r["member"],
            "category": rules.Category(r["category"]).label,
            "base": rules.fen_to_yuan(r["base_fen"]) if r["base_fen"] is not None else "—",
            "voluntary": rules.fen_to_yuan(r["voluntary_fen"]) if r["voluntary_fen"] else "",
            "month": r["effective_month"],
            "amount": rules.fen_to_yuan(r["amount_fen"]),
        }
        for r in rows
    ]


@login_required
@require_http_methods(["GET", "POST"])
def bases_import(request):
    """批量核定: upload → preview (every row's errors; nothing imported from a refused
    file) → 确认导入 through the core import runner."""
    org = selectors.default_org(request.user)
    if org is None or not selectors.can_change(request.user, org):
        raise PermissionDenied("您没有权限核定党费基数")
    context = {"org": org, "form": ImportForm(), "rows": None, "errors": None, "file_name": ""}
    if request.method == "POST" and request.POST.get("action") == "confirm":
        path = _pending(request)
        if path is None:
            messages.error(request, MSG_IMPORT_GONE)
            return redirect("dues:bases_import")
        try:
            result = run_import(imports.IMPORTER, path=path, acting_user=request.user)
        except ImportRefused as exc:
            _discard(request)
            context.update(refused=exc.message, errors=exc.errors)
            return render(request, "dues/bases_import.html", context, status=422)
        _discard(request)
        if result.already_done:
            messages.info(request, MSG_ALREADY)
        else:
            messages.success(request, MSG_IMPORTED.format(n=result.written))
        return redirect("dues:bases", org.pk)
    if request.method == "POST" and request.POST.get("action") == "cancel":
        _discard(request)
        return redirect("dues:bases_import")
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        context["form"] = form
        if not form.is_valid():
            return render(request, "dues/bases_import.html", context, status=422)
        _discard(request)
        _sweep()
        upload = form.cleaned_data["file"]
        ext = ".csv" if upload.name.lower().endswith(".csv") else ".xlsx"
        token = uuid.uuid4().hex
        path = _import_dir() / f"{token}{ext}"
        with path.open("wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
        context["file_name"] = sanitise_name(upload.name)
        try:
            rows, errors = imports.preview(request.user, path)
        except ImportRefused as exc:
            path.unlink(missing_ok=True)
            context.update(refused=exc.message, errors=exc.errors)
            return render(request, "dues/bases_import.html", context, status=422)
        if errors:
            path.unlink(missing_ok=True)
            context.update(refused=MSG_INVALID.format(count=len(errors)), errors=errors)
            return render(request, "dues/bases_import.html", context, status=422)
        request.session[SESSION_KEY] = {"token": token, "ext": ext}
        context["rows"] = _preview_rows(rows)
    return render(request, "dues/bases_import.html", context)


@login_required
@require_GET
def bases_template(request):
    response = HttpResponse(imports.template_xlsx(), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="dues-bases-template.xlsx"'
    return response
