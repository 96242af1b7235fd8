"""Tests: real PostgreSQL and Redis (embedded unless configured), fast password
hashing, and a Redis database of their own so that a running demo worker does not
take the tests' tasks."""

import os

from .base import *  # noqa: F403
from .base import REDIS_URL

# Test flushes TRUNCATE every table; the append-only tables allow it only on a
# connection that says so (pension/migrations/0003_append_only_triggers.py).
for _db in DATABASES.values():
    _db.setdefault("OPTIONS", {})["options"] = "-c pension.allow_truncate=on"

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
_TEST_REDIS_DB = os.environ.get("PENSION_TEST_REDIS_DB", "15")
REDIS_URL = REDIS_URL.rsplit("/", 1)[0] + "/" + _TEST_REDIS_DB
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "pension-test",
    }
}
CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = REDIS_URL
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# API rate limits high enough for the suite (schemathesis sends about 1 100 requests a
# minute with one key); the throttling tests set their own low rates
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {"api": "100000/minute", "export": "100000/minute",
                               "bank": "100000/minute"},
}  # fmt: skip
