"""The app was called `services` until the restructure. Migrations 0001–0003 replace its own, so a
database made before keeps its history; this one renames its tables (services_order → homecare_order,
and the many-to-many tables) and moves its content types, so audit entries keep pointing at their
records. On a new database there is nothing to rename."""

from django.db import migrations

OLD, NEW = "services", "homecare"


def rename_tables(apps, schema_editor):
    connection = schema_editor.connection
    existing = set(connection.introspection.table_names())
    for table in sorted(existing):
        if table.startswith(f"{OLD}_"):
            target = NEW + table[len(OLD) :]
            if target in existing:
                raise RuntimeError(f"cannot rename {table}: {target} exists already")
            schema_editor.execute(f"ALTER TABLE {schema_editor.quote_name(table)} RENAME TO {schema_editor.quote_name(target)}")


def move_content_types(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    ContentType.objects.using(db).filter(app_label=OLD).update(app_label=NEW)


class Migration(migrations.Migration):
    dependencies = [
        ("homecare", "0003_order_occurrence_recurrence_order_recurrence_and_more"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(rename_tables, migrations.RunPython.noop, elidable=False),
        migrations.RunPython(move_content_types, migrations.RunPython.noop, elidable=False),
    ]
