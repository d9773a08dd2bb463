"""The password policy (等保 level 3): length (Django's own validator, ELDERCARE_PASSWORD_MIN_LENGTH),
character classes, no reuse of recent passwords, and expiry for the roles that must change theirs.
The validators are listed in settings.AUTH_PASSWORD_VALIDATORS; every form that sets a password
(the console, the admin, `createsuperuser`, `changepassword`) asks them."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import PasswordHistory
from .roles import password_expires

CLASSES = 4  # upper case, lower case, digits, everything else


def character_classes(password: str) -> int:
    """How many of: upper-case letters, lower-case letters, digits, symbols (any other character,
    Chinese characters and spaces among them)."""
    upper = any(c.isupper() for c in password)
    lower = any(c.islower() for c in password)
    digit = any(c.isdigit() for c in password)
    other = any(not (c.isupper() or c.islower() or c.isdigit()) for c in password)
    return upper + lower + digit + other


class CharacterClassesValidator:
    def __init__(self, min_classes: int = 3) -> None:
        if not 0 <= min_classes <= CLASSES:
            raise ValueError(f"min_classes must be between 0 and {CLASSES}, got {min_classes}")
        self.min_classes = min_classes

    def validate(self, password: str, user: object = None) -> None:
        if character_classes(password) < self.min_classes:
            raise ValidationError(self.get_help_text(), code="password_too_simple", params={"min_classes": self.min_classes})

    def get_help_text(self) -> str:
        return _("密码须包含大写字母、小写字母、数字、符号四类中的至少 %(min_classes)d 类。") % {"min_classes": self.min_classes}


class PasswordHistoryValidator:
    """None of the user's last `history` passwords (the current one among them) may come back.
    Each is checked against its stored hash: one slow hash per password kept."""

    def __init__(self, history: int = 5) -> None:
        self.history = history

    def validate(self, password: str, user: object = None) -> None:
        pk = getattr(user, "pk", None)
        if self.history <= 0 or pk is None:
            return
        hashes = list(PasswordHistory.objects.filter(user_id=pk).order_by("-id").values_list("password", flat=True)[: self.history])
        current = getattr(user, "password", "")
        if current and current not in hashes:  # set before the history was kept
            hashes = [current, *hashes][: self.history]
        if any(check_password(password, hashed) for hashed in hashes):
            raise ValidationError(self.get_help_text(), code="password_reused", params={"history": self.history})

    def get_help_text(self) -> str:
        return _("不能与最近 %(history)d 次使用过的密码相同。") % {"history": self.history}


def password_expired(user: object) -> bool:
    """Whether the user must change the password before going on: a role whose passwords expire
    (ELDERCARE_PASSWORD_EXPIRY_ROLES), last changed more than ELDERCARE_PASSWORD_MAX_AGE_DAYS ago."""
    days = settings.ELDERCARE_PASSWORD_MAX_AGE_DAYS
    if days <= 0 or not password_expires(user):
        return False
    changed = getattr(user, "password_changed_at", None)
    return changed is None or changed <= timezone.now() - dt.timedelta(days=days)


def password_expires_on(user: object) -> dt.date | None:
    """The day the password expires, for the change page; None where it does not expire."""
    days = settings.ELDERCARE_PASSWORD_MAX_AGE_DAYS
    changed = getattr(user, "password_changed_at", None)
    if days <= 0 or changed is None or not password_expires(user):
        return None
    return timezone.localdate(changed + dt.timedelta(days=days))
