"""Settings for the test suite: the sandbox's own settings (so that the browser tests drive the
sandbox), plus the test app, English, DEBUG off and fixed credentials. SQLite by default;
PostgreSQL when ``DATABASE_URL`` is set (the sandbox's settings read it)."""

from pathlib import Path

from demo.settings import *  # noqa: F403
from demo.settings import INSTALLED_APPS, TEMPLATES

BASE_DIR = Path(__file__).resolve().parent

SECRET_KEY = "tests-only-key-not-a-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "tests.urls"
INSTALLED_APPS = ["tests.testapp", *INSTALLED_APPS, "django_tasks_db"]
TEMPLATES = [{**TEMPLATES[0], "DIRS": [BASE_DIR / "templates", *TEMPLATES[0]["DIRS"]]}]

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
AUTH_PASSWORD_VALIDATORS: list = []
LANGUAGE_CODE = "en"
STATIC_ROOT = BASE_DIR / "static"
MEDIA_ROOT = BASE_DIR / "media"
WAGTAIL_SITE_NAME = "wagtail-robokassa tests"
WAGTAILADMIN_BASE_URL = "http://testserver"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# One process with the immediate task backend, on purpose; tests of these checks unsilence them.
SILENCED_SYSTEM_CHECKS = ["robokassa.W002", "robokassa.W003"]

# The sandbox's choices are not the plugin's defaults: tests that want them set them.
del ROBOKASSA_TEST_FORM_TARGET, ROBOKASSA_BASE_TEMPLATE, ROBOKASSA_STATUS_URL  # noqa: F821
del ROBOKASSA_REFUND_URL, ROBOKASSA_INVOICE_API_URL, ROBOKASSA_HOLD_URL  # noqa: F821
ROBOKASSA_EMULATOR_ENABLED = True
ROBOKASSA_LOGIN = "demo"
ROBOKASSA_PASSWORD1 = "live-password-1"
ROBOKASSA_PASSWORD2 = "live-password-2"
ROBOKASSA_TEST_PASSWORD1 = "test-password-1"
ROBOKASSA_TEST_PASSWORD2 = "test-password-2"
