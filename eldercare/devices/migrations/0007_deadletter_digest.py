"""Dead letters are kept once per sender and bytes: a device repeating an unreadable message adds nothing."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("devices", "0006_providers_moved"),
    ]

    operations = [
        migrations.AddField(
            model_name="deadletter",
            name="digest",
            field=models.CharField(blank=True, editable=False, max_length=64, null=True, verbose_name="内容摘要（SHA-256）"),
        ),
        migrations.AddConstraint(
            model_name="deadletter",
            constraint=models.UniqueConstraint(fields=("source", "digest"), name="dead_letter_once"),
        ),
    ]
