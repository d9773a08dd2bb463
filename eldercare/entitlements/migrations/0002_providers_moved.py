"""Providers moved from home care to their own app (same table): only the model state changes."""

import django.db.models.deletion
from django.db import migrations, models


def _provider():
    return models.ForeignKey(
        blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="providers.provider", verbose_name="服务商"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("entitlements", "0001_initial"),
        ("providers", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(model_name="entry", name="provider", field=_provider()),
                migrations.AlterField(model_name="settlementline", name="provider", field=_provider()),
            ],
            database_operations=[],
        ),
    ]
