"""The only code that changes payment state. Views parse HTTP and call these functions."""

from .payments import PaymentStart, start_payment
from .rejections import record_rejection, redact
from .results import ResultOutcome, process_result
from .verification import (
    Refusal,
    check_result,
    check_success,
    parse,
    verified_result,
    verified_success,
)
from .visits import has_matching_notification, record_visit

__all__ = [
    "PaymentStart",
    "Refusal",
    "ResultOutcome",
    "check_result",
    "check_success",
    "has_matching_notification",
    "parse",
    "process_result",
    "record_rejection",
    "record_visit",
    "redact",
    "start_payment",
    "verified_result",
    "verified_success",
]
