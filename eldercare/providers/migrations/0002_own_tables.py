"""Providers' tables take this app's names (homecare_provider → providers_provider, with its admins
table, and homecare_servicearea → providers_servicearea); their content types follow, so audit
entries keep pointing at their records."""

from django.db import migrations


def move_content_types(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    ContentType.objects.using(db).filter(app_label="homecare", model__in=["provider", "servicearea"]).update(app_label="providers")


class Migration(migrations.Migration):
    dependencies = [
        ("providers", "0001_initial"),
        ("homecare", "0005_providers_moved"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.AlterModelTable(name="provider", table=None),
        migrations.AlterModelTable(name="servicearea", table=None),
        migrations.RunPython(move_content_types, migrations.RunPython.noop, elidable=False),
    ]
