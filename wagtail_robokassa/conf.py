"""Where configuration comes from: the one place that knows.

``get_config()`` returns a frozen ``MerchantConfig``. Each field comes from a ``ROBOKASSA_*``
Django setting when one is set (read at call time, so ``override_settings`` works), else from the
Site's settings (added by the Wagtail settings panel), else from the default. Callers never read
settings themselves.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .crypto import UnreadableSecret
from .protocol import DEFAULT_ALGORITHM, HOSTS, payment_page_url


@dataclass(frozen=True)
class MerchantConfig:
    """A shop's ROBOKASSA configuration. Passwords never appear in its ``repr``."""

    login: str = ""
    password1: str = field(default="", repr=False)
    password2: str = field(default="", repr=False)
    test_password1: str = field(default="", repr=False)
    test_password2: str = field(default="", repr=False)
    password3: str = field(default="", repr=False)
    test_mode: bool = False
    algorithm: str = DEFAULT_ALGORITHM
    culture: str = ""
    host: str = HOSTS["ru"]
    test_form_target: str = ""
    use_post: bool = True
    use_post_explicit: bool = False
    strict_check: bool = True
    extra_params: tuple[str, ...] = ()
    send_receipts: bool = False
    receipt_sno: str = ""
    receipt_tax: str = "none"
    receipt_payment_method: str = "full_payment"
    receipt_payment_object: str = "commodity"
    site_id: int | None = None

    def password1_for(self, is_test: bool) -> str:
        """Password#1 of the live or the test pair; raises if that pair is not configured."""
        return self._password(self.test_password1 if is_test else self.password1, 1, is_test)

    def password2_for(self, is_test: bool) -> str:
        """Password#2 of the live or the test pair; raises if that pair is not configured."""
        return self._password(self.test_password2 if is_test else self.password2, 2, is_test)

    def _password(self, value: str, number: int, is_test: bool) -> str:
        which = "test " if is_test else ""
        if isinstance(value, UnreadableSecret):
            raise ImproperlyConfigured(
                f"ROBOKASSA {which}Password#{number} was encrypted with a key this server does "
                "not have: restore it in ROBOKASSA_ENCRYPTION_KEYS (or SECRET_KEY_FALLBACKS), or "
                "enter the password again"
            )
        if not value:
            raise ImproperlyConfigured(f"ROBOKASSA {which}Password#{number} is not configured")
        return value

    @property
    def currency_symbol(self) -> str:
        """The currency of ``OutSum`` for this shop's host: tenge in Kazakhstan, else roubles."""
        return "₸" if self.host == HOSTS["kz"] else "₽"

    @property
    def target(self) -> str:
        """Where the payment form goes: the test target in test mode if one is set."""
        if self.test_mode and self.test_form_target:
            return self.test_form_target
        return payment_page_url(self.host)


# Django setting → (MerchantConfig field, converter).
DJANGO_SETTINGS: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "ROBOKASSA_LOGIN": ("login", str),
    "ROBOKASSA_PASSWORD1": ("password1", str),
    "ROBOKASSA_PASSWORD2": ("password2", str),
    "ROBOKASSA_TEST_PASSWORD1": ("test_password1", str),
    "ROBOKASSA_TEST_PASSWORD2": ("test_password2", str),
    "ROBOKASSA_PASSWORD3": ("password3", str),
    "ROBOKASSA_TEST_MODE": ("test_mode", bool),
    "ROBOKASSA_HASH_ALGORITHM": ("algorithm", lambda value: str(value).strip().lower()),
    "ROBOKASSA_CULTURE": ("culture", str),
    "ROBOKASSA_HOST": ("host", str),
    "ROBOKASSA_TEST_FORM_TARGET": ("test_form_target", lambda value: value or ""),
    "ROBOKASSA_USE_POST": ("use_post", bool),
    "ROBOKASSA_STRICT_CHECK": ("strict_check", bool),
    "ROBOKASSA_EXTRA_PARAMS": ("extra_params", lambda value: tuple(value or ())),
    "ROBOKASSA_SEND_RECEIPTS": ("send_receipts", bool),
    "ROBOKASSA_RECEIPT_SNO": ("receipt_sno", lambda value: value or ""),
    "ROBOKASSA_RECEIPT_TAX": ("receipt_tax", str),
    "ROBOKASSA_RECEIPT_PAYMENT_METHOD": ("receipt_payment_method", str),
    "ROBOKASSA_RECEIPT_PAYMENT_OBJECT": ("receipt_payment_object", str),
}


