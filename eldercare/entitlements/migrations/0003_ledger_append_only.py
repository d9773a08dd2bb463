"""Ledger entries are append-only at the database, and a balance moves only with its entries."""

from django.db import migrations

from eldercare.core import appendonly


def forwards(apps, schema_editor):
    appendonly.install(schema_editor, "entitlements_entry")
    appendonly.install_balance_guard(schema_editor, account_table="entitlements_account", entry_table="entitlements_entry")


def backwards(apps, schema_editor):
    appendonly.uninstall(schema_editor, "entitlements_entry")
    appendonly.uninstall_balance_guard(schema_editor, account_table="entitlements_account")


class Migration(migrations.Migration):
    dependencies = [
        ("entitlements", "0002_providers_moved"),
        ("core", "0001_audit_chain"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
