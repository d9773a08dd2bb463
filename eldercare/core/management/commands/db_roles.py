"""python manage.py db_roles --app-role eldercare_app

Run as the database owner (the role that runs migrations). Creates the restricted application role
the platform connects as (password from ELDERCARE_DB_APP_PASSWORD, if set) and grants it what it
needs: everything but UPDATE, DELETE and TRUNCATE on the append-only tables. See docs/operations.md.
"""

import os

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from eldercare.core.dbroles import grant_app_role


class Command(BaseCommand):
    help = "创建受限的应用数据库角色 / create the restricted application database role"

    def add_arguments(self, parser):
        parser.add_argument("--app-role", default=getattr(settings, "ELDERCARE_DB_APP_ROLE", "") or "eldercare_app")

    def handle(self, *args, app_role, **options):
        try:
            tables = grant_app_role(app_role, password=os.environ.get("ELDERCARE_DB_APP_PASSWORD") or None)
        except RuntimeError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{app_role}: 只读写、不可改删的表 append-only for it: {', '.join(tables)}")
