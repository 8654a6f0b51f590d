"""A production-like site for the Result URL benchmark: DEBUG off, the usual middleware."""

import os
from pathlib import Path

import dj_database_url

SECRET_KEY = "benchmark-only-key-not-a-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "wagtail_robokassa",
    "wagtail.contrib.settings",
    "wagtail.users",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]
if os.environ.get("BENCH_LEGACY_APP"):
    INSTALLED_APPS.append("robokassa")  # django-robokassa3, unpacked and patched by the runner

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "benchmarks.result_url_site.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
    }
]
DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=600)}
USE_TZ = True
TIME_ZONE = "Europe/Moscow"
STATIC_URL = "/static/"
WAGTAIL_SITE_NAME = "benchmark"
WAGTAILADMIN_BASE_URL = "http://127.0.0.1"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}

BENCH_PASSWORD1 = "bench-password-1"
BENCH_PASSWORD2 = "bench-password-2"
# django-robokassa3 reads these (the runner patches its names), so that the scenarios where our
# shop is configured only in Settings → ROBOKASSA leave ROBOKASSA_* unset.
LEGACY_ROBOKASSA_LOGIN = "bench"
LEGACY_ROBOKASSA_PASSWORD1 = BENCH_PASSWORD1
LEGACY_ROBOKASSA_PASSWORD2 = BENCH_PASSWORD2
LEGACY_ROBOKASSA_STRICT_CHECK = True

#: settings | panel | shop (see benchmarks/result_url.py)
SCENARIO = os.environ.get("BENCH_SCENARIO", "settings")
if SCENARIO == "settings":
    ROBOKASSA_LOGIN = "bench"
    ROBOKASSA_PASSWORD1 = BENCH_PASSWORD1
    ROBOKASSA_PASSWORD2 = BENCH_PASSWORD2
    ROBOKASSA_TEST_PASSWORD1 = "bench-test-password-1"
    ROBOKASSA_TEST_PASSWORD2 = "bench-test-password-2"
    ROBOKASSA_TEST_MODE = False
    ROBOKASSA_HASH_ALGORITHM = "md5"
    ROBOKASSA_STRICT_CHECK = True

# ResultUrl2 (the shop scenario's R2): the emulator's published test key stands in for
# ROBOKASSA's signing certificate.
ROBOKASSA_RESULT_URL2_CERTIFICATE = str(
    Path(__file__).resolve().parents[2]
    / "wagtail_robokassa"
    / "contrib"
    / "emulator"
    / "keys"
    / "result-url-2.pem"
)
