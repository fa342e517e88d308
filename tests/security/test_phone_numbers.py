"""One phone number, however it is typed, is one number: for limits, lookups and storage.

Issue 10: ``13711113333``, ``+8613711113333``, `` 13711113333``, ``137-1111-3333`` and
``8613711113333`` each got an SMS code within one second, because the per-phone limit was
keyed on the raw string. dangjian.core.phone.normalize_phone is now the one normaliser;
the SMS codes, the member records and the 12371 caller lookup all go through it.
"""

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings

from dangjian.core import notify
from dangjian.core.phone import MSG_PHONE, normalize_phone, phone_or_blank
from dangjian.desk.services import orders

SAME = [
    "13711113333",
    "+8613711113333",
    " 13711113333",
    "137-1111-3333",
    "8613711113333",
    "0086 137 1111 3333",
    "+86 (137) 1111-3333",
    "１３７１１１１３３３３",  # full-width digits, as a Chinese input method types them
    "137\u30001111\u30003333",  # ideographic spaces
]
REFUSED = [
    "",
    "   ",
    "1371111333",  # 10 digits
    "137111133334",  # 12 digits
    "12711113333",  # no such network
    "13711113333x",
    "1371111\u200b3333",  # an invisible character is not a separator
    "\u202e13711113333",
    "+1 137 1111 3333",
    "+44 7700 900123",
    "137-1111-3333 转 8001",
    "0871-12345678",  # a landline, where a mobile is required
]


@pytest.mark.parametrize("raw", SAME)
def test_every_way_of_writing_a_number_is_the_same_number(raw):
    assert normalize_phone(raw) == "13711113333"


@pytest.mark.parametrize("raw", REFUSED)
def test_what_is_not_a_mobile_is_refused_in_chinese(raw):
    with pytest.raises(ValidationError) as exc:
        normalize_phone(raw)
    assert exc.value.messages == [MSG_PHONE]


def test_landlines_only_where_asked():
    assert normalize_phone("0871-12345678", landline=True) == "087112345678"
    assert normalize_phone("(0871) 1234 5678", landline=True) == "087112345678"
    assert phone_or_blank("  ") == ""
    with pytest.raises(ValidationError):
        normalize_phone("+86 871 12345678", landline=True)


@override_settings(RATE_LIMITS_ENABLED=True)
def test_sms_limit_counts_the_number_not_the_string(db):
    """The attack: five spellings within a second → one code, four refusals."""
    notify.sms_outbox.clear()
    attack = SAME[:5]
    assert notify.sms_code_issue(attack[0], "consult") == "13711113333"
    for raw in attack[1:]:
        with pytest.raises(notify.SmsCodeError, match="发送过于频繁"):
            notify.sms_code_issue(raw, "consult")
    assert [phone for phone, _ in notify.sms_outbox] == ["13711113333"]


def test_a_code_sent_to_one_spelling_verifies_under_another(db):
    notify.sms_outbox.clear()
    notify.sms_code_issue("+86 137-1111-3333", "consult")
    code = notify.sms_outbox[-1][1].split("验证码是 ")[1][:6]
    notify.sms_code_verify("13711113333", "consult", code)


def test_a_malformed_number_is_refused_before_it_counts(db):
    notify.sms_outbox.clear()
    with pytest.raises(notify.SmsCodeError, match="手机号应为"):
        notify.sms_code_issue("1371111\u200b3333", "consult")
    notify.sms_code_issue("13711113333", "consult")  # the real number was not used up
    assert len(notify.sms_outbox) == 1


def test_member_phone_is_stored_normalised(cast):
    from dangjian.members import services

    member = services.member_update(
        acting_user=cast.user["branch_admin"],
        member=cast.member["B1m1"],
        phone="+86 137-1111-3333",
    )
    assert member.phone == "13711113333"


def test_caller_history_finds_a_number_however_typed():
    assert orders.phone_digests("137-1111-3333") == orders.phone_digests("+8613711113333")
    assert orders.normalize_phone("0871-12345678") == "087112345678"
    assert orders.normalize_phone("1371111\u200b3333") == ""
