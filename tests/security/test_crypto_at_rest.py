"""打不开/读不懂: field encryption with AES-256-GCM or SM4-GCM, chosen per key.

The algorithm is a property of each key in the key file; DANGJIAN_FIELD_CIPHER picks it
for new keys. Values keep one shape, ``v1:<kid>:<base64>``, so both kinds coexist.
"""

import base64
import datetime as dt
import json

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.db import connection

from dangjian.core import crypto
from dangjian.members import services
from dangjian.members.models import Member
from tests.kit import new_id_number

ALGS = [crypto.AES_256_GCM, crypto.SM4]


@pytest.fixture
def key_file(settings, tmp_path):
    """A private key file per test, made on first use with the algorithm asked for."""

    def _use(alg: str):
        settings.FIELD_KEY_FILE = tmp_path / f"keys-{alg}.json"
        settings.FIELD_KEY_AUTOCREATE = True
        settings.FIELD_CIPHER = alg
        crypto.reset_cache()
        crypto.keyring()
        return settings.FIELD_KEY_FILE

    yield _use
    crypto.reset_cache()


def test_sm4_known_answer_gbt_32907():
    """GB/T 32907-2016 附录 A example 1: the primitive is real SM4, not a stand-in."""
    key = bytes.fromhex("0123456789abcdeffedcba9876543210")
    enc = Cipher(algorithms.SM4(key), modes.ECB()).encryptor()
    assert (enc.update(key) + enc.finalize()).hex() == "681edf34d206965e86b3e94f536e4246"


def test_sm4_gcm_known_answer_rfc_8998():
    """RFC 8998 appendix A.1 (SM4-GCM): our sealing layout is nonce ‖ ciphertext ‖ tag."""
    key = bytes.fromhex("0123456789ABCDEFFEDCBA9876543210")
    nonce = bytes.fromhex("00001234567800000000ABCD")
    aad = bytes.fromhex("FEEDFACEDEADBEEFFEEDFACEDEADBEEFABADDAD2")
    plain = bytes.fromhex(
        "AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBBCCCCCCCCCCCCCCCCDDDDDDDDDDDDDDDD"
        "EEEEEEEEEEEEEEEEFFFFFFFFFFFFFFFFEEEEEEEEEEEEEEEEAAAAAAAAAAAAAAAA"
    )
    enc = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
    enc.authenticate_additional_data(aad)
    body = enc.update(plain) + enc.finalize()
    assert body.hex().upper().startswith("17F399F08C67D5EE19D0DC9969C4BB7D5FD46FD3")
    assert enc.tag.hex().upper() == "83DE3541E4C2B58177E065A9BF7B62EC"
    # And our own SM4 sealing opens a value built by hand with the same primitive.
    data_key = crypto.DataKey(alg=crypto.SM4, key=key)
    enc = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
    sealed = nonce + enc.update(b"530102") + enc.finalize() + enc.tag
    assert crypto.open_sealed(data_key, sealed) == b"530102"


@pytest.mark.parametrize("alg", ALGS)
def test_round_trip_with_random_nonce(key_file, alg):
    key_file(alg)
    ring = crypto.keyring()
    assert ring.keys[ring.current].alg == alg
    a, b = crypto.encrypt("530102198506010011"), crypto.encrypt("530102198506010011")
    assert a != b
    assert a.startswith(f"v1:{ring.current}:")
    assert crypto.decrypt(a) == crypto.decrypt(b) == "530102198506010011"
    assert crypto.decrypt(crypto.encrypt("")) == ""
    assert crypto.decrypt(crypto.encrypt("云南省昆明市五华区")) == "云南省昆明市五华区"


@pytest.mark.parametrize("alg", ALGS)
def test_tampering_is_detected(key_file, alg):
    key_file(alg)
    token = crypto.encrypt("13912345678")
    prefix, kid, payload = token.split(":", 2)
    raw = bytearray(base64.b64decode(payload))
    for position in (0, crypto.NONCE_BYTES, len(raw) - 1):  # nonce, ciphertext, tag
        bad = bytearray(raw)
        bad[position] ^= 0x01
        with pytest.raises(crypto.DecryptionError):
            crypto.decrypt(f"{prefix}:{kid}:{base64.b64encode(bytes(bad)).decode()}")
    with pytest.raises(crypto.DecryptionError):  # truncated
        crypto.decrypt(f"{prefix}:{kid}:{base64.b64encode(bytes(raw[:-1])).decode()}")


