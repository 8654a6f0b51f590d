"""The rules a shop's configuration must follow: one set, for the settings panel's form and for
``manage.py check`` alike, so that neither accepts what the other refuses.

Each rule is one function, in the order of its check id; it reads the configuration in force
through ``value(name)`` (a ``MerchantConfig`` field, server configuration first) and returns the
``Problem`` it finds, or None.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .conf import SECRET_FIELDS
from .protocol import HASH_ALGORITHMS, algorithm_available

__all__ = ["RULES", "SECRET_FIELDS", "Problem", "configuration_problems", "result_url_in_use"]

Value = Callable[[str], Any]

E001 = _("Enter the merchant login that these passwords belong to.")
E002 = _("Enter Password #1 from the cabinet's technical settings: it signs payments.")
E003 = _(
    "Enter Password #2 from the cabinet's technical settings: it verifies ROBOKASSA's "
    "notifications."
)
E004 = _("Test mode needs the test Password #1 and #2 from the cabinet's test settings.")
E005 = _("The hash algorithm %(algorithm)s is unknown. Use one of %(known)s.")
E006 = _(
    "This server cannot compute %(algorithm)s. Choose another algorithm here and in the cabinet."
)
E007 = _("A test password equals a live one. Generate separate test passwords.")


@dataclass(frozen=True)
class Problem:
    """A broken rule: its check id, the field to correct, and what to say."""

    id: str
    field: str
    message: str | Promise


def result_url_in_use() -> bool:
    """Whether this project mounts the Result URL (else Password #2 is not needed)."""
    try:
        reverse("robokassa_result")
    except NoReverseMatch:
        return False
    return True


def _configured(value: Value) -> bool:
    return bool(value("login") or any(value(name) for name in SECRET_FIELDS))


def _live(value: Value) -> bool:
    return _configured(value) and not value("test_mode")


def login_given(value: Value, *, result_url: bool) -> Problem | None:
    if any(value(name) for name in SECRET_FIELDS) and not value("login"):
        return Problem("E001", "login", E001)
    return None


def signing_password_given(value: Value, *, result_url: bool) -> Problem | None:
    if _live(value) and not value("password1"):
        return Problem("E002", "password1", E002)
    return None


def verifying_password_given(value: Value, *, result_url: bool) -> Problem | None:
    if _live(value) and result_url and not value("password2"):
        return Problem("E003", "password2", E003)
    return None


def test_passwords_given(value: Value, *, result_url: bool) -> Problem | None:
    if value("test_mode") and not (value("test_password1") and value("test_password2")):
        return Problem("E004", "test_mode", E004)
    return None


def algorithm_known(value: Value, *, result_url: bool) -> Problem | None:
    algorithm = value("algorithm")
    if algorithm and algorithm not in HASH_ALGORITHMS:
        message = E005 % {"algorithm": algorithm, "known": ", ".join(HASH_ALGORITHMS)}
        return Problem("E005", "algorithm", message)
    return None


def algorithm_available_here(value: Value, *, result_url: bool) -> Problem | None:
    algorithm = value("algorithm")
    if algorithm in HASH_ALGORITHMS and not algorithm_available(algorithm):
        return Problem("E006", "algorithm", E006 % {"algorithm": algorithm})
    return None


def test_passwords_differ(value: Value, *, result_url: bool) -> Problem | None:
    live = {value("password1"), value("password2")} - {"", None}
    if live & {value("test_password1"), value("test_password2")}:
        return Problem("E007", "test_password1", E007)
    return None


#: Every rule, in the order of its id.
RULES: tuple[Callable[..., Problem | None], ...] = (
    login_given,
    signing_password_given,
    verifying_password_given,
    test_passwords_given,
    algorithm_known,
    algorithm_available_here,
    test_passwords_differ,
)


def configuration_problems(value: Value, *, result_url_in_use: bool = True) -> list[Problem]:
    """Every rule the configuration in force breaks."""
    found = (rule(value, result_url=result_url_in_use) for rule in RULES)
    return [problem for problem in found if problem is not None]
