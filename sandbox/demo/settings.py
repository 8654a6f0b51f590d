"""The sandbox: a small Wagtail shop taking test payments through the local ROBOKASSA emulator.

SQLite by default (``sandbox/db.sqlite3``); ``DATABASE_URL`` switches to PostgreSQL. For local
demonstration only: DEBUG is on and the secret key is not secret.
"""

import os
from importlib.util import find_spec
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent
SANDBOX_DIR = BASE_DIR.parent

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "sandbox-only-key-not-a-secret")
DEBUG = os.environ.get("DJANGO_DEBUG", "1") == "1"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]

INSTALLED_APPS = [
    "demo.home",
    "wagtail_robokassa",
    "wagtail_robokassa.contrib.emulator",
    "wagtail.contrib.settings",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
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

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "demo.urls"
WSGI_APPLICATION = "demo.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
            ]
        },
    }
]

DATABASE_URL = os.environ.get("DATABASE_URL", "")
DATABASES = {
    "default": dj_database_url.parse(DATABASE_URL)
    if DATABASE_URL
    else {"ENGINE": "django.db.backends.sqlite3", "NAME": SANDBOX_DIR / "db.sqlite3"}
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "ru"
LANGUAGES = [("ru", "Русский"), ("en", "English")]
TIME_ZONE = "Europe/Moscow"
USE_I18N = True
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = SANDBOX_DIR / "static"
MEDIA_URL = "/media/"
MEDIA_ROOT = SANDBOX_DIR / "media"

WAGTAIL_SITE_NAME = "wagtail-robokassa sandbox"
WAGTAILADMIN_BASE_URL = "http://127.0.0.1:8000"

# Payments go to the local emulator instead of ROBOKASSA while the shop is in test mode.
ROBOKASSA_TEST_FORM_TARGET = "/emulator/Merchant/Index.aspx"
# Status checks (Payments → Check status, Settings → Test connection, robokassa_reconcile) ask
# the emulator too.
ROBOKASSA_STATUS_URL = "http://127.0.0.1:8000/emulator/Merchant/WebService/Service.asmx/OpStateExt"
# Refunds too (ROBOKASSA's Refund API has no test mode: the emulator's stands in).
ROBOKASSA_REFUND_URL = "http://127.0.0.1:8000/emulator/RefundService"
# And final receipts (RoboFiscal).
ROBOKASSA_FISCAL_URL = "http://127.0.0.1:8000/emulator/RoboFiscal"
# And payment links (the Invoice API).
ROBOKASSA_INVOICE_API_URL = "http://127.0.0.1:8000/emulator/InvoiceServiceWebApi/api"
# Subscription renewals (Merchant/Recurring has no test mode either).
ROBOKASSA_RECURRING_URL = "http://127.0.0.1:8000/emulator/Merchant/Recurring"
# Charging and releasing holds (Merchant/Payment/Confirm and Cancel: no test mode).
ROBOKASSA_HOLD_URL = "http://127.0.0.1:8000/emulator/Merchant/Payment"
# The emulator signs ResultUrl2 notifications with a published test key; its certificate
# verifies them for test payments (ROBOKASSA itself sends none in test mode).
EMULATOR_KEYS = Path(find_spec("wagtail_robokassa").origin).parent / "contrib" / "emulator" / "keys"
ROBOKASSA_RESULT_URL2_TEST_CERTIFICATE = str(EMULATOR_KEYS / "result-url-2.pem")
ROBOKASSA_BASE_TEMPLATE = "base.html"

# E-mails (a payment link sent to its customer) are printed by the development server.
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = "shop@example.com"
