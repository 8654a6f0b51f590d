"""Payment records and the per-Site settings."""

from .records import (
    Endpoint,
    Invoice,
    InvoiceStatus,
    OverflowKind,
    PaymentVisit,
    RejectedRequest,
    RejectionOverflow,
    RejectionReason,
    SuccessNotification,
    VisitKind,
    bare_names,
    user_parameters,
)
from .settings import RobokassaSettings

__all__ = [
    "Endpoint",
    "Invoice",
    "InvoiceStatus",
    "OverflowKind",
    "PaymentVisit",
    "RejectedRequest",
    "RejectionOverflow",
    "RejectionReason",
    "RobokassaSettings",
    "SuccessNotification",
    "VisitKind",
    "bare_names",
    "user_parameters",
]
