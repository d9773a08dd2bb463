"""Security events are append-only at the database and sealed into the audit chain (core.chain)."""

from django.db import migrations

from eldercare.core import appendonly


def forwards(apps, schema_editor):
    appendonly.install(schema_editor, "accounts_securityevent", archivable=True, audited_as="accounts.securityevent")


def backwards(apps, schema_editor):
    appendonly.uninstall(schema_editor, "accounts_securityevent")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_security_audit"),
        ("core", "0001_audit_chain"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
