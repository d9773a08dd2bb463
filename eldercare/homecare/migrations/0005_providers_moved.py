"""Providers and service areas now belong to the providers app (same tables, same rows)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("homecare", "0004_tables_from_services"),
        ("providers", "0001_initial"),
        # Every other app points at providers.Provider before home care lets go of it.
        ("entitlements", "0002_providers_moved"),
        ("devices", "0006_providers_moved"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="caregiver",
                    name="provider",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="caregivers", to="providers.provider", verbose_name="服务商"
                    ),
                ),
                migrations.AlterField(
                    model_name="order",
                    name="provider",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="orders",
                        to="providers.provider",
                        verbose_name="服务商",
                    ),
                ),
                migrations.DeleteModel(name="ServiceArea"),
                migrations.DeleteModel(name="Provider"),
            ],
            database_operations=[],
        ),
    ]