@pytest.mark.parametrize("alg", ALGS)
def test_wrong_key_is_refused(key_file, alg):
    path = key_file(alg)
    token = crypto.encrypt("13912345678")
    doc = json.loads(path.read_text())
    kid = doc["current"]
    doc["keys"][kid] = crypto.new_data_key(alg)  # same id, another key
    crypto.write_document(doc, path)
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(token)
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(token.replace(f":{kid}:", ":deadbeef:"))


def test_both_algorithms_coexist_in_one_key_ring(key_file, settings):
    path = key_file(crypto.AES_256_GCM)
    aes_value = crypto.encrypt("530102198506010011")
    doc = crypto.read_document(path)
    kid = crypto.new_key_id(doc["keys"])
    doc["keys"][kid] = crypto.new_data_key(crypto.SM4)
    doc["current"] = kid
    crypto.write_document(doc, path)
    sm4_value = crypto.encrypt("530102198506010011")
    assert crypto.key_id_of(sm4_value) == kid != crypto.key_id_of(aes_value)
    assert crypto.decrypt(aes_value) == crypto.decrypt(sm4_value) == "530102198506010011"


def test_first_format_key_file_still_reads(settings, tmp_path):
    """A key file written before keys carried an algorithm: bare base64 = AES-256-GCM."""
    path = tmp_path / "old.json"
    key = base64.b64encode(bytes(range(32))).decode()
    path.write_text(
        json.dumps({"current": "0a0b0c0d", "keys": {"0a0b0c0d": key}, "index_key": key})
    )
    settings.FIELD_KEY_FILE, settings.FIELD_KEY_AUTOCREATE = path, False
    crypto.reset_cache()
    try:
        ring = crypto.keyring()
        assert ring.keys["0a0b0c0d"].alg == crypto.AES_256_GCM
        assert crypto.decrypt(crypto.encrypt("x")) == "x"
    finally:
        crypto.reset_cache()


def test_unknown_algorithm_is_refused(settings):
    settings.FIELD_CIPHER = "des"
    with pytest.raises(Exception, match="未知的字段加密算法"):
        crypto.configured_algorithm()


def test_address_mask():
    assert crypto.mask_address("云南省昆明市五华区华山南路1号") == "云南省昆明市***"
    assert crypto.mask_address("昆明市") == "昆***"
    assert crypto.mask_address("") == ""


@pytest.mark.parametrize("alg", ALGS)
def test_the_raw_columns_hold_no_clear_text(cast, key_file, alg):
    key_file(alg)
    address = "云南省昆明市五华区华山南路100号"
    member = services.member_create(
        acting_user=cast.user["root"],
        branch=cast.org["B1"],
        name="密文检查",
        id_number=new_id_number(dt.date(1980, 1, 2)),
        phone="13987650000",
        address=address,
        ethnicity="汉族",
        education="bachelor",
        joined_on=dt.date(2005, 7, 1),
        full_member_on=dt.date(2006, 7, 1),
        status="full",
    )
    with connection.cursor() as cur:
        cur.execute(
            "SELECT id_number, phone, address, id_number_digest, phone_digest"
            " FROM members_member WHERE id = %s",
            [member.pk],
        )
        columns = cur.fetchone()
    kid = crypto.keyring().current
    for column in columns:
        for clear in (member.id_number, member.phone, address, "华山南路", "13987650000"):
            assert clear not in column
    for column in columns[:3]:
        assert column.startswith(f"v1:{kid}:")
    assert crypto.keyring().keys[kid].alg == alg
    fresh = Member.objects.get(pk=member.pk)
    assert (fresh.id_number, fresh.phone, fresh.address) == (
        member.id_number,
        "13987650000",
        address,
    )
