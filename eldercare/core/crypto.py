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


ROTATE_BATCH = 2_000


def encrypted_columns() -> list[tuple[type[models.Model], str]]:
    """Every (model, column) stored encrypted."""
    from django.apps import apps

    return [
        (model, str(field.column))
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if isinstance(field, EncryptedTextField)
    ]


def rotate_field_keys(*, batch: int = ROTATE_BATCH) -> dict[str, int]:
    """Re-encrypt every encrypted value not yet under the first key of ELDERCARE_FIELD_KEYS (the
    new one); returns the number re-encrypted per table. Run it after putting the new key first
    and keeping the old ones after it; when it reports nothing left, drop the old keys. Batches
    commit one by one, so it can be stopped and run again."""
    from django.db import connection, transaction

    keys = tuple(settings.FIELD_ENCRYPTION_KEYS)
    current = _fernet(keys[:1])
    every = _fernet(keys)
    done: dict[str, int] = {}
    for model, column in encrypted_columns():
        table, pk = model._meta.db_table, str(model._meta.pk.column if model._meta.pk else "id")
        qn = connection.ops.quote_name
        last = None
        done.setdefault(table, 0)
        while True:
            with transaction.atomic(), connection.cursor() as cursor:
                where = f"WHERE {qn(pk)} > %s" if last is not None else ""
                cursor.execute(
                    f"SELECT {qn(pk)}, {qn(column)} FROM {qn(table)} {where} ORDER BY {qn(pk)} LIMIT %s",
                    [last, batch] if last is not None else [batch],
                )
                rows = cursor.fetchall()
                if not rows:
                    break
                last = rows[-1][0]
                changed = []
                for key, token in rows:
                    if not token:
                        continue
                    try:
                        current.decrypt(token.encode())
                        continue  # already under the new key
                    except InvalidToken:
                        pass
                    try:
                        changed.append((every.rotate(token.encode()).decode(), key))
                    except InvalidToken as exc:
                        raise ImproperlyConfigured(f"{table}.{column} #{key} decrypts with none of ELDERCARE_FIELD_KEYS") from exc
                if changed:
                    cursor.executemany(f"UPDATE {qn(table)} SET {qn(column)} = %s WHERE {qn(pk)} = %s", changed)
                    done[table] += len(changed)
    return done
