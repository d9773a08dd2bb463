"""Providers and their service areas move here from home care. The rows stay where they are: this
migration only takes the models into this app's state (still on home care's tables); home care's
0005 lets go of them, and 0002 here renames the tables."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("homecare", "0004_tables_from_services"),
        ("regions", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Provider",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("name", models.CharField(max_length=100, verbose_name="名称")),
                        ("credit_code", models.CharField(max_length=18, unique=True, verbose_name="统一社会信用代码")),
                        ("licence", models.CharField(blank=True, default="", max_length=100, verbose_name="资质（备案或许可编号）")),
                        (
                            "status",
                            models.CharField(
                                choices=[("active", "在营"), ("suspended", "暂停接单"), ("revoked", "已取消资格")],
                                default="active",
                                max_length=10,
                                verbose_name="状态",
                            ),
                        ),
                        ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="登记时间")),
                        (
                            "admins",
                            models.ManyToManyField(
                                blank=True, related_name="provider_admin_of", to=settings.AUTH_USER_MODEL, verbose_name="管理员"
                            ),
                        ),
                        (
                            "region",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="providers",
                                to="regions.region",
                                verbose_name="注册地",
                            ),
                        ),
                    ],
                    options={"verbose_name": "服务商", "verbose_name_plural": "服务商", "ordering": ["name"], "db_table": "homecare_provider"},
                ),
                migrations.CreateModel(
                    name="ServiceArea",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        (
                            "provider",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="areas",
                                to="providers.provider",
                                verbose_name="服务商",
                            ),
                        ),
                        (
                            "region",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT, related_name="+", to="regions.region", verbose_name="区域"
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "服务区域",
                        "verbose_name_plural": "服务区域",
                        "db_table": "homecare_servicearea",
                        "constraints": [models.UniqueConstraint(fields=("provider", "region"), name="area_unique")],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
