"""The public question form: phone confirmed by SMS, limits per phone and per address,
proof of work above a low rate (issue 10: 60 orders a minute per address, any phone)."""

import re

import pytest
from django.test import override_settings

from dangjian.core import notify, pow
from dangjian.desk.models import WorkOrder
from dangjian.desk.views import public

URL = "/consult/public/ask/"
FORM = {"caller_name": "李女士", "phone": "137-1111-3333", "summary": "想咨询入党的条件"}


def _code() -> str:
    return re.search(r"验证码是 (\d{6})", notify.sms_outbox[-1][1]).group(1)


def _ask(client, **more):
    return client.post(URL, {**FORM, **more})


def _confirmed(client, phone=FORM["phone"], **more):
    """Get a code for ``phone``, then submit with it."""
    sent = client.post(URL, {**FORM, "phone": phone, "action": public.SEND})
    assert sent.status_code == 200, sent.content.decode()[:500]
    return client.post(URL, {**FORM, "phone": phone, "code": _code(), **more})


def test_no_order_without_a_code(cast, client):
    response = _ask(client)
    assert response.status_code == 422
    assert public.MSG_CODE_REQUIRED in response.content.decode()
    assert not WorkOrder.objects.exists() and not notify.sms_outbox


def test_a_confirmed_phone_makes_one_order(cast, client):
    response = _confirmed(client)
    assert response.status_code == 302
    order = WorkOrder.objects.get()
    assert (order.source, order.phone) == ("public", "13711113333")
    assert notify.sms_outbox[0][0] == "13711113333"


def test_a_wrong_or_reused_code_is_refused(cast, client):
    client.post(URL, {**FORM, "action": public.SEND})
    code = _code()
    wrong = "000000" if code != "000000" else "111111"
    assert _ask(client, code=wrong).status_code == 422
    assert _ask(client, code=code).status_code == 302
    assert _ask(client, code=code).status_code == 422  # consumed
    assert WorkOrder.objects.count() == 1


def test_a_code_for_another_number_does_not_confirm_this_one(cast, client):
    client.post(URL, {**FORM, "phone": "13711113333", "action": public.SEND})
    response = _ask(client, phone="13722224444", code=_code())
    assert response.status_code == 422 and not WorkOrder.objects.exists()


@override_settings(RATE_LIMITS_ENABLED=True)
def test_one_code_per_number_per_minute_however_typed(cast, client):
    client.post(URL, {**FORM, "phone": "13711113333", "action": public.SEND})
    again = client.post(URL, {**FORM, "phone": "+86 137 1111 3333", "action": public.SEND})
    assert "验证码发送过于频繁" in again.content.decode()
    assert len(notify.sms_outbox) == 1


def _limits(**changes):
    from django.conf import settings

    return override_settings(RATE_LIMITS={**settings.RATE_LIMITS, **changes})


def test_orders_are_limited_per_phone(cast, client):
    with _limits(**{"public-order-phone": (1, 86400), "sms": (100, 60), "public-pow": (99, 60)}):
        assert _confirmed(client, phone="13711113333").status_code == 302
        sent = len(notify.sms_outbox)
        # The same number, typed otherwise: no code is even sent…
        refused = client.post(URL, {**FORM, "phone": "+8613711113333", "action": public.SEND})
        assert refused.status_code == 422 and len(notify.sms_outbox) == sent
        assert public.MSG_PHONE_LIMIT in refused.content.decode()
        # …and a code obtained before the limit was reached does not pass it either.
        client.post(URL, {**FORM, "phone": "13733335555", "action": public.SEND})
        code = _code()
        with _limits(**{"public-order-phone": (0, 86400)}):
            late = _ask(client, phone="13733335555", code=code)
        assert public.MSG_PHONE_LIMIT in late.content.decode()
        assert _confirmed(client, phone="13722224444").status_code == 302
    assert WorkOrder.objects.count() == 2


def test_orders_are_limited_per_address(cast, client):
    with _limits(**{"public-order-ip": (1, 86400), "sms": (100, 60), "public-pow": (99, 60)}):
        assert _confirmed(client, phone="13711113333").status_code == 302
        refused = _confirmed(client, phone="13722224444")
        assert public.MSG_ADDRESS_LIMIT in refused.content.decode()
    assert WorkOrder.objects.count() == 1


@override_settings(POW_BITS=8)
def test_above_a_low_rate_a_proof_of_work_is_needed(cast, client):
    with _limits(**{"public-pow": (2, 3600), "sms": (100, 60)}):
        assert "pow_challenge" in client.get(URL).content.decode()  # the hidden field
        assert "data-pow-bits" not in client.get(URL).content.decode()  # nobody is asked yet
        assert _confirmed(client).status_code == 302  # two posts, no script needed
        blocked = client.post(URL, {**FORM, "action": public.SEND})
        page = blocked.content.decode()
        assert blocked.status_code == 422 and pow.MSG_REQUIRED in page
        assert "data-pow-bits" in page and "js/pow.js" in page
        challenge = re.search(r'name="pow_challenge" value="([^"]+)"', page).group(1)
        solved = {"pow_challenge": challenge, "pow_nonce": pow.solve(challenge)}
        sent = client.post(URL, {**FORM, "action": public.SEND, **solved})
        assert sent.status_code == 200 and pow.MSG_REQUIRED not in sent.content.decode()
        reused = client.post(URL, {**FORM, "code": _code(), **solved})
        assert pow.MSG_INVALID in reused.content.decode()
        assert WorkOrder.objects.count() == 1


@override_settings(POW_BITS=8)
def test_forged_or_weak_solutions_are_refused(db):
    token = pow.issue(public.PURPOSE)
    with pytest.raises(pow.PowError):
        pow.verify(token[:-2] + "xx", "1", public.PURPOSE)  # bad signature
    with pytest.raises(pow.PowError):
        pow.verify(token, pow.solve(token), "other-form")  # another form's challenge
    nonce = next(
        str(n)
        for n in range(10_000)
        if pow.leading_zero_bits(__import__("hashlib").sha256(f"{token}:{n}".encode()).digest()) < 8
    )
    with pytest.raises(pow.PowError):
        pow.verify(token, nonce, public.PURPOSE)
    pow.verify(token, pow.solve(token), public.PURPOSE)
