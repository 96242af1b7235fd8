"""Settings shared by every environment. Every environment variable is read here,
and only here; ``.env.example`` lists them all."""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _
from kombu import Queue

from pension import runtime

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# --- Environment -------------------------------------------------------------------
SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-insecure-key-change-me-in-production")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")
DATABASE_URL = os.environ.get("DATABASE_URL", "")
# The owner role's URL (migrations, pension/dbroles.py); DATABASE_URL is then the
# application's role, which owns no table. Empty: one role for both.
DATABASE_OWNER_URL = os.environ.get("DATABASE_OWNER_URL", "")
REDIS_URL = os.environ.get("REDIS_URL", "")
REDIS_URL_FROM_ENV = bool(REDIS_URL)
# Overrides the database name of DATABASE_URL or of the embedded server (the test
# worker uses it to reach the test database).
DATABASE_NAME = os.environ.get("PENSION_DATABASE_NAME", "")
# The province profile whose parameters apply where a region has none of its own.
DEFAULT_PROFILE = os.environ.get("PENSION_PROFILE", "shanxi")
LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
# Production redirects plain HTTP to HTTPS unless TLS ends before the app (production.py).
SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
# seconds (Celery takes a float), not money
HEALTHZ_WORKER_TIMEOUT = float(os.environ.get("HEALTHZ_WORKER_TIMEOUT", "3"))
# Embedded servers may be refused (production sets this to false).
ALLOW_EMBEDDED_SERVERS = env_bool("PENSION_ALLOW_EMBEDDED", True)

# --- Applications ------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "django_otp",
    "django_otp.plugins.otp_totp",
    # the shared kernel, then the seven domains, upstream first (docs/architecture.md)
    "pension",
    "enrollment",
    "contributions",
    "accounts",
    "benefits",
    "funds",
    "budget",
    "audit",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "pension.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "pension.middleware.ChineseByDefaultMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "pension.middleware.RequestContextMiddleware",
    "pension.api.authentication.ApiCallLogMiddleware",
    "pension.privacy.ShownIdNumbersMiddleware",
    "pension.security.RequireSecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

# Content-Security-Policy (pension.middleware): scripts from this site only (htmx,
# static/js, the vendored ECharts and Swagger UI), never inline or eval'd; styles from
# this site, plus inline style attributes (Django admin and Swagger UI set some; a
# style cannot run code); images also as data: URLs (Swagger UI, the TOTP QR code).
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

ROOT_URLCONF = "pension.urls"
WSGI_APPLICATION = "pension.wsgi.application"
ASGI_APPLICATION = "pension.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "pension.context_processors.navigation",
            ],
        },
    },
]

# --- Database ----------------------------------------------------------------------
DATABASE_OWNER: dict = {}  # the owner's USER, PASSWORD, HOST, PORT (same database)
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL)}
    if DATABASE_OWNER_URL:
        _owner = dj_database_url.parse(DATABASE_OWNER_URL)
        DATABASE_OWNER = {k: _owner[k] for k in ("USER", "PASSWORD", "HOST", "PORT")}
elif ALLOW_EMBEDDED_SERVERS:
    DATABASES = {"default": runtime.embedded_postgres_settings()}
    DATABASE_OWNER = runtime.embedded_owner_credentials()
else:
    DATABASES = {}  # production.py refuses to start without DATABASE_URL
# the application role's credentials, kept before anything switches to the owner's
DATABASE_APP = (
    {k: DATABASES["default"].get(k, "") for k in ("USER", "PASSWORD", "HOST", "PORT")}
    if DATABASES
    else {}
)
DATABASE_APP_USER = DATABASE_APP.get("USER", "")
if DATABASE_NAME and DATABASES:
    DATABASES["default"]["NAME"] = DATABASE_NAME
for _db in DATABASES.values():
    _db.setdefault("CONN_MAX_AGE", 60)
    _db["CONN_HEALTH_CHECKS"] = True
    # parallel runs use PENSION_DATABASE_NAME=<name> and get test_<name> of their own
    _db.setdefault("TEST", {})["NAME"] = f"test_{_db['NAME']}"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache and Celery ------------------------------------------------------
