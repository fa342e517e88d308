"""Model fields for values that must never sit in the database in clear."""

from dataclasses import dataclass

from django.db import models

from dangjian.core import crypto


class EncryptedTextField(models.TextField):
    """Encrypted at rest with the key ring in core.crypto; decrypted on load.

    The column holds ciphertext with a random nonce, so it cannot be filtered on:
    pair it with a blind-index column for lookups and uniqueness.
    """

    description = "Encrypted text (AES-256-GCM or SM4-GCM)"

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return crypto.decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return crypto.encrypt(value)

    def get_lookup(self, lookup_name):
        if lookup_name != "isnull":
            raise TypeError(f"{self.name} 已加密，不能按内容查询：请使用其盲索引字段")
        return super().get_lookup(lookup_name)


@dataclass(frozen=True)
class BlindIndex:
    """A model's blind-index pair: ``digest`` holds crypto.blind_index(``source``, purpose).

    Models list theirs in a ``BLIND_INDEXES`` class attribute, so `rotate_keys --index-key`
    can recompute every digest column without knowing the model.
    """

    source: str
    digest: str
    purpose: str
