"""The second (final) receipt of a prepaid payment: at most one per payment, by a unique
constraint, whoever asks at the same moment."""

from __future__ import annotations

import secrets
from datetime import datetime

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _

from .followed import FollowedRequest
from .records import INVOICE_AMOUNT, Invoice

#: RoboFiscal receipt ids are positive 64-bit integers; random ones never meet an InvId.
RECEIPT_ID_FLOOR = 10**12


def new_receipt_id() -> int:
    return RECEIPT_ID_FLOOR + secrets.randbelow(2**62)


class SecondReceiptState(models.TextChoices):
    REQUESTED = "requested", _("Requested")  # recorded; not sent yet
    SENDING = "sending", _("Being sent")  # one sender has claimed it
    SENT = "sent", _("Sent, awaiting registration")  # ROBOKASSA took it (ResultCode 0)
    REGISTERED = "registered", _("Registered")  # the fiscal document has its number
    FAILED = "failed", _("Failed")  # refused, or never reached ROBOKASSA: may be sent again
    UNKNOWN = "unknown", _("Outcome unknown")  # may have been taken: never sent again


class SecondReceipt(FollowedRequest):
    """The final receipt (``RoboFiscal/Receipt/Attach``) of a payment whose receipt was a
    prepayment. ``receipt_id`` is chosen before anything is sent and kept: a request sent again
    after a failure is the same receipt."""

    invoice = models.OneToOneField(
        Invoice,
        verbose_name=_("payment"),
        on_delete=models.PROTECT,
        related_name="second_receipt",
    )
    receipt_id = models.BigIntegerField(
        _("receipt id"), unique=True, default=new_receipt_id, editable=False
    )
    state = models.CharField(
        _("state"),
        max_length=16,
        choices=SecondReceiptState.choices,
        default=SecondReceiptState.REQUESTED,
    )
    total = models.DecimalField(_("total"), **INVOICE_AMOUNT)
    payload = models.JSONField(_("receipt sent"), null=True, blank=True, encoder=DjangoJSONEncoder)
    fn_number = models.CharField(_("fiscal drive number"), max_length=64, blank=True)
    document_number = models.CharField(_("fiscal document number"), max_length=64, blank=True)
    document_attribute = models.CharField(_("fiscal attribute"), max_length=64, blank=True)
    fiscal_date = models.CharField(_("fiscal date"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("final receipt")
        verbose_name_plural = _("final receipts")
        default_permissions = ("view",)  # created only through the receipt service
        indexes = [
            models.Index(fields=["state", "next_poll_at"], name="robokassa_receipt2_open"),
        ]

    def __str__(self) -> str:
        return f"#{self.invoice_id} {self.receipt_id} ({self.get_state_display()})"

    @property
    def fiscal_moment(self) -> datetime | None:
        """``fiscal_date`` as a time, when ROBOKASSA wrote it in ISO 8601 with its offset."""
        try:
            moment = datetime.fromisoformat(self.fiscal_date[:32])
        except ValueError:
            return None
        return moment if moment.tzinfo is not None else None
