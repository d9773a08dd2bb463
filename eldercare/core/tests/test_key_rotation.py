"""Rotating the field-encryption key: every stored value moves to the new key, and reads go on."""

from __future__ import annotations

from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from eldercare.core.crypto import encrypted_columns, rotate_field_keys
from eldercare.elders.models import Elder
from eldercare.tests import builders as testing


def stored(elder: Elder) -> tuple[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, phone FROM elders_elder WHERE id = %s", [elder.pk])
        return cursor.fetchone()


def test_every_encrypted_column_is_found():
    found = {(model._meta.label, column) for model, column in encrypted_columns()}
    assert {("elders.Elder", "id_number"), ("elders.Elder", "phone"), ("homecare.Caregiver", "id_number")} <= found


def test_rotation_moves_every_value_to_the_new_key(city, settings):
    old_key = settings.FIELD_ENCRYPTION_KEYS[0]
    elder = testing.elder(residence=city.community, phone="13812345678")
    number = Elder.objects.get(pk=elder.pk).id_number
    before = stored(elder)
    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]
    assert rotate_field_keys()["elders_elder"] == 2  # its ID and phone numbers
    after = stored(elder)
    assert after != before
    for token in after:
        assert Fernet(new_key.encode()).decrypt(token.encode())
    assert rotate_field_keys()["elders_elder"] == 0  # nothing left under the old key
    settings.FIELD_ENCRYPTION_KEYS = [new_key]  # the old key removed: everything still reads
    again = Elder.objects.get(pk=elder.pk)
    assert (again.id_number, again.phone) == (number, "13812345678")
    call_command("rotate_field_keys", stdout=open("/dev/null", "w"))
