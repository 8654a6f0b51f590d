"""What a shop's configuration is, and what Django settings say about it.

``MerchantConfig`` declares every merchant field once, with its metadata: the ``ROBOKASSA_*``
Django setting that sets it, whether a Site's settings store it, whether verifying a callback
needs it, and whether it is a secret. Every list of fields elsewhere is derived from it.

This module never touches the database: ``services.config`` finds the Site's stored values and
merges them with ``server_values()`` (Django settings win field by field).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed

from .crypto import UnreadableSecret
from .deprecation import module_getattr
from .plugin_settings import setting as setting  # the one reader of plugin settings
from .protocol import DEFAULT_ALGORITHM, HOSTS, payment_page_url

SETTING_PREFIX = "ROBOKASSA_"


def _text(value: Any) -> str:
    return str(value)


def _text_or_blank(value: Any) -> str:
    return value or ""


def _algorithm(value: Any) -> str:
    return str(value).strip().lower()


def _names(value: Any) -> tuple[str, ...]:
    return tuple(value or ())


def _merchant(
    default: Any,
    *,
    setting: str | None = None,
    convert: Callable[[Any], Any] = _text,
    site: bool = True,
    callback: bool = False,
    secret: bool = False,
    doc: str = "",
) -> Any:
    """A merchant field: where it comes from and who needs it (see the module docstring)."""
    return dataclasses.field(
        default=default,
        repr=not secret,
        metadata={
            "setting": setting,
            "convert": convert,
            "site": site,
            "callback": callback,
            "secret": secret,
            "doc": doc,
        },
    )


def _secret(setting: str, doc: str) -> Any:
    return _merchant(
        "", setting=setting, callback=setting != "ROBOKASSA_PASSWORD3", secret=True, doc=doc
    )


@dataclass(frozen=True)
class MerchantConfig:
    """A shop's ROBOKASSA configuration. Passwords never appear in its ``repr``."""

    login: str = _merchant(
        "", setting="ROBOKASSA_LOGIN", callback=True, doc="The shop identifier (MerchantLogin)."
    )
    password1: str = _secret(
        "ROBOKASSA_PASSWORD1", "Password #1: signs payments, verifies the Success URL."
    )
    password2: str = _secret(
        "ROBOKASSA_PASSWORD2",
        "Password #2: verifies the Result URL (required while it is mounted) and signs status "
        "checks.",
    )
    test_password1: str = _secret(
        "ROBOKASSA_TEST_PASSWORD1", "Password #1 of the test pair (the cabinet's test settings)."
    )
    test_password2: str = _secret("ROBOKASSA_TEST_PASSWORD2", "Password #2 of the test pair.")
    password3: str = _secret(
        "ROBOKASSA_PASSWORD3", "Password #3, for refunds through the Refund API."
    )
    test_mode: bool = _merchant(
        False,
        setting="ROBOKASSA_TEST_MODE",
        convert=bool,
        callback=True,
        doc="Send ``IsTest=1`` and sign with the test pair.",
    )
    algorithm: str = _merchant(
        DEFAULT_ALGORITHM,
        setting="ROBOKASSA_HASH_ALGORITHM",
        convert=_algorithm,
        callback=True,
        doc="As chosen in the cabinet: md5, ripemd160, sha1, sha256, sha384 or sha512.",
    )
    culture: str = _merchant(
        "", setting="ROBOKASSA_CULTURE", doc="``ru`` or ``en`` for the payment page."
    )
    host: str = _merchant(
        HOSTS["ru"],
        setting="ROBOKASSA_HOST",
        doc="``auth.robokassa.kz`` for Kazakh shops (amounts in tenge).",
    )
    test_form_target: str = _merchant(
        "",
        setting="ROBOKASSA_TEST_FORM_TARGET",
        convert=_text_or_blank,
        site=False,
        doc="Where payment forms go in test mode instead of ROBOKASSA (the emulator).",
    )
    use_post: bool = _merchant(
        True,
        setting="ROBOKASSA_USE_POST",
        convert=bool,
        site=False,
        doc="When set explicitly, the other HTTP method gets 405 on the three URLs; when not "
        "set, both are accepted.",
    )
    #: Whether ``use_post`` was set explicitly (else both methods are accepted).
    use_post_explicit: bool = _merchant(False, site=False)
    strict_check: bool = _merchant(
        True,
        setting="ROBOKASSA_STRICT_CHECK",
        convert=bool,
        doc="The Success page requires the Result URL's notification first.",
    )
    recurring_enabled: bool = _merchant(
        False,
        setting="ROBOKASSA_RECURRING_ENABLED",
        convert=bool,
        doc="ROBOKASSA has enabled recurring payments for the shop: blocks take subscriptions.",
    )
    holds_enabled: bool = _merchant(
        False,
        setting="ROBOKASSA_HOLDS_ENABLED",
        convert=bool,
        doc="ROBOKASSA has enabled holds for the shop: blocks may hold the money and charge later.",
    )
    extra_params: tuple[str, ...] = _merchant(
        (),
        setting="ROBOKASSA_EXTRA_PARAMS",
        convert=_names,
        site=False,
        doc="Names of your ``Shp_`` parameters, without the prefix; they also become template "
        "variables.",
    )
    send_receipts: bool = _merchant(
        False,
        setting="ROBOKASSA_SEND_RECEIPTS",
        convert=bool,
        doc="Send a 54-FZ receipt with block payments.",
    )
    receipt_sno: str = _merchant(
        "",
        setting="ROBOKASSA_RECEIPT_SNO",
        convert=_text_or_blank,
        doc="The receipts' tax system (``sno``); blank: the cabinet's.",
    )
    receipt_tax: str = _merchant(
        "none", setting="ROBOKASSA_RECEIPT_TAX", doc="The default VAT rate of a receipt line."
    )
    receipt_payment_method: str = _merchant(
        "full_payment",
        setting="ROBOKASSA_RECEIPT_PAYMENT_METHOD",
        doc="The default payment method attribute of a receipt line.",
    )
    receipt_payment_object: str = _merchant(
        "commodity",
        setting="ROBOKASSA_RECEIPT_PAYMENT_OBJECT",
        doc="The default payment object attribute of a receipt line.",
    )
    #: The Site whose settings were merged in, if any.
    site_id: int | None = _merchant(None, site=False)

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
    def secrets(self) -> frozenset[str]:
        """Every password this configuration holds (for redaction)."""
        return frozenset(value for name in SECRET_FIELDS if (value := getattr(self, name)))

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


