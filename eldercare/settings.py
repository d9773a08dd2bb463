"""Settings for eldercare, read from environment variables (12-factor).

Development (ELDERCARE_DEBUG=1) may generate its secrets into ELDERCARE_VAR_DIR;
production refuses to start without them and is secure by default.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ.get("ELDERCARE_VAR_DIR", BASE_DIR.parent / "var"))


def envbool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {raw!r}")


def envint(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from None


def envdecimal(name: str, default: str) -> Decimal:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return Decimal(default)
    try:
        return Decimal(raw)
    except ArithmeticError:
        raise ImproperlyConfigured(f"{name} must be a decimal number, got {raw!r}") from None


def envlist(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def envroles(name: str, default: list[str]) -> list[str]:
    """Role names, comma-separated; "none" for no role (an empty value keeps the default)."""
    roles = envlist(name, default)
    return [] if roles == ["none"] else roles


def envsecret(name: str, *, generate) -> str:
    """A secret from NAME or from the file named by NAME_FILE.

    In development a missing secret is generated once and kept in VAR_DIR so
    sessions and encrypted data survive restarts; in production it is an error.
    """
    value = os.environ.get(name)
    if value:
        return value
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        return Path(file_name).read_text().strip()
    if not DEBUG:
        raise ImproperlyConfigured(f"{name} (or {name}_FILE) must be set when ELDERCARE_DEBUG is off")
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    kept = VAR_DIR / f"{name.lower()}.secret"
    if not kept.exists():
        kept.write_text(generate())
        kept.chmod(0o600)
    return kept.read_text().strip()


def _fernet_key() -> str:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


DEBUG = envbool("ELDERCARE_DEBUG", False)
SECRET_KEY = envsecret("ELDERCARE_SECRET_KEY", generate=lambda: secrets.token_urlsafe(50))
# Comma-separated Fernet keys: the first encrypts, all decrypt (key rotation).
FIELD_ENCRYPTION_KEYS = envsecret("ELDERCARE_FIELD_KEYS", generate=_fernet_key).split(",")
# Key of the HMAC that indexes ID numbers for exact look-up and uniqueness.
ID_HASH_KEY = envsecret("ELDERCARE_ID_HASH_KEY", generate=lambda: secrets.token_urlsafe(32))

ALLOWED_HOSTS = envlist("ELDERCARE_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = envlist("ELDERCARE_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "ninja",
    "auditlog",
    "django_tasks_db",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "eldercare.core",
    "eldercare.regions",
    "eldercare.accounts",
    "eldercare.facilities",
    "eldercare.elders",
    "eldercare.assessments",
    "eldercare.providers",
    "eldercare.homecare",
    "eldercare.entitlements",
    "eldercare.devices",
    "eldercare.demo",
    "eldercare.console",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "auditlog.middleware.AuditlogMiddleware",
    # Second factor and password expiry for the roles that need them; remembers the request for the audit.
    "eldercare.accounts.middleware.AccountSecurityMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as axes asks: turns a lockout into its page
]

ROOT_URLCONF = "eldercare.urls"
WSGI_APPLICATION = "eldercare.wsgi.application"
ASGI_APPLICATION = "eldercare.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

_default_sqlite = f"sqlite:///{VAR_DIR / 'eldercare.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(os.environ.get("DATABASE_URL") or _default_sqlite, conn_max_age=envint("ELDERCARE_CONN_MAX_AGE", 0))
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    # Django's SQLite back end, answering its JSON probe without waiting for the lock (core/sqlite).
    DATABASES["default"]["ENGINE"] = "eldercare.core.sqlite"
    DATABASES["default"]["OPTIONS"] = {
        # Writers queue for the lock instead of failing with "database is locked".
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }

# PostgreSQL in production: the platform connects as this restricted role (DATABASE_URL), while
# migrations run as the owner (with this set, `migrate` re-grants it; see docs/operations.md).
ELDERCARE_DB_APP_ROLE = os.environ.get("ELDERCARE_DB_APP_ROLE", "")

# Background tasks through Django's tasks interface. "database" (the default) keeps the queue in
# the platform's own database and needs only `manage.py db_worker` running, no other server;
# "immediate" runs a task when it is enqueued (tests, one-off scripts).
TASK_BACKENDS = {
    "database": "django_tasks_db.DatabaseBackend",
    "immediate": "django.tasks.backends.immediate.ImmediateBackend",
}
_tasks = os.environ.get("ELDERCARE_TASKS", "database")
if _tasks not in TASK_BACKENDS:
    raise ImproperlyConfigured(f"ELDERCARE_TASKS must be one of {', '.join(TASK_BACKENDS)}, not {_tasks!r}")
TASKS = {"default": {"BACKEND": TASK_BACKENDS[_tasks], "QUEUES": ["default"]}}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "console:home"
LOGOUT_REDIRECT_URL = "login"

# Passwords, lockout, second factor and the security audit (等保 level 3, issue 13).
ELDERCARE_PASSWORD_MIN_LENGTH = envint("ELDERCARE_PASSWORD_MIN_LENGTH", 12)
ELDERCARE_PASSWORD_MIN_CLASSES = envint("ELDERCARE_PASSWORD_MIN_CLASSES", 3)  # of upper, lower, digit, symbol
ELDERCARE_PASSWORD_HISTORY = envint("ELDERCARE_PASSWORD_HISTORY", 5)  # the last N passwords may not be reused
ELDERCARE_PASSWORD_MAX_AGE_DAYS = envint("ELDERCARE_PASSWORD_MAX_AGE_DAYS", 90)  # 0: passwords never expire
# Role names (accounts.roles.Role; a superuser counts as system_admin), or "none". Checked at start.
_OFFICERS_AND_ADMINS = ["system_admin", "civil_city", "civil_county", "civil_street"]
ELDERCARE_PASSWORD_EXPIRY_ROLES = envroles("ELDERCARE_PASSWORD_EXPIRY_ROLES", _OFFICERS_AND_ADMINS)
# The demo (debug) logs in with a password alone; production asks these roles for a TOTP code too.
ELDERCARE_OTP_REQUIRED_ROLES = envroles("ELDERCARE_OTP_REQUIRED_ROLES", [] if DEBUG else _OFFICERS_AND_ADMINS)
OTP_TOTP_ISSUER = "eldercare"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": ELDERCARE_PASSWORD_MIN_LENGTH},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "eldercare.accounts.passwords.CharacterClassesValidator", "OPTIONS": {"min_classes": ELDERCARE_PASSWORD_MIN_CLASSES}},
    {"NAME": "eldercare.accounts.passwords.PasswordHistoryValidator", "OPTIONS": {"history": ELDERCARE_PASSWORD_HISTORY}},
]

# Lockout (django-axes): this many failures for one username from one address lock that pair out for
# the cooling-off period; `manage.py axes_reset_username <name>` (or the admin) unlocks earlier.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = envint("ELDERCARE_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=envint("ELDERCARE_LOGIN_COOLOFF_MINUTES", 30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "eldercare.accounts.views.locked_out"
AXES_CLIENT_IP_CALLABLE = "eldercare.accounts.security.client_ip"
AXES_DISABLE_ACCESS_LOG = True  # logins and logouts are kept in accounts.SecurityEvent
AXES_VERBOSE = False  # no banner on every manage.py command

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("ELDERCARE_STATIC_ROOT", VAR_DIR / "static"))
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Production serves hashed, compressed files collected by `collectstatic`; development
# and the test suite serve straight from the apps' static folders.
MANIFEST_STATIC = not DEBUG and envbool("ELDERCARE_MANIFEST_STATIC", True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if MANIFEST_STATIC
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not MANIFEST_STATIC

# Security: strict unless explicitly relaxed for development.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = envbool("ELDERCARE_SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = envint("ELDERCARE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("ELDERCARE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = envbool("ELDERCARE_HSTS_PRELOAD", not DEBUG)
# Behind a reverse proxy, the client's address is the last one the proxy added to X-Forwarded-For.
ELDERCARE_BEHIND_PROXY = envbool("ELDERCARE_BEHIND_PROXY", False)
if ELDERCARE_BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_AGE = envint("ELDERCARE_SESSION_SECONDS", 8 * 3600)

AUDITLOG_INCLUDE_ALL_MODELS = False
# Audit rows stay in the database this long (等保 level 3 asks ≥ 6 months; less is refused), then
# `manage.py audit_archive` moves them to files here (keep them on write-once storage).
ELDERCARE_AUDIT_RETENTION_DAYS = envint("ELDERCARE_AUDIT_RETENTION_DAYS", 365)
if ELDERCARE_AUDIT_RETENTION_DAYS < 180:
    raise ImproperlyConfigured("ELDERCARE_AUDIT_RETENTION_DAYS must be at least 180 (six months, 等保 level 3)")
ELDERCARE_AUDIT_ARCHIVE_DIR = Path(os.environ.get("ELDERCARE_AUDIT_ARCHIVE_DIR", VAR_DIR / "audit-archive"))

# Page sizes and export limits
ELDERCARE_PAGE_SIZE = envint("ELDERCARE_PAGE_SIZE", 50)
ELDERCARE_EXPORT_MAX_ROWS = envint("ELDERCARE_EXPORT_MAX_ROWS", 1_048_000)  # Excel's sheet limit

# Door-to-door services (platform defaults; a region's own rule may replace them later)
ELDERCARE_CHECKIN_RADIUS_METRES = envint("ELDERCARE_CHECKIN_RADIUS_METRES", 500)  # farther from home is flagged
ELDERCARE_TOO_SHORT_SHARE = envdecimal("ELDERCARE_TOO_SHORT_SHARE", "0.5")  # of the booked minutes; shorter is flagged
ELDERCARE_SERVICE_CIRCLE_MINUTES = envint("ELDERCARE_SERVICE_CIRCLE_MINUTES", 10)  # the "10-minute service circle"
ELDERCARE_TRAVEL_KMH = envint("ELDERCARE_TRAVEL_KMH", 15)  # a caregiver's speed across town, for the circle

# Devices and alarms
ELDERCARE_ALARM_ACK_SECONDS = envint("ELDERCARE_ALARM_ACK_SECONDS", 120)  # unacknowledged this long: call the next contact
ELDERCARE_LAST_SEEN_STEP_SECONDS = envint("ELDERCARE_LAST_SEEN_STEP_SECONDS", 600)
ELDERCARE_READING_RETENTION_DAYS = envint("ELDERCARE_READING_RETENTION_DAYS", 90)
# A device's event time older than this is refused (dead letter): it would be purged before it was rolled up.
ELDERCARE_DEVICE_MAX_AGE_DAYS = envint("ELDERCARE_DEVICE_MAX_AGE_DAYS", 90)
# The largest payload read: a device's own message; a gateway's batch (MQTT or HTTP, then 413).
ELDERCARE_DEVICE_MAX_PAYLOAD_BYTES = envint("ELDERCARE_DEVICE_MAX_PAYLOAD_BYTES", 64 * 1024)
ELDERCARE_GATEWAY_MAX_PAYLOAD_BYTES = envint("ELDERCARE_GATEWAY_MAX_PAYLOAD_BYTES", 1024 * 1024)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Every handler masks ID and phone numbers (the development server's access log included).
    "filters": {"scrub": {"()": "eldercare.core.logscrub.ScrubPersonalData"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["scrub"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("ELDERCARE_LOG_LEVEL", "INFO")},
    # Request bodies may hold ID numbers and health data: never log them.
    "loggers": {
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},  # runserver's access log
        "axes": {"level": "WARNING"},  # every login at INFO: accounts.SecurityEvent keeps them
    },
}
