"""System checks: a misconfigured shop is reported at start-up, not at the first payment.

The rules are those of the settings panel (``rules``), applied to Django settings here.
"""

from __future__ import annotations

from typing import Any

from django.core.checks import Error, Tags, register
from django.urls import NoReverseMatch, reverse

from .conf import DJANGO_SETTINGS, django_settings_values, get_config
from .protocol import MAX_INV_ID
from .rules import configuration_problems

TAG = "wagtail_robokassa"
SETTING_NAMES = {field: setting for setting, (field, _convert) in DJANGO_SETTINGS.items()}
ALWAYS_CHECKED = frozenset({"E005", "E006"})  # whoever configures the rest


def result_url_in_use() -> bool:
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
    problems = configuration_problems(
        lambda name: getattr(config, name), result_url_in_use=result_url_in_use()
    )
    server_configured = _server_configured()
    messages = [
        Error(
            f"ROBOKASSA: {problem.message}",
            hint=f"Django setting {SETTING_NAMES[problem.field]}.",
            id=f"robokassa.{problem.id}",
        )
        for problem in problems
        if server_configured or problem.id in ALWAYS_CHECKED
    ]
    return messages + _numbering_errors() + _proxy_errors() + _key_errors()


def _numbering_errors() -> list[Error]:
    from .services.numbering import first_inv_id

    first = first_inv_id()
    if isinstance(first, int) and not isinstance(first, bool) and 1 <= first <= MAX_INV_ID:
        return []
    return [
        Error(
            f"ROBOKASSA_FIRST_INV_ID must be a whole number from 1 to {MAX_INV_ID}, not {first!r}.",
            hint="Set it above the order numbers your own code sends to ROBOKASSA.",
            id="robokassa.E008",
        )
    ]


def _proxy_errors() -> list[Error]:
    from .client import trusted_networks

    try:
        trusted_networks()
    except (TypeError, ValueError) as error:
        return [
            Error(
                f"ROBOKASSA_TRUSTED_PROXIES is not a list of addresses or networks: {error}",
                hint="List your reverse proxies, for example ['127.0.0.1', '10.0.0.0/8'].",
                id="robokassa.E009",
            )
        ]
    return []


def _key_errors() -> list[Error]:
    from .crypto import fernet

    try:
        fernet()
    except (TypeError, ValueError) as error:
        return [
            Error(
                f"ROBOKASSA_ENCRYPTION_KEYS cannot make encryption keys: {error}",
                hint="Give a list of non-empty secret strings, the one to encrypt with first.",
                id="robokassa.E011",
            )
        ]
    return []


@register(TAG, Tags.database)
def check_stored_passwords(app_configs: Any = None, databases: Any = None, **kwargs: Any) -> list:
    """Passwords stored with a key this server does not have (run with ``check --database``)."""
    if not databases or _key_errors():
        return []
    from django.db import connections

    from .models import RobokassaSettings
    from .rules import SECRET_FIELDS

    errors = []
    for alias in databases:
        # ``migrate`` runs this check before the table exists.
        if RobokassaSettings._meta.db_table in connections[alias].introspection.table_names():
            errors += _unreadable_rows(RobokassaSettings.objects.using(alias), SECRET_FIELDS)
    return errors


def _unreadable_rows(rows: Any, secret_fields: tuple[str, ...]) -> list[Error]:
    from .crypto import UnreadableSecret

    errors = []
    for row in rows.select_related("site"):
        lost = [name for name in secret_fields if isinstance(getattr(row, name), UnreadableSecret)]
        if lost:
            errors.append(
                Error(
                    f"ROBOKASSA settings of {row.site}: {', '.join(lost)} cannot be decrypted.",
                    hint="Restore the old key in ROBOKASSA_ENCRYPTION_KEYS or "
                    "SECRET_KEY_FALLBACKS, or enter the passwords again.",
                    id="robokassa.E010",
                )
            )
    return errors
