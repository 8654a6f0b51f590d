"""Payment records and the per-Site settings."""

from .links import OPEN_LINK_STATES, PaymentLink, PaymentLinkState, PaymentLinkType
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
from .refunds import OPEN_STATES, RELEASED_STATES, Refund, RefundState
from .second_receipts import SecondReceipt, SecondReceiptState
from .settings import RobokassaSettings

__all__ = [
    "OPEN_LINK_STATES",
    "OPEN_STATES",
    "RELEASED_STATES",
    "CheckOutcome",
    "Endpoint",
    "Invoice",
    "InvoiceStatus",
    "NotificationSource",
    "OverflowKind",
    "PaymentLink",
    "PaymentLinkState",
    "PaymentLinkType",
    "PaymentVisit",
    "Refund",
    "RefundState",
    "RejectedRequest",
    "RejectionOverflow",
    "RejectionReason",
    "RobokassaSettings",
    "SecondReceipt",
    "SecondReceiptState",
    "SuccessNotification",
    "VisitKind",
    "bare_names",
    "user_parameters",
]
