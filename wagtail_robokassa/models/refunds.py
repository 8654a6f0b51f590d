"""Refunds: money sent back to a buyer through ROBOKASSA's Refund API, one row per request."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ..protocol.amounts import plain_amount
from .followed import FollowedRequest
from .records import INVOICE_AMOUNT, Invoice


class RefundState(models.TextChoices):
    REQUESTED = "requested", _("Requested")  # recorded; not sent yet
    SENDING = "sending", _("Being sent")  # one sender has claimed it
    PROCESSING = "processing", _("Processing")  # ROBOKASSA accepted the request
    FINISHED = "finished", pgettext_lazy("refund", "Refunded")
    CANCELLED = "cancelled", _("Cancelled")
    FAILED = "failed", _("Failed")  # refused, or never reached ROBOKASSA
    UNKNOWN = "unknown", _("Outcome unknown")  # may have reached ROBOKASSA: never sent again


#: States whose amount is reserved against the payment (not refunded yet, not released).
OPEN_STATES = (
    RefundState.REQUESTED,
    RefundState.SENDING,
    RefundState.PROCESSING,
    RefundState.UNKNOWN,
)
#: States that release the reservation.
RELEASED_STATES = (RefundState.CANCELLED, RefundState.FAILED)


class Refund(FollowedRequest):
    """One refund request of a payment (full or partial).

    ``key`` is the click that asked for it: stored before anything is sent, unique, so that a
    double-submitted form or a retried task never makes a second request. The amounts of a
    payment's open and finished refunds are reserved on the invoice (``Invoice.refund_reserved``),
    whose check constraint keeps them within what was paid, whatever runs at once.
    """

    invoice = models.ForeignKey(
        Invoice, verbose_name=_("payment"), on_delete=models.PROTECT, related_name="refunds"
    )
    amount = models.DecimalField(_("amount"), **INVOICE_AMOUNT)
    whole_remainder = models.BooleanField(
        _("whole remainder"),
        default=False,
        help_text=_("All that was left of the payment was asked for (its amount is sent)."),
    )
    items = models.JSONField(_("receipt lines refunded"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    state = models.CharField(
        _("state"), max_length=16, choices=RefundState.choices, default=RefundState.REQUESTED
    )
    key = models.UUIDField(_("request key"), default=uuid.uuid4, unique=True, editable=False)
    request_id = models.CharField(_("ROBOKASSA request id"), max_length=64, blank=True)
    robokassa_amount = models.DecimalField(
        _("amount at ROBOKASSA"),
        null=True,
        blank=True,
        help_text=_("ROBOKASSA reports this amount for the refund, not the one recorded."),
        **INVOICE_AMOUNT,
    )
    settled_at = models.DateTimeField(_("settled"), null=True, blank=True)

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        default_permissions = ("view", "export")  # created only through the refund service
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gt=Decimal(0)), name="robokassa_refund_amount_positive"
            ),
            models.UniqueConstraint(
                fields=["request_id"],
                condition=~models.Q(request_id=""),
                name="robokassa_refund_request_once",
            ),
        ]
        indexes = [
            models.Index(fields=["created_at"], name="robokassa_refund_created"),
            models.Index(fields=["state", "next_poll_at"], name="robokassa_refund_open"),
        ]

    def __str__(self) -> str:
        amount = plain_amount(self.amount)
        return f"#{self.invoice_id} \N{MINUS SIGN}{amount} ({self.get_state_display()})"

    @property
    def inv_id(self) -> int:
        """The refunded payment's InvId (as the other records have one)."""
        return self.invoice_id

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def amount_differs(self) -> bool:
        """ROBOKASSA reports another amount for this refund than the one recorded."""
        return self.robokassa_amount is not None and self.robokassa_amount != self.amount