# Settings objects are replaced, never changed in place (override_settings swaps the wrapped
# holder), so values computed for one holder stay right for as long as it lives.
_by_holder: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _cached() -> tuple[dict[str, Any], MerchantConfig]:
    """The Django settings' values and the site-less configuration, read once per holder."""
    settings.INSTALLED_APPS  # noqa: B018 - sets the lazy settings up
    holder = settings._wrapped
    cached = _by_holder.get(holder)
    if cached is None:
        values = _read_django_settings()
        cached = _by_holder[holder] = (values, MerchantConfig(**values))
    return cached


def django_settings_values() -> dict[str, Any]:
    """The ``MerchantConfig`` fields that Django settings set explicitly."""
    return _cached()[0]


def _read_django_settings() -> dict[str, Any]:
    values: dict[str, Any] = {}
    for setting, (name, convert) in DJANGO_SETTINGS.items():
        if hasattr(settings, setting):
            values[name] = convert(getattr(settings, setting))
    if "use_post" in values:
        values["use_post_explicit"] = True
    return values


#: The fields a Site's settings provide (the model's fields of the same names).
SITE_FIELDS = (
    "login",
    "password1",
    "password2",
    "test_password1",
    "test_password2",
    "password3",
    "test_mode",
    "algorithm",
    "culture",
    "host",
    "strict_check",
    "send_receipts",
    "receipt_sno",
    "receipt_tax",
    "receipt_payment_method",
    "receipt_payment_object",
)
#: What verifying a callback needs. When Django settings give all of it, callbacks never read the
#: database for configuration (Django settings win field by field, so the Site cannot change it).
CALLBACK_FIELDS = frozenset(
    {
        "login",
        "password1",
        "password2",
        "test_password1",
        "test_password2",
        "test_mode",
        "algorithm",
    }
)


def get_config(site: Any = None, *, row: Any = None) -> MerchantConfig:
    """The configuration for ``site`` (or for an already loaded ``RobokassaSettings`` row);
    without either, Django settings and defaults only."""
    if row is None and site is None:
        return _cached()[1]  # frozen, so one instance serves every caller
    if row is None:
        from .models import RobokassaSettings

        row = RobokassaSettings.for_site(site)  # created on first read
    values = {name: getattr(row, name) for name in SITE_FIELDS}
    values["site_id"] = row.site_id
    values.update(django_settings_values())
    return MerchantConfig(**values)


def config_for_request(request: Any) -> MerchantConfig:
    """The configuration of the Site the request is for (kept on the request once read)."""
    config = getattr(request, "_robokassa_config", None)
    if config is None:
        from wagtail.models import Site

        config = get_config(Site.find_for_request(request))
        request._robokassa_config = config
    return config


def config_for_callback(request: Any, inv_id: int | None) -> MerchantConfig:
    """For a known invoice, its Site's configuration (one query); otherwise the request's Site's."""
    if django_settings_values().keys() >= CALLBACK_FIELDS:
        return get_config()
    if inv_id is not None:
        from django.db.models import Subquery

        from .models import Invoice, RobokassaSettings

        invoice_site = Invoice.objects.filter(pk=inv_id).values("site_id")[:1]
        row = RobokassaSettings.objects.filter(site_id=Subquery(invoice_site)).first()
        if row is not None:
            return get_config(row=row)
    return config_for_request(request)


def setting(name: str, default: Any) -> Any:
    """A plugin setting that is not part of a merchant's configuration (read at call time)."""
    return getattr(settings, name, default)
