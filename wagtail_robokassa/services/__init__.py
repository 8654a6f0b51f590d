"""The only code that changes payment state. Views parse HTTP and call these functions."""

from ..deprecation import module_getattr
from .payments import PaymentStart, start_payment
from .rejections import record_rejection, redact
from .results import ConfigResolver, ResultOutcome, fixed_config, process_result
from .verification import (
    Refusal,
    parse_or_refuse,
    parse_verified_result,
    parse_verified_success,
    require_result_signature,
    require_success_signature,
)
from .visits import has_matching_notification, record_visit

__all__ = [
    "ConfigResolver",
    "PaymentStart",
    "Refusal",
    "ResultOutcome",
    "fixed_config",
    "has_matching_notification",
    "parse_or_refuse",
    "parse_verified_result",
    "parse_verified_success",
    "process_result",
    "record_rejection",
    "record_visit",
    "redact",
    "require_result_signature",
    "require_success_signature",
    "start_payment",
]

__getattr__ = module_getattr(
    __name__,
    {
        "parse": "wagtail_robokassa.services.verification.parse_or_refuse",
        "check_result": "wagtail_robokassa.services.verification.require_result_signature",
        "check_success": "wagtail_robokassa.services.verification.require_success_signature",
        "verified_result": "wagtail_robokassa.services.verification.parse_verified_result",
        "verified_success": "wagtail_robokassa.services.verification.parse_verified_success",
    },
)
