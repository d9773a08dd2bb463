"""Service categories become data (catalog.yaml → ServiceCategory). The items' `category` column keeps
the codes it held and becomes a foreign key on them; before it does, every code in use gets its row
(named by the fixed list it came from; the catalogue's sync after migrate gives names and citations)."""

import django.db.models.deletion
from django.db import migrations, models


FORMER = {
    "meal": "助餐", "bath": "助浴", "clean": "助洁", "mobility": "助行", "medical": "助医", "emergency": "助急",
    "life_care": "生活照料", "rehab": "康复护理", "comfort": "精神慰藉",
}  # fmt: skip


def categories_in_use(apps, schema_editor):
    ServiceItem = apps.get_model("homecare", "ServiceItem")
    ServiceCategory = apps.get_model("homecare", "ServiceCategory")
    db = schema_editor.connection.alias
    for position, code in enumerate(sorted(set(ServiceItem.objects.using(db).values_list("category", flat=True)))):
        ServiceCategory.objects.using(db).get_or_create(code=code, defaults={"name": FORMER.get(code, code), "position": position})


class Migration(migrations.Migration):

    dependencies = [
        ('homecare', '0005_providers_moved'),
    ]

    operations = [
        migrations.CreateModel(
            name='ServiceCategory',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('code', models.SlugField(max_length=20, unique=True, verbose_name='代码')),
                ('name', models.CharField(max_length=50, verbose_name='名称')),
                ('citation', models.TextField(blank=True, default='', verbose_name='依据')),
                ('position', models.PositiveSmallIntegerField(default=0, verbose_name='排序')),
                ('active', models.BooleanField(default=True, verbose_name='在用')),
            ],
            options={
                'verbose_name': '服务类别',
                'verbose_name_plural': '服务类别',
                'ordering': ['position', 'code'],
            },
        ),
        migrations.RunPython(categories_in_use, migrations.RunPython.noop),
        migrations.AlterModelOptions(
            name='fraudflag',
            options={'ordering': ['-created_at'], 'verbose_name': '服务异常标记', 'verbose_name_plural': '服务异常标记'},
        ),
        migrations.AlterField(
            model_name='serviceitem',
            name='category',
            field=models.ForeignKey(db_column='category', on_delete=django.db.models.deletion.PROTECT, related_name='items', to='homecare.servicecategory', to_field='code', verbose_name='类别'),
        ),
    ]
