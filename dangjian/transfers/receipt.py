"""The 回执 of an incoming transfer as a PDF (WeasyPrint, as the 介绍信): sent back to the
organisation that issued the letter, saying the member's relationship has arrived.

It carries the receipt's number, the letter's number and issuer, the member's name and
masked ID number, the 党员身份 facts the letter stated, whether an earlier record was
reopened, and the receiving branch.
"""

from django.http import HttpResponse
from django.utils import timezone

from dangjian.core import pdf
from dangjian.transfers.models import IncomingTransfer


def dues_text(incoming: IncomingTransfer) -> str:
    paid = incoming.dues_paid_until
    return f"{paid:%Y年%-m月}" if paid else "—"


def render_pdf(incoming: IncomingTransfer) -> bytes:
    return pdf.render_pdf(
        "transfers/receipt_pdf.html",
        {"i": incoming, "dues": dues_text(incoming), "printed_at": timezone.localtime()},
        stylesheet="css/pdf-transfer-letter.css",
    )


def pdf_response(incoming: IncomingTransfer) -> HttpResponse:
    """The 回执 as a download; the page and the API answer with the same file."""
    return pdf.pdf_response(render_pdf(incoming), f"receipt-{incoming.pk}.pdf", attachment=True)