if not REDIS_URL and ALLOW_EMBEDDED_SERVERS:
    REDIS_URL = runtime.embedded_redis_url()
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "pension",
    }
}

# Queues per batch kind, so that each kind can get workers of its own (docs/operations.md).
CELERY_QUEUES = (
    "default",
    "assessment",
    "accounts",
    "payroll",
    "adjustment",
    "funds",
    "audit",
)
CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = REDIS_URL
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_QUEUES = tuple(Queue(name) for name in CELERY_QUEUES)
CELERY_TASK_ROUTES = {
    "contributions.tasks.*": {"queue": "assessment"},
    "accounts.tasks.*": {"queue": "accounts"},
    "benefits.tasks.adjustment_*": {"queue": "adjustment"},
    "benefits.tasks.*": {"queue": "payroll"},
    "funds.tasks.*": {"queue": "funds"},
    "budget.tasks.*": {"queue": "funds"},
    "audit.tasks.*": {"queue": "audit"},
}
# A task is acknowledged after it ran, so a worker killed mid-batch gives it back.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_EXPIRES = 24 * 3600
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 6 * 3600}
CELERY_BEAT_SCHEDULE_FILENAME = str(runtime.VAR_DIR / "celerybeat-schedule")
CELERY_TIMEZONE = "Asia/Shanghai"

# --- Authentication ----------------------------------------------------------------
# Staff must pass a TOTP second factor (dynamic password, §13.5) before any page.
# Production forces it on; the demo and the tests leave it off unless they test it.
REQUIRE_SECOND_FACTOR = env_bool("PENSION_REQUIRE_SECOND_FACTOR", False)
OTP_TOTP_ISSUER = "养老保险省级统筹经办系统"
# A user without a device enrols only through a one-time link an administrator issued
# (pension/enrolment.py); production forces it on, the demo and the tests leave it off.
SECOND_FACTOR_ENROL_NEEDS_LINK = env_bool("PENSION_ENROL_NEEDS_LINK", False)
# The demo province (pension/demo.py) signs every demo user in with one published
# password; production settings turn this off, so ``load_demo`` (and ``DEMO=1`` in
# docker-compose.yml) is refused there (docs/operations.md).
DEMO_ALLOWED = True
# Failed sign-ins (pension/security.py): from LOGIN_FAILURE_LIMIT failures in a row a
# user name is locked from that client address for LOGIN_LOCKOUT_SECONDS, doubled at each
# further failure up to LOGIN_LOCKOUT_MAX_SECONDS; from every address it waits 1 s doubled
# per failure, at most LOGIN_USER_DELAY_MAX_SECONDS; an address with
# LOGIN_ADDRESS_FAILURE_LIMIT failures (any names) is locked like a user name. Counts
# are forgotten LOGIN_FAILURE_MEMORY_SECONDS after the last failure.
LOGIN_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
LOGIN_LOCKOUT_SECONDS = int(os.environ.get("LOGIN_LOCKOUT_SECONDS", "60"))
LOGIN_LOCKOUT_MAX_SECONDS = int(os.environ.get("LOGIN_LOCKOUT_MAX_SECONDS", "3600"))
LOGIN_USER_DELAY_MAX_SECONDS = int(os.environ.get("LOGIN_USER_DELAY_MAX_SECONDS", "60"))
LOGIN_ADDRESS_FAILURE_LIMIT = int(os.environ.get("LOGIN_ADDRESS_FAILURE_LIMIT", "20"))
LOGIN_FAILURE_MEMORY_SECONDS = int(os.environ.get("LOGIN_FAILURE_MEMORY_SECONDS", "86400"))
AUTH_USER_MODEL = "pension.StaffUser"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
SESSION_COOKIE_AGE = 8 * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

