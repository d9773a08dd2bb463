import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from eldercare.accounts.models import ApiToken, User


class Command(BaseCommand):
    help = "Issue an API bearer token for a user; the key is printed once and only its hash is kept."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="cli", help="what the token is for")
        parser.add_argument("--days", type=int, default=365, help="days until it expires (0: never)")

    def handle(self, *args, username, name, days, **options):
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"no active user named {username!r}")
        expires = timezone.now() + dt.timedelta(days=days) if days else None
        token, key = ApiToken.issue(user=user, name=name, expires_at=expires)
        self.stdout.write(key)
