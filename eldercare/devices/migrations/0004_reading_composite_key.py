"""Readings get one index: the primary key (device, at, message_id), no surrogate id and no database
foreign key; an alarm names its reading by message id (with its device and time). The devices table
leaves room on its pages so a last-seen update stays on the page (a HOT update, no index writes).

Django cannot turn an id key into a composite one in place: the readings are copied aside, the table
is made anew and they are copied back."""

import django.db.models.deletion
from django.db import migrations, models

KEEP = "devices_reading_keep"
COLUMNS = "device_id, message_id, kind, value, at, received_at"


def alarms_name_their_reading(apps, schema_editor):
    Alarm = apps.get_model("devices", "Alarm")
    for alarm in Alarm.objects.filter(reading__isnull=False).select_related("reading"):
        alarm.message_id = alarm.reading.message_id
        alarm.raised_at = alarm.reading.at
        alarm.save(update_fields=["message_id", "raised_at"])


def devices_leave_room(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE devices_device SET (fillfactor = 50)")


def devices_fill(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE devices_device RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [
        ("devices", "0003_dailyusage"),
        ("elders", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="alarm",
            name="message_id",
            field=models.CharField(blank=True, default="", max_length=64, verbose_name="触发上报"),
        ),
        migrations.RunPython(alarms_name_their_reading, migrations.RunPython.noop),
        migrations.RemoveField(model_name="alarm", name="reading"),
        migrations.RunSQL(
            f"CREATE TABLE {KEEP} AS SELECT {COLUMNS} FROM devices_reading", f"DROP TABLE {KEEP}"
        ),
        migrations.DeleteModel(name="Reading"),
        migrations.CreateModel(
            name="Reading",
            fields=[
                ("pk", models.CompositePrimaryKey("device", "at", "message_id", blank=True, editable=False, primary_key=True, serialize=False)),
                ("message_id", models.CharField(max_length=64, verbose_name="消息编号")),
                ("kind", models.CharField(max_length=16, verbose_name="事件")),
                ("value", models.FloatField(blank=True, null=True, verbose_name="读数")),
                ("at", models.DateTimeField(verbose_name="发生时间")),
                ("received_at", models.DateTimeField(verbose_name="到达时间")),
                (
                    "device",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="readings",
                        to="devices.device",
                        verbose_name="设备",
                    ),
                ),
            ],
            options={"verbose_name": "设备上报", "verbose_name_plural": "设备上报"},
        ),
        migrations.RunSQL(
            f"INSERT INTO devices_reading ({COLUMNS}) SELECT {COLUMNS} FROM {KEEP}",
            f"INSERT INTO {KEEP} ({COLUMNS}) SELECT {COLUMNS} FROM devices_reading",
        ),
        migrations.RunSQL(f"DROP TABLE {KEEP}", f"CREATE TABLE {KEEP} AS SELECT {COLUMNS} FROM devices_reading WHERE false"),
        migrations.AlterField(
            model_name="device",
            name="elder",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="devices",
                to="elders.elder",
                verbose_name="老年人",
            ),
        ),
        migrations.RunPython(devices_leave_room, devices_fill),
    ]
