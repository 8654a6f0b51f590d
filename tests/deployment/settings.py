"""The reference deployment, as ``docs/operations/deployment.md`` describes it: DEBUG off,
PostgreSQL, Django's Redis cache, the database task backend, the shop configured in the panel.

The several-servers test runs app server and worker processes with these settings; the
environment gives them the test database, Redis and the address of the emulator."""

import os

from tests.settings import *  # noqa: F403

DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": os.environ["REDIS_URL"],
        "KEY_PREFIX": os.environ["CACHE_KEY_PREFIX"],
    }
}
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
SILENCED_SYSTEM_CHECKS: list[str] = []
DATABASES["default"]["CONN_MAX_AGE"] = 60  # noqa: F405 - persistent, as in production

# Editors configure the shop in Settings → ROBOKASSA: none of it comes from Django settings.
del ROBOKASSA_LOGIN, ROBOKASSA_PASSWORD1, ROBOKASSA_PASSWORD2  # noqa: F821
del ROBOKASSA_TEST_PASSWORD1, ROBOKASSA_TEST_PASSWORD2  # noqa: F821
for _name in ("ROBOKASSA_TEST_MODE", "ROBOKASSA_HASH_ALGORITHM", "ROBOKASSA_PASSWORD3"):
    globals().pop(_name, None)

# ROBOKASSA is played by the emulator of the first app server.
ROBOKASSA_STATUS_URL = os.environ["EMULATOR_URL"] + "/Merchant/WebService/Service.asmx/OpStateExt"
ROBOKASSA_REFUND_URL = os.environ["EMULATOR_URL"] + "/RefundService"
ROBOKASSA_FISCAL_URL = os.environ["EMULATOR_URL"] + "/RoboFiscal"
