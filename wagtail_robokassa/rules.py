"""The rules a shop's configuration must follow: one set, for the settings panel's form and for
``manage.py check`` alike, so that neither accepts what the other refuses."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .protocol import HASH_ALGORITHMS, algorithm_available

SECRET_FIELDS = ("password1", "password2", "test_password1", "test_password2", "password3")


@dataclass(frozen=True)
class Problem:
    """A broken rule: its check id, the field to correct, and what to say."""

    id: str
    field: str
    message: str | Promise


def configuration_problems(
    value: Callable[[str], Any], *, result_url_in_use: bool = True
) -> list[Problem]:
    """Every rule the configuration breaks; ``value(name)`` is the value in force of a
    ``MerchantConfig`` field (server configuration first)."""
    problems: list[Problem] = []
    secrets = [name for name in SECRET_FIELDS if value(name)]
    test_mode = bool(value("test_mode"))
    if secrets and not value("login"):
        problems.append(
            Problem("E001", "login", _("Enter the merchant login that these passwords belong to."))
        )
    configured = bool(secrets or value("login"))
    if configured and not test_mode and not value("password1"):
        problems.append(
            Problem(
                "E002",
                "password1",
                _("Enter Password #1 from the cabinet's technical settings: it signs payments."),
            )
        )
    if configured and not test_mode and result_url_in_use and not value("password2"):
        problems.append(
            Problem(
                "E003",
                "password2",
                _(
                    "Enter Password #2 from the cabinet's technical settings: it verifies "
                    "ROBOKASSA's notifications."
                ),
            )
        )
    if test_mode and not (value("test_password1") and value("test_password2")):
        problems.append(
            Problem(
                "E004",
                "test_mode",
                _("Test mode needs the test Password #1 and #2 from the cabinet's test settings."),
            )
        )
    live = {value("password1"), value("password2")} - {"", None}
    if live & {value("test_password1"), value("test_password2")}:
        problems.append(
            Problem(
                "E007",
                "test_password1",
                _("A test password equals a live one. Generate separate test passwords."),
            )
        )
    problems += _algorithm_problems(value("algorithm"))
    return problems


def _algorithm_problems(algorithm: str) -> list[Problem]:
    if not algorithm:
        return []
    if algorithm not in HASH_ALGORITHMS:
        return [
            Problem(
                "E005",
                "algorithm",
                _("The hash algorithm %(algorithm)s is unknown. Use one of %(known)s.")
                % {"algorithm": algorithm, "known": ", ".join(HASH_ALGORITHMS)},
            )
        ]
    if not algorithm_available(algorithm):
        return [
            Problem(
                "E006",
                "algorithm",
                _(
                    "This server cannot compute %(algorithm)s. Choose another algorithm "
                    "here and in the cabinet."
                )
                % {"algorithm": algorithm},
            )
        ]
    return []
