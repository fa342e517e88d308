"""The 介绍信 as a PDF (WeasyPrint, Debian's Noto CJK fonts), with a QR code (segno) of
its public verification page.

The letter carries its number, the member's particulars (the ID number masked), the
dues paid up to (from the dues app when it is installed, "—" otherwise), its validity
and the QR code; a tear-off 回执 at the foot for the receiving organisation.
"""

import segno
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from dangjian.transfers import selectors
from dangjian.transfers.models import Transfer

NO_DUES = "—"


def verify_url(transfer: Transfer, build_absolute_uri) -> str:
    token = selectors.letter_token(transfer.letter_no)
    return build_absolute_uri(reverse("transfers:verify", args=[token]))


def dues_text(member) -> str:
    paid = selectors.dues_paid_up_to(member)
    return f"{paid:%Y年%-m月}" if paid else NO_DUES


def context(transfer: Transfer, build_absolute_uri) -> dict:
    url = verify_url(transfer, build_absolute_uri)
    member = transfer.member
    issuer = transfer.steps.select_related("org").order_by("-seq").first()
    return {
        "t": transfer,
        "member": member,
        "age": member.age(transfer.letter_issued_on),
        "dues": dues_text(member),
        "days": (transfer.letter_valid_until - transfer.letter_issued_on).days,
        "issuer": issuer.org if transfer.external else transfer.from_branch,
        "approved_by": issuer.org,
        "qr": segno.make(url, error="m").svg_data_uri(scale=3, border=2),
        "verify_url": url,
        "printed_at": timezone.localtime(),
    }


def render_pdf(transfer: Transfer, build_absolute_uri) -> bytes:
    from weasyprint import HTML

    html = render_to_string("transfers/letter_pdf.html", context(transfer, build_absolute_uri))
    return HTML(string=html).write_pdf()
