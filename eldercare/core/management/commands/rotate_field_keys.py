"""python manage.py rotate_field_keys

Key rotation for the encrypted fields (ID and phone numbers). 1. Generate a key:
`python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"`.
2. Put it first in ELDERCARE_FIELD_KEYS, the old key(s) after it, and restart the platform (it
now writes with the new key and reads both). 3. Run this command: it re-encrypts every value still
under an old key. 4. When it reports nothing left, remove the old key(s). See docs/operations.md.
"""

from django.core.management.base import BaseCommand

from eldercare.core.crypto import rotate_field_keys


class Command(BaseCommand):
    help = "用新密钥重新加密敏感字段 / re-encrypt the encrypted fields with the first of ELDERCARE_FIELD_KEYS"

    def handle(self, *args, **options):
        done = rotate_field_keys()
        for table, count in done.items():
            self.stdout.write(f"{table}: {count}")
        self.stdout.write(f"重新加密 re-encrypted: {sum(done.values())}")
