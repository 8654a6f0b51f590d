"""System checks: a misconfigured shop is reported at start-up, not at the first payment."""

from __future__ import annotations

from typing import Any

from django.core.checks import Error, Warning, register
from django.urls import NoReverseMatch, reverse

from .conf import django_settings_values, get_config
from .protocol import HASH_ALGORITHMS, algorithm_available

TAG = "wagtail_robokassa"


def _result_url_in_use() -> bool:
    try:
        reverse("robokassa_result")
    except NoReverseMatch:
        return False
    return True


def _server_configured() -> bool:
    """Whether the merchant is configured in Django settings rather than in the Wagtail admin
    (whose form enforces the same rules per Site)."""
    return any(name in django_settings_values() for name in ("login", "password1", "password2"))


@register(TAG)
def check_configuration(app_configs: Any = None, **kwargs: Any) -> list:
    config = get_config()
    messages: list = []
    if config.algorithm not in HASH_ALGORITHMS:
        messages.append(
            Error(
                f"ROBOKASSA_HASH_ALGORITHM {config.algorithm!r} is unknown.",
                hint="Use one of " + ", ".join(HASH_ALGORITHMS) + ", as set in the cabinet.",
                id="robokassa.E005",
            )
        )
    elif not algorithm_available(config.algorithm):
        messages.append(
            Error(
                f"This server's OpenSSL cannot compute {config.algorithm}.",
                hint="Enable OpenSSL's legacy provider or choose another algorithm in the "
                "cabinet and in ROBOKASSA_HASH_ALGORITHM.",
                id="robokassa.E006",
            )
        )
    if not _server_configured():
        return messages
    if not config.login:
        messages.append(
            Error(
                "ROBOKASSA_LOGIN is not set.", hint="Set the shop identifier.", id="robokassa.E001"
            )
        )
    if not config.password1:
        messages.append(
            Error(
                "ROBOKASSA_PASSWORD1 is not set: payments cannot be signed.",
                hint="Copy Password#1 from the ROBOKASSA cabinet (technical settings).",
                id="robokassa.E002",
            )
        )
    if not config.password2 and _result_url_in_use():
        messages.append(
            Error(
                "ROBOKASSA_PASSWORD2 is not set but the Result URL is in use: notifications "
                "cannot be verified.",
                hint="Copy Password#2 from the ROBOKASSA cabinet.",
                id="robokassa.E003",
            )
        )
    if config.test_mode and not (config.test_password1 and config.test_password2):
        messages.append(
            Error(
                "ROBOKASSA_TEST_MODE is on but the test passwords are not set.",
                hint="ROBOKASSA signs test payments with a separate pair: set "
                "ROBOKASSA_TEST_PASSWORD1 and ROBOKASSA_TEST_PASSWORD2.",
                id="robokassa.E004",
            )
        )
    live = {config.password1, config.password2} - {""}
    if live & {config.test_password1, config.test_password2}:
        messages.append(
            Warning(
                "A ROBOKASSA test password equals a live one.",
                hint="Generate separate test passwords in the cabinet.",
                id="robokassa.W001",
            )
        )
    return messages
