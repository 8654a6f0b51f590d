"""Payment records and the per-Site settings."""

from .records import (
    CheckOutcome,
    Endpoint,
    Invoice,
    InvoiceStatus,
    NotificationSource,
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
    "CheckOutcome",
    "Endpoint",
    "Invoice",
    "InvoiceStatus",
    "NotificationSource",
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
