"""Printable documents (介绍信, 纪实表) rendered from a template by WeasyPrint.

The stylesheet is a static file, not a <style> block, so every template of the project
obeys the same no-inline-style rule the CSP enforces for pages; WeasyPrint reads it from
disk through the static finders (no collectstatic, no network)."""

from django.contrib.staticfiles import finders
from django.http import HttpResponse
from django.template.loader import render_to_string


def render_pdf(template: str, context: dict, stylesheet: str) -> bytes:
    """The PDF bytes of `template` rendered with `context`, styled by the static file
    `stylesheet` (for example ``css/pdf-transfer-letter.css``)."""
    from weasyprint import CSS, HTML

    path = finders.find(stylesheet)
    if path is None:
        raise FileNotFoundError(stylesheet)
    html = render_to_string(template, context)
    return HTML(string=html).write_pdf(stylesheets=[CSS(filename=path)])


def pdf_response(pdf: bytes, filename: str, *, attachment: bool = False) -> HttpResponse:
    """A private, never-cached PDF answer: these documents carry personal data."""
    response = HttpResponse(pdf, content_type="application/pdf")
    disposition = "attachment" if attachment else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response
