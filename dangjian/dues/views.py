"""Dues pages: 我的党费 (bills, pay online), the sandbox provider's pay page, the admin's
arrears list and report, a payment's printable receipt (PDF)."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from dangjian.core import pdf, periods
from dangjian.core.pages import error_messages, paginate
from dangjian.dues import providers, reports, rules, selectors, services
from dangjian.dues.models import BillStatus, SandboxTrade
from dangjian.orgs import selectors as org_selectors


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
    page = paginate(request, selectors.arrears(request.user))
    return render(request, "dues/arrears.html", {"page_obj": page})


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
        response = HttpResponse(
            reports.report_xlsx(request.user, org, text),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = 'attachment; filename="dues-report.xlsx"'
        return response
    return render(
        request,
        "dues/report.html",
        {"org": org, "data": data, "period": period, "comparison": comparison},
    )


@login_required
@require_GET
def receipt(request, pk: int):
    payment = selectors.payment_get(request.user, pk)
    if payment.status != "paid":
        raise Http404("未找到")
    return pdf.pdf_response(reports.receipt_pdf(payment), f"receipt-{payment.pk}.pdf")
