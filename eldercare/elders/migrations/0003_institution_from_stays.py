"""An elder's institution is the facility of their open long-term stay (facilities.Stay), not a field
of the record: the two said the same thing twice. Before the field goes, every elder it names
without a long-term stay there open today gets one, from the day the record was made, so nothing
the field held is lost."""

import datetime as dt

from django.db import migrations
from django.utils import timezone


def stays_for_recorded_institutions(apps, schema_editor):
    Elder = apps.get_model("elders", "Elder")
    Stay = apps.get_model("facilities", "Stay")
    db = schema_editor.connection.alias
    today = timezone.localdate()
    day = dt.timedelta(days=1)
    made = []
    for elder in Elder.objects.using(db).filter(institution__isnull=False).only("pk", "institution_id", "created_at"):
        stays = list(Stay.objects.using(db).filter(elder_id=elder.pk).order_by("start"))
        if any(s.kind == "long_term" and s.facility_id == elder.institution_id and s.start <= today and (s.end is None or s.end >= today) for s in stays):
            continue  # the stay says it already
        # From the day the record was made, after every stay it had (one place at a time): a stay
        # still open ends yesterday, so the institution the record names is where the elder is now.
        start = min(timezone.localdate(elder.created_at), today)
        for s in stays:
            if s.end is None:
                s.end = max(s.start, today - day)
                s.save(update_fields=["end"])
            start = max(start, s.end + day)
        made.append(Stay(elder_id=elder.pk, facility_id=elder.institution_id, kind="long_term", start=start, end=None))
    Stay.objects.using(db).bulk_create(made)


class Migration(migrations.Migration):
    dependencies = [
        ("elders", "0002_gugua_group"),
        ("facilities", "0002_stay"),
    ]

    operations = [
        migrations.RunPython(stays_for_recorded_institutions, migrations.RunPython.noop),
        migrations.RemoveField(model_name="elder", name="institution"),
    ]
