"""Protection of personal data at rest: field encryption and keyed look-up hashes.

Encryption uses Fernet (AES-128-CBC + HMAC-SHA256) from `cryptography`; a
MultiFernet lets old keys keep decrypting while the first key encrypts.
"""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured("ELDERCARE_FIELD_KEYS must hold valid Fernet keys") from exc


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt(text: str) -> str:
    return fernet().encrypt(text.encode()).decode()


def decrypt(token: str) -> str:
    return fernet().decrypt(token.encode()).decode()


def keyed_hash(value: str) -> str:
    """HMAC-SHA256 of a normalised value, hex; equal inputs give equal hashes."""
    return hmac.new(settings.ID_HASH_KEY.encode(), value.strip().upper().encode(), hashlib.sha256).hexdigest()


class EncryptedTextField(models.TextField):
    """A text column stored encrypted; Python sees the plain text.

    It cannot be filtered on: pair it with a keyed-hash column for look-ups.
    """

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        try:
            return decrypt(value)
        except InvalidToken as exc:
            raise ImproperlyConfigured("Cannot decrypt a stored field: wrong ELDERCARE_FIELD_KEYS?") from exc

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(value)
