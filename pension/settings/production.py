"""Production: nothing embedded, every secret from the environment, HTTPS only.
``manage.py check --deploy`` with these settings prints no warning (tested)."""

import os

from django.core.exceptions import ImproperlyConfigured

os.environ.setdefault("PENSION_ALLOW_EMBEDDED", "false")

from .base import *  # noqa: F403
from .base import CHANGE_LOG_ANCHOR_KEY, DATABASE_URL, REDIS_URL, SECRET_KEY, SSL_REDIRECT

for _name, _value in (("DATABASE_URL", DATABASE_URL), ("REDIS_URL", REDIS_URL)):
    if not _value:
        raise ImproperlyConfigured(f"{_name} must be set in production")
if len(CHANGE_LOG_ANCHOR_KEY) < 32 or CHANGE_LOG_ANCHOR_KEY.startswith("dev-only"):
    raise ImproperlyConfigured("CHANGE_LOG_ANCHOR_KEY must be set to a long random value")
if len(SECRET_KEY) < 50 or SECRET_KEY.startswith("dev-only"):
    raise ImproperlyConfigured("SECRET_KEY must be set to a long random value in production")

DEBUG = False
REQUIRE_SECOND_FACTOR = True
SECOND_FACTOR_ENROL_NEEDS_LINK = True
# the demo users share a published password: never loaded here (docs/operations.md)
DEMO_ALLOWED = False
SECURE_SSL_REDIRECT = SSL_REDIRECT
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = 31536000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# /healthz is probed over plain HTTP inside the deployment network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
