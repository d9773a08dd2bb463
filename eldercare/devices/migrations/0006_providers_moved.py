"""Providers moved from home care to their own app (same table): only the model state changes."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("devices", "0005_reading_event_labels"),
        ("providers", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="homecarebed",
                    name="provider",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="home_beds", to="providers.provider", verbose_name="签约服务商"
                    ),
                ),
            ],
            database_operations=[],
        ),
    ]
