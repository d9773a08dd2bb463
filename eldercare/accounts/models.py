from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from eldercare.core.appendonly import AppendOnly

from .roles import Role


class User(AbstractUser):
    role = models.CharField(_("角色"), max_length=32, choices=Role.choices, default=Role.VOLUNTEER)
    region = models.ForeignKey(
        "regions.Region", verbose_name=_("所属区划"), on_delete=models.PROTECT, null=True, blank=True, related_name="users"
    )
    display_name = models.CharField(_("姓名"), max_length=50, blank=True)
    # Expiry counts from here (ELDERCARE_PASSWORD_MAX_AGE_DAYS); accounts made before it counted from the migration.
    password_changed_at = models.DateTimeField(_("密码修改时间"), default=timezone.now)

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        constraints = [
            models.CheckConstraint(
                condition=~Q(role__in=[Role.CIVIL_CITY, Role.CIVIL_COUNTY, Role.CIVIL_STREET, Role.COMMUNITY_WORKER])
                | Q(region__isnull=False),
                name="user_regional_role_has_region",
            )
        ]

    def __str__(self) -> str:
        return self.display_name or self.username

    def save(self, **kwargs) -> None:
        # set_password leaves the plain password in _password until the save (a rehash on login does
        # not); a new account may come with its password hashed already (create_user, the admin).
        plain = self._password  # type: ignore[attr-defined]  # AbstractBaseUser's, not in the stubs
        changed = plain is not None or (self._state.adding and self.has_usable_password())
        if changed:
            self.password_changed_at = timezone.now()
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "password_changed_at"}
        super().save(**kwargs)
        if changed:
            from .security import password_changed

            password_changed(self)


class PasswordHistory(models.Model):
    """The hashes of a user's last passwords (ELDERCARE_PASSWORD_HISTORY), newest included, so that
    none of them is chosen again. Older ones are deleted."""

    user = models.ForeignKey(User, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="+")
    password = models.CharField(_("密码散列"), max_length=128)
    changed_at = models.DateTimeField(_("修改时间"), default=timezone.now)

    class Meta:
        verbose_name = _("历史密码")
        verbose_name_plural = _("历史密码")
        indexes = [models.Index(fields=["user", "-id"], name="password_history_user")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.changed_at:%Y-%m-%d}"


class SecurityEventKind(models.TextChoices):
    LOGIN = "login", _("登录")
    LOGOUT = "logout", _("退出")
    LOCKOUT = "lockout", _("锁定")
    PASSWORD_CHANGE = "password_change", _("设置密码")
    OTP_SETUP = "otp_setup", _("绑定动态口令")
    OTP = "otp", _("动态口令验证")
    TOKEN = "token", _("使用接口令牌")
    DENIED = "denied", _("拒绝访问")


class SecurityOutcome(models.TextChoices):
    SUCCESS = "success", _("成功")
    FAILURE = "failure", _("失败")
    REFUSED = "refused", _("拒绝")


class SecurityEvent(AppendOnly):
    """One authentication event or refusal (等保 level 3 security audit): who, what, when, from where,
    and how it ended. Written only by `accounts.security`; never changed or deleted."""

    at = models.DateTimeField(_("时间"), default=timezone.now)
    kind = models.CharField(_("事件"), max_length=20, choices=SecurityEventKind.choices)
    outcome = models.CharField(_("结果"), max_length=10, choices=SecurityOutcome.choices)
    user = models.ForeignKey(
        User, verbose_name=_("用户"), on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    # The name as typed for a failed login (it may belong to nobody); the user's name otherwise.
    username = models.CharField(_("用户名"), max_length=150, blank=True, default="")
    ip = models.GenericIPAddressField(_("IP地址"), null=True, blank=True)
    user_agent = models.CharField(_("客户端"), max_length=200, blank=True, default="")
    method = models.CharField(_("请求方法"), max_length=10, blank=True, default="")
    path = models.CharField(_("请求路径"), max_length=300, blank=True, default="")
    code = models.CharField(_("代码"), max_length=64, blank=True, default="")  # a refusal's stable code
    detail = models.CharField(_("说明"), max_length=300, blank=True, default="")

    class Meta:
        verbose_name = _("安全审计事件")
        verbose_name_plural = _("安全审计事件")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["at"], name="security_event_at"),
            models.Index(fields=["user", "at"], name="security_event_user"),
            models.Index(fields=["ip", "at"], name="security_event_ip"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind__in=[SecurityEventKind.LOGIN, SecurityEventKind.OTP, SecurityEventKind.TOKEN], outcome__in=["success", "failure"])
                    | Q(kind__in=[SecurityEventKind.LOCKOUT, SecurityEventKind.DENIED], outcome="refused")
                    | Q(
                        kind__in=[SecurityEventKind.LOGOUT, SecurityEventKind.PASSWORD_CHANGE, SecurityEventKind.OTP_SETUP],
                        outcome="success",
                    )
                ),
                name="security_event_outcome_by_kind",
            )
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.get_kind_display()} {self.get_outcome_display()} {self.username}"


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def authenticate(self, key: str) -> ApiToken | None:
        token = (
            self.select_related("user", "user__region")
            .filter(key_hash=_digest(key), revoked_at__isnull=True, user__is_active=True)
            .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()))
            .first()
        )
        return token


class ApiToken(models.Model):
    """A bearer token for the REST API. Only its SHA-256 is stored."""

    user = models.ForeignKey(User, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("名称"), max_length=100)
    prefix = models.CharField(_("前缀"), max_length=8)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    expires_at = models.DateTimeField(_("过期时间"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)
    # Moved once a day or when the address changes: the security audit records those uses only.
    last_used_at = models.DateTimeField(_("最近使用时间"), null=True, blank=True)
    last_used_ip = models.GenericIPAddressField(_("最近使用地址"), null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("接口令牌")
        verbose_name_plural = _("接口令牌")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @classmethod
    def issue(cls, *, user: User, name: str, expires_at=None) -> tuple[ApiToken, str]:
        """Create a token; the plain key is returned once and never stored."""
        key = secrets.token_urlsafe(32)
        token = cls.objects.create(user=user, name=name, prefix=key[:8], key_hash=_digest(key), expires_at=expires_at)
        return token, key
