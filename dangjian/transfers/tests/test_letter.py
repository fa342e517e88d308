"""The 介绍信: the PDF, its number, "dues paid up to" with and without the dues app, and
the public verification page (genuine, expired, void, forged), which shows no more than
the name and the two organisations."""

import datetime as dt
import sys
import types

import pytest
from django.urls import reverse
from django.utils import timezone

from dangjian.core.models import AuditEntry
from dangjian.transfers import letter, selectors, services
from dangjian.transfers.models import Transfer
from dangjian.transfers.tests.helpers import apply, approve_all
from tests.kit import login_verified

pytestmark = pytest.mark.django_db


@pytest.fixture
def issued(cast):
    return approve_all(cast, apply(cast, "B1m2", "B3"))


def verify_url(transfer) -> str:
    return reverse("transfers:verify", args=[selectors.letter_token(transfer.letter_no)])


def test_the_letter_number_is_random_and_signed(cast, issued):
    other = approve_all(cast, apply(cast, "B2m2", "B4"))
    assert issued.letter_no != other.letter_no
    assert len(issued.letter_no.replace("-", "")) == 20  # the year and 16 random characters
    token = selectors.letter_token(issued.letter_no)
    assert token.startswith(issued.letter_no + ":")


def test_the_pdf_downloads_and_each_download_is_audited(client, cast, issued):
    login_verified(client, cast.user["sibling_county_admin"])
    response = client.get(reverse("transfers:letter", args=[issued.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert AuditEntry.objects.filter(action="transfers.letter.download").count() == 1


def test_no_letter_before_approval(client, cast):
    pending = apply(cast, "B1m2", "B3")
    login_verified(client, cast.user["branch_admin"])
    assert client.get(reverse("transfers:letter", args=[pending.pk])).status_code == 404


def test_the_letter_carries_the_particulars_and_a_qr_code(cast, issued):
    ctx = letter.context(issued, lambda path: f"https://dj.example.cn{path}")
    assert ctx["dues"] == letter.NO_DUES  # no dues app installed
    assert ctx["days"] == 10 and ctx["verify_url"].endswith(verify_url(issued))
    assert ctx["qr"].startswith("data:image/svg+xml")
    from django.template.loader import render_to_string

    html = render_to_string("transfers/letter_pdf.html", ctx)
    member = issued.member
    for text in (issued.letter_no, member.name, member.id_number_masked, "拓东社区党支部", "—"):
        assert text in html
    assert member.id_number not in html  # masked


def test_dues_paid_up_to_comes_from_the_dues_app_when_installed(cast, issued, monkeypatch):
    fake = types.ModuleType("dangjian.dues.selectors")
    fake.paid_up_to = lambda member: dt.date(2026, 10, 1) if member.pk == issued.member_id else None
    monkeypatch.setitem(sys.modules, "dangjian.dues", types.ModuleType("dangjian.dues"))
    monkeypatch.setitem(sys.modules, "dangjian.dues.selectors", fake)
    from django.apps import apps

    real = apps.is_installed
    monkeypatch.setattr(apps, "is_installed", lambda name: name == "dangjian.dues" or real(name))
    assert selectors.dues_paid_up_to(issued.member) == dt.date(2026, 10, 1)
    assert letter.dues_text(issued.member) == "2026年10月"
    assert letter.dues_text(cast.member["B2m1"]) == letter.NO_DUES  # never paid


def test_without_the_dues_app_nothing_is_asked(cast, issued):
    assert selectors.dues_paid_up_to(issued.member) is None


def test_the_verify_page_needs_no_login_and_says_genuine(client, issued):
    url = verify_url(issued)
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode().replace(url, "")  # its own address aside
    assert selectors.MSG_VALID in html
    assert issued.member.name in html and issued.from_branch.name in html
    assert issued.to_branch.name in html
    for private in (issued.member.id_number_masked, issued.letter_no, issued.reason):
        assert private not in html


def test_a_forged_number_is_refused(client, issued):
    for token in (issued.letter_no, f"{issued.letter_no}:forged", "2026-AAAA-BBBB-CCCC-DDDD:x"):
        response = client.get(reverse("transfers:verify", args=[token]))
        assert response.status_code == 200
        html = response.content.decode()
        assert selectors.MSG_FORGED in html and issued.member.name not in html


def test_an_expired_letter_says_so(client, issued):
    Transfer.objects.filter(pk=issued.pk).update(
        letter_valid_until=timezone.localdate() - dt.timedelta(days=1)
    )
    html = client.get(verify_url(issued)).content.decode()
    assert selectors.MSG_EXPIRED in html and selectors.MSG_VALID not in html
    assert selectors.verify(
        selectors.letter_token(issued.letter_no), today=timezone.localdate() - dt.timedelta(days=1)
    ).valid  # valid through its last day


def test_a_reissued_letter_voids_the_old_one(cast, client, issued):
    old = verify_url(issued)
    services.transfer_reissue(acting_user=cast.user["branch_admin"], transfer=issued)
    assert selectors.MSG_VOID in client.get(old).content.decode()
    assert selectors.MSG_VALID in client.get(verify_url(issued)).content.decode()


def test_a_received_letter_is_genuine_but_used(cast, client, issued):
    services.transfer_receive(
        acting_user=cast.user["sibling_county_admin"],
        transfer=issued,
        received_on=timezone.localdate(),
    )
    assert selectors.MSG_DONE in client.get(verify_url(issued)).content.decode()