_FIELDS = dataclasses.fields(MerchantConfig)

#: Django setting → (``MerchantConfig`` field, converter).
DJANGO_SETTINGS: dict[str, tuple[str, Callable[[Any], Any]]] = {
    f.metadata["setting"]: (f.name, f.metadata["convert"]) for f in _FIELDS if f.metadata["setting"]
}
#: ``MerchantConfig`` field → the Django setting that sets it.
SETTING_NAMES: dict[str, str] = {name: setting for setting, (name, _) in DJANGO_SETTINGS.items()}
#: The fields a Site's settings store (the model's fields of the same names).
SITE_FIELDS: tuple[str, ...] = tuple(f.name for f in _FIELDS if f.metadata["site"])
#: What verifying a callback needs. When Django settings give all of it, callbacks never read the
#: database for configuration (Django settings win field by field, so the Site cannot change it).
CALLBACK_FIELDS: frozenset[str] = frozenset(f.name for f in _FIELDS if f.metadata["callback"])
#: The passwords: never shown back, never logged, redacted from stored requests.
SECRET_FIELDS: tuple[str, ...] = tuple(f.name for f in _FIELDS if f.metadata["secret"])


_server: tuple[dict[str, Any], MerchantConfig] | None = None


def _read_server_values() -> dict[str, Any]:
    values: dict[str, Any] = {}
    for django_setting, (name, convert) in DJANGO_SETTINGS.items():
        if hasattr(settings, django_setting):
            values[name] = convert(getattr(settings, django_setting))
    if "use_post" in values:
        values["use_post_explicit"] = True
    return values


def _server_cache() -> tuple[dict[str, Any], MerchantConfig]:
    global _server
    if _server is None:
        values = _read_server_values()
        _server = (values, MerchantConfig(**values))
    return _server


def server_values() -> dict[str, Any]:
    """The ``MerchantConfig`` fields that Django settings set explicitly (read once, until a
    ``ROBOKASSA_*`` setting changes)."""
    return _server_cache()[0]


def server_config() -> MerchantConfig:
    """The configuration of Django settings and defaults alone (one frozen instance)."""
    return _server_cache()[1]


def merged_config(site_values: Mapping[str, Any], *, site_id: int | None) -> MerchantConfig:
    """A Site's stored values (``SITE_FIELDS``), with Django settings winning field by field."""
    values = {name: site_values[name] for name in SITE_FIELDS}
    values.update(server_values())
    return MerchantConfig(**values, site_id=site_id)


def server_configures_callbacks() -> bool:
    """Whether Django settings set everything a callback's verification needs."""
    return server_values().keys() >= CALLBACK_FIELDS


def _reset_server_cache(*, setting: str, **kwargs: Any) -> None:
    global _server
    if setting.startswith(SETTING_PREFIX):
        _server = None


setting_changed.connect(_reset_server_cache, dispatch_uid="wagtail_robokassa.conf.reset")


__getattr__ = module_getattr(
    __name__,
    {
        "get_config": "wagtail_robokassa.services.config.get_config",
        "config_for_request": "wagtail_robokassa.services.config.config_for_request",
        "config_for_callback": "wagtail_robokassa.services.config.config_for_callback",
        "django_settings_values": "wagtail_robokassa.conf.server_values",
    },
)
