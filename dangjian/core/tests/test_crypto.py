from django.db import connection

from dangjian.core import crypto
from dangjian.members.models import Member


def test_round_trip_and_random_nonce():
    a, b = crypto.encrypt("530102198506010011"), crypto.encrypt("530102198506010011")
    assert a != b
    assert crypto.decrypt(a) == crypto.decrypt(b) == "530102198506010011"


def test_tampered_ciphertext_is_refused():
    token = crypto.encrypt("13912345678")
    prefix, kid, payload = token.split(":", 2)
    flipped = payload[:-3] + ("A" if payload[-3] != "A" else "B") + payload[-2:]
    try:
        crypto.decrypt(f"{prefix}:{kid}:{flipped}")
    except crypto.DecryptionError:
        pass
    else:
        raise AssertionError("tampered ciphertext decrypted")


def test_unknown_key_id_is_refused():
    token = crypto.encrypt("x")
    _, _, payload = token.split(":", 2)
    try:
        crypto.decrypt(f"v1:deadbeef:{payload}")
    except crypto.DecryptionError:
        pass
    else:
        raise AssertionError("unknown key id decrypted")


def test_masks():
    assert crypto.mask_id_number("530102198001011234") == "530102********1234"
    assert crypto.mask_phone("13812345678") == "138****5678"
    assert crypto.mask_phone("123") == "***"


def test_blind_index_is_keyed_and_separated_by_purpose():
    one = crypto.blind_index("13812345678", purpose="member.phone")
    assert one == crypto.blind_index("13812345678", purpose="member.phone")
    assert one != crypto.blind_index("13812345678", purpose="other")
    assert "13812345678" not in one


def test_the_raw_columns_hold_no_clear_text(cast):
    member = cast.member["B1m1"]
    with connection.cursor() as cur:
        cur.execute(
            "SELECT id_number, phone, id_number_digest, phone_digest FROM members_member"
            " WHERE id = %s",
            [member.pk],
        )
        raw_id, raw_phone, id_digest, phone_digest = cur.fetchone()
    assert member.id_number and member.phone
    for column in (raw_id, raw_phone, id_digest, phone_digest):
        assert member.id_number not in column
        assert member.phone not in column
        assert member.id_number[-4:] + member.id_number[:6] not in column
    assert raw_id.startswith("v1:") and raw_phone.startswith("v1:")
    assert Member.objects.get(pk=member.pk).id_number == member.id_number