# --- Internationalisation ----------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static files ------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", runtime.VAR_DIR / "media"))
# The change log's hourly anchor (pension/anchor.py): HMAC key from the environment,
# the file under the media volume. Production refuses to start without a key.
CHANGE_LOG_ANCHOR_KEY = os.environ.get("CHANGE_LOG_ANCHOR_KEY", "dev-only-anchor-key")
CHANGE_LOG_ANCHOR_FILE = Path(
    os.environ.get("CHANGE_LOG_ANCHOR_FILE", MEDIA_ROOT / "change_log_anchors" / "anchors.jsonl")
)
MEDIA_URL = "/media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# --- Uploads and imports (pension/imports.py; docs/operations.md "Limits") ------------
# The largest file any upload form or import takes, in bytes (default 100 MB).
UPLOAD_MAX_BYTES = int(os.environ.get("UPLOAD_MAX_BYTES", str(100 * 1024 * 1024)))
# Data rows an import may have: "default", or per import (bank results: a bank's
# payments of a province's payroll). An .xlsx declaring more is refused unread.
IMPORT_MAX_ROWS = {
    "default": int(os.environ.get("IMPORT_MAX_ROWS", "200000")),
    "bank_results": int(os.environ.get("IMPORT_MAX_ROWS_BANK_RESULTS", "1000000")),
}
# Files of at least this many rows are imported on a worker, the page showing progress.
IMPORT_WORKER_FROM_ROWS = int(os.environ.get("IMPORT_WORKER_FROM_ROWS", "5000"))
# Columns an .xlsx sheet may declare, and the bytes its zip may unpack to.
IMPORT_MAX_COLUMNS = int(os.environ.get("IMPORT_MAX_COLUMNS", "64"))
IMPORT_MAX_UNPACKED_BYTES = int(
    os.environ.get("IMPORT_MAX_UNPACKED_BYTES", str(1024 * 1024 * 1024))
)

# --- REST API ----------------------------------------------------------------------
REST_FRAMEWORK = {
    # API keys first: DRF answers 401 with "WWW-Authenticate: Api-Key" from the first class
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "pension.api.authentication.ApiKeyAuthentication",
        "pension.api.authentication.VerifiedSessionAuthentication",
    ],
    # per API client and scope (pension.api.authentication.ApiClientRateThrottle); a
    # view names its scope with ``throttle_scope``; API_RATE_<SCOPE> overrides a rate
    "DEFAULT_THROTTLE_CLASSES": ["pension.api.authentication.ApiClientRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "api": os.environ.get("API_RATE_API", "600/minute"),
        "export": os.environ.get("API_RATE_EXPORT", "120/minute"),
        "bank": os.environ.get("API_RATE_BANK", "60/minute"),
    },
    "EXCEPTION_HANDLER": "pension.api.exceptions.exception_handler",
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 100,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # JSON only, with the size and nesting limits below (pension.api.parsers); answers
    # are JSON, also to a browser (the API is for other systems; the docs page is Swagger)
    "DEFAULT_PARSER_CLASSES": ["pension.api.parsers.SafeJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "pension.api.negotiation.JsonWhateverAccepted",
}
# The largest request body the API reads (bytes; 413 beyond) and the deepest nesting of
# a JSON body (400 too_deep beyond), both checked before parsing.
API_MAX_BODY_BYTES = int(os.environ.get("API_MAX_BODY_BYTES", str(8 * 1024 * 1024)))
API_MAX_JSON_DEPTH = int(os.environ.get("API_MAX_JSON_DEPTH", "32"))
SPECTACULAR_SETTINGS = {
    "TITLE": "Provincial pension pooling back office API",
    "DESCRIPTION": _(
        "API of the provincial pooling back office for enterprise employees' basic "
        "pension insurance"
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # the schema and its docs page are for signed-in staff and API clients only
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # every refusal in the one error envelope, and the kernel's statuses on every path
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "pension.api.schema.allow_empty_filters",
        "pension.api.schema.document_errors",
    ],
    # stable enum names in the schema, so that two "status" fields never collide
    "ENUM_NAME_OVERRIDES": {
        "EmployerKindEnum": "enrollment.choices.EmployerKind",
        "EmployerStatusEnum": "enrollment.choices.EmployerStatus",
        "PersonStatusEnum": "enrollment.choices.PersonStatus",
        "PersonCategoryEnum": "enrollment.choices.PersonCategory",
        "ApprovalStatusEnum": "pension.models.approvals.ApprovalStatus",
        "BillStatusEnum": "contributions.choices.BillStatus",
        "LineKindEnum": "contributions.choices.LineKind",
    },
}

# --- Logging -----------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"embedded_postgres": {"level": "WARNING"}},
}
